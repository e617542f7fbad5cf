"""A storage for the `limits` library over the database, so that the processes of one community
share the counters of the limits that must hold across them (registrations and logins per
address) without Redis. Each call is one short statement of its own, outside any request's unit
of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from limits.storage import Storage

from vinculo import clock
from vinculo.db import Database
from vinculo.throttling import repository


class DatabaseStorage(Storage):
    """Fixed windows (`limits.strategies.FixedWindowRateLimiter`) counted in `request_counter`."""

    STORAGE_SCHEME = ["vinculo+database"]  # noqa: RUF012 - as the library declares it

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = clock.now()
        with self.database.unit_of_work() as db:
            return repository.count(
                db, key=key, now=now, window_end=now + timedelta(seconds=expiry), amount=amount
            )

    def get(self, key: str) -> int:
        with self.database.unit_of_work(write=False) as db:
            return repository.counted(db, key=key, now=clock.now())[0]

    def get_expiry(self, key: str) -> float:
        with self.database.unit_of_work(write=False) as db:
            _, window_end = repository.counted(db, key=key, now=clock.now())
        return (window_end or datetime.now(UTC)).timestamp()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self.database.unit_of_work() as db:
            repository.forget(db)
        return None

    def clear(self, key: str) -> None:
        with self.database.unit_of_work() as db:
            repository.forget(db, key=key)


def forget_finished_windows(database: Database) -> None:
    """Drop the counters whose windows are over (the worker's job): the table holds only the
    clients active in the current windows."""
    with database.unit_of_work() as db:
        repository.forget(db, before=clock.now())
