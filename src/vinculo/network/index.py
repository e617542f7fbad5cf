"""The network's in-memory graph index, built from the database at start-up and kept in step with
it through the connection change log.

A process that changes a connection applies the change as soon as its transaction commits (the
member sees it at once); every process also catches up with the log: by polling on SQLite, and on
PostgreSQL when LISTEN/NOTIFY says something changed (with a slower poll as a safety net), always
from the last change it applied, so a lost connection or a missed notification loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database
from vinculo.graph import GraphIndex, Snapshot
from vinculo.identity.models import Member
from vinculo.network import repository
from vinculo.network.models import Connection, ConnectionChange

log = logging.getLogger(__name__)

CHANNEL = "vinculo_connections"
LOAD_CHUNK = 200_000
# Changes this recent at load time are re-read afterwards: a transaction that took its change id
# before the load and commits after it must not be missed.
RECENT = timedelta(minutes=5)
# A change id that never appears (its transaction rolled back) is skipped after this long.
GAP_PATIENCE_SECONDS = 30.0


class NetworkIndex:
    """One process's graph index and where it stands in the change log."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.graph = GraphIndex()
        self._floor = 0  # every change id up to here is applied
        self._seen: set[int] = set()  # applied ids above the floor
        self._gap_since: float | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._follower: threading.Thread | None = None
        self.ready = False

    # Loading

    def load(self) -> None:
        """Build the index from the connections table, streaming, in one consistent snapshot."""
        started = time.monotonic()
        with self.database.unit_of_work(write=False, consistent=True) as db:
            last = db.scalar(select(func.max(ConnectionChange.id))) or 0
            recent = set(
                db.scalars(
                    select(ConnectionChange.id).where(
                        ConnectionChange.created_at >= clock.now() - RECENT
                    )
                )
            )
            lows: list[np.ndarray] = []
            highs: list[np.ndarray] = []
            loaded = 0
            for low, high in _chunks(db):
                lows.append(low)
                highs.append(high)
                loaded += len(low)
                log.info("graph index: %s connections read", f"{loaded:,}")
        low_all = np.concatenate(lows) if lows else np.empty(0, np.int64)
        high_all = np.concatenate(highs) if highs else np.empty(0, np.int64)
        graph = GraphIndex(Snapshot.from_pairs(low_all, high_all))
        with self._lock:
            self.graph = graph
            self._floor = min(recent) - 1 if recent else last
            self._seen = {change for change in recent if change > self._floor}
            self.ready = True
        stats = graph.stats()
        log.info(
            "graph index: %s members, %s connections, %.1f MB, built in %.1f s",
            f"{stats.members:,}",
            f"{stats.connections:,}",
            stats.index_bytes / 1e6,
            time.monotonic() - started,
        )
        self.catch_up()

    # Keeping in step

    def catch_up(self) -> int:
        """Apply every change in the log this process has not applied yet; how many it applied."""
        with self._lock:
            floor = self._floor
        with self.database.unit_of_work(write=False) as db:
            changes = db.execute(
                select(
                    ConnectionChange.id,
                    ConnectionChange.low_id,
                    ConnectionChange.high_id,
                    ConnectionChange.connected,
                )
                .where(ConnectionChange.id > floor)
                .order_by(ConnectionChange.id)
            ).all()
        applied = 0
        with self._lock:
            for change_id, low, high, connected in changes:
                if change_id <= self._floor or change_id in self._seen:
                    continue
                if connected:
                    self.graph.connect(low, high)
                else:
                    self.graph.disconnect(low, high)
                self._seen.add(change_id)
                applied += 1
            self._advance_floor()
            if self.graph.stats().overlay_changes > 50_000:
                self.graph.compact()
        return applied

    def _advance_floor(self) -> None:
        while self._floor + 1 in self._seen:
            self._floor += 1
            self._seen.discard(self._floor)
        if not self._seen:
            self._gap_since = None
            return
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        elif now - self._gap_since > GAP_PATIENCE_SECONDS:
            # The missing id belonged to a transaction that rolled back.
            self._floor += 1
            self._gap_since = None
            self._advance_floor()

    def start_following(self, *, poll_seconds: float) -> None:
        """Catch up in a background thread: on notifications on PostgreSQL, by polling on SQLite."""
        target = self._listen if not self.database.is_sqlite else self._poll
        self._follower = threading.Thread(
            target=target, args=(poll_seconds,), name="vinculo-graph", daemon=True
        )
        self._follower.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._follower is not None:
            self._follower.join(timeout=10)

    def _poll(self, poll_seconds: float) -> None:
        while not self._stopped.wait(poll_seconds):
            self._catch_up_safely()

    def _listen(self, poll_seconds: float) -> None:
        import psycopg

        url = self.database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopped.is_set():
            try:
                with psycopg.connect(
                    url, autocommit=True, application_name="vinculo-graph-listener"
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    # Whatever happened while we were not listening.
                    self._catch_up_safely()
                    while not self._stopped.is_set():
                        for _ in connection.notifies(timeout=max(poll_seconds, 1.0), stop_after=1):
                            pass
                        self._catch_up_safely()
            except psycopg.Error:
                log.warning("graph index: lost the notification connection; reconnecting")
                self._stopped.wait(1.0)

    def _catch_up_safely(self) -> None:
        try:
            self.catch_up()
        except Exception:
            log.exception("graph index: catching up failed; trying again")


def _chunks(db: Session) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The connection table, as arrays of (low, high) in chunks."""
    if db.get_bind().dialect.name == "postgresql":
        yield from _copied_chunks(db)
        return
    rows = db.execute(
        select(Connection.low_id, Connection.high_id).execution_options(yield_per=LOAD_CHUNK)
    )
    for partition in rows.partitions():
        pairs = np.array(partition, dtype=np.int64).reshape(-1, 2)
        yield pairs[:, 0], pairs[:, 1]


def _copied_chunks(db: Session) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """On PostgreSQL, COPY the pairs out as text and parse whole blocks with numpy: rows never
    become Python objects one by one."""
    connection = db.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("the session has no database connection")
    blocks: list[bytes] = []
    size = 0
    with (
        connection.cursor() as cursor,
        cursor.copy("COPY (SELECT low_id, high_id FROM connection) TO STDOUT") as copy,
    ):
        for block in copy:
            blocks.append(bytes(block))
            size += len(block)
            if size < 8_000_000:
                continue
            text = b"".join(blocks)
            cut = text.rfind(b"\n") + 1
            yield _parse_pairs(text[:cut])
            blocks, size = [text[cut:]], len(text) - cut
    rest = b"".join(blocks)
    if rest.strip():
        yield _parse_pairs(rest)


def _parse_pairs(text: bytes) -> tuple[np.ndarray, np.ndarray]:
    numbers = np.array(text.split(), dtype=np.int64).reshape(-1, 2)
    return numbers[:, 0], numbers[:, 1]


def index_of(db: Session) -> NetworkIndex | None:
    """The graph index of the process serving this unit of work, when it has one ready."""
    index = db.info.get("network_index")
    return index if isinstance(index, NetworkIndex) and index.ready else None


def degrees(db: Session, *, viewer_id: int, member_ids: Sequence[int]) -> dict[int, int | None]:
    """The degree from the viewer to each member: from the graph index (0 to 3, else None), or,
    in a process without one (a command), from SQL (0 to 2)."""
    index = index_of(db)
    if index is None:
        return repository.degrees_from(db, viewer_id=viewer_id, member_ids=member_ids)
    return index.graph.degrees(viewer_id, list(member_ids))


def mutual_counts(db: Session, *, viewer_id: int, member_ids: Sequence[int]) -> dict[int, int]:
    """How many connections the viewer shares with each member (none with themselves): from the
    graph index for the whole list at once, or, in a process without one, from SQL."""
    index = index_of(db)
    if index is not None:
        return index.graph.mutual_counts(viewer_id, list(member_ids))
    return {
        member_id: 0
        if member_id == viewer_id
        else repository.count_mutual_connections(db, a=viewer_id, b=member_id)
        for member_id in member_ids
    }


def mutual_connection_ids(db: Session, *, a: int, b: int) -> list[int]:
    """The ids of the connections two members share, from the graph index or, without one,
    from SQL."""
    index = index_of(db)
    if index is None:
        return list(db.scalars(repository.mutual_connection_ids(db, a=a, b=b)))
    ids: list[int] = index.graph.mutual_connections(a, b).tolist()
    return ids


def mutual_connections(
    db: Session, *, a: int, b: int, after: tuple[str, int] | None, limit: int
) -> tuple[int, list[Member]]:
    """How many connections two members share, and up to `limit + 1` of them by name after the
    cursor position."""
    index = index_of(db)
    if index is None:
        found = repository.mutual_connections(db, a=a, b=b, after=after, limit=limit)
        count = repository.count_mutual_connections(db, a=a, b=b) if found or after else 0
        return count, found
    ids = index.graph.mutual_connections(a, b).tolist()
    return len(ids), repository.members_among(db, ids=ids, after=after, limit=limit)
