"""Reading the CSV files of `vinculo import`: every row checked before anything is written, each
problem named by its file and line."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from vinculo.identity.models import (
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    HEADLINE_MAX,
    LOCATION_MAX,
    NAME_MAX,
    SECTOR_MAX,
)
from vinculo.profiles.models import DEGREE_MAX, ORGANIZATION_NAME_MAX, SCHOOL_NAME_MAX, TITLE_MAX
from vinculo.text import line_text_problem, tidy

MEMBER_COLUMNS = ("external_id", "name", "email", "headline", "location", "sector")
CONNECTION_COLUMNS = ("a", "b", "connected_on")
POSITION_COLUMNS = ("external_id", "organization", "title", "start", "end")
EDUCATION_COLUMNS = ("external_id", "school", "degree", "start", "end")
MAX_PROBLEMS = 50
# Longer than any column allows by far: refused before the column's own checks.
FIELD_MAX = 4096
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UNDECODED = re.compile("[\udc80-\udcff]")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Problems:
    """What is wrong with the files, as `file:line: message` lines."""

    lines: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, path: Path, line: int, message: str) -> None:
        self.total += 1
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(f"{path.name}:{line}: {message}")


@dataclass(frozen=True)
class MemberRow:
    external_id: str
    name: str
    email: str | None
    headline: str
    location: str
    sector: str


@dataclass(frozen=True)
class CareerRow:
    external_id: str
    place: str
    label: str
    start: tuple[int, int | None]
    end: tuple[int, int | None] | None


def _rows(
    path: Path, columns: tuple[str, ...], problems: Problems
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a file, by line; a row with a field that is not text (bytes that are not UTF-8,
    a NUL character) or far too long for any column is a problem, not a row."""
    with path.open("rb") as raw:
        start = raw.read(4)
    if start[:2] in _UTF16_BOMS or (len(start) >= 2 and 0 in start[:2]):
        problems.add(path, 1, "the file is UTF-16 (or another encoding): save it as UTF-8")
        return
    # Undecodable bytes are kept (as lone surrogates) to be named with their line and field.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        limit = csv.field_size_limit(sys.maxsize)  # a long field is named below, not raised
        try:
            yield from _checked_rows(path, reader, columns, problems)
        except csv.Error as broken:
            problems.add(path, reader.line_num, f"this is not CSV any more: {broken}")
        finally:
            csv.field_size_limit(limit)


def _checked_rows(
    path: Path, reader: csv.DictReader[str], columns: tuple[str, ...], problems: Problems
) -> Iterator[tuple[int, dict[str, str]]]:
    header = tuple(reader.fieldnames or ())
    if header != columns:
        problems.add(
            path, 1, f"the header must be {','.join(columns)} (it is {shown(','.join(header))})"
        )
        return
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            problems.add(path, reader.line_num, f"expected {len(columns)} columns")
            continue
        wrong = [
            f"{column} {problem}"
            for column in columns
            if (problem := _field_problem(row[column])) is not None
        ]
        if wrong:
            for message in wrong:
                problems.add(path, reader.line_num, message)
            continue
        yield reader.line_num, {key: value.strip() for key, value in row.items()}


def _field_problem(value: str) -> str | None:
    if len(value) > FIELD_MAX:
        return f"is too long ({len(value)} characters)"
    if _UNDECODED.search(value):
        return "is not valid UTF-8 text"
    if "\x00" in value:
        return "contains a NUL character"
    return None


def shown(value: str, *, limit: int = 60) -> str:
    """A value of the files as a problem quotes it: cut short, with undecodable bytes escaped."""
    cut = value if len(value) <= limit else value[:limit] + "…"
    return repr(cut.encode("utf-8", "backslashreplace").decode())


@dataclass(frozen=True)
class _Line:
    """One line of one file, to check its fields and name it in problems."""

    path: Path
    number: int
    problems: Problems

    def problem(self, message: str) -> None:
        self.problems.add(self.path, self.number, message)

    def text(self, value: str, *, column: str, limit: int, required: bool) -> str:
        """A name, headline, organization or school, checked as the API checks them."""
        problem = line_text_problem(value)
        value = tidy(value)
        if problem == "control":
            self.problem(f"{column} has a control or invisible formatting character")
        elif problem == "blank" or (required and not value):
            self.problem(f"{column} is empty")
        elif len(value) > limit:
            self.problem(f"{column} is longer than {limit} characters")
        return value


def read_members(path: Path, problems: Problems) -> list[MemberRow]:
    found: list[MemberRow] = []
    seen: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, row in _rows(path, MEMBER_COLUMNS, problems):
        here = _Line(path, line, problems)
        external_id = here.text(
            row["external_id"], column="external_id", limit=EXTERNAL_ID_MAX, required=True
        )
        name = here.text(row["name"], column="name", limit=NAME_MAX, required=True)
        email = row["email"].lower() or None
        if email is not None:
            if len(email) > EMAIL_MAX or not _EMAIL.match(email):
                here.problem(f"email {shown(email)} is not an email address")
            elif email in emails:
                here.problem(f"email {email} is also on line {emails[email]}")
            emails.setdefault(email, line)
        if external_id in seen:
            here.problem(f"external_id {external_id} is also on line {seen[external_id]}")
        seen.setdefault(external_id, line)
        found.append(
            MemberRow(
                external_id=external_id,
                name=name,
                email=email,
                headline=here.text(
                    row["headline"], column="headline", limit=HEADLINE_MAX, required=False
                ),
                location=here.text(
                    row["location"], column="location", limit=LOCATION_MAX, required=False
                ),
                sector=here.text(row["sector"], column="sector", limit=SECTOR_MAX, required=False),
            )
        )
    return found


def read_connections(path: Path, problems: Problems) -> list[tuple[str, str, int]]:
    """(a, b, line) for every row; a row naming the same member twice is a problem."""
    found = []
    for line, row in _rows(path, CONNECTION_COLUMNS, problems):
        if not row["a"] or not row["b"]:
            problems.add(path, line, "a and b must both be filled")
        elif row["a"] == row["b"]:
            problems.add(path, line, "a member cannot be connected with themself")
        elif row["connected_on"] and _date(row["connected_on"]) is None:
            problems.add(path, line, f"connected_on {shown(row['connected_on'])} is not a date")
        else:
            found.append((row["a"], row["b"], line))
    return found


def read_careers(path: Path, *, kind: str, problems: Problems) -> list[tuple[CareerRow, int]]:
    columns, place_column, label_column, place_limit, label_limit = (
        (POSITION_COLUMNS, "organization", "title", ORGANIZATION_NAME_MAX, TITLE_MAX)
        if kind == "positions"
        else (EDUCATION_COLUMNS, "school", "degree", SCHOOL_NAME_MAX, DEGREE_MAX)
    )
    found = []
    for line, row in _rows(path, columns, problems):
        here = _Line(path, line, problems)
        place = here.text(row[place_column], column=place_column, limit=place_limit, required=True)
        label = here.text(
            row[label_column], column=label_column, limit=label_limit, required=kind == "positions"
        )
        start = _date(row["start"])
        end = _date(row["end"]) if row["end"] else None
        if start is None:
            problems.add(path, line, f"start {shown(row['start'])} is not YYYY or YYYY-MM-DD")
            continue
        if row["end"] and end is None:
            problems.add(path, line, f"end {shown(row['end'])} is not YYYY or YYYY-MM-DD")
            continue
        if end is not None and (end[0], end[1] or 12) < (start[0], start[1] or 1):
            problems.add(path, line, "end comes before start")
            continue
        found.append((CareerRow(row["external_id"], place, label, start, end), line))
    return found


def _date(value: str) -> tuple[int, int | None] | None:
    """YYYY or YYYY-MM-DD (YYYY-MM too) as (year, month or None)."""
    matched = _DATE.match(value)
    if not matched:
        return None
    year = int(matched.group(1))
    month = int(matched.group(2)) if matched.group(2) else None
    day = int(matched.group(3)) if matched.group(3) else None
    if not 1900 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        return None
    if month is not None and day is not None:
        try:
            date(year, month, day)  # 2020-02-31 is no day
        except ValueError:
            return None
    return year, month
