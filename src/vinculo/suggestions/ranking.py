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

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vinculo.graph import GraphIndex
from vinculo.graph import warm_up as warm_up_graph
from vinculo.graph.workspace import Workspace, WorkspacePool
from vinculo.suggestions import kernels
from vinculo.suggestions.kernels import GroupArrays, Limits
from vinculo.suggestions.profile_index import KINDS, ProfileIndex, SharedPlace
from vinculo.suggestions.reranking import COLUMNS, DEPTH, Reranker, design

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
