"""The compiled inner loops of the suggestions (numba): gathering a member's candidates with their
raw features in one pass, and the sample of mutual connections that explains each suggestion.

The graph is the tuple of arrays `GraphIndex.arrays()` returns (see `vinculo.graph.kernels`). A
profile is the tuple of arrays `ProfileIndex` holds, in the order of `ProfileIndex.arrays`:
each member's affiliations (place, first and last year; one row per stretch of years, sorted by
place and then year), each place's kind and the log of how many members it has, each place's
members sorted by the year they started, and each member's sector, location and group of members
with the same sector and location. As in the graph kernels, members are marked with an epoch
number in reusable arrays instead of clearing them between calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from vinculo.graph.kernels import intersect, row

Graph = tuple[Any, Any, Any, Any, Any]
Profile = tuple[Any, ...]

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
    graph: Graph,
    member: int,
    exponent: float,
    excluded: Any,
    profile: Profile,
    groups: tuple[Any, Any],
    limits: Any,
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
    overlap theirs (at most `limits[0]` new ones a place, looking at no more than `limits[1]`),
    then members with the same sector and location (at most `limits[2]`), then members of the
    member's groups (at most `limits[3]` new ones a group). The member, their connections and
    `excluded` are never candidates. Shared groups are counted for every candidate.

    `groups` is the member's groups as offsets into a flat array of their members.
    `place_weights` holds, per kind, the points of a shared place: a constant, a factor of the
    log of the place's size and one of the log of the years in common; a place never scores
    below zero."""
    (
        aff_offsets,
        aff_place,
        aff_start,
        aff_end,
        _place_kind,
        _place_log_size,
        place_offsets,
        place_members,
        place_start,
        place_end,
        sector,
        location,
        local_of,
        local_offsets,
        local_members,
    ) = profile
    group_offsets, group_members = groups
    size = stamp.shape[0]
    profiled = aff_offsets.shape[0] - 1

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
        for at in range(aff_offsets[member], aff_offsets[member + 1]):
            place = aff_place[at]
            start, end = aff_start[at], aff_end[at]
            low, high = place_offsets[place], place_offsets[place + 1]
            while low < high:
                middle = (low + high) // 2
                if place_start[middle] <= end:
                    low = middle + 1
                else:
                    high = middle
            added = scanned = 0
            look = low - 1
            while look >= place_offsets[place] and added < limits[0] and scanned < limits[1]:
                other = place_members[look]
                scanned += 1
                if place_end[look] >= start and stamp[other] != epoch:
                    count = _add(other, count, stamp, tally, weight, shared, queue, epoch)
                    added += 1
                look -= 1

    # The same sector and location, bounded.
    if member < local_of.shape[0] and local_of[member] >= 0:
        key = local_of[member]
        added = 0
        for look in range(local_offsets[key], local_offsets[key + 1]):
            if added >= limits[2]:
                break
            other = local_members[look]
            if stamp[other] != epoch:
                count = _add(other, count, stamp, tally, weight, shared, queue, epoch)
                added += 1

    # Groups: count the shared ones, and take a few new candidates from each.
    for group in range(group_offsets.shape[0] - 1):
        added = 0
        for look in range(group_offsets[group], group_offsets[group + 1]):
            other = group_members[look]
            if other < 0 or other >= size:
                continue
            if stamp[other] != epoch:
                if added < limits[3]:
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
    member: int, other: int, index: int, profile: Profile, place_weights: Any, out: Any
) -> None:  # pragma: no cover - compiled
    """Add the places two members share in overlapping years to row `index` of `out`: both
    members' affiliations are sorted by place, so one merge finds them."""
    aff_offsets, aff_place, aff_start, aff_end, place_kind, place_log_size = profile[:6]
    mine, mine_end = aff_offsets[member], aff_offsets[member + 1]
    theirs, theirs_end = aff_offsets[other], aff_offsets[other + 1]
    while mine < mine_end:
        place = aff_place[mine]
        while theirs < theirs_end and aff_place[theirs] < place:
            theirs += 1
        years = 0
        while mine < mine_end and aff_place[mine] == place:
            look = theirs
            while look < theirs_end and aff_place[look] == place:
                common = min(aff_end[mine], aff_end[look]) - max(aff_start[mine], aff_start[look])
                if common >= 0:
                    years += common + 1
                look += 1
            mine += 1
        if years > 0:
            kind = place_kind[place]
            log_size = place_log_size[place]
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
def mutual_samples(graph: Graph, member: int, others: Any, out: Any) -> None:  # pragma: no cover
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
    graph: Graph, member: int, others: Any, stamp: Any, paths: Any, mark: Any, epoch: int
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
