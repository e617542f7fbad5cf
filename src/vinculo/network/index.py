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
from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database, ServiceSlot, on_commit
from vinculo.graph import GraphIndex, Snapshot
from vinculo.network import repository
from vinculo.network.repository import CHANGES_CHANNEL

log = logging.getLogger(__name__)

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
            last = repository.last_change_id(db)
            recent = repository.change_ids_since(db, since=clock.now() - RECENT)
            lows: list[np.ndarray] = []
            highs: list[np.ndarray] = []
            loaded = 0
            for low, high in repository.connection_pairs(db):
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
            changes = repository.changes_after(db, change_id=floor)
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
                    connection.execute(f"LISTEN {CHANGES_CHANNEL}")
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


# The process's graph index, once `vinculo serve` (or a command) has built one.
GRAPH_INDEX: ServiceSlot[NetworkIndex] = ServiceSlot("graph index")


def index_of(db: Session) -> NetworkIndex | None:
    """The graph index of the process serving this unit of work, when it has one ready."""
    index = GRAPH_INDEX.of(db)
    return index if index is not None and index.ready else None


_CHANGED_KEY = "vinculo_connections_changed"


def apply_after_commit(db: Session) -> None:
    """This unit of work changed connections: once it commits, this process's graph index
    applies the changes at once (the member who made them sees them in the very next answer;
    other processes follow the log). Until then, its own reads of degrees and mutual connections
    come from SQL, which sees its writes."""
    if db.info.get(_CHANGED_KEY):
        return
    db.info[_CHANGED_KEY] = True
    index = index_of(db)
    if index is not None:
        on_commit(db, index.catch_up)


def graph_for_reading(db: Session) -> GraphIndex | None:
    """The graph to read degrees and mutual connections from: the process's index, unless it has
    none or this unit of work changed connections it does not know of yet (then SQL answers)."""
    index = index_of(db)
    if index is None or db.info.get(_CHANGED_KEY):
        return None
    return index.graph
