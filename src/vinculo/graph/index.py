"""The live graph: an immutable snapshot plus a small overlay of recent additions and removals,
folded into a new snapshot by `compact`. Reads never block on writes for long: a change takes a
lock only to edit the overlay, and cached answers are dropped when the version moves."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vinculo.graph.snapshot import IdArray, Snapshot

MAX_PATH = 6
SECOND_DEGREE_CACHE = 256


@dataclass(frozen=True)
class GraphStats:
    members: int  # ids with at least one connection
    connections: int
    max_connections: int
    mean_connections: float
    overlay_changes: int
    index_bytes: int


class GraphIndex:
    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshot = snapshot or Snapshot.empty()
        self._added: dict[int, set[int]] = {}
        self._removed: dict[int, set[int]] = {}
        self._changes = 0
        self._version = 0
        self._lock = threading.RLock()
        self._second: OrderedDict[int, tuple[int, IdArray, npt.NDArray[np.bool_]]] = OrderedDict()

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
            self._snapshot = Snapshot.from_pairs(low, high, size=self._snapshot.size)
            self._added.clear()
            self._removed.clear()
            self._changes = 0
            self._changed()

    def _changed(self) -> None:
        self._changes += 1
        self._version += 1
        self._second.clear()

    def _in_snapshot(self, a: int, b: int) -> bool:
        row = self._snapshot.neighbours(a)
        at = int(np.searchsorted(row, b))
        return at < len(row) and int(row[at]) == b

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

    # Reads

    def neighbours(self, member: int) -> IdArray:
        """A member's connections, sorted ascending."""
        row = self._snapshot.neighbours(member)
        removed = self._removed.get(member)
        added = self._added.get(member)
        if removed:
            row = row[~np.isin(row, np.fromiter(removed, dtype=np.int32))]
        if added:
            row = np.union1d(row, np.fromiter(added, dtype=np.int32)).astype(np.int32)
        return row

    def connected(self, a: int, b: int) -> bool:
        row = self.neighbours(a)
        at = int(np.searchsorted(row, b))
        return at < len(row) and int(row[at]) == b

    def connection_count(self, member: int) -> int:
        return len(self.neighbours(member))

    def mutual_connections(self, a: int, b: int) -> IdArray:
        return np.intersect1d(self.neighbours(a), self.neighbours(b), assume_unique=True).astype(
            np.int32
        )

    def mutual_count(self, a: int, b: int) -> int:
        return len(self.mutual_connections(a, b))

    def _size(self) -> int:
        """One past the highest member id the index knows."""
        top = self._snapshot.size
        for member, others in self._added.items():
            if others:
                top = max(top, member + 1, max(others) + 1)
        return top

    def _gather(self, members: IdArray) -> tuple[IdArray, IdArray]:
        """The connections of many members at once: (whose, which) arrays, grouped by member in
        the order given, each group sorted."""
        snapshot = self._snapshot
        touched = self._added.keys() | self._removed.keys()
        in_snapshot = members[members < snapshot.size]
        if touched:
            changed = np.isin(members, np.fromiter(touched, dtype=np.int32))
            plain = members[~changed & (members < snapshot.size)]
        else:
            changed = None
            plain = in_snapshot
        starts = snapshot.offsets[plain]
        lengths = snapshot.offsets[plain + 1] - starts
        total = int(lengths.sum())
        whose = np.repeat(plain, lengths)
        positions = np.arange(total, dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        which = snapshot.targets[positions + np.repeat(starts, lengths)]
        if changed is not None and changed.any():
            extra = [(int(m), self.neighbours(int(m))) for m in members[changed]]
            whose = np.concatenate([whose, *(np.full(len(row), m, np.int32) for m, row in extra)])
            which = np.concatenate([which, *(row for _, row in extra)])
        return whose.astype(np.int32), which.astype(np.int32)

    def _second_mask(self, member: int) -> tuple[IdArray, npt.NDArray[np.bool_]]:
        """The member's 2nd-degree members, sorted, and the same as a mask over all ids; cached
        per member until the graph changes (as LinkedIn's network cache keeps each member's
        2nd-degree set)."""
        version = self._version
        cached = self._second.get(member)
        if cached is not None and cached[0] == version:
            self._second.move_to_end(member)
            return cached[1], cached[2]
        size = self._size()
        first = self.neighbours(member)
        mask = np.zeros(size, dtype=bool)
        if len(first):
            _, reached = self._gather(first)
            mask[reached] = True
            mask[first] = False
            if member < size:
                mask[member] = False
        found = np.flatnonzero(mask).astype(np.int32)
        with self._lock:
            if self._version == version:
                self._second[member] = (version, found, mask)
                if len(self._second) > SECOND_DEGREE_CACHE:
                    self._second.popitem(last=False)
        return found, mask

    def second_degree(self, member: int) -> IdArray:
        """Members two steps away (connections of connections, not connections themselves),
        sorted."""
        return self._second_mask(member)[0]

    def second_degree_count(self, member: int) -> int:
        return len(self._second_mask(member)[0])

    def degree(self, a: int, b: int) -> int | None:
        return self.degrees(a, [b])[b]

    def degrees(self, viewer: int, members: Sequence[int]) -> dict[int, int | None]:
        """The degree from the viewer to each member: 0, 1, 2, 3, or None beyond."""
        first = self.neighbours(viewer)
        second_mask: npt.NDArray[np.bool_] | None = None
        found: dict[int, int | None] = {}
        for member in members:
            if member == viewer:
                found[member] = 0
                continue
            at = int(np.searchsorted(first, member))
            if at < len(first) and int(first[at]) == member:
                found[member] = 1
                continue
            if second_mask is None:
                second_mask = self._second_mask(viewer)[1]
            if 0 <= member < len(second_mask) and second_mask[member]:
                found[member] = 2
                continue
            theirs = self.neighbours(member)
            theirs = theirs[theirs < len(second_mask)]
            found[member] = 3 if bool(second_mask[theirs].any()) else None
        return found

    def shortest_path(self, a: int, b: int, *, max_length: int = MAX_PATH) -> list[int] | None:
        """One shortest path from a to b of at most `max_length` steps, or None.

        A bidirectional breadth-first search, each step expanding the smaller frontier as whole
        arrays. The same question gets the same path every time: a member is reached from its
        lowest-id predecessor, and of several meeting points the lowest id is taken."""
        if a == b:
            return [a]
        size = max(self._size(), a + 1, b + 1)
        # Distance from each end (-1: not reached) and the predecessor towards that end.
        distance = (np.full(size, -1, np.int8), np.full(size, -1, np.int8))
        parent = (np.full(size, -1, np.int32), np.full(size, -1, np.int32))
        frontier = [np.array([a], np.int32), np.array([b], np.int32)]
        distance[0][a] = 0
        distance[1][b] = 0
        depth = [0, 0]
        while depth[0] + depth[1] < max_length:
            side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
            if len(frontier[side]) == 0:
                return None
            whose, which = self._gather(frontier[side])
            fresh = distance[side][which] < 0
            whose, which = whose[fresh], which[fresh]
            # Frontiers are sorted, so a member's first appearance has its lowest predecessor.
            reached, first_seen = np.unique(which, return_index=True)
            depth[side] += 1
            distance[side][reached] = depth[side]
            parent[side][reached] = whose[first_seen]
            frontier[side] = reached.astype(np.int32)
            meeting = reached[distance[1 - side][reached] >= 0]
            if len(meeting):
                other = distance[1 - side][meeting]
                middle = int(meeting[np.lexsort((meeting, other))[0]])
                return _join(parent, middle, a, b)
        return None

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


def _join(parent: tuple[IdArray, IdArray], middle: int, a: int, b: int) -> list[int]:
    """The path a … middle … b from the two searches' predecessors."""
    path = deque([middle])
    while path[0] != a:
        path.appendleft(int(parent[0][path[0]]))
    while path[-1] != b:
        path.append(int(parent[1][path[-1]]))
    return list(path)
