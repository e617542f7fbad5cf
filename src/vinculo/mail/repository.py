"""All SQL of mail: the outbox, and members' mail preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, column, delete, exists, select, table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vinculo.mail.models import ERROR_MAX, MailPreference, OutboxMail


def add_mail(db: Session, mail: OutboxMail) -> int:
    db.add(mail)
    db.flush()
    return mail.id


def _held_by_none(now: datetime) -> ColumnElement[bool]:
    """Not sent, not given up on, and held by no sender (or by one whose claim ran out)."""
    return and_(
        OutboxMail.sent_at.is_(None),
        OutboxMail.failed_at.is_(None),
        (OutboxMail.claimed_until.is_(None)) | (OutboxMail.claimed_until < now),
    )


def claim_waiting(
    db: Session, *, now: datetime, until: datetime, limit: int
) -> Sequence[OutboxMail]:
    """Hold up to `limit` mails due now for a sender until `until`, counting the attempt; the
    mails it got, the oldest due first. One statement, whose condition is checked again on each
    row: of two senders racing for a mail, exactly one gets it (on PostgreSQL the second skips
    the rows the first holds; SQLite's writers take turns)."""
    due = (
        select(OutboxMail.id)
        .where(_held_by_none(now), OutboxMail.send_after <= now)
        .order_by(OutboxMail.send_after, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.scalars(
        update(OutboxMail)
        .where(OutboxMail.id.in_(due.scalar_subquery()), _held_by_none(now))
        .values(claimed_until=until, attempts=OutboxMail.attempts + 1)
        .returning(OutboxMail),
        execution_options={"populate_existing": True},
    ).all()
    return sorted(claimed, key=lambda mail: (mail.send_after, mail.id))


def mark_sent(db: Session, *, mail_ids: Sequence[int], now: datetime) -> None:
    db.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(mail_ids))
        .values(sent_at=now, claimed_until=None, last_error="")
        .execution_options(synchronize_session=False)
    )


def mark_failed_attempt(
    db: Session, *, mail_id: int, error: str, retry_at: datetime | None, now: datetime
) -> None:
    """After a failed attempt: try again at `retry_at`, or never (None): the mail failed."""
    values: dict[str, Any] = {"claimed_until": None, "last_error": error[:ERROR_MAX]}
    if retry_at is None:
        values["failed_at"] = now
    else:
        values["send_after"] = retry_at
    db.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def forget_mails_done_before(db: Session, *, before: datetime) -> int:
    """Delete the mails sent or given up on before `before`; how many."""
    done = db.execute(
        delete(OutboxMail)
        .where(
            ((OutboxMail.sent_at.is_not(None)) & (OutboxMail.sent_at < before))
            | ((OutboxMail.failed_at.is_not(None)) & (OutboxMail.failed_at < before))
        )
        .execution_options(preserve_rowcount=True)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def mails_of(db: Session, *, member_id: int) -> Sequence[OutboxMail]:
    return db.scalars(
        select(OutboxMail).where(OutboxMail.member_id == member_id).order_by(OutboxMail.id)
    ).all()


def member_exists(db: Session, *, member_id: int) -> bool:
    # The member table by name: mail sits below identity, which owns it.
    member = table("member", column("id"))
    return bool(db.scalar(select(exists().where(member.c.id == member_id))))


def preferences_of(db: Session, *, member_id: int) -> dict[str, str]:
    rows = db.execute(
        select(MailPreference.kind, MailPreference.frequency).where(
            MailPreference.member_id == member_id
        )
    )
    return {key: value for key, value in rows.all()}  # noqa: C416 - a Result is no mapping


def set_preference(
    db: Session, *, member_id: int, kind: str, frequency: str, now: datetime
) -> None:
    """One statement on both databases: two racing changes leave one row, the later's value."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(MailPreference).values(
        member_id=member_id, kind=kind, frequency=frequency, updated_at=now
    )
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id", "kind"],
            set_={"frequency": frequency, "updated_at": now},
        )
    )
