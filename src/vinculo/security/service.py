"""Recording and reading security events. Other areas record through `record_security_event`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.security import repository
from vinculo.security.models import CLIENT_ADDRESS_MAX, DETAIL_MAX, SecurityEvent

SecurityEventKind = Literal[
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "password_changed",
    "password_reset",
    "email_changed",
    "account_claimed",
    "session_revoked",
    "member_blocked",
    "member_unblocked",
    "two_factor_changed",
    "report_sent",
    "account_closed",
    "account_reopened",
]
SECURITY_EVENT_KINDS: tuple[str, ...] = get_args(SecurityEventKind)


def record_security_event(
    db: Session,
    *,
    member_id: int,
    kind: SecurityEventKind,
    detail: str = "",
    client_address: str = "",
) -> SecurityEvent:
    """Add an event to the member's log, at the current UTC time. It is written with the unit of
    work it belongs to: an operation that is undone leaves no event behind."""
    if kind not in SECURITY_EVENT_KINDS:
        raise ValueError(f"not a kind of security event: {kind!r}")
    event = SecurityEvent(
        member_id=member_id,
        kind=kind,
        occurred_at=clock.now(),
        client_address=client_address[:CLIENT_ADDRESS_MAX],
        detail=detail[:DETAIL_MAX],
    )
    repository.add_event(db, event)
    return event


def security_events(
    db: Session,
    *,
    member_id: int | None,
    cursor: str | None,
    limit: int,
    since: datetime | None = None,
) -> Page[SecurityEvent]:
    """A page of events, newest first: one member's (their own log), or with None everyone's
    (for operators)."""
    before = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    rows = repository.events(
        db, member_id=member_id, since=since, before_id=before, limit=limit + 1
    )
    return cut_page(rows, limit=limit, key=lambda event: (event.id,))
