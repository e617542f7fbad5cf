"""All SQL of notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from vinculo.identity.models import Member
from vinculo.mail.models import MailPreference
from vinculo.notifications.models import Notification
from vinculo.privacy.repository import blocked_either_way


def add_notification(
    db: Session,
    *,
    member_id: int,
    kind: str,
    actor_id: int,
    invitation_id: int | None,
    now: datetime,
    introduction_id: int | None = None,
    group_id: int | None = None,
    post_id: int | None = None,
    for_digest: bool = False,
    mailed_at: datetime | None = None,
) -> None:
    db.add(
        Notification(
            member_id=member_id,
            kind=kind,
            actor_id=actor_id,
            invitation_id=invitation_id,
            introduction_id=introduction_id,
            group_id=group_id,
            post_id=post_id,
            created_at=now,
            for_digest=for_digest,
            mailed_at=mailed_at,
        )
    )


def _not_blocked(member_id: int) -> ColumnElement[bool]:
    """Notifications whose actor has no block with the member either way: after a block, the
    other member is gone from each one's notifications, as from everything else."""
    return ~blocked_either_way(member_id, Notification.actor_id)


def notifications_of(
    db: Session, *, member_id: int, after: int | None, limit: int
) -> list[tuple[Notification, Member]]:
    """A member's notifications with their actor, newest first; `limit + 1` at most."""
    statement = (
        select(Notification, Member)
        .join(Member, Member.id == Notification.actor_id)
        .where(Notification.member_id == member_id, _not_blocked(member_id))
    )
    if after is not None:
        statement = statement.where(Notification.id < after)
    rows = db.execute(statement.order_by(Notification.id.desc()).limit(limit + 1))
    return [(notification, actor) for notification, actor in rows]


def count_unread(db: Session, *, member_id: int) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                Notification.member_id == member_id,
                Notification.read_at.is_(None),
                _not_blocked(member_id),
            )
        )
        or 0
    )


def mark_read(db: Session, *, member_id: int, now: datetime) -> None:
    db.execute(
        update(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


# Email


def members_by_id(db: Session, ids: Sequence[int]) -> dict[int, Member]:
    return {member.id: member for member in db.scalars(select(Member).where(Member.id.in_(ids)))}


def pair_with_choice(
    db: Session, *, member_id: int, actor_id: int, kind: str
) -> tuple[dict[int, Member], str | None]:
    """The member and the actor, or nothing when there is a block between them, with the
    member's choice of mail for `kind` (None: they never chose); one query."""
    rows = db.execute(
        select(Member, MailPreference.frequency)
        .outerjoin(
            MailPreference,
            (MailPreference.member_id == Member.id) & (MailPreference.kind == kind),
        )
        .where(Member.id.in_((member_id, actor_id)), ~blocked_either_way(member_id, actor_id))
    ).all()
    members = {member.id: member for member, _ in rows}
    chosen = next((frequency for member, frequency in rows if member.id == member_id), None)
    return members, chosen


def digests_due(db: Session, *, waiting_since: datetime, limit: int) -> list[int]:
    """Members whose oldest notification waiting for the digest was made by `waiting_since`."""
    waiting = Notification.for_digest & Notification.mailed_at.is_(None)
    return list(
        db.scalars(
            select(Notification.member_id)
            .where(waiting)
            .group_by(Notification.member_id)
            .having(func.min(Notification.created_at) <= waiting_since)
            .order_by(Notification.member_id)
            .limit(limit)
        )
    )


def claim_for_digest(db: Session, *, member_id: int, now: datetime) -> list[Notification]:
    """Mark every notification of the member waiting for the digest as mailed, and return them,
    oldest first, with those whose actor is blocked either way left out (they are claimed too).
    One conditional UPDATE: of two digests racing, the second finds none."""
    claimed = db.scalars(
        update(Notification)
        .where(
            Notification.member_id == member_id,
            Notification.for_digest,
            Notification.mailed_at.is_(None),
        )
        .values(mailed_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return []
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.id.in_(claimed), _not_blocked(member_id))
            .order_by(Notification.id)
        )
    )
