"""The live graph: an immutable snapshot plus an overlay of the changes since it was built, and the
one policy for when the overlay is folded into a new snapshot. Queries run as compiled kernels
(`kernels.py`) over the arrays; a change only edits the overlay, and the next read adds rows to
the patch for the members changed since the read before."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vinculo.graph import kernels
from vinculo.graph.kernels import GraphArrays, PlainGraph, readonly
from vinculo.graph.snapshot import EMPTY, IdArray, Snapshot
from vinculo.graph.workspace import Workspace

MAX_PATH = 6
# When the overlay is folded into a new snapshot: as soon as a change leaves more than
# COMPACT_MEMBERS members whose connections differ from the snapshot's, or more than
# COMPACT_CONNECTIONS connections added or removed since it was built. Folding copies every row
# once (milliseconds on Cornell5's 790,000 connections); short of these bounds the overlay's sets,
# the patch and the copy of it a read after a change makes all stay small. The index alone
# decides; `compact` folds at once for a caller that has a reason to.
COMPACT_MEMBERS = 5_000
COMPACT_CONNECTIONS = 50_000


@dataclass(frozen=True)
class GraphStats:
    members: int  # ids with at least one connection in the snapshot
    connections: int
    max_connections: int  # in the snapshot
    mean_connections: float
    overlay_changes: int  # changes applied since the last fold
    index_bytes: int  # the snapshot's arrays


# A kernel's degree (-1 for none) as the index answers it; -1 indexes the last entry.
_BADGE: tuple[int | None, ...] = (0, 1, 2, 3, None)
_NO_ROWS = np.zeros(1, np.int64)


class _Searches(Workspace):
    """The arrays the index's searches mark and fill, shared by its queries under its lock."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.stamp = self.marks()
        self.side = self.scratch(np.int8)
        self.level = self.scratch(np.int8)
        self.parent = self.scratch(np.int32)
        self.tally = self.scratch(np.int32)
        self.queue = self.scratch(np.int32)
        self.path = self.scratch(np.int32, MAX_PATH + 2)


@dataclass
class _Changes:
    """How one member's connections differ from the snapshot's."""

    added: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)


class GraphIndex:
    """The connections of the whole community, answering degrees (0 to 3, or None beyond), mutual
    connections, the 2nd-degree network and paths. Safe to share between threads: changes and the
    searches' workspace are guarded by one lock; a read takes the current arrays without it."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshot = _for_kernels(snapshot or Snapshot.empty())
        self._overlay: dict[int, _Changes] = {}
        self._overlay_entries = 0  # in the overlay's sets: each changed connection twice
        self._changes = 0
        self._version = 0
        self._top = self._snapshot.size  # one past the highest member id known
        self._lock = threading.Lock()
        self._patched = _unpatched(self._snapshot)  # the arrays last built
        self._dirty: set[int] = set()  # members whose overlay changed since they were built
        self._stale = 0  # ids in rows of the patch that no member points to any more
        self._graph: GraphArrays | None = self._patched  # None while a change is not built yet
        self._plain: PlainGraph | None = self._patched.plain()  # the same, for the kernels
        self._workspace = _Searches(self._snapshot.size)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> GraphIndex:
        listed = list(pairs)
        a = np.fromiter((p[0] for p in listed), dtype=np.int64, count=len(listed))
        b = np.fromiter((p[1] for p in listed), dtype=np.int64, count=len(listed))
        return cls(Snapshot.from_pairs(a, b))

    # Changes

    @property
    def version(self) -> int:
        """A number that moves whenever the connections may have changed."""
        return self._version

    def connect(self, a: int, b: int) -> None:
        a, b = _member(a), _member(b)
        if a == b:
            return
        with self._lock:
            for x, y in ((a, b), (b, a)):
                if self._in_snapshot(x, y):
                    self._forget(x, y, added=False)
                else:
                    self._record(x, y, added=True)
            self._top = max(self._top, a + 1, b + 1)
            self._changed()

    def disconnect(self, a: int, b: int) -> None:
        a, b = _member(a), _member(b)
        with self._lock:
            for x, y in ((a, b), (b, a)):
                if self._in_snapshot(x, y):
                    self._record(x, y, added=False)
                else:
                    self._forget(x, y, added=True)
            self._changed()

    def compact(self) -> None:
        """Fold the overlay into a new snapshot now. The index does it on its own when the
        overlay grows past `COMPACT_MEMBERS` or `COMPACT_CONNECTIONS`; nobody needs to call this
        to keep it small."""
        with self._lock:
            self._fold()
            self._version += 1

    def snapshot(self) -> Snapshot:
        """The whole graph as one snapshot (the overlay folded in first, when there is one)."""
        with self._lock:
            if self._overlay:
                self._fold()
                self._version += 1
            return self._snapshot

    def _record(self, member: int, other: int, *, added: bool) -> None:
        """Note `other` as added to, or removed from, the member's snapshot row."""
        changes = self._overlay.setdefault(member, _Changes())
        noted = changes.added if added else changes.removed
        if other not in noted:
            noted.add(other)
            self._overlay_entries += 1
            self._dirty.add(member)

    def _forget(self, member: int, other: int, *, added: bool) -> None:
        """Take back a noted addition (or removal) of `other` to the member's row, if noted."""
        changes = self._overlay.get(member)
        if changes is None:
            return
        noted = changes.added if added else changes.removed
        if other not in noted:
            return
        noted.discard(other)
        self._overlay_entries -= 1
        self._dirty.add(member)
        if not changes.added and not changes.removed:
            del self._overlay[member]

    def _changed(self) -> None:
        self._changes += 1
        self._version += 1
        if self._dirty or self._top > self._patched.size:
            self._graph = self._plain = None
        if len(self._overlay) > COMPACT_MEMBERS or self._overlay_entries > 2 * COMPACT_CONNECTIONS:
            self._fold()

    def _fold(self) -> None:
        """Make the current graph the snapshot, with an empty overlay. Under the lock."""
        offsets, targets = kernels.fold(self._current().plain())
        self._snapshot = _for_kernels(Snapshot(offsets=offsets, targets=targets))
        self._overlay.clear()
        self._overlay_entries = 0
        self._changes = 0
        self._patched = _unpatched(self._snapshot)
        self._dirty.clear()
        self._stale = 0
        self._graph = self._patched
        self._plain = self._patched.plain()

    def _in_snapshot(self, a: int, b: int) -> bool:
        return bool(kernels.contains(self._snapshot.neighbours(a), b))

    def pairs(self) -> tuple[IdArray, IdArray]:
        """Every connection once, as two arrays of member ids, the lower id first."""
        offsets, targets = kernels.fold(self._arrays())
        return Snapshot(offsets=offsets, targets=targets).pairs()

    # The arrays

    def _arrays(self) -> PlainGraph:
        """The current arrays as the index hands them to its kernels."""
        plain = self._plain
        if plain is not None:
            return plain
        with self._lock:
            return self._current().plain()

    def _current(self) -> GraphArrays:
        """The arrays of the graph as it is now, built if a change is not yet. Under the lock."""
        graph = self._graph
        if graph is None:
            graph = self._repatched()
            if self._workspace.size < graph.size:
                self._workspace = _Searches(graph.size)
            self._patched = self._graph = graph
            self._plain = graph.plain()
        return graph

    def arrays(self) -> GraphArrays:
        """The arrays the compiled kernels read, for the kernels of other pure packages. They are
        never written in place: a later change makes new ones, so a caller reads one consistent
        graph without holding the index's lock."""
        graph = self._graph
        if graph is not None:
            return graph
        with self._lock:
            return self._current()

    def _repatched(self) -> GraphArrays:
        """The last arrays with a new row appended to the patch for each member changed since;
        the rows those members had go stale. Once stale rows outweigh live ones, the patch is
        built again from the overlay alone."""
        old = self._patched
        patch = np.full(self._top, -1, np.int32)
        patch[: old.size] = old.patch
        offsets, targets = old.patch_offsets, old.patch_targets
        dirty = sorted(self._dirty)
        stale = self._stale + sum(
            int(offsets[at + 1] - offsets[at]) for at in patch[dirty].tolist() if at >= 0
        )
        if 2 * stale > len(targets):
            redone = sorted(self._overlay)
            rows = [
                self._row(member) if member in self._dirty else _row_of(old, member)
                for member in redone
            ]
            patch[:] = -1
            offsets, targets, stale = _NO_ROWS, EMPTY, 0
        else:
            patch[dirty] = -1
            redone = [member for member in dirty if member in self._overlay]
            rows = [self._row(member) for member in redone]
        first = len(offsets) - 1
        patch[redone] = np.arange(first, first + len(redone), dtype=np.int32)
        lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
        self._dirty.clear()
        self._stale = stale
        return GraphArrays(
            offsets=self._snapshot.offsets,
            targets=self._snapshot.targets,
            patch=readonly(patch, np.int32),
            patch_offsets=readonly(
                np.concatenate((offsets, offsets[-1] + np.cumsum(lengths))), np.int64
            ),
            patch_targets=readonly(np.concatenate((targets, *rows)), np.int32),
        )

    def _row(self, member: int) -> IdArray:
        """The member's connections: the snapshot's row with the overlay applied."""
        current = self._snapshot.neighbours(member)
        changes = self._overlay[member]
        if changes.removed:
            gone = np.fromiter(changes.removed, np.int32, len(changes.removed))
            current = current[~np.isin(current, gone)]
        if changes.added:
            current = np.union1d(current, np.fromiter(changes.added, np.int32, len(changes.added)))
        return current

    # Reads

    def neighbours(self, member: int) -> IdArray:
        """A member's connections, sorted ascending (read-only)."""
        result: IdArray = kernels.row(self._arrays(), int(member))
        return result

    def connected(self, a: int, b: int) -> bool:
        return bool(kernels.connected(self._arrays(), int(a), int(b)))

    def mutual_connections(self, a: int, b: int) -> IdArray:
        a, b = int(a), int(b)
        graph = self._arrays()
        if a == b:
            return np.array(kernels.row(graph, a), np.int32)
        with self._lock:
            out = self._workspace.queue
            return out[: kernels.mutual(graph, a, b, out)].copy()

    def mutual_count(self, a: int, b: int) -> int:
        return len(self.mutual_connections(a, b))

    def mutual_counts(self, viewer: int, members: Sequence[int]) -> dict[int, int]:
        """How many connections the viewer shares with each member, for a whole list at once."""
        viewer = int(viewer)
        wanted = np.array(members, dtype=np.int64)
        out = np.zeros(len(wanted), np.int32)
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if 0 <= viewer < work.size and len(wanted):
                kernels.mutual_counts(graph, viewer, wanted, out, work.stamp, work.next_epoch())
        return dict(zip(members, out.tolist(), strict=True))

    def second_degree(self, member: int) -> IdArray:
        """Members two steps away (connections of connections, not connections), sorted."""
        member = int(member)
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if not 0 <= member < work.size:
                return np.empty(0, np.int32)
            count = kernels.second_degree(
                graph, member, work.stamp, work.level, work.queue, work.next_epoch()
            )
            return np.sort(work.queue[:count])

    def second_degree_count(self, member: int) -> int:
        member = int(member)
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if not 0 <= member < work.size:
                return 0
            return int(
                kernels.second_degree(
                    graph, member, work.stamp, work.level, work.queue, work.next_epoch()
                )
            )

    def second_degree_ranked(self, member: int) -> tuple[IdArray, IdArray]:
        """Members two steps away with how many connections each shares with `member`: the ids
        and the counts, most shared first and by id among equals."""
        member = int(member)
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if not 0 <= member < work.size:
                return np.empty(0, np.int32), np.empty(0, np.int32)
            count = kernels.second_degree_mutuals(
                graph, member, work.stamp, work.tally, work.queue, work.next_epoch()
            )
            ids = work.queue[:count].copy()
            shared = work.tally[ids]
        order = np.lexsort((ids, -shared))
        return ids[order], shared[order]

    def degree(self, a: int, b: int) -> int | None:
        """The degree between two members: 0 for the same member, 1 to 3, or None beyond. The
        search stops at its first hit (`kernels.pair_degree`)."""
        a, b = int(a), int(b)
        if a == b:
            return 0
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if not (0 <= a < work.size and 0 <= b < work.size):
                return None
            found = int(kernels.pair_degree(graph, a, b, work.stamp, work.next_epoch()))
        return None if found < 0 else found

    def degrees(self, viewer: int, members: Sequence[int]) -> dict[int, int | None]:
        """The degree from the viewer to each member: 0, 1, 2, 3, or None beyond."""
        if len(members) <= 2:
            return {member: self.degree(viewer, member) for member in members}
        viewer = int(viewer)
        wanted = np.array(members, dtype=np.int64)  # ids out of range are the kernel's to skip
        graph = self._arrays()
        out = np.empty(len(wanted), np.int8)
        with self._lock:
            work = self._workspace
            if not 0 <= viewer < work.size:
                return {member: 0 if member == viewer else None for member in members}
            kernels.badges(graph, viewer, wanted, out, work.stamp, work.next_epoch(3))
        return dict(zip(members, map(_BADGE.__getitem__, out.tolist()), strict=True))

    def shortest_path(self, a: int, b: int, *, max_length: int = MAX_PATH) -> list[int] | None:
        """One shortest path from a to b of at most `max_length` steps, or None; the same
        question on the same graph gets the same path."""
        a, b = int(a), int(b)
        if a == b:
            return [a]
        graph = self._arrays()
        with self._lock:
            work = self._workspace
            if not (0 <= a < work.size and 0 <= b < work.size):
                return None
            # Most pairs on a real network are a few steps apart: a look that stops at the
            # first hit answers them, and only longer paths need the full search.
            length = kernels.short_path(graph, a, b, work.stamp, work.next_epoch(), work.path)
            if length >= 0:
                return None if length > max_length else work.path[: length + 1].tolist()
            if max_length <= 3:
                return None
            length = kernels.shortest_path(
                graph,
                a,
                b,
                min(int(max_length), MAX_PATH),
                work.stamp,
                work.side,
                work.level,
                work.parent,
                work.queue,
                work.path,
                work.next_epoch(),
            )
            return None if length < 0 else work.path[: length + 1].tolist()

    def stats(self) -> GraphStats:
        with self._lock:
            snapshot = self._snapshot
            added = sum(len(changes.added) for changes in self._overlay.values())
            removed = sum(len(changes.removed) for changes in self._overlay.values())
            changes = self._changes
        counts = np.diff(snapshot.offsets)
        connections = snapshot.connections + (added - removed) // 2
        members = int(np.count_nonzero(counts))
        return GraphStats(
            members=members,
            connections=connections,
            max_connections=int(counts.max()) if len(counts) else 0,
            mean_connections=2 * connections / members if members else 0.0,
            overlay_changes=changes,
            index_bytes=snapshot.nbytes,
        )


def _member(member: int) -> int:
    if member < 0:
        raise ValueError("member ids must not be negative")
    return int(member)


def _for_kernels(snapshot: Snapshot) -> Snapshot:
    """The snapshot with read-only arrays of the kernels' dtypes: every graph reaches the
    compiled kernels with the one signature `warm_up` compiles."""
    return Snapshot(
        offsets=readonly(snapshot.offsets, np.int64), targets=readonly(snapshot.targets, np.int32)
    )


def _unpatched(snapshot: Snapshot) -> GraphArrays:
    return GraphArrays(
        offsets=snapshot.offsets,
        targets=snapshot.targets,
        patch=readonly(np.full(snapshot.size, -1, np.int32), np.int32),
        patch_offsets=readonly(_NO_ROWS, np.int64),
        patch_targets=EMPTY,
    )


def _row_of(graph: GraphArrays, member: int) -> IdArray:
    """The member's row in the patch of `graph` (which has one for it)."""
    at = int(graph.patch[member])
    return graph.patch_targets[graph.patch_offsets[at] : graph.patch_offsets[at + 1]]


def warm_up() -> None:
    """Compile every kernel the index calls, or load it from numba's cache, with the signatures
    serving uses, by asking every query once of a tiny graph with a patch. For start-up: the
    first call in a fresh clone compiles for seconds, which no request should wait for."""
    index = GraphIndex.from_pairs([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (0, 8)])
    index.connect(8, 9)
    index.disconnect(0, 1)
    index.connect(10, 11)  # members who joined after the snapshot
    for _ in range(2):  # on the patched arrays, then on the folded ones
        index.neighbours(1)
        index.connected(1, 2)
        index.mutual_connections(1, 3)
        index.mutual_connections(2, 2)
        index.mutual_counts(2, [1, 3, 4])
        index.second_degree(2)
        index.second_degree_count(2)
        index.second_degree_ranked(2)
        index.degree(1, 3)
        index.degrees(1, [1, 2, 3, 4, 5, 7, 11])
        index.shortest_path(1, 3)
        index.shortest_path(1, 7)  # six steps: past the short look, the full search
        index.pairs()
        index.compact()
