"""`vinculo import`: bring an existing member base into Vínculo, all or nothing.

Every file is read and checked first; when any row is wrong, the problems are reported with their
file and line and nothing is written. Then everything is written in one transaction. Running the
same import again changes nothing: members are matched by their external id, connections and
career entries that exist already are left alone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import ordered_pair
from vinculo.identity import repository as members
from vinculo.identity.models import NO_PASSWORD
from vinculo.imports import reader, repository
from vinculo.imports.reader import CareerRow, MemberRow, Problems
from vinculo.network import service as network
from vinculo.profiles import service as profiles
from vinculo.profiles.service import CAREERS, CareerKind
from vinculo.text import fold

T = TypeVar("T")

# Told how far the import is: a step, how many of its rows are written, and of how many (0 when
# the step has no count, as reading the files).
Progress = Callable[[str, int, int], None]
CHUNK = 10_000


def _counted(rows: Iterable[T], *, step: str, total: int, progress: Progress) -> Iterator[T]:
    """The rows, telling `progress` every CHUNK of them and at the end."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % CHUNK == 0:
            progress(step, done, total)
    progress(step, done, total)


class ImportRefused(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__(f"{problems.total} problems")


@dataclass
class ImportFiles:
    members: Path
    connections: Path | None = None
    positions: Path | None = None
    education: Path | None = None


@dataclass
class ImportResult:
    members_added: int = 0
    members_known: int = 0
    connections_added: int = 0
    positions_added: int = 0
    education_added: int = 0


@dataclass
class _Read:
    members: list[MemberRow]
    connections: list[tuple[str, str, int]]
    positions: list[tuple[CareerRow, int]]
    education: list[tuple[CareerRow, int]]


def run_import(
    db: Session, files: ImportFiles, *, progress: Progress = lambda *_: None
) -> ImportResult:
    problems = Problems()
    progress("reading the files", 0, 0)
    read = _read_all(files, problems)
    known = members.member_ids_by_external_id(db)
    _check_references(files, read, known, problems)
    _check_emails(db, files, read.members, problems)
    if problems.total:
        raise ImportRefused(problems)

    result = ImportResult()
    now = clock.now()
    new_members = [row for row in read.members if row.external_id not in known]
    result.members_known = len(read.members) - len(new_members)
    places = _places_by_member(read)
    for start in range(0, len(new_members), CHUNK):
        chunk = new_members[start : start + CHUNK]
        _insert_members(db, chunk, places=places, now=now)
        progress("writing members", start + len(chunk), len(new_members))
    result.members_added = len(new_members)
    ids = members.member_ids_by_external_id(db)

    if read.connections:
        total = len(read.connections)
        pairs = (ordered_pair(ids[a], ids[b]) for a, b, _ in read.connections)
        counted = _counted(pairs, step="writing connections", total=total, progress=progress)
        result.connections_added = network.import_connections(db, counted, now=now)

    touched: set[int] = set()
    result.positions_added = _add_careers(
        db, read.positions, ids=ids, kind="positions", touched=touched
    )
    if read.positions:
        progress("writing positions", len(read.positions), len(read.positions))
    result.education_added = _add_careers(
        db, read.education, ids=ids, kind="education", touched=touched
    )
    if read.education:
        progress("writing education", len(read.education), len(read.education))
    # The new members, and those who were there before and gained entries, as search finds them.
    new_ids = {ids[row.external_id] for row in new_members}
    profiles.reindex_search(db, member_ids=sorted(new_ids | touched))
    return result


def _insert_members(
    db: Session, rows: list[MemberRow], *, places: dict[str, list[str]], now: datetime
) -> None:
    repository.insert_members(
        db,
        [
            {
                "email": row.email or _placeholder_email(row.external_id),
                "password_hash": NO_PASSWORD,
                "name": row.name,
                "name_key": fold(row.name),
                "headline": row.headline,
                "location": row.location,
                "sector": row.sector,
                "about": "",
                "locale": None,
                "created_at": now,
                "updated_at": now,
                "external_id": row.external_id,
            }
            for row in rows
        ],
    )


def _read_all(files: ImportFiles, problems: Problems) -> _Read:
    return _Read(
        members=reader.read_members(files.members, problems),
        connections=reader.read_connections(files.connections, problems)
        if files.connections
        else [],
        positions=reader.read_careers(files.positions, kind="positions", problems=problems)
        if files.positions
        else [],
        education=reader.read_careers(files.education, kind="education", problems=problems)
        if files.education
        else [],
    )


def _check_references(
    files: ImportFiles, read: _Read, known: dict[str, int], problems: Problems
) -> None:
    """Every member a row names is in the members file or already in the database."""
    named = {row.external_id for row in read.members} | set(known)
    if files.connections:
        for a, b, line in read.connections:
            for external_id in (a, b):
                if external_id not in named:
                    problems.add(
                        files.connections, line, f"no member has external_id {external_id}"
                    )
    for path, rows in ((files.positions, read.positions), (files.education, read.education)):
        if path is None:
            continue
        for row, line in rows:
            if row.external_id not in named:
                problems.add(path, line, f"no member has external_id {row.external_id}")


def _check_emails(
    db: Session, files: ImportFiles, members: list[MemberRow], problems: Problems
) -> None:
    """An email in the file must not belong to another member already."""
    emails = [row.email for row in members if row.email]
    owners = repository.owners_of_emails(db, emails)
    for line, row in enumerate(members, start=2):
        if row.email in owners and owners[row.email] != row.external_id:
            problems.add(files.members, line, f"email {row.email} belongs to another member")


def _places_by_member(read: _Read) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rows in (read.positions, read.education):
        for row, _ in rows:
            found.setdefault(row.external_id, []).append(row.place)
    return found


def _add_careers(
    db: Session,
    rows: list[tuple[CareerRow, int]],
    *,
    ids: dict[str, int],
    kind: CareerKind,
    touched: set[int],
) -> int:
    if not rows:
        return 0
    career = CAREERS[kind]
    place_column, label_column = f"{career.place_field}_id", career.label_field
    place_ids: dict[str, int] = {}
    for row, _ in rows:
        key = fold(row.place)
        if key not in place_ids:
            place_ids[key] = profiles.place_id(db, kind=kind, name=row.place)
    existing = repository.existing_entries(
        db, table=career.model.__tablename__, place_column=place_column, label_column=label_column
    )
    now = clock.now()
    new: list[dict[str, Any]] = []
    for row, _ in rows:
        member_id = ids[row.external_id]
        end_year, end_month = row.end if row.end else (None, None)
        identity = (
            member_id,
            place_ids[fold(row.place)],
            row.label,
            row.start[0],
            row.start[1],
            end_year,
            end_month,
        )
        if identity in existing:
            continue
        existing.add(identity)
        touched.add(member_id)
        new.append(
            {
                "member_id": member_id,
                place_column: identity[1],
                label_column: row.label,
                "start_year": row.start[0],
                "start_month": row.start[1],
                "end_year": end_year,
                "end_month": end_month,
                "created_at": now,
            }
        )
    profiles.insert_entries(db, kind=kind, rows=new)
    return len(new)


def _placeholder_email(external_id: str) -> str:
    """Members imported without an email get one that can never receive mail (the .invalid
    domain is reserved), the same on every run; they cannot log in until they set their own."""
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:20]
    return f"imported-{digest}@members.invalid"
