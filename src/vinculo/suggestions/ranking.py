"""People you should know, ranked: the pure core. Candidates come from the graph (members two steps
away), from the member's places (members who were at the same organization or school in
overlapping years), from the same sector and location, and from the member's groups. One score
adds a few signals, each worth a number of points; a suggestion carries every signal with its
points, so the product layer can put the two strongest into words.

Once a community has a fitted reranker (`reranking.py`), the reranker decides the order of the
best `DEPTH` candidates, and the first score's points only choose those candidates and the
reasons shown; without one, the first score orders them too.

Pure: it knows dense integer member ids (those of `GraphIndex`), numpy arrays and the compiled
kernels in `kernels.py`; nothing of FastAPI, SQLAlchemy or the models. How the weights below
were fitted, and how well the ranking does, is in docs/adr/0007-suggestions-ranking.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from vinculo.graph import GraphIndex
from vinculo.graph import warm_up as warm_up_graph
from vinculo.graph.kernels import readonly
from vinculo.graph.workspace import Workspace, WorkspacePool
from vinculo.suggestions import kernels
from vinculo.suggestions.kernels import GroupArrays, Limits, ProfileArrays
from vinculo.suggestions.reranking import COLUMNS, DEPTH, Reranker, design

Kind = Literal["organization", "school"]
KINDS: tuple[Kind, Kind] = ("organization", "school")

# The signals, in the order of `Signals.points`.
MUTUALS = "mutual_connections"
ORGANIZATIONS = "organization"
SCHOOLS = "school"
SECTOR = "sector"
LOCATION = "location"
GROUPS = "groups"
SIGNALS = (MUTUALS, ORGANIZATIONS, SCHOOLS, SECTOR, LOCATION, GROUPS)

# The weights. Fitted by `benchmarks/suggestions.py --fit` (a conditional logit over each
# member's candidates, plain numpy) on Amherst41 of Facebook100 with 10% of its connections
# hidden under seed 1; the evaluation hides them under another seed and reports all three
# schools. See docs/adr/0007-suggestions-ranking.md.
#
# Mutual connections: each counts (its number of connections) ** -MUTUAL_EXPONENT, so a mutual
# with few connections counts more than a collector's; their sum is divided by the candidate's
# number of connections ** CANDIDATE_EXPONENT, and the points grow with its logarithm:
#   MUTUAL_POINTS * log(1 + MUTUAL_SCALE * weighted mutuals / connections ** CANDIDATE_EXPONENT)
MUTUAL_EXPONENT = 0.75
CANDIDATE_EXPONENT = 0.25
MUTUAL_SCALE = 10.0
MUTUAL_POINTS = 4.71
# A place shared in overlapping years, per kind: constant + per log(members of the place) +
# per log(years in common). A place never scores below zero; the places shared add up.
ORGANIZATION_POINTS = (-0.05, -0.02, 0.37)
SCHOOL_POINTS = (1.03, 0.13, 0.66)
SECTOR_POINTS = 0.33
# No column of the evaluation data maps to a location, and groups do not exist yet: these two
# are priors, not fitted. A location shared counts as a sector does; a group shared somewhat
# more, less than a school shared.
LOCATION_POINTS = SECTOR_POINTS
GROUP_POINTS = 0.5

# Bounds on the candidates that do not come from the graph: new ones per place of the member and
# members looked at there, new ones of the same sector and location, new ones per group.
PLACE_CANDIDATES = 200
PLACE_SCAN = 2_000
LOCAL_CANDIDATES = 100
GROUP_CANDIDATES = 100
# Mutual connections named in a suggestion.
MUTUAL_SAMPLE = 3

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_LIMITS = Limits(PLACE_CANDIDATES, PLACE_SCAN, LOCAL_CANDIDATES, GROUP_CANDIDATES)
_PLACE_WEIGHTS = np.array(ORGANIZATION_POINTS + SCHOOL_POINTS, np.float64)
_NO_IDS = np.empty(0, np.int64)
_NO_GROUPS = GroupArrays(offsets=np.zeros(1, np.int64), members=_NO_IDS)


@dataclass(frozen=True)
class SharedPlace:
    """A place two members were at in overlapping years: `years` of them in common, from
    `first_year` to `last_year`."""

    place: int
    kind: Kind
    first_year: int
    last_year: int
    years: int


@dataclass(frozen=True)
class Signals:
    """Why a member is suggested. `points` holds each signal's share of the score, in the order
    of `SIGNALS`; `mutuals` names a few of the mutual connections, those with fewest
    connections first (they count most)."""

    mutual_count: int
    mutual_weight: float
    mutuals: tuple[int, ...]
    shared_places: tuple[SharedPlace, ...]
    same_sector: bool
    same_location: bool
    shared_groups: tuple[int, ...]
    points: tuple[float, ...]

    def contributions(self) -> dict[str, float]:
        """Each signal's points; they add up to the suggestion's first score (its score, unless
        a reranker ordered the best candidates again)."""
        return dict(zip(SIGNALS, self.points, strict=True))

    def strongest(self, count: int = 2) -> list[str]:
        """The signals that add most to the score, strongest first; none that adds nothing."""
        order = sorted(range(len(SIGNALS)), key=lambda at: (-self.points[at], at))
        return [SIGNALS[at] for at in order[:count] if self.points[at] > 0]


@dataclass(frozen=True)
class Suggestion:
    member: int
    score: float
    signals: Signals


class ProfileIndex:
    """What the ranking reads of the members' profiles, as arrays: each member's affiliations
    (organizations and schools, with years), each place's members, each member's sector and
    location. Immutable; rebuild it when profiles change."""

    def __init__(self, size: int, arrays: ProfileArrays, places: list[tuple[int, int]]) -> None:
        self.size = size
        # Read-only, as the kernels take them: one signature for every profile index.
        self.arrays = ProfileArrays._make(readonly(array, array.dtype.type) for array in arrays)
        self._places = places  # dense place -> (kind, place id)

    @classmethod
    def build(
        cls,
        size: int,
        affiliations: Iterable[tuple[int, int, str, int, int | None]],
        sectors: Mapping[int, int],
        locations: Mapping[int, int],
        *,
        current_year: int | None = None,
    ) -> ProfileIndex:
        """Build from affiliations `(member, place, kind, start year, end year or None while
        current)`, with kind "organization" or "school", and each member's sector and location
        (small integers; 0 or missing is unknown). Members are ids from 0 to `size - 1`. A
        member's stretches at one place that overlap or touch are joined into one."""
        year = current_year if current_year is not None else datetime.now(UTC).year
        dense: dict[tuple[int, int], int] = {}
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for member, place, kind, start, end in affiliations:
            _check_member(member, size)
            if kind not in KINDS:
                raise ValueError(f"an affiliation's kind is organization or school, not {kind!r}")
            last = year if end is None else end
            if last < start:
                raise ValueError(f"member {member} ends at place {place} before starting there")
            at = dense.setdefault((KINDS.index(kind), place), len(dense))
            spans.setdefault((member, at), []).append((start, last))
        rows: list[tuple[int, int, int, int]] = []
        for (member, at), stretches in spans.items():
            stretches.sort()
            first, last = stretches[0]
            for start, end in stretches[1:]:
                if start > last + 1:
                    rows.append((member, at, first, last))
                    first = start
                last = max(last, end)
            rows.append((member, at, first, last))
        table = np.array(rows, np.int64).reshape(-1, 4)
        owner, where, began, ended = table.T

        by_member = np.lexsort((began, where, owner))
        # Each place: its kind, the log of how many members it has, its members by start year.
        count = len(dense)
        kinds = np.zeros(count, np.int64)
        for (kind_code, _), at in dense.items():
            kinds[at] = kind_code
        distinct = np.bincount(np.array([at for _, at in spans], np.int64), minlength=count)
        by_place = np.lexsort((owner, began, where))

        sector = _attribute(sectors, size)
        location = _attribute(locations, size)
        local_of, local_offsets, local_members = _local(sector, location)
        arrays = ProfileArrays(
            affiliation_offsets=_offsets(owner, size),
            affiliation_place=where[by_member],
            affiliation_start=began[by_member],
            affiliation_end=ended[by_member],
            place_kind=kinds,
            place_log_size=np.log(np.maximum(distinct, 1)).astype(np.float64),
            place_offsets=_offsets(where, count),
            place_members=owner[by_place],
            place_start=began[by_place],
            place_end=ended[by_place],
            sector=sector,
            location=location,
            local_of=local_of,
            local_offsets=local_offsets,
            local_members=local_members,
        )
        places = [(0, 0)] * count
        for (kind_code, place_id), at in dense.items():
            places[at] = (kind_code, place_id)
        return cls(size, arrays, places)

    @classmethod
    def empty(cls, size: int = 0) -> ProfileIndex:
        return cls.build(size, (), {}, {})

    def shared_places(self, a: int, b: int) -> tuple[SharedPlace, ...]:
        """The places a and b were at in overlapping years, most years in common first."""
        if not (0 <= a < self.size and 0 <= b < self.size):
            return ()
        arrays = self.arrays
        offsets, place = arrays.affiliation_offsets, arrays.affiliation_place
        start, end = arrays.affiliation_start, arrays.affiliation_end
        mine = range(int(offsets[a]), int(offsets[a + 1]))
        theirs = range(int(offsets[b]), int(offsets[b + 1]))
        found: dict[int, tuple[int, int, int]] = {}
        for i in mine:
            for j in theirs:
                if place[i] != place[j]:
                    continue
                first, last = int(max(start[i], start[j])), int(min(end[i], end[j]))
                if first > last:
                    continue
                low, high, years = found.get(int(place[i]), (first, last, 0))
                found[int(place[i])] = (min(low, first), max(high, last), years + last - first + 1)
        shared = []
        for at, (first, last, years) in found.items():
            kind, place_id = self._places[at]
            shared.append(SharedPlace(place_id, KINDS[kind], first, last, years))
        shared.sort(key=lambda p: (-p.years, p.kind, p.place))
        return tuple(shared)


def _check_member(member: int, size: int) -> None:
    if not 0 <= member < size:
        raise ValueError(f"member {member} is outside the ids 0 to {size - 1}")


def _offsets(keys: IntArray, count: int) -> IntArray:
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=count), out=offsets[1:])
    return offsets


def _attribute(values: Mapping[int, int], size: int) -> IntArray:
    out = np.zeros(size, np.int64)
    for member, value in values.items():
        _check_member(member, size)
        out[member] = max(int(value), 0)
    return out


def _local(sector: IntArray, location: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The members with the same known sector and location, as groups: each member's group (-1
    when either is unknown) and each group's members, newest (highest id) first."""
    known = np.flatnonzero((sector > 0) & (location > 0))
    local_of = np.full(len(sector), -1, np.int64)
    if not len(known):
        return local_of, np.zeros(1, np.int64), _NO_IDS
    pairs = np.stack((sector[known], location[known]), axis=1)
    _, key = np.unique(pairs, axis=0, return_inverse=True)
    key = key.reshape(-1)
    local_of[known] = key
    order = np.lexsort((-known, key))
    return local_of, _offsets(key, int(key.max()) + 1), known[order].astype(np.int64)


class _Ranking(Workspace):
    """The arrays one ranking at a time marks and fills, one entry per member id."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.stamp = self.marks()
        self.tally = self.scratch(np.int32)
        self.weight = self.scratch(np.float64)
        self.shared = self.scratch(np.int32)
        self.queue = self.scratch(np.int64)
        self.paths = self.scratch(np.float64)
        self.mark = self.marks()


_workspaces = WorkspacePool(_Ranking)


def mutual_term(features: FloatArray) -> FloatArray:
    """The logarithm the mutual connections' points grow with, before their weight."""
    connections = np.maximum(features[:, kernels.CONNECTIONS], 1.0)
    term: FloatArray = np.log1p(
        MUTUAL_SCALE * features[:, kernels.MUTUAL_WEIGHT] / connections**CANDIDATE_EXPONENT
    )
    return term


def points(features: FloatArray) -> FloatArray:
    """Each candidate's points per signal (one column per entry of `SIGNALS`) from the features
    `kernels.collect` writes; a candidate's first score is the sum of its row."""
    return np.stack(
        (
            MUTUAL_POINTS * mutual_term(features),
            features[:, kernels.PLACE_POINTS + kernels.ORGANIZATION],
            features[:, kernels.PLACE_POINTS + kernels.SCHOOL],
            SECTOR_POINTS * features[:, kernels.SAME_SECTOR],
            LOCATION_POINTS * features[:, kernels.SAME_LOCATION],
            GROUP_POINTS * features[:, kernels.SHARED_GROUPS],
        ),
        axis=1,
    )


def candidates(
    graph: GraphIndex,
    profiles: ProfileIndex,
    member: int,
    *,
    excluded: Collection[int] = (),
    groups: Mapping[int, Collection[int]] | None = None,
    exponent: float = MUTUAL_EXPONENT,
) -> tuple[IntArray, FloatArray]:
    """A member's candidates and their raw features (the columns named in `kernels.py`), in no
    particular order; for `rank`, and for fitting the weights offline (with another exponent
    for the mutual connections)."""
    member = int(member)
    arrays = graph.arrays()
    flat = _flat_groups(groups)
    top_member = int(flat.members.max()) if len(flat.members) else -1
    size = max(arrays.size, profiles.size, member + 1, top_member + 1)
    skip = np.fromiter(excluded, np.int64) if excluded else _NO_IDS
    with _workspaces.taken(size) as work:
        ids, features = kernels.collect(
            arrays,
            member,
            float(exponent),
            skip,
            profiles.arrays,
            flat,
            _LIMITS,
            _PLACE_WEIGHTS,
            work.stamp,
            work.tally,
            work.weight,
            work.shared,
            work.queue,
            work.next_epoch(),
        )
    return ids, features


def structure(graph: GraphIndex, member: int, others: IntArray) -> FloatArray:
    """What the graph says about `member` and each of `others` (the columns of
    `kernels.structure`), for the reranker."""
    member = int(member)
    others = np.ascontiguousarray(others, np.int64)
    arrays = graph.arrays()
    size = max(arrays.size, member + 1)
    with _workspaces.taken(size) as work:
        epoch = work.next_epoch(len(others) + 1)
        found: FloatArray = kernels.structure(
            arrays, member, others, work.stamp, work.paths, work.mark, epoch
        )
    return found


def rerank_inputs(
    graph: GraphIndex, member: int, ids: IntArray, features: FloatArray
) -> FloatArray:
    """The reranker's inputs (`reranking.design`) for some of `member`'s candidates, given their
    first-stage features."""
    return design(mutual_term(features), features, structure(graph, member, ids))


def rank(
    graph: GraphIndex,
    profiles: ProfileIndex,
    member: int,
    *,
    limit: int = 20,
    excluded: Collection[int] = (),
    groups: Mapping[int, Collection[int]] | None = None,
    reranker: Reranker | None = None,
) -> list[Suggestion]:
    """The `limit` members `member` should know, best first (by id among equal scores), each
    with its signals. Never the member, their connections or the `excluded` members.

    `groups` is the member's groups, each group id with its members; a group shared counts as a
    signal and a few of each group's members become candidates. With a `reranker`, the best
    `DEPTH` by the first score are ordered by it, and its score is the suggestion's."""
    member = int(member)
    if limit <= 0 or member < 0:
        return []
    ids, features = candidates(graph, profiles, member, excluded=excluded, groups=groups)
    scored = points(features)
    score = scored.sum(axis=1)
    if reranker is not None and len(ids) > 1:
        looked = best(ids, score, DEPTH)
        score = np.full(len(ids), -np.inf)
        score[looked] = reranker.score(rerank_inputs(graph, member, ids[looked], features[looked]))
        top = looked[best(ids[looked], score[looked], limit)]
    else:
        top = best(ids, score, limit)
    if not len(top):
        return []
    chosen = ids[top]
    samples = np.full((len(top), MUTUAL_SAMPLE), -1, np.int64)
    kernels.mutual_samples(graph.arrays(), member, chosen, samples)
    return [
        _suggestion(
            member=member,
            other=int(chosen[k]),
            score=float(score[at]),
            features=features[at],
            scored=scored[at],
            sample=samples[k],
            profiles=profiles,
            groups=groups,
        )
        for k, at in enumerate(top.tolist())
    ]


def best(ids: IntArray, score: FloatArray, limit: int) -> IntArray:
    """The positions of the `limit` best scores, best first and by id among equals."""
    if len(score) > limit:
        bar = np.partition(-score, limit - 1)[limit - 1]
        keep = np.flatnonzero(-score <= bar)
    else:
        keep = np.arange(len(score))
    order = np.lexsort((ids[keep], -score[keep]))
    result: IntArray = keep[order[:limit]]
    return result


def _flat_groups(groups: Mapping[int, Collection[int]] | None) -> GroupArrays:
    if not groups:
        return _NO_GROUPS
    rows = [np.unique(np.fromiter(members, np.int64)) for members in groups.values()]
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    return GroupArrays(offsets=offsets, members=np.concatenate(rows))


def _suggestion(
    *,
    member: int,
    other: int,
    score: float,
    features: FloatArray,
    scored: FloatArray,
    sample: IntArray,
    profiles: ProfileIndex,
    groups: Mapping[int, Collection[int]] | None,
) -> Suggestion:
    shared_groups: tuple[int, ...] = ()
    if groups and features[kernels.SHARED_GROUPS] > 0:
        shared_groups = tuple(sorted(g for g, members in groups.items() if other in members))
    signals = Signals(
        mutual_count=int(features[kernels.MUTUAL_COUNT]),
        mutual_weight=float(features[kernels.MUTUAL_WEIGHT]),
        mutuals=tuple(int(m) for m in sample if m >= 0),
        shared_places=profiles.shared_places(member, other),
        same_sector=bool(features[kernels.SAME_SECTOR]),
        same_location=bool(features[kernels.SAME_LOCATION]),
        shared_groups=shared_groups,
        points=tuple(float(p) for p in scored),
    )
    return Suggestion(member=other, score=score, signals=signals)


def warm_up() -> None:
    """Compile every kernel the suggestions call, the graph's included (`vinculo.graph.warm_up`),
    or load them from numba's cache, with the signatures serving uses: by ranking on a tiny
    community with a patched graph, places, sectors, locations, groups, exclusions and a
    reranker. For start-up: the first call in a fresh clone compiles for seconds, which no
    request for suggestions should wait for."""
    warm_up_graph()
    graph = GraphIndex.from_pairs([(0, 1), (1, 2), (2, 3), (3, 4), (1, 3), (0, 5), (5, 6)])
    graph.connect(6, 7)  # a live graph has a patch
    profiles = ProfileIndex.build(
        9,
        [
            (0, 1, "organization", 2010, None),
            (8, 1, "organization", 2012, 2020),
            (0, 2, "school", 2000, 2004),
            (7, 2, "school", 2001, 2003),
        ],
        {0: 1, 7: 1},
        {0: 1, 7: 1},
        current_year=2026,
    )
    reranker = Reranker(np.zeros(COLUMNS), np.ones(COLUMNS), np.zeros(COLUMNS), 1)
    for second_look in (None, reranker):
        rank(graph, profiles, 0, excluded={4}, groups={1: {0, 6, 8}}, reranker=second_look)
        rank(graph, profiles, 2, reranker=second_look)


__all__ = [
    "GROUPS",
    "KINDS",
    "LOCATION",
    "MUTUALS",
    "ORGANIZATIONS",
    "SCHOOLS",
    "SECTOR",
    "SIGNALS",
    "ProfileIndex",
    "SharedPlace",
    "Signals",
    "Suggestion",
    "best",
    "candidates",
    "mutual_term",
    "points",
    "rank",
    "rerank_inputs",
    "structure",
    "warm_up",
]
