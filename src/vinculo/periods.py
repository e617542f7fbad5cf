"""Periods of a career: a start and an optional end, each a year with an optional month."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass

from vinculo.errors import N_

YEAR_MIN = 1900
YEAR_MAX = 2100
_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass(frozen=True)
class YearMonth:
    """ "2019" or "2019-03"; a full ISO date is accepted and kept to its month."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        match = _PATTERN.match(text.strip())
        if match is None:
            raise ValueError(N_("Use a year, or a year and month: 2019 or 2019-03."))
        year, month, day = (int(group) if group else None for group in match.groups())
        assert year is not None  # noqa: S101 - the pattern always captures the year
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise ValueError(N_("Use a year between 1900 and 2100."))
        if month is not None and not 1 <= month <= 12:
            raise ValueError(N_("Use a month between 01 and 12."))
        if day is not None and (month is None or not 1 <= day <= monthrange(year, month)[1]):
            raise ValueError(N_("That day does not exist."))
        return cls(year=year, month=month)

    def __str__(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    @property
    def first_month(self) -> int:
        """Months since year 0 at the earliest this can mean (January when no month is given)."""
        return self.year * 12 + (self.month or 1) - 1

    @property
    def last_month(self) -> int:
        """Months since year 0 at the latest this can mean (December when no month is given)."""
        return self.year * 12 + (self.month or 12) - 1


@dataclass(frozen=True)
class Period:
    start: YearMonth
    end: YearMonth | None = None

    @property
    def is_current(self) -> bool:
        return self.end is None

    def is_ordered(self) -> bool:
        return self.end is None or self.end.last_month >= self.start.first_month


def period_of(
    start_year: int, start_month: int | None, end_year: int | None, end_month: int | None
) -> Period:
    """The period stored in the four columns of a position or an education row."""
    end = YearMonth(end_year, end_month) if end_year is not None else None
    return Period(YearMonth(start_year, start_month), end)
