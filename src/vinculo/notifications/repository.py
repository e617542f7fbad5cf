"""All SQL of notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from vinculo.identity.models import Member
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
) -> None:
    db.add(
        Notification(
            member_id=member_id,
            kind=kind,
            actor_id=actor_id,
            invitation_id=invitation_id,
            created_at=now,
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
