"""All SQL of profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.identity.models import Member
from vinculo.privacy.repository import blocked_either_way
from vinculo.profiles.models import (
    CareerEntryView,
    Education,
    Organization,
    Place,
    Position,
    PositionView,
    School,
    SharedPlace,
    StudyView,
)
from vinculo.text import fold, tidy

PlaceT = TypeVar("PlaceT", Organization, School)
EntryT = TypeVar("EntryT", bound=Position | Education)


def place_named(db: Session, model: type[PlaceT], name: str) -> PlaceT:
    """The organization or school with this name, created on first use.

    Two members naming a new place at the same moment get the same record: the insert does
    nothing on a key conflict and the row is read back."""
    key = fold(name)
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.execute(
        insert(model)
        .values(name=tidy(name), name_key=key, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=[model.name_key])
    )
    return db.scalars(select(model).where(model.name_key == key)).one()


def entries_of(db: Session, model: type[EntryT], *, member_id: int) -> list[EntryT]:
    """A member's positions or education, open ones first, then the most recent."""
    entries = list(db.scalars(select(model).where(model.member_id == member_id)))
    return sorted(entries, key=_latest_first)


def _latest_first(entry: Position | Education | CareerEntryView) -> tuple[int, ...]:
    """Open entries first, then by end, then by start, the latest first (a missing end month
    counts as December, a missing start month as January)."""
    return (
        entry.end_year is not None,
        -(entry.end_year or 0),
        -(entry.end_month or 12),
        -entry.start_year,
        -(entry.start_month or 1),
        -entry.id,
    )


def _careers_statement() -> CompoundSelect[Any]:
    """A member's positions and studies in one statement, built once (`:member_id`)."""
    member: BindParameter[int] = bindparam("member_id", type_=Position.member_id.type)
    columns = ("start_year", "start_month", "end_year", "end_month")
    positions = (
        select(
            literal("organization").label("kind"),
            Position.id,
            Position.title.label("label"),
            *(getattr(Position, column) for column in columns),
            Organization.id.label("place_id"),
            Organization.name.label("place_name"),
        )
        .join(Organization, Organization.id == Position.organization_id)
        .where(Position.member_id == member)
    )
    studies = (
        select(
            literal("school").label("kind"),
            Education.id,
            Education.degree.label("label"),
            *(getattr(Education, column) for column in columns),
            School.id.label("place_id"),
            School.name.label("place_name"),
        )
        .join(School, School.id == Education.school_id)
        .where(Education.member_id == member)
    )
    return union_all(positions, studies)


_CAREERS = _careers_statement()


def careers_of(db: Session, *, member_id: int) -> tuple[list[PositionView], list[StudyView]]:
    """A member's positions and education as a profile shows them, each list latest first, in
    one query."""
    positions: list[PositionView] = []
    studies: list[StudyView] = []
    for row in db.connection().execute(_CAREERS, {"member_id": member_id}):
        kind, entry_id, label, *period, place_id, name = row
        if kind == "organization":
            positions.append(PositionView(entry_id, Place(place_id, name), label, *period))
        else:
            studies.append(StudyView(entry_id, Place(place_id, name), label, *period))
    return sorted(positions, key=_latest_first), sorted(studies, key=_latest_first)


def entry_of(db: Session, model: type[EntryT], *, member_id: int, entry_id: int) -> EntryT | None:
    return db.scalars(
        select(model).where(model.id == entry_id, model.member_id == member_id)
    ).one_or_none()


def count_entries(db: Session, model: type[EntryT], *, member_id: int) -> int:
    return (
        db.scalar(select(func.count()).select_from(model).where(model.member_id == member_id)) or 0
    )


def add_entry(db: Session, entry: Position | Education) -> None:
    db.add(entry)
    db.flush()


def insert_entries(db: Session, model: type[EntryT], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many positions or education entries at once (bulk loads)."""
    if rows:
        db.execute(insert(model), rows)


def delete_entry(db: Session, entry: Position | Education) -> None:
    db.delete(entry)
    db.flush()


def all_member_ids(db: Session) -> list[int]:
    return list(db.scalars(select(Member.id).order_by(Member.id)))


def members_by_ids(db: Session, ids: Sequence[int]) -> dict[int, Member]:
    """These members, by id (those that exist), in one query."""
    if not ids:
        return {}
    return {member.id: member for member in db.scalars(select(Member).where(Member.id.in_(ids)))}


def search_sources(db: Session, *, member_ids: Sequence[int]) -> list[Any]:
    """What search indexes of these members' own fields, by id."""
    return list(
        db.execute(
            select(
                Member.id,
                Member.name,
                Member.headline,
                Member.location,
                Member.sector,
                Member.closed_at,
            )
            .where(Member.id.in_(member_ids))
            .order_by(Member.id)
        )
    )


def careers_of_members(
    db: Session, *, member_ids: Sequence[int]
) -> dict[int, list[tuple[str, int, str, str, int, int | None]]]:
    """Each member's positions and studies as search indexes them: (kind, place id, place name,
    title or degree, start year, end year), in the order they were added."""
    found: dict[int, list[tuple[str, int, str, str, int, int | None]]] = {}
    for kind, entry, place, key, label in (
        ("organization", Position, Organization, Position.organization_id, Position.title),
        ("school", Education, School, Education.school_id, Education.degree),
    ):
        rows = db.execute(
            select(entry.member_id, place.id, place.name, label, entry.start_year, entry.end_year)
            .join(place, place.id == key)
            .where(entry.member_id.in_(member_ids))
            .order_by(entry.id)
        )
        for member_id, place_id, name, text, start, end in rows:
            found.setdefault(member_id, []).append((kind, place_id, name, text or "", start, end))
    return found


def members_sharing_places(db: Session, *, member_id: int) -> list[tuple[str, str, int, int]]:
    """For each organization and school on a member's profile: kind, name, id and how many other
    members list it too; organizations first, each kind by name. One statement, built once."""
    return [
        (kind, name, place_id, count)
        for kind, name, place_id, count in db.execute(_SHARING_PLACES, {"member_id": member_id})
    ]


def _sharing_places_statement() -> Select[Any]:
    member: BindParameter[int] = bindparam("member_id", type_=Position.member_id.type)
    kinds = []
    for kind, place, entry, place_id in (
        ("organization", Organization, Position, Position.organization_id),
        ("school", School, Education, Education.school_id),
    ):
        mine = select(place_id).where(entry.member_id == member)
        kinds.append(
            select(
                literal(kind).label("kind"),
                place.name,
                place.id,
                func.count(func.distinct(entry.member_id)).label("members"),
            )
            .join(entry, place_id == place.id)
            .where(place.id.in_(mine), entry.member_id != member)
            .group_by(place.id, place.name)
        )
    both = union_all(*kinds).subquery()
    return select(both).order_by(both.c.kind, both.c.name)


_SHARING_PLACES = _sharing_places_statement()


def _shared_places_statement() -> Select[Any]:
    """Built once: for each of the members `others`, the places they and `member_id` were at
    during overlapping years, with both members' years there."""
    member: BindParameter[int] = bindparam("member_id", type_=Position.member_id.type)
    others = bindparam("others", expanding=True, type_=Position.member_id.type)
    kinds = []
    for kind, entry, place, key in (
        ("organization", Position, Organization, Position.organization_id),
        ("school", Education, School, Education.school_id),
    ):
        columns = (entry.member_id, key.label("place_id"), entry.start_year, entry.end_year)
        mine = select(*columns).where(entry.member_id == member).subquery()
        theirs = select(*columns).where(entry.member_id.in_(others)).subquery()
        kinds.append(
            select(
                literal(kind).label("kind"),
                theirs.c.member_id,
                place.name,
                mine.c.start_year,
                mine.c.end_year,
                theirs.c.start_year.label("other_start_year"),
                theirs.c.end_year.label("other_end_year"),
            )
            .select_from(place)
            .join(mine, mine.c.place_id == place.id)
            .join(theirs, theirs.c.place_id == place.id)
            .where(
                mine.c.start_year <= func.coalesce(theirs.c.end_year, 9999),
                theirs.c.start_year <= func.coalesce(mine.c.end_year, 9999),
            )
        )
    both = union_all(*kinds).subquery()
    return select(both).order_by(both.c.kind, both.c.name)


_SHARED_PLACES = _shared_places_statement()


def shared_places_with(
    db: Session, *, member_id: int, others: Sequence[int]
) -> dict[int, list[SharedPlace]]:
    """For each of `others`, the places they and the member were at during overlapping years
    (compared by year: months are often left out), organizations first, each kind by name; one
    query for the whole list, built once."""
    found: dict[int, list[SharedPlace]] = {other: [] for other in others}
    if not others:
        return found
    rows = db.execute(_SHARED_PLACES, {"member_id": member_id, "others": list(others)})
    for kind, other, name, a_start, a_end, b_start, b_end in rows:
        found[other].append(SharedPlace(kind, name, a_start, a_end, b_start, b_end))
    return found


def newest_members(db: Session, *, limit: int, excluding: int) -> list[Member]:
    return list(
        db.scalars(
            select(Member)
            .where(Member.id != excluding, ~blocked_either_way(excluding, Member.id))
            .order_by(Member.created_at.desc(), Member.id.desc())
            .limit(limit)
        )
    )
