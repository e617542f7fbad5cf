"""All SQL of throttling: counting a client's requests in a window, in one statement that two
processes racing on the same counter both get right."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vinculo.throttling.models import RequestCounter


def count(db: Session, *, key: str, now: datetime, window_end: datetime, amount: int) -> int:
    """Add `amount` requests to the counter, starting a new window (ending at `window_end`) when
    the last one is over; the count in the window, this request included."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    over = RequestCounter.window_end <= now
    statement = (
        insert(RequestCounter)
        .values(key=key, window_end=window_end, hits=amount)
        .on_conflict_do_update(
            index_elements=[RequestCounter.key],
            set_={
                "hits": case((over, amount), else_=RequestCounter.hits + amount),
                "window_end": case(
                    (over, literal(window_end, type_=RequestCounter.window_end.type)),
                    else_=RequestCounter.window_end,
                ),
            },
        )
        .returning(RequestCounter.hits)
    )
    return int(db.execute(statement).scalar_one())


def counted(db: Session, *, key: str, now: datetime) -> tuple[int, datetime | None]:
    """The count in the key's current window and when it ends (0 and None when none runs)."""
    row = db.execute(
        select(RequestCounter.hits, RequestCounter.window_end).where(
            RequestCounter.key == key, RequestCounter.window_end > now
        )
    ).one_or_none()
    return (0, None) if row is None else (int(row[0]), row[1])


def forget(db: Session, *, key: str | None = None, before: datetime | None = None) -> None:
    """Drop one counter, the windows over before a time, or (neither given) every counter."""
    statement = delete(RequestCounter)
    if key is not None:
        statement = statement.where(RequestCounter.key == key)
    if before is not None:
        statement = statement.where(RequestCounter.window_end <= before)
    db.execute(statement)
