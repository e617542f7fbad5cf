"""Profiles: a member's profile as a viewer sees it, editing your own, its positions and education
at shared organizations and schools, what two members' careers share, and member search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members
from vinculo.errors import N_, Conflict, InvalidInput, NotFound
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.periods import Period, YearMonth
from vinculo.privacy import service as privacy
from vinculo.profiles import repository
from vinculo.profiles.models import (
    EDUCATION_PER_MEMBER,
    POSITIONS_PER_MEMBER,
    Education,
    Organization,
    Position,
    PositionView,
    School,
    SharedPlace,
    StudyView,
)
from vinculo.search import service as search
from vinculo.search.service import Facets, Filters, Hit
from vinculo.text import fold, tidy


class EntryNotFound(NotFound):
    slug = "profile-entry-not-found"
    title = N_("Not on your profile")
    default_detail = N_("Your profile has no such position or education.")


class TooManyEntries(Conflict):
    slug = "profile-entry-limit"
    title = N_("Profile limit reached")
    default_detail = N_("A profile holds at most %(limit)s of these; remove one first.")


@dataclass(frozen=True)
class MutualConnections:
    count: int
    sample: Sequence[MemberView]


@dataclass(frozen=True)
class ProfileView:
    member: Member
    degree: int | None
    mutual_connections: MutualConnections
    positions: Sequence[PositionView]
    education: Sequence[StudyView]


CareerKind = Literal["positions", "education"]
CareerEntry = Position | Education


@dataclass(frozen=True)
class Career:
    """What positions and education have in common: a place, a label, a period, a limit."""

    model: type[Position] | type[Education]
    place_model: type[Organization] | type[School]
    place_field: str
    label_field: str
    limit: int


CAREERS: dict[CareerKind, Career] = {
    "positions": Career(Position, Organization, "organization", "title", POSITIONS_PER_MEMBER),
    "education": Career(Education, School, "school", "degree", EDUCATION_PER_MEMBER),
}

PROFILE_FIELDS = ("name", "headline", "location", "sector", "about", "locale")
MUTUAL_SAMPLE = 3  # mutual connections named on a profile


def view_profile(db: Session, *, viewer: Member, member_id: int) -> ProfileView:
    """A member's profile as the viewer sees it: with the degree between the two and the
    connections they share (the first few by name)."""
    member, shared = degrees.member_with_mutual_sample(
        db, viewer=viewer, member_id=member_id, sample=MUTUAL_SAMPLE
    )
    positions, education = repository.careers_of(db, member_id=member.id)
    return ProfileView(
        member=member,
        degree=degrees.degrees(db, viewer_id=viewer.id, member_ids=[member.id])[member.id],
        mutual_connections=MutualConnections(count=shared.count, sample=shared.page.items),
        positions=positions,
        education=education,
    )


def update_profile(db: Session, *, member: Member, changes: Mapping[str, Any]) -> Member:
    """Apply the given profile fields; fields not given keep their value."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    for field, value in changes.items():
        if field == "name":
            member.name = tidy(value)
            member.name_key = fold(value)
        elif field == "about":
            setattr(member, field, value.strip())
        elif field == "locale":
            member.locale = value
        else:
            setattr(member, field, tidy(value))
    member.updated_at = clock.now()
    reindex_member(db, member=member)
    return member


def reindex_member(db: Session, *, member: Member) -> None:
    """Write what member search finds the member by (name, headline, location, sector, positions
    and studies) into its index, in this transaction: after every change of any of them."""
    db.flush()
    # Two edits of one profile racing on PostgreSQL: the second to lock reads the careers once
    # the first committed, so the document it writes holds both.
    lock_members(db, [member.id])
    # A career change is a change of the member's profile (what suggestions look for).
    member.updated_at = clock.now()
    reindex_search(db, member_ids=[member.id])


def reindex_search(db: Session, *, member_ids: Sequence[int] | None = None) -> int:
    """Write the search documents of these members (every member when None) from their
    profiles, a batch at a time: after a bulk load, or to rebuild the index. Returns how many."""
    wanted = repository.all_member_ids(db) if member_ids is None else sorted(set(member_ids))
    for start in range(0, len(wanted), REINDEX_BATCH):
        batch = wanted[start : start + REINDEX_BATCH]
        careers = repository.careers_of_members(db, member_ids=batch)
        search.index_members(
            db,
            [
                search.MemberDocument(
                    row.id,
                    row.name,
                    row.headline,
                    row.location,
                    row.sector,
                    [search.CareerEntry(*entry) for entry in careers.get(row.id, [])],
                    listed=row.closed_at is None,
                )
                for row in repository.search_sources(db, member_ids=batch)
            ],
        )
    return len(wanted)


REINDEX_BATCH = 2000


def entries_of(db: Session, *, member: Member, kind: CareerKind) -> list[CareerEntry]:
    """A member's positions or education, current ones first, then the most recent."""
    return list(repository.entries_of(db, CAREERS[kind].model, member_id=member.id))


def entry_of(db: Session, *, member: Member, kind: CareerKind, entry_id: int) -> CareerEntry:
    """One of the member's own entries; 404 for anyone else's."""
    entry = repository.entry_of(db, CAREERS[kind].model, member_id=member.id, entry_id=entry_id)
    if entry is None:
        raise EntryNotFound()
    return entry


def add_entry(
    db: Session,
    *,
    member: Member,
    kind: CareerKind,
    place: str,
    label: str,
    start: YearMonth,
    end: YearMonth | None,
) -> CareerEntry:
    """Add a position (place: organization, label: title) or education (school, degree)."""
    career = CAREERS[kind]
    if repository.count_entries(db, career.model, member_id=member.id) >= career.limit:
        raise TooManyEntries(limit=career.limit)
    entry = career.model(member_id=member.id, created_at=clock.now())
    # The period first: a refused one must not leave a new organization or school behind.
    _set_period(entry, Period(start, end))
    _set_place(db, career, entry, place)
    setattr(entry, career.label_field, tidy(label))
    repository.add_entry(db, entry)
    reindex_member(db, member=member)
    return entry


def update_entry(
    db: Session, *, member: Member, kind: CareerKind, entry_id: int, changes: Mapping[str, Any]
) -> CareerEntry:
    """Change the given fields of an entry (named as in its API schema); the rest stay."""
    career = CAREERS[kind]
    entry = entry_of(db, member=member, kind=kind, entry_id=entry_id)
    # The period first: when it is refused, nothing of the entry has changed (a page that shows
    # the refusal still commits its unit of work).
    if "start" in changes or "end" in changes:
        _set_period(
            entry,
            Period(changes.get("start", entry.period.start), changes.get("end", entry.period.end)),
        )
    if career.place_field in changes:
        _set_place(db, career, entry, changes[career.place_field])
    if career.label_field in changes:
        setattr(entry, career.label_field, tidy(changes[career.label_field]))
    db.flush()
    reindex_member(db, member=member)
    return entry


def remove_entry(db: Session, *, member: Member, kind: CareerKind, entry_id: int) -> None:
    repository.delete_entry(db, entry_of(db, member=member, kind=kind, entry_id=entry_id))
    reindex_member(db, member=member)


@dataclass(frozen=True)
class FoundMember:
    """A member found by search, as the viewer sees them, with why they were found."""

    view: MemberView
    hit: Hit


@dataclass(frozen=True)
class MemberSearch:
    items: Sequence[FoundMember]
    total: int
    total_exact: bool  # False: at least `total`
    facets: Facets | None
    next_cursor: str | None


def search_members(
    db: Session,
    *,
    viewer: Member,
    query: str,
    filters: Filters | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    facets: bool = True,
) -> MemberSearch:
    """Members found by what was typed and the filters, best first (`search.service`): the
    viewer's closeness comes from the network, who is hidden from them from privacy."""
    found = search.find(
        db,
        viewer_id=viewer.id,
        query=query,
        filters=filters or Filters(),
        proximity=degrees.proximity_of(db, viewer_id=viewer.id, cap=search.GRAPH_CAP),
        hidden=privacy.hidden_condition(viewer.id),
        cursor=cursor,
        limit=limit,
        facets=facets,
    )
    members = repository.members_by_ids(db, [hit.member_id for hit in found.hits])
    shown = [hit for hit in found.hits if hit.member_id in members]
    views = degrees.views_of(db, viewer=viewer, members=[members[hit.member_id] for hit in shown])
    return MemberSearch(
        items=[FoundMember(view, hit) for view, hit in zip(views, shown, strict=True)],
        total=found.total,
        total_exact=found.total_exact,
        facets=found.facets,
        next_cursor=found.next_cursor,
    )


def newest_members(db: Session, *, viewer: Member, limit: int = 6) -> list[MemberView]:
    """Who joined the community last, as the viewer sees them."""
    members = repository.newest_members(db, limit=limit, excluding=viewer.id)
    return degrees.views_of(db, viewer=viewer, members=members)


def profile_completeness(
    member: Member, *, has_position: bool, has_education: bool
) -> list[tuple[str, bool]]:
    """What a complete profile has, and whether this one has it: the home page's checklist."""
    return [
        ("headline", bool(member.headline)),
        ("location", bool(member.location)),
        ("sector", bool(member.sector)),
        ("about", bool(member.about)),
        ("position", has_position),
        ("education", has_education),
    ]


def places_of(db: Session, *, member: Member) -> list[tuple[str, str, int, int]]:
    """The member's organizations and schools with how many other members list them too."""
    return repository.members_sharing_places(db, member_id=member.id)


def shared_places_with(
    db: Session, *, member_id: int, others: Sequence[int]
) -> dict[int, list[SharedPlace]]:
    """For each of `others`, the organizations and schools where they and the member were during
    overlapping years, with each one's years there."""
    return repository.shared_places_with(db, member_id=member_id, others=others)


def place_id(db: Session, *, kind: CareerKind, name: str) -> int:
    """The id of the organization (positions) or school (education) with this name, created on
    first use."""
    place = repository.place_named(db, CAREERS[kind].place_model, name)  # type: ignore[type-var]
    return int(place.id)


def insert_entries(db: Session, *, kind: CareerKind, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many positions or education entries at once (an import), without checks: the caller
    checked them."""
    repository.insert_entries(db, CAREERS[kind].model, rows)


def _set_place(db: Session, career: Career, entry: CareerEntry, name: str) -> None:
    place = repository.place_named(db, career.place_model, name)  # type: ignore[type-var]
    setattr(entry, career.place_field, place)


def _set_period(entry: Position | Education, period: Period) -> None:
    if not period.is_ordered():
        raise InvalidInput.for_field("end", N_("The end cannot come before the start."))
    entry.start_year, entry.start_month = period.start.year, period.start.month
    entry.end_year = period.end.year if period.end else None
    entry.end_month = period.end.month if period.end else None
