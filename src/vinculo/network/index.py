"""The network's in-memory graph index, built from the database at start-up and kept in step with
it through the connection change log.

A process that changes a connection applies the change as soon as its transaction commits (the
member sees it at once); every process also catches up with the log: by polling on SQLite, and on
PostgreSQL when LISTEN/NOTIFY says something changed (with a slower poll as a safety net), always
from where it stands in the log, so a lost connection or a missed notification loses nothing.

Where a process stands (ADR 0009): on SQLite, the last change id it applied, since writers take
turns and ids are given in the order they commit. On PostgreSQL, writers commit in any order, so
a change with a smaller id can appear after a larger one (a transaction held open for minutes):
a process stands at a transaction, the oldest one still running when it last read the log; every
change of an older transaction is applied, and each read takes the changes of that transaction
and younger ones, skipping those it applied already. A change is never skipped, however late it
commits, and no wait is guessed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from vinculo.db import Database, ServiceSlot, on_commit, unbounded_statements
from vinculo.graph import GraphIndex, Snapshot
from vinculo.network import repository
from vinculo.network.repository import CHANGES_CHANNEL

log = logging.getLogger(__name__)


class NetworkIndex:
    """One process's graph index and where it stands in the change log."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.graph = GraphIndex()
        # Where the process stands: the last change id applied (SQLite), or the transaction
        # whose changes and younger ones are read next (PostgreSQL), with the ids of those
        # already applied.
        self._position = 0
        self._applied: set[int] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._follower: threading.Thread | None = None
        self.ready = False

    # Loading

    def load(self, *, shared: Path | None = None) -> None:
        """Build the index: from the snapshot the machine's processes share in the folder
        `shared`, when one was saved there for this database (then catch up from where it
        stands), else from the connection table, streaming, in one consistent snapshot."""
        started = time.monotonic()
        found = _saved(shared, self.database) if shared else None
        if found is not None:
            snapshot, position, applied = found
            source = f"the snapshot in {shared}"
        else:
            snapshot, position, applied = _read(self.database)
            source = "the database"
        graph = GraphIndex(snapshot)
        with self._lock:
            self.graph = graph
            self._position, self._applied = position, applied
            self.ready = True
        stats = graph.stats()
        log.info(
            "graph index: %s members, %s connections, %.1f MB, from %s in %.1f s",
            f"{stats.members:,}",
            f"{stats.connections:,}",
            stats.index_bytes / 1e6,
            source,
            time.monotonic() - started,
        )
        self.catch_up()

    def save(self, folder: Path) -> None:
        """Save the index as it was loaded, with where it stands in the log, for the other
        processes of this machine to map rather than read and hold each their own copy (the
        pages of a mapped file are shared). The folder's `current` link changes at once: a
        process loading meanwhile maps either the old snapshot or the new one, whole."""
        with self._lock:
            snapshot, position, applied = self.graph.snapshot(), self._position, self._applied
        folder.mkdir(parents=True, exist_ok=True)
        saved = Path(tempfile.mkdtemp(prefix="graph-", dir=folder))
        np.save(saved / "offsets.npy", snapshot.offsets)
        np.save(saved / "targets.npy", snapshot.targets)
        (saved / "position.json").write_text(
            json.dumps(
                {
                    "database": _identity(self.database),
                    "position": position,
                    "applied": sorted(applied),
                }
            )
        )
        link = folder / f"current-{uuid.uuid4().hex}"
        link.symlink_to(saved.name)
        os.replace(link, folder / "current")

    # Keeping in step

    def catch_up(self) -> int:
        """Apply every change in the log this process has not applied yet; how many it applied."""
        with self._lock:
            position = self._position
        with self.database.unit_of_work(write=False, consistent=True) as db:
            if repository.follows_transactions(db):
                # The horizon and the changes from one snapshot: every change of a transaction
                # older than the horizon is among those read now or before.
                horizon = repository.oldest_running_transaction(db)
                changes = repository.changes_since(db, transaction=position)
            else:
                horizon = None
                changes = repository.changes_after(db, change_id=position)
        applied = 0
        with self._lock:
            for change in changes:
                if change.id in self._applied or (horizon is None and change.id <= self._position):
                    continue
                if change.connected:
                    self.graph.connect(change.low_id, change.high_id)
                else:
                    self.graph.disconnect(change.low_id, change.high_id)
                self._applied.add(change.id)
                applied += 1
            if horizon is None:
                self._position = max([self._position, *(change.id for change in changes)])
                self._applied.clear()
            elif horizon > self._position:
                # Only the changes of the horizon's transaction and younger ones are read again.
                self._position = horizon
                self._applied = {change.id for change in changes if change.xid >= horizon}
        return applied

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
            if not self.database.is_sqlite:
                # The listener waits for a notification: send one rather than wait for its timeout.
                with suppress(Exception), self.database.unit_of_work() as db:
                    repository.wake_listeners(db)
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


def _read(database: Database) -> tuple[Snapshot, int, set[int]]:
    """The connection table as a snapshot, with where the log stands, from one snapshot of the
    database: what the load reads is what the position says was applied."""
    with database.unit_of_work(write=False, consistent=True) as db:
        unbounded_statements(db)
        position, applied = _position_now(db)
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
    return Snapshot.from_pairs(low_all, high_all), position, applied


def _saved(folder: Path, database: Database) -> tuple[Snapshot, int, set[int]] | None:
    """The snapshot saved in `folder` for this database, mapped (read-only, shared), or None."""
    current = folder / "current"
    try:
        saved = current.resolve(strict=True)
        meta = json.loads((saved / "position.json").read_text())
        if meta.get("database") != _identity(database):
            return None
        offsets = np.load(saved / "offsets.npy", mmap_mode="r").view(np.ndarray)
        targets = np.load(saved / "targets.npy", mmap_mode="r").view(np.ndarray)
    except (OSError, ValueError, KeyError):
        return None
    return Snapshot(offsets=offsets, targets=targets), int(meta["position"]), set(meta["applied"])


def _identity(database: Database) -> str:
    """Which database a snapshot belongs to (its URL without the password)."""
    return database.url.render_as_string(hide_password=True)


def _position_now(db: Session) -> tuple[int, set[int]]:
    """Where a reader of the log stands after reading everything the unit of work sees."""
    if not repository.follows_transactions(db):
        return repository.last_change_id(db), set()
    horizon = repository.oldest_running_transaction(db)
    return horizon, {change.id for change in repository.changes_since(db, transaction=horizon)}


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
