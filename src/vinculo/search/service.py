"""Finding members (ADR 0017): the text typed matched against every member's document, ranked by
how well it matches and how close each member is to the viewer, with filters, facets and the
reasons each result is there; and keeping the index in step with the profiles it copies.

Ranking is one sort key, the same on both engines:
  1. how the text matched: every word in the name; every word somewhere; some word only through
     a typo (`terms.NAME`, `TEXT`, `TYPO`);
  2. closeness: a 1st-degree connection (or yourself); someone who was at one of your
     organizations or schools at the same time as you; a 2nd-degree member; someone at one of
     your places in other years; everyone else;
  3. among 2nd-degree members, the most mutual connections first;
  4. the name, then the id.
The near members (1st and 2nd degree, from the graph index, and those at the viewer's places)
are read and ranked in Python; everyone else ("far") comes from the database in name order, a
page at a time, after the near ones of the same text level. The cursor is the last sort key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from vinculo.errors import N_, InvalidInput
from vinculo.pagination import decode_cursor, encode_cursor
from vinculo.search import repository
from vinculo.search.models import ORGANIZATION, SCHOOL
from vinculo.search.repository import Conditions, Hidden, PlaceRow
from vinculo.search.terms import NAME, TEXT, TYPO, Query, TextMatch, field_text, match_document
from vinculo.text import fold

# How many near members one search reads and ranks at most (closest by name beyond that are
# ranked with everyone else), and how many of the graph's 2nd degree it asks about.
NEAR_CAP = 2000
GRAPH_CAP = 20_000
# Counts stop here ("more than 1,000"), and facets are counted over the first this many
# matches.
COUNT_CAP = 1_000
FACET_VALUES = 6
DEGREES = (1, 2, 3)

# Closeness, closest first.
CONNECTED, OVERLAPPED, SECOND, SAME_PLACE, OTHERS = range(5)
# Searching an organization or school (the colleague and classmate finder): those who were
# there at the same time as the viewer come first, each group by closeness.
ELSEWHERE = OTHERS + 1


@dataclass(frozen=True)
class Filters:
    """What a search may be narrowed to: a degree (3 meaning 3rd or beyond), an organization or
    school by name (with `same_time`: only who was there in years that overlap yours; alone, at
    any of your places), a location, a sector."""

    degree: int | None = None
    organization: str | None = None
    school: str | None = None
    same_time: bool = False
    location: str | None = None
    sector: str | None = None


@dataclass(frozen=True)
class Proximity:
    """What the graph says about the viewer: their connections, and their 2nd-degree members
    with how many connections each shares with them."""

    first: frozenset[int] = frozenset()
    second: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Shared:
    """A place the result and the viewer share: the result's time there, and whether it overlaps
    the viewer's."""

    place: PlaceRow
    overlap: tuple[int, int | None] | None


@dataclass
class Hit:
    """One member found, with what ranked it and what explains it."""

    member_id: int
    name_key: str
    text: TextMatch
    closeness: int = OTHERS
    degree: int | None = None  # 0, 1 or 2 when the graph says so; None: 3rd or beyond, or unknown
    mutual: int = 0
    document: dict[str, Any] = field(default_factory=dict)
    shared: list[Shared] = field(default_factory=list)
    places: list[PlaceRow] = field(default_factory=list)
    # The folded names of the organization and school the search was narrowed to.
    focus: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple[int, int, int, str, int]:
        return (self.text.level, self.closeness, -self.mutual, self.name_key, self.member_id)


@dataclass(frozen=True)
class FacetValue:
    key: str  # what the filter takes
    name: str
    count: int


@dataclass(frozen=True)
class Facets:
    """How the matches spread: per degree (exact), and the most frequent organizations, schools,
    locations and sectors among the first `COUNT_CAP` matches (`complete` when that is all)."""

    degrees: dict[int, int]
    organization: list[FacetValue]
    school: list[FacetValue]
    location: list[FacetValue]
    sector: list[FacetValue]
    complete: bool


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int
    total_exact: bool
    facets: Facets | None
    next_cursor: str | None


_CURSOR_SHAPE = (int, int, int, str, int)
Key = tuple[int, int, int, str, int]


def find(
    db: Session,
    *,
    viewer_id: int,
    query: str,
    filters: Filters,
    proximity: Proximity,
    hidden: Hidden | None,
    cursor: str | None,
    limit: int,
    facets: bool = True,
) -> Found:
    """A page of the members who match, best first (see the module), with the total and, on the
    first page when asked, the facets. A query with something typed but no word in it (only
    punctuation) matches nobody. Round trips, whatever the page's length: the vocabulary when a
    word is long enough to be mistyped, the near members, the far ones, the count (with the
    facets), and the places of the members shown."""
    if "\x00" in query:
        raise InvalidInput.for_field("q", N_("This field cannot contain a NUL character."))
    if filters.degree is not None and filters.degree not in DEGREES:
        raise InvalidInput.for_field("degree", N_("Choose 1, 2 or 3."))
    after = _decode(cursor)
    parsed = Query.parse(query)
    if query.strip() and not parsed.terms:
        return Found([], 0, total_exact=True, facets=None, next_cursor=None)
    if parsed.typo_candidates():
        parsed = parsed.with_alternatives(repository.words_near(db, parsed.typo_candidates()))
    conditions = _conditions(filters, viewer_id=viewer_id, hidden=hidden)
    # Few matches (most searches for a name or a place): every one is read and ranked here.
    # Many: the near ones (the graph's, and the chosen place's in the viewer's years) are, and
    # the rest come from the database by name.
    documents = repository.documents_matching(
        db, query=parsed, conditions=conditions, viewer_id=viewer_id, limit=NEAR_CAP + 1
    )
    every = len(documents) <= NEAR_CAP
    if not every:
        documents = repository.documents_near(
            db,
            query=parsed,
            conditions=conditions,
            viewer_id=viewer_id,
            graph_ids=_graph_ids(viewer_id, proximity),
            limit=NEAR_CAP,
        )
    near = _ranked(
        documents, query=parsed, conditions=conditions, viewer_id=viewer_id, proximity=proximity
    )
    found = _Found(db, parsed, conditions, filters, near, every=every)
    hits = found.page(after=after, limit=limit)
    total, exact, spread = found.counts(facets=facets and after is None)
    shown = hits[:limit]
    _attach_places(db, shown, viewer_id=viewer_id, conditions=conditions, query=parsed)
    next_cursor = encode_cursor(shown[-1].key) if len(hits) > limit else None
    return Found(shown, total, exact, spread, next_cursor)


@dataclass
class _Found:
    """One search's near hits (every match when `every`), and what is read from them: a page
    after a cursor, the total and the facets."""

    db: Session
    query: Query
    conditions: Conditions
    filters: Filters
    near: dict[int, Hit]
    every: bool

    def __post_init__(self) -> None:
        self.closer = {h.member_id for h in self.near.values() if h.degree in {0, 1, 2}}
        self.of_degree = {
            h.member_id for h in self.near.values() if h.degree == self.filters.degree
        }

    def page(self, *, after: Key | None, limit: int) -> list[Hit]:
        """Up to `limit + 1` hits after the cursor."""
        if self.filters.degree in {1, 2}:
            pool = sorted((self.near[i] for i in self.of_degree), key=lambda hit: hit.key)
            return [hit for hit in pool if after is None or hit.key > after][: limit + 1]
        ranked = sorted(
            (
                hit
                for hit in self.near.values()
                if self.filters.degree is None or hit.member_id not in self.closer
            ),
            key=lambda hit: hit.key,
        )
        if self.every:
            return [hit for hit in ranked if after is None or hit.key > after][: limit + 1]
        return _merge_far(
            self.db, self.query, self.conditions, ranked, list(self.near), after=after, limit=limit
        )

    def counts(self, *, facets: bool) -> tuple[int, bool, Facets | None]:
        """The total, whether it is exact, and the facets when asked."""
        spread = None
        everyone = len(self.near)  # everyone matching, whatever their degree, up to the cap + 1
        if facets:
            counted_all, counted = repository.count_and_facets(
                self.db,
                query=self.query,
                conditions=self.conditions,
                only=self.of_degree if self.filters.degree in {1, 2} else None,
                excluding=self.closer if self.filters.degree == 3 else (),
                cap=COUNT_CAP,
                per_facet=FACET_VALUES,
            )
            everyone = everyone if self.every else counted_all
            spread = _facets(counted, self.near.values(), everyone=everyone)
        elif not self.every and self.filters.degree not in {1, 2}:
            everyone = repository.count_matches(
                self.db, query=self.query, conditions=self.conditions, cap=COUNT_CAP
            )
        if self.filters.degree in {1, 2}:
            total, exact = len(self.of_degree), self.every
        else:
            # The 3rd degree and beyond: everyone but the closer ones, known here.
            beyond = len(self.closer) if self.filters.degree == 3 else 0
            total, exact = max(0, min(everyone, COUNT_CAP) - beyond), everyone <= COUNT_CAP
        if spread is not None:
            spread = Facets(**{**spread.__dict__, "complete": exact and spread.complete})
        return total, exact, spread


def _decode(cursor: str | None) -> Key | None:
    if not cursor:
        return None
    level, closeness, mutual, name_key, member_id = decode_cursor(cursor, shape=_CURSOR_SHAPE)
    return (int(level), int(closeness), int(mutual), str(name_key), int(member_id))


def _conditions(filters: Filters, *, viewer_id: int, hidden: Hidden | None) -> Conditions:
    def key(value: str | None) -> str | None:
        return fold(value) if value and value.strip() else None

    return Conditions(
        hidden=hidden,
        location_key=key(filters.location),
        sector_key=key(filters.sector),
        organization_key=key(filters.organization),
        school_key=key(filters.school),
        same_time_as=viewer_id if filters.same_time else None,
    )


def _graph_ids(viewer_id: int, proximity: Proximity) -> set[int]:
    """The viewer, their connections and their 2nd degree (those sharing most, up to
    `GRAPH_CAP`)."""
    graph_ids = {viewer_id, *proximity.first}
    for member_id in proximity.second:
        if len(graph_ids) >= GRAPH_CAP:
            break
        graph_ids.add(member_id)
    return graph_ids


def _ranked(
    documents: Sequence[dict[str, Any]],
    *,
    query: Query,
    conditions: Conditions,
    viewer_id: int,
    proximity: Proximity,
) -> dict[int, Hit]:
    """The documents as hits, each with its closeness, by member id."""
    found: dict[int, Hit] = {}
    for document in documents:
        member_id = document["member_id"]
        text = match_document(query, document)
        if text is None:
            continue
        hit = Hit(member_id, document["name_key"], text, document=document)
        if member_id == viewer_id:
            hit.degree, hit.closeness = 0, CONNECTED
        elif member_id in proximity.first:
            hit.degree, hit.closeness = 1, CONNECTED
        elif document["overlap"]:
            hit.closeness = OVERLAPPED
        elif member_id in proximity.second:
            hit.closeness = SECOND
        else:
            hit.closeness = SAME_PLACE if document["same_place"] else OTHERS
        if _finding_a_place(conditions) and not document["overlap_here"]:
            hit.closeness += ELSEWHERE
        if member_id in proximity.second and hit.degree is None:
            hit.degree, hit.mutual = 2, proximity.second[member_id]
        found[member_id] = hit
    return found


def _finding_a_place(conditions: Conditions) -> bool:
    return conditions.organization_key is not None or conditions.school_key is not None


def _far_closeness(conditions: Conditions) -> int:
    """The closeness of the members not near the viewer, ranked after every near one."""
    return OTHERS + (ELSEWHERE if _finding_a_place(conditions) else 0)


def _merge_far(
    db: Session,
    query: Query,
    conditions: Conditions,
    near: Sequence[Hit],
    near_ids: Collection[int],
    *,
    after: Key | None,
    limit: int,
) -> list[Hit]:
    """Up to `limit + 1` hits after the cursor: at each text level, the near ones ranked, then
    the far ones by name; a level is read only when the ones before leave room on the page."""
    levels = [NAME] if not query.terms else [NAME, TEXT]
    if query.has_alternatives:
        levels.append(TYPO)
    found: list[Hit] = []
    for level in levels:
        if after is not None and level < after[0]:
            continue
        found.extend(
            hit for hit in near if hit.text.level == level and (after is None or hit.key > after)
        )
        if len(found) > limit:
            break
        keyset = None
        if after is not None and after[0] == level and after[1] == _far_closeness(conditions):
            keyset = (after[3], after[4])
        for document in repository.documents_far(
            db,
            query=query,
            level=level,
            conditions=conditions,
            excluding=near_ids,
            after=keyset,
            limit=limit + 1 - len(found),
        ):
            text = match_document(query, document)
            if text is not None:
                text.level = level  # the engine's: they agree unless the index just changed
                found.append(
                    Hit(
                        document["member_id"],
                        document["name_key"],
                        text,
                        closeness=_far_closeness(conditions),
                        document=document,
                    )
                )
        if len(found) > limit:
            break
    return found[: limit + 1]


def _attach_places(
    db: Session, hits: Sequence[Hit], *, viewer_id: int, conditions: Conditions, query: Query
) -> None:
    """Each shown hit's places (what explains a match in its work or studies), and what it
    shares with the viewer: the places searched for first (chosen, or named by the words
    typed), then those of overlapping years; one query with the viewer's own."""
    rows = repository.places_of(db, member_ids={viewer_id, *(hit.member_id for hit in hits)})
    by_member: dict[int, list[PlaceRow]] = defaultdict(list)
    for row in rows:
        by_member[row.member_id].append(row)
    mine = by_member.get(viewer_id, [])
    chosen = frozenset(
        key for key in (conditions.organization_key, conditions.school_key) if key is not None
    )
    for hit in hits:
        hit.places = by_member.get(hit.member_id, [])
        hit.focus = chosen
        if hit.member_id == viewer_id:
            continue
        named = {*chosen, *(term.word for term in query.terms), *hit.text.corrections.values()}

        def first(shared: Shared, named: set[str] = named) -> tuple[bool, bool]:
            return not _searched_for(shared.place, named), shared.overlap is None

        hit.shared = sorted(_shared(hit.places, mine), key=first)


def _searched_for(place: PlaceRow, focus: Collection[str]) -> bool:
    """Whether the search named this place: its folded name, or a word of it."""
    return place.place_key in focus or any(
        word.startswith(typed) for word in place.place_key.split() for typed in focus
    )


def _shared(theirs: Sequence[PlaceRow], mine: Sequence[PlaceRow]) -> list[Shared]:
    """The viewer's places the member was at too, in the member's order."""
    found = []
    for row in theirs:
        same = [own for own in mine if own.kind == row.kind and own.place_id == row.place_id]
        if same:
            overlaps = [_overlap(row, own) for own in same if row.overlaps(own)]
            found.append(Shared(row, overlaps[0] if overlaps else None))
    return found


def _overlap(a: PlaceRow, b: PlaceRow) -> tuple[int, int | None]:
    ends = [year for year in (a.end_year, b.end_year) if year is not None]
    return max(a.start_year, b.start_year), min(ends) if ends else None


def _facets(
    found: Sequence[tuple[str, str, str, int]], near: Collection[Hit], *, everyone: int
) -> Facets:
    """The facets from the counted rows, and the degrees from the near members: the 3rd degree
    and beyond is everyone else who matches."""
    by_degree = {1: 0, 2: 0}
    own = 0
    for hit in near:
        if hit.degree in by_degree:
            by_degree[hit.degree] += 1
        own += hit.degree == 0
    beyond = max(0, min(everyone, COUNT_CAP) - by_degree[1] - by_degree[2] - own)
    values: dict[str, list[FacetValue]] = {
        "organization": [],
        "school": [],
        "location": [],
        "sector": [],
    }
    for facet, key, name, count in found:
        values[facet].append(FacetValue(key, name, count))
    return Facets(degrees={**by_degree, 3: beyond}, complete=everyone <= COUNT_CAP, **values)


# Keeping the index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CareerEntry:
    """A position (kind "organization": the title at it) or a study (kind "school": the degree)
    as the profiles area gives it to the index."""

    kind: str
    place_id: int
    place_name: str
    label: str
    start_year: int
    end_year: int | None


@dataclass(frozen=True)
class MemberDocument:
    """Everything a member can be found by, as the profiles area gives it."""

    member_id: int
    name: str
    headline: str = ""
    location: str = ""
    sector: str = ""
    careers: Sequence[CareerEntry] = ()
    listed: bool = True


def careers_of(db: Session, *, member_ids: Collection[int]) -> dict[int, list[PlaceRow]]:
    """The positions and studies of these members as the index keeps them, in one query."""
    found: dict[int, list[PlaceRow]] = {}
    for row in repository.places_of(db, member_ids=member_ids):
        found.setdefault(row.member_id, []).append(row)
    return found


def index_members(db: Session, documents: Sequence[MemberDocument]) -> None:
    """Write these members' documents into the index, in the caller's transaction: the one way
    the index changes (registration, profile and career edits, imports)."""
    rows: list[dict[str, Any]] = []
    places: list[PlaceRow] = []
    for document in documents:
        careers = document.careers
        rows.append(
            {
                "member_id": document.member_id,
                "name_key": fold(document.name),
                "name": field_text(document.name),
                "work": field_text(
                    *(f"{c.label} {c.place_name}" for c in careers if c.kind == ORGANIZATION)
                ),
                "schools": field_text(
                    *(f"{c.label} {c.place_name}" for c in careers if c.kind == SCHOOL)
                ),
                "headline": field_text(document.headline),
                "place": field_text(document.location, document.sector),
                "location": document.location,
                "location_key": fold(document.location),
                "sector": document.sector,
                "sector_key": fold(document.sector),
                "listed": document.listed,
            }
        )
        places.extend(
            PlaceRow(
                document.member_id,
                career.kind,
                career.place_id,
                fold(career.place_name),
                career.place_name,
                career.label,
                career.start_year,
                career.end_year,
            )
            for career in careers
        )
    if rows:
        repository.write_documents(db, rows, places)


def set_listed(db: Session, *, member_id: int, listed: bool) -> None:
    """Hide a member from search while their account is closed, or show them again."""
    repository.set_listed(db, member_id=member_id, listed=listed)
