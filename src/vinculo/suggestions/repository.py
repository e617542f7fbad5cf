"""All SQL of suggestions: the careers and profiles the ranking reads, the names its reasons
give, and dismissals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CompoundSelect, bindparam, delete, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from vinculo.db import insert_new
from vinculo.identity.models import Member
from vinculo.profiles.models import Education, Organization, Position, School
from vinculo.suggestions.models import SuggestionDismissal, SuggestionReranker


class Affiliation(NamedTuple):
    """A member's time at an organization or a school, in years (`end` None: still there)."""

    member_id: int
    place_id: int
    kind: str  # "organization" | "school"
    start: int
    end: int | None


def affiliations(db: Session, *, member_id: int | None = None) -> Iterator[Affiliation]:
    """Every position and every study, or one member's, streamed (in a consistent unit of work:
    streaming needs a transaction)."""
    positions = select(
        Position.member_id, Position.organization_id, Position.start_year, Position.end_year
    )
    studies = select(
        Education.member_id, Education.school_id, Education.start_year, Education.end_year
    )
    if member_id is not None:
        positions = positions.where(Position.member_id == member_id)
        studies = studies.where(Education.member_id == member_id)
    for kind, statement in (("organization", positions), ("school", studies)):
        for row in db.execute(statement.execution_options(yield_per=10_000)):
            yield Affiliation(row[0], row[1], kind, row[2], row[3])


def sectors_and_locations(
    db: Session, *, member_id: int | None = None
) -> Iterator[tuple[int, str, str]]:
    """(member id, sector, location) for every member with either, or for one member, streamed
    (in a consistent unit of work)."""
    statement = select(Member.id, Member.sector, Member.location).where(
        or_(Member.sector != "", Member.location != "")
    )
    if member_id is not None:
        statement = statement.where(Member.id == member_id)
    for row in db.execute(statement.execution_options(yield_per=10_000)):
        yield row[0], row[1], row[2]


def profiles_changed_at(db: Session) -> tuple[object, ...]:
    """What changes whenever a profile the ranking reads changes: the latest change to a member
    (a career change touches its member too) and how many members there are."""
    return tuple(db.execute(select(func.max(Member.updated_at), func.count(Member.id))).one())


def place_names(
    db: Session, *, organization_ids: Sequence[int], school_ids: Sequence[int]
) -> dict[tuple[str, int], str]:
    """The names of these organizations and schools: one statement, built once."""
    if not organization_ids and not school_ids:
        return {}
    values = {"organizations": list(organization_ids), "schools": list(school_ids)}
    return {(kind, place_id): name for kind, place_id, name in db.execute(_PLACE_NAMES, values)}


def _place_names_statement() -> CompoundSelect[str, int, str]:
    organizations = bindparam("organizations", expanding=True, type_=Organization.id.type)
    schools = bindparam("schools", expanding=True, type_=School.id.type)
    return union_all(
        select(literal("organization"), Organization.id, Organization.name).where(
            Organization.id.in_(organizations)
        ),
        select(literal("school"), School.id, School.name).where(School.id.in_(schools)),
    )


_PLACE_NAMES = _place_names_statement()


def dismissed_ids(db: Session, *, member_id: int) -> set[int]:
    return set(
        db.scalars(
            select(SuggestionDismissal.dismissed_id).where(
                SuggestionDismissal.member_id == member_id
            )
        )
    )


def add_dismissal(db: Session, *, member_id: int, dismissed_id: int, now: datetime) -> bool:
    """Remember a dismissal; False when it already was (a repeat, or a racing request)."""
    return insert_new(
        db,
        SuggestionDismissal,
        ("member_id", "dismissed_id"),
        member_id=member_id,
        dismissed_id=dismissed_id,
        created_at=now,
    )


def delete_dismissal(db: Session, *, member_id: int, dismissed_id: int) -> bool:
    result = db.execute(
        delete(SuggestionDismissal).where(
            SuggestionDismissal.member_id == member_id,
            SuggestionDismissal.dismissed_id == dismissed_id,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def save_reranker(db: Session, *, model: str, fitted_at: datetime, keep: int = 3) -> int:
    """Store a fitted reranker; its id, the version the serving processes load. Only the last
    `keep` are kept."""
    stored = SuggestionReranker(model=model, fitted_at=fitted_at)
    db.add(stored)
    db.flush()
    kept = select(SuggestionReranker.id).order_by(SuggestionReranker.id.desc()).limit(keep)
    db.execute(delete(SuggestionReranker).where(SuggestionReranker.id.not_in(kept)))
    return stored.id


def latest_reranker(db: Session, *, newer_than: int = 0) -> tuple[int, datetime, str] | None:
    """The latest stored reranker (id, when fitted, its model), if newer than `newer_than`."""
    row = db.execute(
        select(SuggestionReranker.id, SuggestionReranker.fitted_at, SuggestionReranker.model)
        .where(SuggestionReranker.id > newer_than)
        .order_by(SuggestionReranker.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])
