"""All SQL of search: writing the index, and the statements that find members in it, on
PostgreSQL (full-text search over a generated `tsvector`) and on SQLite (FTS5) behind the same
functions, which answer the same."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    column,
    delete,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import Session, aliased

from vinculo.search.models import ORGANIZATION, SCHOOL, SearchDocument, SearchPlace, SearchVariant
from vinculo.search.terms import FIELDS, NAME, TYPO, Query, Term, deletions, variants_of

# The statement's batch size for index writes and vocabulary lookups.
_BATCH = 2000
_OPEN = 9999  # the end year of a position or study still going on, for comparing years


@dataclass(frozen=True)
class PlaceRow:
    """A position or study as search keeps it."""

    member_id: int
    kind: str
    place_id: int
    place_key: str
    place_name: str
    label: str
    start_year: int
    end_year: int | None

    def overlaps(self, other: PlaceRow) -> bool:
        """Whether the two were at the same place in overlapping years."""
        return (
            self.kind == other.kind
            and self.place_id == other.place_id
            and self.start_year <= (other.end_year or _OPEN)
            and other.start_year <= (self.end_year or _OPEN)
        )


# Given a statement's member id column, the condition that a member is hidden from the viewer.
Hidden = Callable[[ColumnElement[int]], ColumnElement[bool]]


@dataclass(frozen=True)
class Conditions:
    """What a search asks of every member it finds, apart from the text: listed, not hidden
    from the viewer, and the filters that are SQL (the degree is not: the graph knows it)."""

    hidden: Hidden | None = None
    location_key: str | None = None
    sector_key: str | None = None
    organization_key: str | None = None
    school_key: str | None = None
    same_time_as: int | None = None  # a viewer's id: only members who overlapped with them


def _postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


# Writing the index ---------------------------------------------------------------------------


def write_documents(
    db: Session, documents: Sequence[dict[str, Any]], places: Sequence[PlaceRow]
) -> None:
    """Replace the documents and places of these members (their `member_id`s) with these. Each
    kind of row goes in one statement run for many rows, compiled once per process."""
    if not documents:
        return
    connection = db.connection()
    ids = [document["member_id"] for document in documents]
    for start in range(0, len(ids), _BATCH):
        connection.execute(_DELETE_PLACES, {"ids": ids[start : start + _BATCH]})
    connection.execute(_upsert(db), list(documents))
    if not _postgres(db):
        _write_fts(db, documents)
    if places:
        connection.execute(
            _PLACES.insert(),
            [
                {
                    "member_id": row.member_id,
                    "kind": row.kind,
                    "place_id": row.place_id,
                    "place_key": row.place_key,
                    "place_name": row.place_name,
                    "label": row.label,
                    "start_year": row.start_year,
                    "end_year": row.end_year,
                }
                for row in places
            ],
        )
    _learn_words(
        db, {word for document in documents for name in FIELDS for word in document[name].split()}
    )


_PLACES = typing.cast(Table, SearchPlace.__table__)
_DOCUMENTS = typing.cast(Table, SearchDocument.__table__)
_VARIANTS = typing.cast(Table, SearchVariant.__table__)
_DELETE_PLACES = delete(_PLACES).where(_PLACES.c.member_id.in_(bindparam("ids", expanding=True)))


def _upsert(db: Session) -> Any:
    """Insert a document, or replace every column of the one there."""
    insert = postgresql.insert if _postgres(db) else sqlite.insert
    statement = insert(_DOCUMENTS)
    kept = {
        column.name: statement.excluded[column.name]
        for column in _DOCUMENTS.columns
        if column.name != "member_id"
    }
    return statement.on_conflict_do_update(index_elements=["member_id"], set_=kept)


def _write_fts(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    connection = db.connection()
    connection.exec_driver_sql(
        "DELETE FROM search_fts WHERE rowid IN (SELECT value FROM json_each(?))",
        (json.dumps([row["member_id"] for row in rows]),),
    )
    connection.exec_driver_sql(
        "INSERT INTO search_fts (rowid, name, work, schools, headline, place) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [tuple(row[name] for name in ("member_id", *FIELDS)) for row in rows],
    )


def _learn_words(db: Session, words: set[str]) -> None:
    """Add the words the vocabulary does not know yet, with their deletions."""
    wanted = sorted(word for word in words if variants_of(word))
    insert = postgresql.insert if _postgres(db) else sqlite.insert
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        known = set(
            db.scalars(
                select(SearchVariant.word).where(
                    SearchVariant.variant.in_(chunk), SearchVariant.word == SearchVariant.variant
                )
            )
        )
        rows = [
            {"variant": variant, "word": word}
            for word in chunk
            if word not in known
            for variant in sorted(variants_of(word))
        ]
        if rows:
            db.connection().execute(insert(_VARIANTS).on_conflict_do_nothing(), rows)


def set_listed(db: Session, *, member_id: int, listed: bool) -> None:
    db.execute(
        update(SearchDocument).where(SearchDocument.member_id == member_id).values(listed=listed)
    )


# Reading -------------------------------------------------------------------------------------


def words_near(db: Session, typed: Sequence[str]) -> dict[str, set[str]]:
    """For each typed word, the vocabulary's words that share it or one of its deletions (the
    caller keeps those truly one edit away)."""
    if not typed:
        return {}
    keys = {word: {word} | deletions(word) for word in typed}
    rows = db.execute(
        select(SearchVariant.variant, SearchVariant.word).where(
            SearchVariant.variant.in_(sorted(set().union(*keys.values())))
        )
    ).all()
    return {
        word: {found for variant, found in rows if variant in own} for word, own in keys.items()
    }


def places_of(db: Session, *, member_ids: Collection[int]) -> list[PlaceRow]:
    """The positions and studies of these members, in the order they were indexed."""
    if not member_ids:
        return []
    statement = select(
        SearchPlace.member_id,
        SearchPlace.kind,
        SearchPlace.place_id,
        SearchPlace.place_key,
        SearchPlace.place_name,
        SearchPlace.label,
        SearchPlace.start_year,
        SearchPlace.end_year,
    ).where(_in_ids(db, SearchPlace.member_id, member_ids))
    return [PlaceRow(*row) for row in db.execute(statement.order_by(SearchPlace.id))]


def _shares_place(viewer_id: int, *, overlapping: bool) -> Select[Any]:
    """The members at one of the viewer's organizations or schools (in overlapping years)."""
    theirs, mine = aliased(SearchPlace), aliased(SearchPlace)
    return select(theirs.member_id).join(
        mine, and_(*_same_place(theirs, mine, viewer_id, overlapping=overlapping))
    )


def _same_place(
    theirs: Any, mine: Any, viewer_id: int, *, overlapping: bool
) -> list[ColumnElement[bool]]:
    joined = [
        mine.member_id == viewer_id,
        mine.kind == theirs.kind,
        mine.place_id == theirs.place_id,
    ]
    if overlapping:
        joined += [
            theirs.start_year <= func.coalesce(mine.end_year, _OPEN),
            mine.start_year <= func.coalesce(theirs.end_year, _OPEN),
        ]
    return joined


def _closeness_columns(conditions: Conditions, viewer_id: int) -> list[Any]:
    """For each document, read with it: whether the member shares a place with the viewer
    (`same_place`), in overlapping years (`overlap`), and the organization or school of the
    filters in the viewer's years there (`overlap_here`). Each is an `EXISTS` on the member's
    own few places, so it costs the same whatever the size of the places."""
    columns = []
    for label, overlapping in (("same_place", False), ("overlap", True)):
        theirs, mine = aliased(SearchPlace), aliased(SearchPlace)
        columns.append(
            select(theirs.id)
            .join(mine, and_(*_same_place(theirs, mine, viewer_id, overlapping=overlapping)))
            .where(theirs.member_id == SearchDocument.member_id)
            .exists()
            .label(label)
        )
    here = []
    for kind, key in ((ORGANIZATION, conditions.organization_key), (SCHOOL, conditions.school_key)):
        if key is not None:
            theirs, mine = aliased(SearchPlace), aliased(SearchPlace)
            here.append(
                select(theirs.id)
                .join(mine, and_(*_same_place(theirs, mine, viewer_id, overlapping=True)))
                .where(
                    theirs.member_id == SearchDocument.member_id,
                    theirs.kind == kind,
                    theirs.place_key == key,
                )
                .exists()
            )
    columns.append((or_(*here) if here else false()).label("overlap_here"))
    return columns


def documents_matching(
    db: Session, *, query: Query, conditions: Conditions, viewer_id: int, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` documents that match, in no particular order, with what tells their
    closeness (`_closeness_columns`): all of them when fewer match."""
    statement = (
        select(*_DOCUMENT_COLUMNS, *_closeness_columns(conditions, viewer_id))
        .where(*_where(db, query, TYPO, conditions))
        .limit(limit)
    )
    return _rows(db, statement)


def documents_near(
    db: Session,
    *,
    query: Query,
    conditions: Conditions,
    viewer_id: int,
    graph_ids: Collection[int],
    limit: int,
) -> list[dict[str, Any]]:
    """The documents that match and are near the viewer: among `graph_ids` (their 1st and 2nd
    degree) or, with an organization or school chosen, who were there in the viewer's years;
    with what tells their closeness; by name, `limit` at most."""
    near: list[ColumnElement[bool]] = []
    if graph_ids:
        near.append(_in_ids(db, SearchDocument.member_id, graph_ids))
    for kind, key in ((ORGANIZATION, conditions.organization_key), (SCHOOL, conditions.school_key)):
        if key is not None:
            near.append(SearchDocument.member_id.in_(_members_at(kind, key, viewer_id)))
    if not near:
        return []
    statement = (
        select(*_DOCUMENT_COLUMNS, *_closeness_columns(conditions, viewer_id))
        .where(*_where(db, query, TYPO, conditions), or_(*near))
        .order_by(*_ORDER)
        .limit(limit)
    )
    return _rows(db, statement)


def documents_far(
    db: Session,
    *,
    query: Query,
    level: int,
    conditions: Conditions,
    excluding: Collection[int],
    after: tuple[str, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The documents that match at exactly this level (see `terms`), by name after `after`
    (name key, id), leaving out `excluding` (the near ones, ranked apart); `limit` at most."""
    statement = select(*_DOCUMENT_COLUMNS).where(*_where(db, query, level, conditions))
    if level > NAME and query.terms:
        statement = statement.where(not_(_matches(db, query, level - 1)))
    if excluding:
        statement = statement.where(not_(_in_ids(db, SearchDocument.member_id, excluding)))
    # By name through its index at the name's level; at the others, the name as an expression:
    # "matches, but not by name" is often rare where the planner, which cannot see that, would
    # walk the whole name index looking for a page of them.
    name_key: Any = SearchDocument.name_key if level == NAME else SearchDocument.name_key + ""
    if after is not None:
        statement = statement.where(tuple_(name_key, SearchDocument.member_id) > tuple_(*after))
    return _rows(db, statement.order_by(name_key, SearchDocument.member_id).limit(limit))


_ORDER = (SearchDocument.name_key, SearchDocument.member_id)
_DOCUMENT_COLUMNS = (
    SearchDocument.member_id,
    SearchDocument.name_key,
    SearchDocument.location,
    SearchDocument.sector,
    *(getattr(SearchDocument, name) for name in FIELDS),
)


def _rows(db: Session, statement: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(statement)]


def _matching(
    db: Session,
    query: Query,
    conditions: Conditions,
    *,
    only: Collection[int] | None,
    excluding: Collection[int],
) -> Select[Any]:
    statement = select(SearchDocument.member_id).where(*_where(db, query, TYPO, conditions))
    if only is not None:
        statement = statement.where(_in_ids(db, SearchDocument.member_id, only))
    if excluding:
        statement = statement.where(not_(_in_ids(db, SearchDocument.member_id, excluding)))
    return statement


def count_matches(db: Session, *, query: Query, conditions: Conditions, cap: int) -> int:
    """How many members match, counting up to `cap + 1` at most."""
    inner = _matching(db, query, conditions, only=None, excluding=())
    return db.scalar(select(func.count()).select_from(inner.limit(cap + 1).subquery())) or 0


def count_and_facets(
    db: Session,
    *,
    query: Query,
    conditions: Conditions,
    only: Collection[int] | None,
    excluding: Collection[int],
    cap: int,
    per_facet: int,
) -> tuple[int, list[tuple[str, str, str, int]]]:
    """In one statement: how many members match, whatever their degree (up to `cap + 1`), and
    the most frequent organizations, schools, locations and sectors among the first `cap` that
    match (only `only` when given, leaving out `excluding`): (facet, key, name, members)."""
    counted = _matching(db, query, conditions, only=None, excluding=())
    total = select(
        literal("total").label("facet"),
        literal("").label("key"),
        literal("").label("name"),
        func.count().label("members"),
    ).select_from(counted.limit(cap + 1).subquery())
    matched = (
        _matching(db, query, conditions, only=only, excluding=excluding)
        .order_by(*_ORDER)
        .limit(cap)
        .subquery()
    )
    parts = [total.subquery()]
    for kind in (ORGANIZATION, SCHOOL):
        members = func.count(func.distinct(SearchPlace.member_id))
        parts.append(
            select(
                literal(kind).label("facet"),
                SearchPlace.place_key.label("key"),
                func.min(SearchPlace.place_name).label("name"),
                members.label("members"),
            )
            .where(SearchPlace.kind == kind, SearchPlace.member_id.in_(select(matched.c.member_id)))
            .group_by(SearchPlace.place_key)
            .order_by(members.desc(), SearchPlace.place_key)
            .limit(per_facet)
            .subquery()
        )
    for facet, key, shown in (
        ("location", SearchDocument.location_key, SearchDocument.location),
        ("sector", SearchDocument.sector_key, SearchDocument.sector),
    ):
        members = func.count()
        parts.append(
            select(
                literal(facet).label("facet"),
                key.label("key"),
                func.min(shown).label("name"),
                members.label("members"),
            )
            .where(key != "", SearchDocument.member_id.in_(select(matched.c.member_id)))
            .group_by(key)
            .order_by(members.desc(), key)
            .limit(per_facet)
            .subquery()
        )
    rows = db.execute(union_all(*(select(*part.c) for part in parts))).all()
    count = next(int(members) for facet, _, _, members in rows if facet == "total")
    return count, [
        (facet, key, name, int(members)) for facet, key, name, members in rows if facet != "total"
    ]


def _where(db: Session, query: Query, level: int, conditions: Conditions) -> list[Any]:
    where: list[Any] = [SearchDocument.listed]
    if query.terms:
        where.append(_matches(db, query, level))
    if conditions.hidden is not None:
        member_id: ColumnElement[int] = SearchDocument.member_id  # type: ignore[assignment]
        where.append(not_(conditions.hidden(member_id)))
    if conditions.location_key is not None:
        where.append(SearchDocument.location_key == conditions.location_key)
    if conditions.sector_key is not None:
        where.append(SearchDocument.sector_key == conditions.sector_key)
    for kind, key in ((ORGANIZATION, conditions.organization_key), (SCHOOL, conditions.school_key)):
        if key is not None:
            where.append(
                SearchDocument.member_id.in_(_members_at(kind, key, conditions.same_time_as))
            )
    if conditions.same_time_as is not None and (
        conditions.organization_key is None and conditions.school_key is None
    ):
        where.append(
            SearchDocument.member_id.in_(_shares_place(conditions.same_time_as, overlapping=True))
        )
    return where


def _members_at(kind: str, key: str, same_time_as: int | None) -> Select[Any]:
    """The members at the place of this kind and folded name, overlapping in years with the
    viewer there when `same_time_as` is given."""
    theirs = SearchPlace
    statement = select(theirs.member_id).where(theirs.kind == kind, theirs.place_key == key)
    if same_time_as is not None:
        mine = aliased(SearchPlace)
        statement = statement.join(
            mine,
            and_(
                mine.member_id == same_time_as,
                mine.kind == theirs.kind,
                mine.place_id == theirs.place_id,
                theirs.start_year <= func.coalesce(mine.end_year, _OPEN),
                mine.start_year <= func.coalesce(theirs.end_year, _OPEN),
            ),
        )
    return statement


# Matching the text, per engine ---------------------------------------------------------------


def _matches(db: Session, query: Query, level: int) -> ColumnElement[bool]:
    """The documents whose every term matches: in the name (`NAME`), anywhere as typed
    (`TEXT`), or anywhere allowing the typos' alternatives (`TYPO`)."""
    if _postgres(db):
        text = " & ".join(_tsquery_term(term, level) for term in query.terms)
        # The name's own column for the name (see migration 0017), the document for the rest.
        vector = "search_document.name_vector" if level == NAME else "search_document.document"
        return literal_column(vector).op("@@")(cast(literal(text), TSQUERY))
    expression = " AND ".join(_fts_term(term, level) for term in query.terms)
    fts: Select[Any] = select(_FTS.c.rowid).where(
        literal_column("search_fts").op("MATCH")(literal(expression))
    )
    return SearchDocument.member_id.in_(fts)


# SQLite's FTS5 table beside the documents (migration 0017), its rowid the member's id.
_FTS = table("search_fts", column("rowid"))


def _tsquery_term(term: Term, level: int) -> str:
    # Words are letters and digits only (`terms.words`): quoting them needs no escapes.
    typed = f"'{term.word}':{'*' if term.prefix else ''}"
    if level < TYPO or not term.alternatives:
        return typed.rstrip(":")
    return "(" + " | ".join([typed.rstrip(":"), *(f"'{w}'" for w in term.alternatives)]) + ")"


def _fts_term(term: Term, level: int) -> str:
    typed = f'"{term.word}"' + ("*" if term.prefix else "")
    if level == NAME:
        return f"name : {typed}"
    if level < TYPO or not term.alternatives:
        return typed
    return "(" + " OR ".join([typed, *(f'"{w}"' for w in term.alternatives)]) + ")"


def _in_ids(db: Session, column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """`column` is one of `ids`, as one parameter whatever their number: an array on
    PostgreSQL, a JSON list on SQLite."""
    if not ids:
        return false()
    values = sorted(ids)
    if _postgres(db):
        matched: ColumnElement[bool] = column == any_(
            bindparam(None, values, type_=ARRAY(BigInteger))
        )
        return matched
    listed: ColumnElement[bool] = column.in_(
        select(literal_column("value")).select_from(func.json_each(json.dumps(values)))
    )
    return listed
