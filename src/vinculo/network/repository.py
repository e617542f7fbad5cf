"""All SQL of the network: connections and their private sides, the change log the graph indexes
follow, and the degree and mutual-connection queries that answer where no graph index does (a
command line tool, or a transaction that has just changed connections)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from vinculo.db import copy_rows, insert_new, ordered_pair
from vinculo.identity.models import Member
from vinculo.network.models import Connection, ConnectionChange
from vinculo.privacy.repository import blocked_either_way

# The PostgreSQL channel a committed change of connections is announced on.
CHANGES_CHANNEL = "vinculo_connections"
LOAD_CHUNK = 200_000

IdArray = npt.NDArray[np.int64]


class Change(NamedTuple):
    id: int
    low_id: int
    high_id: int
    connected: bool
    xid: int  # the transaction that made it (PostgreSQL; 0 on SQLite)


# Connections


def add_connection(db: Session, *, a: int, b: int, now: datetime) -> bool:
    """Connect two members; False when they already were."""
    low, high = ordered_pair(a, b)
    if not insert_new(
        db, Connection, ("low_id", "high_id"), low_id=low, high_id=high, created_at=now
    ):
        return False
    _log_changes(db, [(low, high)], connected=True, now=now)
    return True


def delete_connection(db: Session, *, a: int, b: int, now: datetime) -> bool:
    """Disconnect two members; False when they were not connected."""
    low, high = ordered_pair(a, b)
    result = db.execute(
        delete(Connection).where(Connection.low_id == low, Connection.high_id == high)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _log_changes(db, [(low, high)], connected=False, now=now)
    return True


def delete_connections_of(
    db: Session, *, member_ids: Sequence[int], now: datetime
) -> list[Connection]:
    """Disconnect these members from everyone, logging each change; the connections that were,
    as they were (detached rows, with both sides' tiers and notes). One statement to delete."""
    if not member_ids:
        return []
    result = db.execute(
        delete(Connection)
        .where(or_(Connection.low_id.in_(member_ids), Connection.high_id.in_(member_ids)))
        .returning(*Connection.__table__.c)
        .execution_options(synchronize_session=False)
    )
    removed = [Connection(**row._mapping) for row in result]
    _log_changes(db, [(row.low_id, row.high_id) for row in removed], connected=False, now=now)
    return removed


def restore_connections(db: Session, connections: Sequence[Connection], *, now: datetime) -> int:
    """Connect again pairs that were connected, as they were (since when, both sides' tiers and
    notes), leaving out any pair connected since; how many were restored."""
    if not connections:
        return 0
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    columns = [column.key for column in Connection.__table__.c]
    result = db.execute(
        insert(Connection)
        .values([{key: getattr(connection, key) for key in columns} for connection in connections])
        .on_conflict_do_nothing(index_elements=["low_id", "high_id"])
        .returning(Connection.low_id, Connection.high_id)
    )
    restored = [(int(low), int(high)) for low, high in result]
    _log_changes(db, restored, connected=True, now=now)
    return len(restored)


def insert_connections(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many new connections at once (the demo); each an ordered pair not yet connected."""
    if rows:
        db.execute(insert_statement(Connection), rows)
        _log_changes(
            db,
            [(row["low_id"], row["high_id"]) for row in rows],
            connected=True,
            now=max(row["created_at"] for row in rows),
        )


def import_connections(db: Session, pairs: Iterable[tuple[int, int]], *, now: datetime) -> int:
    """Connect every ordered (low, high) pair not yet connected, through a temporary table (COPY on
    PostgreSQL), logging each new connection; how many were new. Repeats change nothing."""
    postgresql = db.get_bind().dialect.name == "postgresql"
    db.execute(
        text("CREATE TEMPORARY TABLE import_pair (low_id BIGINT NOT NULL, high_id BIGINT NOT NULL)")
    )
    if postgresql:
        copy_rows(db, "import_pair", ["low_id", "high_id"], pairs)
    else:
        batch: list[dict[str, int]] = []
        for low, high in pairs:
            batch.append({"low": low, "high": high})
            if len(batch) == 10_000:
                _insert_pairs(db, batch)
                batch = []
        _insert_pairs(db, batch)
    db.execute(
        text(
            "CREATE TEMPORARY TABLE import_new_pair AS SELECT DISTINCT p.low_id, p.high_id "
            "FROM import_pair p WHERE NOT EXISTS "
            "(SELECT 1 FROM connection c WHERE c.low_id = p.low_id AND c.high_id = p.high_id)"
        )
    )
    db.execute(
        text(
            "INSERT INTO connection (low_id, high_id, created_at, low_tier, high_tier, low_note, "
            "high_note) SELECT low_id, high_id, :now, 'regular', 'regular', '', '' "
            "FROM import_new_pair"
        ),
        {"now": now},
    )
    added = db.execute(
        text(
            "INSERT INTO connection_change (low_id, high_id, connected, created_at) "
            "SELECT low_id, high_id, :yes, :now FROM import_new_pair"
        ),
        {"now": now, "yes": True},
    ).rowcount  # type: ignore[attr-defined]
    if postgresql:
        db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGES_CHANNEL})
    db.execute(text("DROP TABLE import_pair"))
    db.execute(text("DROP TABLE import_new_pair"))
    return int(added)


def _insert_pairs(db: Session, batch: list[dict[str, int]]) -> None:
    if batch:
        db.execute(text("INSERT INTO import_pair (low_id, high_id) VALUES (:low, :high)"), batch)


def connection_between(db: Session, a: int, b: int) -> Connection | None:
    return db.get(Connection, ordered_pair(a, b), populate_existing=True)


def connections_around(db: Session, *, a: int, b: int) -> tuple[bool, int, int]:
    """Whether two members are connected, and how many connections each has: one statement."""
    low, high = ordered_pair(a, b)
    touches_a = or_(Connection.low_id == a, Connection.high_id == a)
    touches_b = or_(Connection.low_id == b, Connection.high_id == b)
    row = db.execute(
        select(
            func.count().filter(Connection.low_id == low, Connection.high_id == high),
            func.count().filter(touches_a),
            func.count().filter(touches_b),
        ).where(or_(touches_a, touches_b))
    ).one()
    return bool(row[0]), int(row[1]), int(row[2])


def count_connections(db: Session, *, member_id: int) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                or_(Connection.low_id == member_id, Connection.high_id == member_id)
            )
        )
        or 0
    )


def update_connection_side(
    db: Session, *, member_id: int, other_id: int, tier: str | None, note: str | None
) -> bool:
    """Set the member's own tier or note for a connection; False when there is no connection."""
    low, high = ordered_pair(member_id, other_id)
    side = "low" if member_id == low else "high"
    values: dict[str, str] = {}
    if tier is not None:
        values[f"{side}_tier"] = tier
    if note is not None:
        values[f"{side}_note"] = note
    if not values:
        return connection_between(db, member_id, other_id) is not None
    result = db.execute(
        update(Connection)
        .where(Connection.low_id == low, Connection.high_id == high)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def connections_of(
    db: Session,
    *,
    member_id: int,
    tier: str | None,
    after: tuple[str, int] | None,
    limit: int,
    viewer_id: int | None = None,
) -> list[tuple[Member, Connection]]:
    """A member's connections with the connection row, by name; `limit + 1` at most. With a
    `viewer_id`, none with a block between them and the viewer."""
    is_low = Connection.low_id == member_id
    other_id = case((is_low, Connection.high_id), else_=Connection.low_id)
    statement = (
        select(Member, Connection)
        .join(Connection, Member.id == other_id)
        .where(or_(Connection.low_id == member_id, Connection.high_id == member_id))
    )
    if viewer_id is not None:
        statement = statement.where(~blocked_either_way(viewer_id, Member.id))
    if tier is not None:
        own_tier = case((is_low, Connection.low_tier), else_=Connection.high_tier)
        statement = statement.where(own_tier == tier)
    if after is not None:
        statement = statement.where(tuple_(Member.name_key, Member.id) > tuple_(*after))
    rows = db.execute(statement.order_by(Member.name_key, Member.id).limit(limit + 1))
    return [(member, connection) for member, connection in rows]


def members_among(
    db: Session, *, ids: Sequence[int], after: tuple[str, int] | None, limit: int
) -> list[Member]:
    """The members with these ids, by name after the cursor position; `limit + 1` at most."""
    if not ids:
        return []
    statement = select(Member).where(Member.id.in_(ids))
    if after is not None:
        statement = statement.where(tuple_(Member.name_key, Member.id) > tuple_(*after))
    return list(db.scalars(statement.order_by(Member.name_key, Member.id).limit(limit + 1)))


# Degrees and mutual connections in SQL: the same answers as the graph index.


def _ends() -> Any:
    """Every connection once in each direction, as rows (member, other)."""
    return union_all(
        select(Connection.low_id.label("member"), Connection.high_id.label("other")),
        select(Connection.high_id.label("member"), Connection.low_id.label("other")),
    ).subquery()


def _neighbours(member_id: int) -> Select[tuple[int]]:
    """The ids of a member's connections."""
    return (
        union_all(
            select(Connection.high_id.label("id")).where(Connection.low_id == member_id),
            select(Connection.low_id.label("id")).where(Connection.high_id == member_id),
        )
        .subquery()
        .select()
    )


def neighbour_ids(db: Session, *, member_id: int) -> set[int]:
    return set(db.scalars(_neighbours(member_id)))


def mutual_connection_ids(db: Session, *, a: int, b: int) -> list[int]:
    """The connections two members share, ascending."""
    mine = _neighbours(a).subquery()
    theirs = _neighbours(b).subquery()
    statement = select(mine.c.id).where(mine.c.id.in_(select(theirs.c.id))).order_by(mine.c.id)
    return list(db.scalars(statement))


def degrees_from(
    db: Session, *, viewer_id: int, member_ids: Sequence[int]
) -> dict[int, int | None]:
    """The degree from the viewer to each member, as the graph index answers it: 0 for the
    viewer, 1 to 3 steps, None beyond (out of network). Three queries whatever the list."""
    wanted = set(member_ids)
    found: dict[int, int | None] = dict.fromkeys(wanted)
    if viewer_id in wanted:
        found[viewer_id] = 0
    if wanted <= {viewer_id}:
        return found
    first = neighbour_ids(db, member_id=viewer_id)
    for member_id in wanted & first:
        found[member_id] = 1
    rest = [member_id for member_id in wanted if found[member_id] is None]
    if not rest or not first:
        return found
    ends = _ends()
    mine = _neighbours(viewer_id).subquery()
    second = select(ends.c.member).where(
        ends.c.member.in_(rest), ends.c.other.in_(select(mine.c.id))
    )
    for member_id in db.scalars(second.distinct()):
        found[member_id] = 2
    rest = [member_id for member_id in rest if found[member_id] is None]
    if not rest:
        return found
    # Three steps: member – x – y – viewer, with y one of the viewer's connections.
    near = aliased(ends)
    third = (
        select(ends.c.member)
        .join(near, near.c.member == ends.c.other)
        .where(ends.c.member.in_(rest), near.c.other.in_(select(mine.c.id)))
    )
    for member_id in db.scalars(third.distinct()):
        found[member_id] = 3
    return found


def mutual_counts(db: Session, *, viewer_id: int, member_ids: Sequence[int]) -> dict[int, int]:
    """How many connections the viewer shares with each member (none with themselves), in one
    query for the whole list."""
    counts = dict.fromkeys(member_ids, 0)
    others = [member_id for member_id in member_ids if member_id != viewer_id]
    if not others:
        return counts
    ends = _ends()
    mine = _neighbours(viewer_id).subquery()
    statement = (
        select(ends.c.member, func.count())
        .where(ends.c.member.in_(others), ends.c.other.in_(select(mine.c.id)))
        .group_by(ends.c.member)
    )
    for member_id, count in db.execute(statement):
        counts[member_id] = int(count)
    return counts


# The change log


def _log_changes(
    db: Session, pairs: Sequence[tuple[int, int]], *, connected: bool, now: datetime
) -> None:
    """Write connection changes to the log every process's graph index follows, and on
    PostgreSQL wake the followers up (the notification is delivered at commit)."""
    if not pairs:
        return
    db.execute(
        insert_statement(ConnectionChange),
        [
            {"low_id": low, "high_id": high, "connected": connected, "created_at": now}
            for low, high in pairs
        ],
    )
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGES_CHANNEL})


def follows_transactions(db: Session) -> bool:
    """Whether readers follow the log by transaction (PostgreSQL, whose writers commit in any
    order) rather than by id (SQLite, whose writers take turns)."""
    return db.get_bind().dialect.name == "postgresql"


def last_change_id(db: Session) -> int:
    return int(db.scalar(select(func.max(ConnectionChange.id))) or 0)


def oldest_running_transaction(db: Session) -> int:
    """PostgreSQL: every transaction older than this one had ended when the unit of work's
    snapshot was taken (the snapshot's `xmin`), so every change it made is visible in it."""
    return int(db.scalar(text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")))


def changes_after(db: Session, *, change_id: int) -> list[Change]:
    """The changes logged after `change_id`, in order (SQLite)."""
    return _changes(db, ConnectionChange.id > change_id)


def changes_since(db: Session, *, transaction: int) -> list[Change]:
    """The changes made by `transaction` or younger ones that have committed, in order
    (PostgreSQL)."""
    return _changes(db, ConnectionChange.xid >= transaction)


def _changes(db: Session, condition: ColumnElement[bool]) -> list[Change]:
    rows = db.execute(
        select(
            ConnectionChange.id,
            ConnectionChange.low_id,
            ConnectionChange.high_id,
            ConnectionChange.connected,
            func.coalesce(ConnectionChange.xid, 0),
        )
        .where(condition)
        .order_by(ConnectionChange.id)
    )
    return [Change(*row) for row in rows]


def connection_pairs(db: Session) -> Iterator[tuple[IdArray, IdArray]]:
    """Every connection, as arrays of (low, high) in chunks, without making a Python object of
    each row: on PostgreSQL COPYed out in binary, one row per member with the ids of the members
    it connects to above it packed in one value; on SQLite fetched in chunks by the driver."""
    connection = db.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("the session has no database connection")
    if db.get_bind().dialect.name == "postgresql":
        yield from _copied_pairs(connection)
        return
    cursor = connection.execute("SELECT low_id, high_id FROM connection")
    while rows := cursor.fetchmany(LOAD_CHUNK):
        pairs = np.array(rows, dtype=np.int64)
        yield pairs[:, 0], pairs[:, 1]


# One row per member with connections above it, read along the primary key: its id, and the
# higher ids as 8-byte big-endian integers one after another. The driver hands over a COPY row at
# a time, so a row per connection would cost a Python step each (12 s for 25 million, where the
# database needs 4); a row per member costs a step per member.
_GROUPED_COPY = (
    "COPY (SELECT low_id, string_agg(int8send(high_id), ''::bytea) FROM connection "
    "GROUP BY low_id) TO STDOUT (FORMAT BINARY)"
)
# Binary COPY: a header before the first row and a 2-byte trailer; each row is its field count
# (2 bytes), then each field's length (4) and value, big-endian.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_HEADER = 19
_ROW_HEAD = 18  # field count, the low id's length and value, the packed ids' length
_CHUNK_BYTES = 32 * 1024 * 1024


def _copied_pairs(connection: Any) -> Iterator[tuple[IdArray, IdArray]]:
    rows: list[Any] = []
    held = 0
    header = True
    with connection.cursor() as cursor, cursor.copy(_GROUPED_COPY) as copy:
        for block in copy:
            row = block
            if header:  # the first block begins with the header
                if bytes(block[:_COPY_HEADER][: len(_COPY_SIGNATURE)]) != _COPY_SIGNATURE:
                    raise RuntimeError("the connections' COPY has no binary header")
                row, header = block[_COPY_HEADER:], False
            if len(row) <= 2:  # the trailer, or a header sent alone
                continue
            rows.append(row)
            held += len(row)
            if held >= _CHUNK_BYTES:
                yield _parse_groups(rows)
                rows, held = [], 0
    if rows:
        yield _parse_groups(rows)


def _parse_groups(rows: list[Any]) -> tuple[IdArray, IdArray]:
    """The (low, high) pairs of COPY rows of `_GROUPED_COPY`, checked against their lengths."""
    head = np.frombuffer(
        b"".join([row[:_ROW_HEAD] for row in rows]),
        dtype=[("fields", ">i2"), ("low_size", ">i4"), ("low", ">i8"), ("packed_size", ">i4")],
    )
    lengths = np.fromiter((len(row) for row in rows), np.int64, len(rows))
    if (
        np.any(head["fields"] != 2)
        or np.any(head["low_size"] != 8)
        or np.any(head["packed_size"] != lengths - _ROW_HEAD)
        or np.any(head["packed_size"] % 8)
    ):
        raise RuntimeError("the connections' COPY rows are not in the expected layout")
    highs = np.frombuffer(b"".join([row[_ROW_HEAD:] for row in rows]), dtype=">i8")
    return np.repeat(head["low"].astype(np.int64), head["packed_size"] // 8), highs.astype(np.int64)


def wake_listeners(db: Session) -> None:
    """Wake every process listening for connection changes (PostgreSQL), as a change would: a
    stopping listener then sees at once that it is to stop."""
    db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGES_CHANNEL})
