"""All SQL of invitations: the life cycle's conditional updates, the lists, and the counts the
policies read (weekly caps, acceptance, reports, the re-invitation cooldown)."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from vinculo.db import ordered_pair
from vinculo.invitations.models import (
    AWAITING_ANSWER,
    OPEN_TO_SENDER,
    UNSUCCESSFUL,
    Invitation,
    InvitationStatus,
)
from vinculo.privacy.repository import blocked_either_way, who_can_invite_of

PENDING = InvitationStatus.PENDING


def _not_blocked(member_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """Invitations of a member whose other member has no block with them either way: after a
    block, each one's invitations with the other are gone, as the other member is."""
    return and_(
        ~blocked_either_way(member_id, Invitation.sender_id),
        ~blocked_either_way(member_id, Invitation.recipient_id),
    )


def add_invitation(db: Session, invitation: Invitation) -> Invitation:
    db.add(invitation)
    db.flush()
    return invitation


def invitation_by_id(db: Session, invitation_id: int) -> Invitation | None:
    return db.get(Invitation, invitation_id, populate_existing=True)


def open_between(db: Session, a: int, b: int) -> list[Invitation]:
    """The pair's invitations either way that are pending or ignored, expired or not (there are
    few: at most one pending for the pair, and ignored ones until they expire)."""
    low, high = ordered_pair(a, b)
    return list(
        db.scalars(
            select(Invitation).where(
                Invitation.low_id == low,
                Invitation.high_id == high,
                Invitation.status.in_(OPEN_TO_SENDER),
            )
        )
    )


def open_invitation(
    db: Session,
    *,
    sender_id: int,
    recipient_id: int,
    statuses: Sequence[InvitationStatus],
    now: datetime,
) -> Invitation | None:
    """The sender's unexpired invitation to the recipient in one of these statuses, if any."""
    return db.scalar(
        select(Invitation)
        .where(
            Invitation.sender_id == sender_id,
            Invitation.recipient_id == recipient_id,
            Invitation.status.in_(statuses),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def count_open_invitations(db: Session, *, member_id: int, now: datetime) -> tuple[int, int]:
    """How many invitations wait for the member's answer (received), and how many look pending
    to the member who sent them (sent: an ignored one still does); one statement, built once."""
    received, sent = db.execute(_OPEN_COUNTS, {"member_id": member_id, "now": now}).one()
    return int(received), int(sent)


def _open_counts_statement() -> Select[int, int]:
    member: BindParameter[int] = bindparam("member_id", type_=Invitation.sender_id.type)
    now = bindparam("now", type_=Invitation.expires_at.type)
    received = and_(Invitation.recipient_id == member, Invitation.status.in_(AWAITING_ANSWER))
    sent = and_(Invitation.sender_id == member, Invitation.status.in_(OPEN_TO_SENDER))
    return select(func.count().filter(received), func.count().filter(sent)).where(
        or_(Invitation.recipient_id == member, Invitation.sender_id == member),
        Invitation.expires_at > now,
        _not_blocked(member),
    )


_OPEN_COUNTS = _open_counts_statement()


def awaiting_answer(db: Session, *, invitation_ids: Collection[int], now: datetime) -> set[int]:
    """Of these invitations, those waiting for their recipient's answer and not expired."""
    return set(
        db.scalars(
            select(Invitation.id).where(
                Invitation.id.in_(sorted(invitation_ids)),
                Invitation.status.in_(AWAITING_ANSWER),
                Invitation.expires_at > now,
            )
        )
    )


def close_open(
    db: Session,
    *,
    invitation_id: int,
    status: InvitationStatus,
    now: datetime,
    reported: bool = False,
    open_statuses: Sequence[InvitationStatus] = AWAITING_ANSWER,
) -> bool:
    """Move one invitation out of the open statuses; False when it no longer was open (someone
    else won). A report, once made, stays on the invitation."""
    values: dict[str, Any] = {"status": status, "closed_at": now}
    if reported:
        values["reported"] = True
    if status == InvitationStatus.IGNORED:
        values["ignored_at"] = now
    result = db.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.status.in_(open_statuses),
            Invitation.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    # The session's copy of the invitation, when it holds one, now says what the row says.
    loaded = db.identity_map.get(identity_key(Invitation, invitation_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)
    return True


def withdraw_all_of(db: Session, *, member_id: int, now: datetime) -> None:
    """Withdraw every open invitation the member sent or received (closing an account): open as
    its sender sees it, and not past its expiry; an ignored one keeps its `ignored_at`."""
    db.execute(
        update(Invitation)
        .where(
            or_(Invitation.sender_id == member_id, Invitation.recipient_id == member_id),
            Invitation.status.in_(OPEN_TO_SENDER),
            Invitation.expires_at > now,
        )
        .values(status=InvitationStatus.WITHDRAWN, closed_at=now)
        .execution_options(synchronize_session=False)
    )


def close_from(
    db: Session, *, sender_id: int, recipient_id: int, status: InvitationStatus, now: datetime
) -> None:
    """Close every open invitation from the sender to the recipient (a block).

    Open means open as its sender sees it, unless it is being ignored: closing an ignored
    invitation any other way (withdrawn) keeps its `ignored_at`. One past its expiry is already
    expired, and stays as it is."""
    values: dict[str, Any] = {"status": status, "closed_at": now}
    open_statuses: Sequence[InvitationStatus] = OPEN_TO_SENDER
    if status == InvitationStatus.IGNORED:
        values["ignored_at"] = now
        open_statuses = AWAITING_ANSWER
    db.execute(
        update(Invitation)
        .where(
            Invitation.sender_id == sender_id,
            Invitation.recipient_id == recipient_id,
            Invitation.status.in_(open_statuses),
            Invitation.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def mark_pair_accepted(db: Session, *, a: int, b: int, now: datetime) -> None:
    """Once connected, no invitation between the two stays open (an ignored one included)."""
    low, high = ordered_pair(a, b)
    db.execute(
        update(Invitation)
        .where(
            Invitation.low_id == low,
            Invitation.high_id == high,
            Invitation.status.in_(OPEN_TO_SENDER),
            Invitation.expires_at > now,
        )
        .values(status=InvitationStatus.ACCEPTED, closed_at=now)
        .execution_options(synchronize_session=False)
    )


def invitations(
    db: Session, *, member_id: int, box: str, now: datetime, after: int | None, limit: int
) -> list[Invitation]:
    """A member's received or sent invitations, newest first; `limit + 1` at most; none with a
    member on the other side of a block.

    Received: what is still waiting for an answer (pending and not expired). Sent: all of them."""
    statement = _invitations_statement(box, paged=after is not None)
    values = {"member_id": member_id, "now": now, "after": after, "limit": limit + 1}
    return list(db.scalars(statement, values))


@functools.cache
def _invitations_statement(box: str, *, paged: bool) -> Select[Invitation]:
    """The statement of `invitations`, built once for each box, with a cursor or without."""
    member: BindParameter[int] = bindparam("member_id", type_=Invitation.sender_id.type)
    statement = select(Invitation).where(_not_blocked(member))
    if box == "received":
        statement = statement.where(
            Invitation.recipient_id == member,
            Invitation.status.in_(AWAITING_ANSWER),
            Invitation.expires_at > bindparam("now", type_=Invitation.expires_at.type),
        )
    else:
        statement = statement.where(Invitation.sender_id == member)
    if paged:
        statement = statement.where(Invitation.id < bindparam("after", type_=Invitation.id.type))
    return statement.order_by(Invitation.id.desc()).limit(bindparam("limit", type_=Integer()))


class SenderRecord(NamedTuple):
    """What the policies read of a sender's invitations, in one query."""

    sent: int  # since the start of the rolling week
    oldest_sent: datetime | None  # the oldest of those
    answered: int  # accepted, or ignored or reported (even if withdrawn afterwards)
    accepted: int
    reports: int  # "I don't know this person", since the start of the report window
    last_ended: datetime | None  # to this recipient, without a connection: the cooldown's start
    recipient_policy: str  # the recipient's "who can invite me"


def sender_record(
    db: Session,
    *,
    sender_id: int,
    recipient_id: int,
    now: datetime,
    week_start: datetime,
    reports_since: datetime,
) -> SenderRecord:
    """The sender's invitations as the policies count them. A report dates from when it was
    made (`ignored_at`), not from `closed_at`, which a later withdrawal by the sender moves."""
    accepted = Invitation.status == InvitationStatus.ACCEPTED
    recent = Invitation.created_at >= week_start
    row = db.execute(
        select(
            func.count().filter(recent),
            func.min(Invitation.created_at).filter(recent),
            func.count().filter(or_(accepted, Invitation.ignored_at.is_not(None))),
            func.count().filter(accepted),
            func.count().filter(
                Invitation.reported.is_(True),
                func.coalesce(Invitation.ignored_at, Invitation.closed_at) >= reports_since,
            ),
            func.max(_ended_at()).filter(
                Invitation.recipient_id == recipient_id, _ended_without_connection(now)
            ),
            who_can_invite_of(recipient_id),
        ).where(Invitation.sender_id == sender_id)
    ).one()
    return SenderRecord(
        sent=int(row[0]),
        oldest_sent=row[1],
        answered=int(row[2]),
        accepted=int(row[3]),
        reports=int(row[4]),
        last_ended=row[5],
        recipient_policy=str(row[6]),
    )


def _ended_without_connection(now: datetime) -> ColumnElement[bool]:
    """Ended without a connection, as its sender saw it: withdrawn, ignored (or reported),
    expired, or still pending past its expiry."""
    return or_(
        Invitation.status.in_(UNSUCCESSFUL),
        and_(Invitation.status == PENDING, Invitation.expires_at <= now),
    )


def _ended_at() -> ColumnElement[datetime]:
    """When it ended as its sender saw it: a withdrawal when it happened; an ignore, a report or
    an expiry at the expiry time (an ignore is silent until then)."""
    return case(
        (Invitation.status == InvitationStatus.WITHDRAWN, Invitation.closed_at),
        else_=Invitation.expires_at,
    )


def kept_apart_from(
    db: Session, *, member_id: int, now: datetime, cooldown_start: datetime
) -> set[int]:
    """The members an invitation keeps out of this member's suggestions: one still open either
    way (an ignored one included: to its sender it looks pending), and those the member invited
    whose invitation ended within the re-invitation cooldown, counted as `sender_record` counts
    it."""
    still_open = and_(Invitation.status.in_(OPEN_TO_SENDER), Invitation.expires_at > now)
    cooling = and_(
        Invitation.sender_id == member_id,
        _ended_without_connection(now),
        _ended_at() > cooldown_start,
    )
    statement = select(Invitation.sender_id, Invitation.recipient_id).where(
        or_(Invitation.sender_id == member_id, Invitation.recipient_id == member_id),
        or_(still_open, cooling),
    )
    return {
        recipient if sender == member_id else sender for sender, recipient in db.execute(statement)
    }


def expire_pending(db: Session, *, now: datetime) -> int:
    result = db.execute(
        update(Invitation)
        .where(Invitation.status == PENDING, Invitation.expires_at <= now)
        .values(status=InvitationStatus.EXPIRED, closed_at=Invitation.expires_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def due_reminders(
    db: Session, *, sent_before: datetime, now: datetime, limit: int
) -> list[Invitation]:
    return list(
        db.scalars(
            select(Invitation)
            .where(
                Invitation.status == PENDING,
                Invitation.reminded_at.is_(None),
                Invitation.created_at <= sent_before,
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id)
            .limit(limit)
        )
    )


def mark_reminded(db: Session, *, invitation_id: int, now: datetime) -> bool:
    result = db.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
