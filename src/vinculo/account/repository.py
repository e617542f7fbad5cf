"""All SQL of the account area: the connections a closed account keeps for its grace period,
and the reads of an export, one statement for each kind of data whatever its number of rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session, aliased

from vinculo.account.models import ClosedAccountConnection
from vinculo.identity.models import AuthSession, Member
from vinculo.invitations.models import Invitation
from vinculo.network.models import Connection
from vinculo.notifications.models import Notification
from vinculo.privacy.models import Block
from vinculo.privacy.repository import blocked_either_way
from vinculo.profiles.models import Education, Position
from vinculo.security.models import SecurityEvent

# Keeping a closed account's connections


def keep_connections(db: Session, *, member_id: int, connections: Sequence[Connection]) -> None:
    """Keep the connections closing the account ended, with both sides' tiers and notes."""
    if not connections:
        return
    rows = []
    for connection in connections:
        other_id = connection.high_id if connection.low_id == member_id else connection.low_id
        mine, theirs = connection.side_of(member_id), connection.side_of(other_id)
        rows.append(
            {
                "member_id": member_id,
                "other_id": other_id,
                "created_at": connection.created_at,
                "member_tier": mine[0],
                "member_note": mine[1],
                "other_tier": theirs[0],
                "other_note": theirs[1],
            }
        )
    db.execute(insert(ClosedAccountConnection), rows)


def kept_partners(db: Session, *, member_id: int) -> list[int]:
    """The other members of the connections a closed account keeps."""
    return list(
        db.scalars(
            select(ClosedAccountConnection.other_id).where(
                ClosedAccountConnection.member_id == member_id
            )
        )
    )


def restorable_connections(db: Session, *, member_id: int) -> list[Connection]:
    """The kept connections that may be restored: with members neither closed nor with a block
    between them and this member, either way; as connections (detached)."""
    rows = db.scalars(
        select(ClosedAccountConnection).where(
            ClosedAccountConnection.member_id == member_id,
            ~blocked_either_way(member_id, ClosedAccountConnection.other_id),
        )
    )
    restorable = []
    for kept in rows:
        low_first = member_id < kept.other_id
        mine = (kept.member_tier, kept.member_note)
        theirs = (kept.other_tier, kept.other_note)
        low, high = (mine, theirs) if low_first else (theirs, mine)
        restorable.append(
            Connection(
                low_id=min(member_id, kept.other_id),
                high_id=max(member_id, kept.other_id),
                created_at=kept.created_at,
                low_tier=low[0],
                low_note=low[1],
                high_tier=high[0],
                high_note=high[1],
            )
        )
    return restorable


def forget_kept_connections(db: Session, *, member_id: int) -> None:
    db.execute(
        delete(ClosedAccountConnection).where(ClosedAccountConnection.member_id == member_id)
    )


# The reads of an export: the member's own rows, and of others only their id and name.


def member_by_id(db: Session, member_id: int) -> Member | None:
    return db.get(Member, member_id)


def positions_of(db: Session, *, member_id: int) -> list[Position]:
    return list(
        db.scalars(
            select(Position).where(Position.member_id == member_id).order_by(Position.id)
        ).unique()
    )


def education_of(db: Session, *, member_id: int) -> list[Education]:
    return list(
        db.scalars(
            select(Education).where(Education.member_id == member_id).order_by(Education.id)
        ).unique()
    )


def connections_of(db: Session, *, member_id: int) -> list[tuple[Connection, Member]]:
    """The member's connections, each with the other member."""
    other = aliased(Member)
    rows = db.execute(
        select(Connection, other)
        .join(
            other,
            or_(
                (Connection.low_id == member_id) & (other.id == Connection.high_id),
                (Connection.high_id == member_id) & (other.id == Connection.low_id),
            ),
        )
        .order_by(Connection.created_at, other.id)
    )
    return [(connection, member) for connection, member in rows]


def invitations_of(db: Session, *, member_id: int) -> list[tuple[Invitation, Member]]:
    """The invitations the member sent and received, each with the other member, leaving out
    those with a member hidden from them (a block either way, a closed account), as their lists
    do."""
    other = aliased(Member)
    rows = db.execute(
        select(Invitation, other)
        .join(
            other,
            or_(
                (Invitation.sender_id == member_id) & (other.id == Invitation.recipient_id),
                (Invitation.recipient_id == member_id) & (other.id == Invitation.sender_id),
            ),
        )
        .where(~blocked_either_way(member_id, other.id))
        .order_by(Invitation.id)
    )
    return [(invitation, member) for invitation, member in rows]


def notifications_of(db: Session, *, member_id: int) -> list[tuple[Notification, Member]]:
    """The member's notifications with who they are about, leaving out those about a member
    hidden from them, as their list does."""
    rows = db.execute(
        select(Notification, Member)
        .join(Member, Member.id == Notification.actor_id)
        .where(
            Notification.member_id == member_id,
            ~blocked_either_way(member_id, Notification.actor_id),
        )
        .order_by(Notification.id)
    )
    return [(notification, actor) for notification, actor in rows]


def blocks_made_by(db: Session, *, member_id: int) -> list[tuple[Block, Member]]:
    """The blocks the member made (never the blocks of others against them)."""
    rows = db.execute(
        select(Block, Member)
        .join(Member, Member.id == Block.blocked_id)
        .where(Block.blocker_id == member_id)
        .order_by(Block.created_at, Member.id)
    )
    return [(block, blocked) for block, blocked in rows]


def security_events_of(db: Session, *, member_id: int) -> list[SecurityEvent]:
    return list(
        db.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.member_id == member_id)
            .order_by(SecurityEvent.id)
        )
    )


def sessions_of(db: Session, *, member_id: int) -> list[AuthSession]:
    return list(
        db.scalars(
            select(AuthSession).where(AuthSession.member_id == member_id).order_by(AuthSession.id)
        )
    )
