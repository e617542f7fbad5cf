"""The time every rule reads, in UTC; tests replace it to make time-dependent rules repeatable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _source()


class FrozenClock:
    """A clock that moves only when told; `advance` models days passing in a test."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a frozen clock needs an aware datetime")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@contextmanager
def frozen(start: datetime) -> Iterator[FrozenClock]:
    """Freeze `now()` at `start` for the duration of the block."""
    global _source  # noqa: PLW0603 - the clock is deliberately process-wide
    clock = FrozenClock(start)
    previous, _source = _source, clock
    try:
        yield clock
    finally:
        _source = previous
