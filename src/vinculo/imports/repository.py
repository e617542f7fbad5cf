"""The SQL of bulk imports: loading many rows fast (COPY on PostgreSQL), and idempotent inserts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from vinculo.identity.models import Member

CHUNK = 500


def is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def member_ids_by_external_id(db: Session) -> dict[str, int]:
    rows = db.execute(select(Member.external_id, Member.id).where(Member.external_id.is_not(None)))
    return {str(external_id): int(member_id) for external_id, member_id in rows}


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
        _copy(db, "member", list(rows[0]), (tuple(row.values()) for row in rows))
    else:
        db.execute(insert(Member), rows)


def insert_connections(db: Session, pairs: Iterable[tuple[int, int]], *, now: datetime) -> int:
    """Connect every (low, high) pair not yet connected, logging each new connection for the graph
    indexes; how many were new."""
    db.execute(
        text("CREATE TEMPORARY TABLE import_pair (low_id BIGINT NOT NULL, high_id BIGINT NOT NULL)")
    )
    if is_postgresql(db):
        _copy(db, "import_pair", ["low_id", "high_id"], pairs)
    else:
        batch: list[dict[str, int]] = []
        for low, high in pairs:
            batch.append({"low": low, "high": high})
            if len(batch) == 10_000:
                _insert_pairs(db, batch)
                batch = []
        _insert_pairs(db, batch)
    new = text(
        "SELECT DISTINCT p.low_id, p.high_id FROM import_pair p WHERE NOT EXISTS "
        "(SELECT 1 FROM connection c WHERE c.low_id = p.low_id AND c.high_id = p.high_id)"
    )
    db.execute(text("CREATE TEMPORARY TABLE import_new_pair AS " + new.text))
    db.execute(
        text(
            "INSERT INTO connection (low_id, high_id, created_at, low_tier, high_tier, low_note, "
            "high_note) SELECT low_id, high_id, :now, 'regular', 'regular', '', '' "
            "FROM import_new_pair"
        ),
        {"now": now},
    )
    added = db.execute(
        text(
            "INSERT INTO connection_change (low_id, high_id, connected, created_at) "
            "SELECT low_id, high_id, :yes, :now FROM import_new_pair"
        ),
        {"now": now, "yes": True},
    ).rowcount  # type: ignore[attr-defined]
    if is_postgresql(db):
        db.execute(text("SELECT pg_notify('vinculo_connections', '')"))
    db.execute(text("DROP TABLE import_pair"))
    db.execute(text("DROP TABLE import_new_pair"))
    return int(added)


def _insert_pairs(db: Session, batch: list[dict[str, int]]) -> None:
    if batch:
        db.execute(text("INSERT INTO import_pair (low_id, high_id) VALUES (:low, :high)"), batch)


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


def _copy(db: Session, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY: the fastest way in, through the session's own connection."""
    connection = db.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("the session has no database connection")
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
