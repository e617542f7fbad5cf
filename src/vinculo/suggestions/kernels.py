"""The compiled inner loops of the suggestions (numba): gathering a member's candidates with their
raw features in one pass, the sample of mutual connections that explains each suggestion, and
what the graph says of the best candidates for the reranker.

The graph reaches them as `GraphArrays` (`GraphIndex.arrays()`), the profiles as `ProfileArrays`
(`ProfileIndex.arrays`), the member's groups as `GroupArrays`, all read field by field. As in the
graph kernels, members are marked with an epoch number in reusable arrays instead of clearing them
between calls.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from vinculo.graph.kernels import GraphArrays, intersect, row

IntArray = npt.NDArray[np.int64]


class ProfileArrays(NamedTuple):
    """What the ranking reads of the members' profiles. A member's affiliations are rows
    `affiliation_offsets[m]` to `affiliation_offsets[m + 1]` of the `affiliation_*` arrays, one row
    per stretch of years at one place, sorted by place and then year. A place's members are rows
    `place_offsets[p]` to `place_offsets[p + 1]` of the `place_*` arrays, sorted by the year they
    started. A member's local group is the members with the same known sector and location,
    rows `local_offsets[g]` to `local_offsets[g + 1]` of `local_members`, newest first."""

    affiliation_offsets: IntArray  # one per member id, and one more
    affiliation_place: IntArray
    affiliation_start: IntArray  # first year
    affiliation_end: IntArray  # last year
    place_kind: IntArray  # ORGANIZATION or SCHOOL, one per place
    place_log_size: npt.NDArray[np.float64]  # the log of how many members the place has
    place_offsets: IntArray  # one per place, and one more
    place_members: IntArray
    place_start: IntArray
    place_end: IntArray
    sector: IntArray  # one per member id; 0 is unknown
    location: IntArray  # one per member id; 0 is unknown
    local_of: IntArray  # one per member id: its local group, or -1
    local_offsets: IntArray  # one per local group, and one more
    local_members: IntArray


class GroupArrays(NamedTuple):
    """The member's groups: group g's members are `members[offsets[g]:offsets[g + 1]]`."""

    offsets: IntArray
    members: IntArray


class Limits(NamedTuple):
    """Bounds on the candidates that do not come from the graph."""

    place_candidates: int  # new ones per place of the member
    place_scan: int  # members looked at per place
    local_candidates: int  # new ones of the same sector and location
    group_candidates: int  # new ones per group


ORGANIZATION = 0
SCHOOL = 1

# The columns of a candidate's features, as `collect` writes them.
MUTUAL_COUNT = 0  # connections in common
MUTUAL_WEIGHT = 1  # the sum, over those, of (their number of connections) ** -exponent
CONNECTIONS = 2  # the candidate's own number of connections
PLACES = 3  # per kind (organization, then school): places shared, sum of log sizes, of log years
SAME_SECTOR = 9
SAME_LOCATION = 10
SHARED_GROUPS = 11
PLACE_POINTS = 12  # per kind: the points of the shared places under the weights given
FEATURES = 14
TAKEN = 2**62  # a sort key above every real one

# The columns `structure` writes for the best candidates, which the reranker reads.
COMMON = 0  # connections in common
ADAMIC_ADAR = 1  # the sum, over those, of 1 / log(their number of connections)
RESOURCE = 2  # the same with 1 / (their number of connections)
THREE_STEPS = 3  # three-step paths from the member, each 1 / sqrt(connections) of the two between
LINKS = 4  # connections among the connections in common
LINK_WEIGHT = 5  # the same, each 1 / sqrt(the product of the two's numbers of connections)
STRUCTURE = 6


@njit(cache=True, nogil=True)
def _add(
    other: int, count: int, stamp: Any, tally: Any, weight: Any, shared: Any, queue: Any, epoch: int
) -> int:  # pragma: no cover - compiled
    """Make `other` a candidate with no mutual connections; the new number of candidates."""
    stamp[other] = epoch
    tally[other] = 0
    weight[other] = 0.0
    shared[other] = 0
    queue[count] = other
    return count + 1


@njit(cache=True, nogil=True)
def collect(
    graph: GraphArrays,
    member: int,
    exponent: float,
    excluded: Any,
    profile: ProfileArrays,
    groups: GroupArrays,
    limits: Limits,
    place_weights: Any,
    stamp: Any,
    tally: Any,
    weight: Any,
    shared: Any,
    queue: Any,
    epoch: int,
) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """A member's candidates and their features: the ids, and one row of `FEATURES` each.

    Candidates are the members two steps away, then members of the member's places whose years
    overlap theirs, then members with the same sector and location, then members of the member's
    groups, each as far as `limits` allows. The member, their connections and `excluded` are
    never candidates. Shared groups are counted for every candidate.

    `place_weights` holds, per kind, the points of a shared place: a constant, a factor of the
    log of the place's size and one of the log of the years in common; a place never scores
    below zero."""
    size = stamp.shape[0]
    profiled = profile.affiliation_offsets.shape[0] - 1

    stamp[member] = epoch
    tally[member] = -1
    for first in row(graph, member):
        stamp[first] = epoch
        tally[first] = -1
    for other in excluded:
        if 0 <= other < size:
            stamp[other] = epoch
            tally[other] = -1

    # Two steps away: one pass over the connections of the member's connections.
    count = 0
    for first in row(graph, member):
        connections = row(graph, first)
        counts = float(connections.shape[0]) ** -exponent
        for other in connections:
            if stamp[other] != epoch:
                stamp[other] = epoch
                tally[other] = 1
                weight[other] = counts
                shared[other] = 0
                queue[count] = other
                count += 1
            elif tally[other] > 0:
                tally[other] += 1
                weight[other] += counts

    # The member's places: the latest to start first, among those who started by the end.
    if member < profiled:
        offsets = profile.affiliation_offsets
        for at in range(offsets[member], offsets[member + 1]):
            place = profile.affiliation_place[at]
            start, end = profile.affiliation_start[at], profile.affiliation_end[at]
            low, high = profile.place_offsets[place], profile.place_offsets[place + 1]
            while low < high:
                middle = (low + high) // 2
                if profile.place_start[middle] <= end:
                    low = middle + 1
                else:
                    high = middle
            added = scanned = 0
            look = low - 1
            while (
                look >= profile.place_offsets[place]
                and added < limits.place_candidates
                and scanned < limits.place_scan
            ):
                other = profile.place_members[look]
                scanned += 1
                if profile.place_end[look] >= start and stamp[other] != epoch:
                    count = _add(other, count, stamp, tally, weight, shared, queue, epoch)
                    added += 1
                look -= 1

    # The same sector and location, bounded.
    local_of = profile.local_of
    if member < local_of.shape[0] and local_of[member] >= 0:
        key = local_of[member]
        added = 0
        for look in range(profile.local_offsets[key], profile.local_offsets[key + 1]):
            if added >= limits.local_candidates:
                break
            other = profile.local_members[look]
            if stamp[other] != epoch:
                count = _add(other, count, stamp, tally, weight, shared, queue, epoch)
                added += 1

    # Groups: count the shared ones, and take a few new candidates from each.
    for group in range(groups.offsets.shape[0] - 1):
        added = 0
        for look in range(groups.offsets[group], groups.offsets[group + 1]):
            other = groups.members[look]
            if other < 0 or other >= size:
                continue
            if stamp[other] != epoch:
                if added < limits.group_candidates:
                    count = _add(other, count, stamp, tally, weight, shared, queue, epoch)
                    shared[other] = 1
                    added += 1
            elif tally[other] >= 0:
                shared[other] += 1

    ids = queue[:count].copy()
    out = np.zeros((count, FEATURES))
    for index in range(count):
        other = ids[index]
        out[index, MUTUAL_COUNT] = tally[other]
        out[index, MUTUAL_WEIGHT] = weight[other]
        out[index, CONNECTIONS] = row(graph, other).shape[0]
        out[index, SHARED_GROUPS] = shared[other]
        sector, location = profile.sector, profile.location
        if member < sector.shape[0] and other < sector.shape[0]:
            if sector[member] > 0 and sector[member] == sector[other]:
                out[index, SAME_SECTOR] = 1.0
            if location[member] > 0 and location[member] == location[other]:
                out[index, SAME_LOCATION] = 1.0
        if member < profiled and other < profiled:
            _places(member, other, index, profile, place_weights, out)
    return ids, out


@njit(cache=True, nogil=True)
def _places(
    member: int, other: int, index: int, profile: ProfileArrays, place_weights: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """Add the places two members share in overlapping years to row `index` of `out`: both
    members' affiliations are sorted by place, so one merge finds them."""
    offsets, place_of = profile.affiliation_offsets, profile.affiliation_place
    start, end = profile.affiliation_start, profile.affiliation_end
    mine, mine_end = offsets[member], offsets[member + 1]
    theirs, theirs_end = offsets[other], offsets[other + 1]
    while mine < mine_end:
        place = place_of[mine]
        while theirs < theirs_end and place_of[theirs] < place:
            theirs += 1
        years = 0
        while mine < mine_end and place_of[mine] == place:
            look = theirs
            while look < theirs_end and place_of[look] == place:
                common = min(end[mine], end[look]) - max(start[mine], start[look])
                if common >= 0:
                    years += common + 1
                look += 1
            mine += 1
        if years > 0:
            kind = profile.place_kind[place]
            log_size = profile.place_log_size[place]
            log_years = np.log(years)
            column = PLACES + 3 * kind
            out[index, column] += 1.0
            out[index, column + 1] += log_size
            out[index, column + 2] += log_years
            points = (
                place_weights[3 * kind]
                + place_weights[3 * kind + 1] * log_size
                + place_weights[3 * kind + 2] * log_years
            )
            if points > 0:
                out[index, PLACE_POINTS + kind] += points


@njit(cache=True, nogil=True)
def mutual_samples(
    graph: GraphArrays, member: int, others: Any, out: Any
) -> None:  # pragma: no cover
    """For each of `others`, up to `out.shape[1]` of its mutual connections with `member` in
    `out[k]`, those with fewest connections first and by id among equals; -1 fills the rest."""
    mine = row(graph, member)
    found = np.empty(mine.shape[0], np.int32)
    keys = np.empty(mine.shape[0], np.int64)
    out[:] = -1
    for index in range(others.shape[0]):
        count = intersect(mine, row(graph, others[index]), found)
        for look in range(count):
            keys[look] = np.int64(row(graph, found[look]).shape[0]) * 2**32 + found[look]
        for place in range(min(count, out.shape[1])):
            best = 0
            for look in range(1, count):
                if keys[look] < keys[best]:
                    best = look
            out[index, place] = keys[best] % 2**32
            keys[best] = TAKEN


@njit(cache=True, nogil=True)
def structure(
    graph: GraphArrays, member: int, others: Any, stamp: Any, paths: Any, mark: Any, epoch: int
) -> Any:  # pragma: no cover - compiled
    """What the graph says about `member` and each of `others`, one row of `STRUCTURE` each. Uses
    `epoch` to `epoch + others.shape[0]` in `stamp` and `mark`: `paths` holds, for every member
    two steps away, its two-step paths from `member`, each 1 / sqrt(connections) of the one
    between; each candidate's connections in common are marked with their own epoch, so the
    links among them are counted without clearing anything."""
    mine = row(graph, member)
    # The member's own network: for each connection, its connections among the member's.
    ego_offsets = np.zeros(mine.shape[0] + 1, np.int64)
    ego = np.empty(0, np.int64)
    found = np.empty(mine.shape[0], np.int64)
    parts = []
    for at in range(mine.shape[0]):
        connections = row(graph, mine[at])
        share = 1.0 / np.sqrt(connections.shape[0])
        for other in connections:
            if stamp[other] != epoch:
                stamp[other] = epoch
                paths[other] = share
            else:
                paths[other] += share
        count = intersect(connections, mine, found)
        parts.append(found[:count].copy())
        ego_offsets[at + 1] = ego_offsets[at] + count
    if mine.shape[0]:
        ego = np.empty(ego_offsets[-1], np.int64)
        for at in range(mine.shape[0]):
            ego[ego_offsets[at] : ego_offsets[at + 1]] = parts[at]
    common = np.empty(mine.shape[0], np.int64)
    out = np.zeros((others.shape[0], STRUCTURE))
    for index in range(others.shape[0]):
        theirs = row(graph, others[index])
        for middle in theirs:
            if stamp[middle] == epoch:
                out[index, THREE_STEPS] += paths[middle] / np.sqrt(row(graph, middle).shape[0])
        count = intersect(mine, theirs, common)
        # Where each connection in common sits in the member's row, for its links among them.
        where = np.searchsorted(mine, common[:count])
        tag = epoch + 1 + index
        for look in range(count):
            mark[common[look]] = tag
        links = link_weight = adamic = resource = 0.0
        for look in range(count):
            at = where[look]
            between = common[look]
            size = float(row(graph, between).shape[0])
            adamic += 1.0 / np.log(size) if size > 1 else 0.0
            resource += 1.0 / size
            for other in ego[ego_offsets[at] : ego_offsets[at + 1]]:
                if other > between and mark[other] == tag:
                    links += 1.0
                    link_weight += 1.0 / np.sqrt(size * row(graph, other).shape[0])
        out[index, COMMON] = count
        out[index, ADAMIC_ADAR] = adamic
        out[index, RESOURCE] = resource
        out[index, LINKS] = links
        out[index, LINK_WEIGHT] = link_weight
    return out
