"""The compiled inner loops of the graph index (numba): breadth-first searches, intersections and
badges over the compressed adjacency, without Python objects per member.

A graph reaches them as `GraphArrays` (or the plain tuple of its fields, below), read field by
field. Searches mark members in a reusable workspace (`vinculo.graph.workspace`) with an epoch
number instead of clearing arrays between queries.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from numba import njit

UNREACHED = -1

ScalarT = TypeVar("ScalarT", bound=np.generic)


class GraphArrays(NamedTuple):
    """The graph as the compiled kernels read it: member v's connections, sorted ascending, are
    `targets[offsets[v]:offsets[v + 1]]` (the snapshot), unless `patch[v] >= 0`, in which case
    they are row `patch[v]` of the patch, `patch_targets[patch_offsets[r]:patch_offsets[r + 1]]`
    (the members changed since the snapshot was built). Every array is read-only: a change makes
    new arrays, so one `GraphArrays` is one consistent graph."""

    offsets: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int32]
    patch: npt.NDArray[np.int32]  # one entry per member id
    patch_offsets: npt.NDArray[np.int64]
    patch_targets: npt.NDArray[np.int32]

    @property
    def size(self) -> int:
        """One past the highest member id the graph knows: its members are 0 to size - 1."""
        return int(self.patch.shape[0])

    def plain(self) -> PlainGraph:
        """The same arrays as a plain tuple, as `GraphIndex` hands them to the kernels."""
        return (*self,)


# A kernel takes a graph as `GraphArrays` or as the plain tuple of its fields, and names the
# fields again on entry (`named`, free once compiled). numba types a plain tuple in about half a
# microsecond less than a named one, most of what a degree or a mutual connections query costs,
# so `GraphIndex`, which makes such queries by the thousand, hands its own kernels the plain one.
PlainGraph = tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
]
Graph = GraphArrays | PlainGraph


def readonly(array: npt.ArrayLike, dtype: type[ScalarT]) -> npt.NDArray[ScalarT]:
    """`array` as the kernels take it: a read-only, contiguous view of `dtype` (a copy only when
    it is not one already). numba compiles a kernel again for every other dtype, layout or
    writability, so every array that crosses into them goes through here."""
    view: npt.NDArray[ScalarT] = np.ascontiguousarray(array, dtype).view()
    view.setflags(write=False)
    return view


@njit(cache=True, nogil=True)
def named(graph: Graph) -> GraphArrays:  # pragma: no cover - compiled
    """The graph's arrays by name, however they were handed over."""
    return GraphArrays(*graph)


@njit(cache=True, nogil=True)
def row(graph: Graph, member: int) -> Any:  # pragma: no cover - compiled
    graph = named(graph)
    if member < 0 or member >= graph.patch.shape[0]:
        return graph.targets[0:0]
    at = graph.patch[member]
    if at >= 0:
        return graph.patch_targets[graph.patch_offsets[at] : graph.patch_offsets[at + 1]]
    if member >= graph.offsets.shape[0] - 1:
        return graph.targets[0:0]
    return graph.targets[graph.offsets[member] : graph.offsets[member + 1]]


@njit(cache=True, nogil=True)
def contains(sorted_ids: Any, member: int) -> bool:  # pragma: no cover - compiled
    low, high = 0, sorted_ids.shape[0]
    while low < high:
        middle = (low + high) // 2
        if sorted_ids[middle] < member:
            low = middle + 1
        else:
            high = middle
    return bool(low < sorted_ids.shape[0] and sorted_ids[low] == member)


@njit(cache=True, nogil=True)
def connected(graph: Graph, a: int, b: int) -> bool:  # pragma: no cover - compiled
    graph = named(graph)
    return contains(row(graph, a), b)


@njit(cache=True, nogil=True)
def intersect(first: Any, second: Any, out: Any) -> int:  # pragma: no cover - compiled
    """Write the ids in both sorted arrays to `out`; how many there are."""
    i = j = count = 0
    while i < first.shape[0] and j < second.shape[0]:
        if first[i] < second[j]:
            i += 1
        elif first[i] > second[j]:
            j += 1
        else:
            out[count] = first[i]
            count += 1
            i += 1
            j += 1
    return count


@njit(cache=True, nogil=True)
def mutual(graph: Graph, a: int, b: int, out: Any) -> int:  # pragma: no cover - compiled
    """The connections of a and b in common, written to `out`; how many."""
    graph = named(graph)
    return intersect(row(graph, a), row(graph, b), out)


@njit(cache=True, nogil=True)
def levels(
    graph: Graph, source: int, depth: int, stamp: Any, level: Any, queue: Any, epoch: int
) -> int:  # pragma: no cover - compiled
    """Breadth-first from `source` down to `depth` steps: level[v] for every member reached
    (stamp[v] == epoch). Returns how many were reached, the source included, all in `queue`."""
    graph = named(graph)
    stamp[source] = epoch
    level[source] = 0
    queue[0] = source
    head, tail = 0, 1
    for step in range(1, depth + 1):
        end = tail
        while head < end:
            member = queue[head]
            head += 1
            for other in row(graph, member):
                if stamp[other] != epoch:
                    stamp[other] = epoch
                    level[other] = step
                    queue[tail] = other
                    tail += 1
    return tail


@njit(cache=True, nogil=True)
def reaches_marked(
    graph: Graph, members: Any, stamp: Any, mark: int
) -> bool:  # pragma: no cover - compiled
    """Whether a connection of any of `members` carries `mark`; stops at the first one."""
    graph = named(graph)
    for member in members:
        for other in row(graph, member):
            if stamp[other] == mark:
                return True
    return False


@njit(cache=True, nogil=True)
def mutual_counts(
    graph: Graph, viewer: int, members: Any, out: Any, stamp: Any, epoch: int
) -> None:  # pragma: no cover - compiled
    """For each member, how many connections it shares with the viewer (none with itself):
    the viewer's connections are marked once, then each member's row is counted against them."""
    graph = named(graph)
    size = stamp.shape[0]
    for member in row(graph, viewer):
        stamp[member] = epoch
    for index in range(members.shape[0]):
        member = members[index]
        count = 0
        if 0 <= member < size and member != viewer:
            for other in row(graph, member):
                if stamp[other] == epoch:
                    count += 1
        out[index] = count


@njit(cache=True, nogil=True)
def pair_degree(graph: Graph, a: int, b: int, stamp: Any, epoch: int) -> int:  # pragma: no cover
    """The degree between two members, 1 to 3, or -1 beyond. The larger of the two sets of
    connections is marked; the other member is 2nd degree when one of its connections is marked,
    3rd when a connection of one of them is. Every look stops at the first hit."""
    graph = named(graph)
    first_a, first_b = row(graph, a), row(graph, b)
    if first_a.shape[0] == 0 or first_b.shape[0] == 0:
        return -1
    if first_a.shape[0] > first_b.shape[0]:
        first_a, first_b = first_b, first_a
        b = a
    if contains(first_a, b):
        return 1
    for member in first_b:
        stamp[member] = epoch
    for member in first_a:
        if stamp[member] == epoch:
            return 2
    return 3 if reaches_marked(graph, first_a, stamp, epoch) else -1


@njit(cache=True, nogil=True)
def short_path(
    graph: Graph, a: int, b: int, stamp: Any, epoch: int, path: Any
) -> int:  # pragma: no cover - compiled
    """A path of at most 3 steps from a to b written to `path`, and its length; -1 when there is
    none that short. As `pair_degree`, from the side with fewer connections; the first hit in
    id order wins, so the same question gets the same path."""
    graph = named(graph)
    first_a, first_b = row(graph, a), row(graph, b)
    if first_a.shape[0] == 0 or first_b.shape[0] == 0:
        return -1
    path[0] = a
    if contains(first_a, b):
        path[1] = b
        return 1
    flip = first_a.shape[0] > first_b.shape[0]
    near, far = (first_b, first_a) if flip else (first_a, first_b)
    for member in far:
        stamp[member] = epoch
    for middle in near:
        if stamp[middle] == epoch:
            path[1] = middle
            path[2] = b
            return 2
    for middle in near:
        for other in row(graph, middle):
            if stamp[other] == epoch:
                path[1], path[2] = (other, middle) if flip else (middle, other)
                path[3] = b
                return 3
    return -1


@njit(cache=True, nogil=True)
def badges(
    graph: Graph, viewer: int, members: Any, out: Any, stamp: Any, epoch: int
) -> None:  # pragma: no cover - compiled
    """The degree from the viewer to each member (0 to 3, -1 beyond); `epoch` moves by 3 a call.

    The viewer's connections are marked `epoch + 1`: a member is 2nd degree when one of its
    connections carries the mark. A member further away is 3rd degree when a connection of one of
    its connections does; that look stops at the first hit, which on a dense network comes
    early. Once those looks have cost more than marking every connection of the viewer's
    connections (`epoch + 2`) would, that is done instead, and each remaining member needs only a
    look at its own connections."""
    graph = named(graph)
    size = stamp.shape[0]
    stamp[viewer] = epoch
    first = row(graph, viewer)
    for member in first:
        stamp[member] = epoch + 1
    budget = -1  # what marking the second level costs; counted when first needed
    spent = 0
    second_marked = False
    for index in range(members.shape[0]):
        member = members[index]
        if member < 0 or member >= size:
            out[index] = UNREACHED
            continue
        if stamp[member] == epoch:
            out[index] = 0
            continue
        if stamp[member] == epoch + 1:
            out[index] = 1
            continue
        neighbours = row(graph, member)
        out[index] = UNREACHED
        for other in neighbours:
            if stamp[other] == epoch + 1:
                out[index] = 2
                break
        if out[index] == 2:
            continue
        if not second_marked:
            if budget < 0:
                budget = 0
                for middle in first:
                    budget += row(graph, middle).shape[0]
            for middle in neighbours:
                if out[index] == 3:
                    break
                for other in row(graph, middle):
                    spent += 1
                    if stamp[other] == epoch + 1:
                        out[index] = 3
                        break
            if spent > budget:
                for middle in first:
                    for other in row(graph, middle):
                        if stamp[other] != epoch and stamp[other] != epoch + 1:
                            stamp[other] = epoch + 2
                second_marked = True
            continue
        for other in neighbours:
            if stamp[other] == epoch + 2:
                out[index] = 3
                break


@njit(cache=True, nogil=True)
def second_degree(
    graph: Graph, member: int, stamp: Any, level: Any, queue: Any, epoch: int
) -> int:  # pragma: no cover - compiled
    """Members exactly two steps away, left at the front of `queue`; how many."""
    graph = named(graph)
    reached = levels(graph, member, 2, stamp, level, queue, epoch)
    count = 0
    for index in range(reached):
        if level[queue[index]] == 2:
            queue[count] = queue[index]
            count += 1
    return count


@njit(cache=True, nogil=True)
def second_degree_mutuals(
    graph: Graph, member: int, stamp: Any, tally: Any, queue: Any, epoch: int
) -> int:  # pragma: no cover - compiled
    """Members exactly two steps away, at the front of `queue`, each with its number of mutual
    connections with `member` in `tally[v]`; how many. One pass over the connections of the
    member's connections: a member is counted once for every connection that leads to it."""
    graph = named(graph)
    stamp[member] = epoch
    tally[member] = -1
    for first in row(graph, member):
        stamp[first] = epoch
        tally[first] = -1
    count = 0
    for first in row(graph, member):
        for other in row(graph, first):
            if stamp[other] != epoch:
                stamp[other] = epoch
                tally[other] = 1
                queue[count] = other
                count += 1
            elif tally[other] > 0:
                tally[other] += 1
    return count


@njit(cache=True, nogil=True)
def shortest_path(
    graph: Graph,
    a: int,
    b: int,
    max_length: int,
    stamp: Any,
    side: Any,
    level: Any,
    parent: Any,
    queue: Any,
    path: Any,
    epoch: int,
) -> int:  # pragma: no cover - compiled
    """Bidirectional breadth-first search: the length of a shortest path (at most `max_length`),
    or -1; the path itself is written to `path`. Each step expands the side whose frontier has
    fewer members; of the meetings found in that step the one nearest to the other end wins."""
    graph = named(graph)
    if a == b:
        path[0] = a
        return 0
    size = stamp.shape[0]
    # The two searches share `queue`: side 0 grows from the front, side 1 from the back.
    stamp[a] = epoch
    side[a] = 0
    level[a] = 0
    parent[a] = a
    stamp[b] = epoch
    side[b] = 1
    level[b] = 0
    parent[b] = b
    queue[0] = a
    queue[size - 1] = b
    starts = np.array([0, size - 1])
    ends = np.array([1, size - 2])  # side 1 runs downwards: its frontier is (ends, starts]
    depth = np.array([0, 0])
    while depth[0] + depth[1] < max_length:
        if ends[0] == starts[0] or starts[1] == ends[1]:
            return -1
        # Expand the side whose frontier has fewer connections to look through.
        work0 = 0
        for index in range(starts[0], ends[0]):
            work0 += len(row(graph, queue[index]))
        work1 = 0
        for index in range(ends[1] + 1, starts[1] + 1):
            work1 += len(row(graph, queue[index]))
        s = 0 if work0 <= work1 else 1
        best = -1
        best_from = -1
        best_to = -1
        if s == 0:
            head, stop = starts[0], ends[0]
            tail = stop
        else:
            head, stop = starts[1], ends[1]
            tail = stop
        while head != stop:
            member = queue[head]
            head = head + 1 if s == 0 else head - 1
            for other in row(graph, member):
                if stamp[other] != epoch:
                    stamp[other] = epoch
                    side[other] = s
                    level[other] = depth[s] + 1
                    parent[other] = member
                    queue[tail] = other
                    tail = tail + 1 if s == 0 else tail - 1
                elif side[other] != s:
                    # The first meeting is a shortest one: the other side's frontier is the
                    # only part of it this side's frontier can touch unseen.
                    best, best_from, best_to = depth[s] + 1 + level[other], member, other
                    break
            if best >= 0:
                break
        if best >= 0:
            if best > max_length:
                return -1
            # a … best_from/best_to … b, whichever side found the meeting.
            near_a, near_b = (best_from, best_to) if s == 0 else (best_to, best_from)
            count = 0
            walk = near_a
            while True:
                path[count] = walk
                count += 1
                if walk == a:
                    break
                walk = parent[walk]
            path[:count] = path[:count][::-1].copy()
            walk = near_b
            while True:
                path[count] = walk
                count += 1
                if walk == b:
                    break
                walk = parent[walk]
            return count - 1
        starts[s] = stop
        ends[s] = tail
        depth[s] += 1
    return -1


@njit(cache=True, nogil=True)
def fold(graph: Graph) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """The graph as one compressed adjacency without a patch: the offsets and targets of a new
    snapshot, every member's row copied from where `row` finds it."""
    graph = named(graph)
    size = graph.patch.shape[0]
    offsets = np.zeros(size + 1, np.int64)
    for member in range(size):
        offsets[member + 1] = offsets[member] + row(graph, member).shape[0]
    targets = np.empty(offsets[size], np.int32)
    for member in range(size):
        targets[offsets[member] : offsets[member + 1]] = row(graph, member)
    return offsets, targets


@njit(cache=True, nogil=True)
def adjacency(first: Any, second: Any, size: int) -> tuple[Any, Any]:  # pragma: no cover
    """The compressed adjacency of the undirected pairs (first[i], second[i]) over members 0 to
    size - 1, self-pairs and repeats dropped: every pair counted into its two rows, placed, and
    each row sorted on its own. Linear but for the rows' own sorts (a tenth of the time of one
    sort of all the pairs, on 25 million)."""
    counts = np.zeros(size + 1, np.int64)
    for i in range(first.shape[0]):
        if first[i] != second[i]:
            counts[first[i] + 1] += 1
            counts[second[i] + 1] += 1
    placed = np.cumsum(counts)
    at = placed[:-1].copy()
    targets = np.empty(placed[size], np.int32)
    for i in range(first.shape[0]):
        a, b = first[i], second[i]
        if a != b:
            targets[at[a]] = b
            at[a] += 1
            targets[at[b]] = a
            at[b] += 1
    # Sort each row and keep one of each target, moving the rows down over the repeats dropped.
    offsets = np.zeros(size + 1, np.int64)
    kept = 0
    for member in range(size):
        last = -1
        for target in np.sort(targets[placed[member] : placed[member + 1]]):
            if target != last:
                targets[kept] = target
                kept += 1
                last = target
        offsets[member + 1] = kept
    return offsets, targets[:kept].copy()
