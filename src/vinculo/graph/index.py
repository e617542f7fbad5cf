"""The live graph: an immutable snapshot plus a small overlay of recent additions and removals,
folded into a new snapshot by `compact`. Reads never block on writes for long: a change takes a
lock only to edit the overlay, and cached answers are dropped when the version moves."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vinculo.graph.snapshot import EMPTY, IdArray, Snapshot

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
        self._second: OrderedDict[int, tuple[int, IdArray]] = OrderedDict()

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

    def second_degree(self, member: int) -> IdArray:
        """Members two steps away (connections of connections, not connections themselves),
        sorted; cached per member until the graph changes."""
        version = self._version
        cached = self._second.get(member)
        if cached is not None and cached[0] == version:
            self._second.move_to_end(member)
            return cached[1]
        first = self.neighbours(member)
        if len(first) == 0:
            found = EMPTY
        else:
            reach = np.unique(np.concatenate([self.neighbours(int(x)) for x in first]))
            found = np.setdiff1d(reach, first, assume_unique=True)
            found = found[found != member].astype(np.int32)
        with self._lock:
            if self._version == version:
                self._second[member] = (version, found)
                if len(self._second) > SECOND_DEGREE_CACHE:
                    self._second.popitem(last=False)
        return found

    def degree(self, a: int, b: int) -> int | None:
        return self.degrees(a, [b])[b]

    def degrees(self, viewer: int, members: Sequence[int]) -> dict[int, int | None]:
        """The degree from the viewer to each member: 0, 1, 2, 3, or None beyond."""
        first = self.neighbours(viewer)
        second: IdArray | None = None
        found: dict[int, int | None] = {}
        for member in members:
            if member == viewer:
                found[member] = 0
                continue
            at = int(np.searchsorted(first, member))
            if at < len(first) and int(first[at]) == member:
                found[member] = 1
                continue
            if second is None:
                second = self.second_degree(viewer)
            at = int(np.searchsorted(second, member))
            if at < len(second) and int(second[at]) == member:
                found[member] = 2
            elif len(np.intersect1d(self.neighbours(member), second, assume_unique=True)):
                found[member] = 3
            else:
                found[member] = None
        return found

    def shortest_path(self, a: int, b: int, *, max_length: int = MAX_PATH) -> list[int] | None:
        """One shortest path from a to b of at most `max_length` steps, or None. Among paths of
        equal length it returns the same one every time: each member is reached first from its
        lowest-id predecessor."""
        if a == b:
            return [a]
        parents: dict[int, int] = {a: a}
        frontier = [a]
        for _ in range(max_length):
            reached: list[int] = []
            for member in frontier:
                for neighbour in self.neighbours(member).tolist():
                    if neighbour not in parents:
                        parents[neighbour] = member
                        reached.append(neighbour)
                        if neighbour == b:
                            return _walk_back(parents, a, b)
            if not reached:
                return None
            frontier = sorted(reached)
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


def _walk_back(parents: dict[int, int], a: int, b: int) -> list[int]:
    path = deque([b])
    while path[0] != a:
        path.appendleft(parents[path[0]])
    return list(path)
