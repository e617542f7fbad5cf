"""All SQL of mail: the outbox, and members' mail preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import column, delete, exists, select, table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vinculo.mail.models import ERROR_MAX, MailPreference, OutboxMail


def add_mail(db: Session, mail: OutboxMail) -> int:
    db.add(mail)
    db.flush()
    return mail.id


def waiting(db: Session, *, now: datetime, limit: int) -> Sequence[int]:
    """Up to `limit` mails due now and held by no sender, the oldest due first."""
    return db.scalars(
        select(OutboxMail.id)
        .where(
            OutboxMail.sent_at.is_(None),
            OutboxMail.failed_at.is_(None),
            OutboxMail.send_after <= now,
            (OutboxMail.claimed_until.is_(None)) | (OutboxMail.claimed_until < now),
        )
        .order_by(OutboxMail.send_after, OutboxMail.id)
        .limit(limit)
    ).all()


def claim(db: Session, *, mail_id: int, now: datetime, until: datetime) -> OutboxMail | None:
    """Hold one mail for a sender until `until`, counting the attempt; None when another sender
    holds it or it was sent meanwhile. One conditional UPDATE: of two senders racing for a mail,
    exactly one gets it."""
    claimed = db.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.sent_at.is_(None),
            OutboxMail.failed_at.is_(None),
            (OutboxMail.claimed_until.is_(None)) | (OutboxMail.claimed_until < now),
        )
        .values(claimed_until=until, attempts=OutboxMail.attempts + 1)
        .execution_options(preserve_rowcount=True, synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    return db.get(OutboxMail, mail_id, populate_existing=True)


def mark_sent(db: Session, *, mail_id: int, now: datetime) -> None:
    db.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id)
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


def frequencies_of(db: Session, *, member_ids: Sequence[int], kind: str) -> dict[int, str]:
    rows = db.execute(
        select(MailPreference.member_id, MailPreference.frequency).where(
            MailPreference.member_id.in_(member_ids), MailPreference.kind == kind
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
