"""The live graph: an immutable snapshot plus a small patch of the members changed since it was
built, folded into a new snapshot by `compact`. Queries run as compiled kernels (`kernels.py`)
over the arrays; a change only edits the overlay, and the patch is rebuilt at the next read."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vinculo.graph import kernels
from vinculo.graph.kernels import GraphArrays, PlainGraph, readonly
from vinculo.graph.snapshot import IdArray, Snapshot
from vinculo.graph.workspace import Workspace

MAX_PATH = 6
# Fold the patch into a new snapshot once this many members have changed connections.
COMPACT_AFTER = 5_000


@dataclass(frozen=True)
class GraphStats:
    members: int  # ids with at least one connection
    connections: int
    max_connections: int
    mean_connections: float
    overlay_changes: int
    index_bytes: int


# A kernel's degree (-1 for none) as the index answers it; -1 indexes the last entry.
_BADGE: tuple[int | None, ...] = (0, 1, 2, 3, None)


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


class GraphIndex:
    """The connections of the whole community, answering degrees (0 to 3, or None beyond), mutual
    connections, the 2nd-degree network and paths. Safe to share between threads: changes and the
    searches' workspace are guarded by one lock; a read takes the current arrays without it."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshot = _for_kernels(snapshot or Snapshot.empty())
        self._added: dict[int, set[int]] = {}
        self._removed: dict[int, set[int]] = {}
        self._changes = 0
        self._version = 0
        self._lock = threading.Lock()
        self._graph: GraphArrays | None = None
        self._plain: PlainGraph | None = None  # the same arrays, as the kernels are handed them
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
        return self._version

    def connect(self, a: int, b: int) -> None:
        if a == b:
            return
        with self._lock:
            for x, y in ((a, b), (b, a)):
                self._removed.get(x, set()).discard(y)
                if not self._in_snapshot(x, y):
                    self._added.setdefault(x, set()).add(y)
            self._changed()

    def disconnect(self, a: int, b: int) -> None:
        with self._lock:
            for x, y in ((a, b), (b, a)):
                self._added.get(x, set()).discard(y)
                if self._in_snapshot(x, y):
                    self._removed.setdefault(x, set()).add(y)
            self._changed()

    def compact(self) -> None:
        """Fold the overlay into a new snapshot."""
        with self._lock:
            low, high = self._pairs()
            self._snapshot = _for_kernels(Snapshot.from_pairs(low, high, size=self._size()))
            self._added.clear()
            self._removed.clear()
            self._changes = 0
            self._changed()

    def _changed(self) -> None:
        self._changes += 1
        self._version += 1
        self._graph = self._plain = None

    def _in_snapshot(self, a: int, b: int) -> bool:
        return bool(kernels.contains(self._snapshot.neighbours(a), b))

    def _size(self) -> int:
        """One past the highest member id the index knows."""
        top = self._snapshot.size
        for member, others in self._added.items():
            top = max(top, member + 1, max(others, default=-1) + 1)
        return top

    def _pairs(self) -> tuple[IdArray, IdArray]:
        low, high = self._snapshot.pairs()
        if self._removed:
            gone = {(x, y) for x, ys in self._removed.items() for y in ys if x < y}
            keep = np.fromiter(
                ((int(x), int(y)) not in gone for x, y in zip(low, high, strict=True)),
                dtype=bool,
                count=len(low),
            )
            low, high = low[keep], high[keep]
        extra = [(x, y) for x, ys in self._added.items() for y in ys if x < y]
        if extra:
            low = np.concatenate((low, np.array([x for x, _ in extra], dtype=np.int32)))
            high = np.concatenate((high, np.array([y for _, y in extra], dtype=np.int32)))
        return low, high

    def pairs(self) -> tuple[IdArray, IdArray]:
        """Every connection once, as two arrays of member ids (the lower id first in the
        snapshot's part; either order for changes since)."""
        with self._lock:
            return self._pairs()

    def _arrays(self) -> PlainGraph:
        """The current arrays as the index hands them to its kernels."""
        plain = self._plain
        if plain is not None:
            return plain
        with self._lock:
            return self._current().plain()

    def _current(self) -> GraphArrays:
        """The arrays the kernels read: the snapshot and the patch of changed members. Under the
        lock."""
        graph = self._graph
        if graph is None:
            if len(self._added.keys() | self._removed.keys()) > COMPACT_AFTER:
                low, high = self._pairs()
                self._snapshot = _for_kernels(Snapshot.from_pairs(low, high, size=self._size()))
                self._added.clear()
                self._removed.clear()
                self._changes = 0
            graph = self._patched()
            if self._workspace.size < graph.size:
                self._workspace = _Searches(graph.size)
            self._graph = graph
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

    def _patched(self) -> GraphArrays:
        snapshot = self._snapshot
        size = self._size()
        patch = np.full(size, -1, np.int32)
        rows: list[IdArray] = []
        for member in sorted(self._added.keys() | self._removed.keys()):
            current = snapshot.neighbours(member)
            removed = self._removed.get(member)
            added = self._added.get(member)
            if removed:
                current = current[~np.isin(current, np.fromiter(removed, dtype=np.int32))]
            if added:
                current = np.union1d(current, np.fromiter(added, dtype=np.int32))
            patch[member] = len(rows)
            rows.append(current.astype(np.int32))
        patch_offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum([len(r) for r in rows], out=patch_offsets[1:])
        patch_targets = np.concatenate(rows) if rows else np.empty(0, np.int32)
        return GraphArrays(
            offsets=snapshot.offsets,
            targets=snapshot.targets,
            patch=readonly(patch, np.int32),
            patch_offsets=readonly(patch_offsets, np.int64),
            patch_targets=readonly(patch_targets, np.int32),
        )

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
        snapshot = self._snapshot
        counts = np.diff(snapshot.offsets)
        overlay = sum(len(v) for v in self._added.values()) - sum(
            len(v) for v in self._removed.values()
        )
        connections = snapshot.connections + overlay // 2
        members = int(np.count_nonzero(counts))
        return GraphStats(
            members=members,
            connections=connections,
            max_connections=int(counts.max()) if len(counts) else 0,
            mean_connections=2 * connections / members if members else 0.0,
            overlay_changes=self._changes,
            index_bytes=snapshot.nbytes,
        )


def _for_kernels(snapshot: Snapshot) -> Snapshot:
    """The snapshot with read-only arrays of the kernels' dtypes: every graph reaches the
    compiled kernels with one signature."""
    return Snapshot(
        offsets=readonly(snapshot.offsets, np.int64), targets=readonly(snapshot.targets, np.int32)
    )
