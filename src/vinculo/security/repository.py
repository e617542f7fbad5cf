"""All SQL of the security event log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vinculo.security.models import SecurityEvent


def add_event(db: Session, event: SecurityEvent) -> None:
    db.add(event)
    db.flush()


def events(
    db: Session,
    *,
    member_id: int | None,
    since: datetime | None,
    before_id: int | None,
    limit: int,
) -> Sequence[SecurityEvent]:
    """Up to `limit` events, newest first: one member's or everyone's, from `since` on, older
    than the event `before_id`."""
    statement = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if member_id is not None:
        statement = statement.where(SecurityEvent.member_id == member_id)
    if since is not None:
        statement = statement.where(SecurityEvent.occurred_at >= since)
    if before_id is not None:
        statement = statement.where(SecurityEvent.id < before_id)
    return db.scalars(statement).all()
