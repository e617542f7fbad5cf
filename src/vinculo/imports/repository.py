"""The SQL of bulk imports: members loaded fast (COPY on PostgreSQL), the emails already taken,
and the career entries an earlier run imported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from vinculo.db import copy_rows
from vinculo.identity.models import Member

CHUNK = 500


def is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def owners_of_emails(db: Session, emails: Sequence[str]) -> dict[str, str | None]:
    """For emails already registered: the external id of the member who has each (None when that
    member was not imported)."""
    found: dict[str, str | None] = {}
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
        for email, external_id in db.execute(
            select(Member.email, Member.external_id).where(Member.email.in_(chunk))
        ):
            found[email] = external_id
    return found


def insert_members(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgresql(db):
        copy_rows(db, "member", list(rows[0]), (tuple(row.values()) for row in rows))
    else:
        db.execute(insert(Member), rows)


def existing_entries(
    db: Session, *, table: str, place_column: str, label_column: str
) -> set[tuple[Any, ...]]:
    """Every (member, place, label, start year, start month, end year, end month) of a career
    table, to leave out entries an earlier run imported."""
    rows = db.execute(
        text(
            f"SELECT member_id, {place_column}, {label_column}, start_year, start_month, "  # noqa: S608 - fixed names
            f"end_year, end_month FROM {table}"
        )
    )
    return {tuple(row) for row in rows}
