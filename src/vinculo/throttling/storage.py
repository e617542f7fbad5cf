"""Storages for the `limits` library: over the database, so that the processes of one community
share the counters of the limits that must hold across them (registrations and logins per
address) without Redis, each call one short statement of its own outside any request's unit of
work; and in this process's memory, for the limits each process keeps on its own."""

from __future__ import annotations

import threading
import time
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


class MemoryStorage(Storage):
    """Fixed windows counted in this process's memory, for the limits every request is counted
    against (per token, per address). Counting is a dictionary update under a lock: unlike the
    library's own memory storage, which starts a timer thread every few counts to expire them,
    it starts nothing; a finished window is replaced when its key is counted again, and every
    finished one is dropped once a minute."""

    STORAGE_SCHEME = ["vinculo+memory"]  # noqa: RUF012 - as the library declares it
    SWEEP_EVERY = 60.0  # seconds

    def __init__(self) -> None:
        super().__init__()
        self._windows: dict[str, tuple[int, float]] = {}  # key: (count, when the window ends)
        self._lock = threading.Lock()
        self._swept = time.time()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            count, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + expiry
            count += amount
            self._windows[key] = (count, ends)
            if now - self._swept > self.SWEEP_EVERY:
                self._swept = now
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            return count

    def get(self, key: str) -> int:
        count, ends = self._windows.get(key, (0, 0.0))
        return count if ends > time.time() else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        ends = self._windows.get(key, (0, 0.0))[1]
        return ends if ends > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            cleared = len(self._windows)
            self._windows = {}
        return cleared

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
