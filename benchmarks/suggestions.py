"""Offline evaluation of the suggestions (`make bench`).

For each Facebook100 school (Amherst41, Cornell5, Reed98 under the shared data folder), hides a
seeded random 10% of its connections, maps the attribute columns onto profiles (dorm or house:
an organization; year: the period, the four years up to it at the dorm and the four before those
at the high school; high school: a school; first major: the sector; nothing maps to a
location), ranks the top 20 for every member who lost a connection, and reports recall@20,
precision@20 and mean reciprocal rank of the hidden connections for the ranking of
`vinculo.suggestions.ranking` (with the reranker `vinculo.suggestions.fitting` fits on the
school's visible connections, as a community fits it on its own, and with the first score only)
and for the two classic baselines, common neighbours and
Adamic–Adar (Liben-Nowell & Kleinberg), computed in the same run, with the latency of each.

The first score's weights in ranking.py were fitted on one school under another seed; `--fit`
fits them again (a conditional logit over each member's candidates, plain numpy) and prints them
for pasting. The reranker is fitted in the run, never seeing the hidden connections.

    .venv/bin/python benchmarks/suggestions.py [--schools Amherst41 Cornell5 Reed98] [--seed 7]
    .venv/bin/python benchmarks/suggestions.py --fit [--fit-school Amherst41] [--fit-seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from vinculo.graph import GraphArrays, GraphIndex, Snapshot
from vinculo.graph.kernels import row
from vinculo.graph.workspace import Workspace
from vinculo.suggestions import fitting, kernels, ranking, reranking
from vinculo.suggestions.ranking import ProfileIndex

SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
SCHOOLS = ("Amherst41", "Cornell5", "Reed98")
FIT_SCHOOL = "Amherst41"  # the school and seed the weights in ranking.py were fitted on
FIT_SEED = 1
SEED = 7
LIMIT = 20
TARGET = 1.1  # recall@20 against Adamic–Adar's, on every school
# The attribute columns of `<school>.local_info.txt`.
MAJOR, DORM, YEAR, HIGH_SCHOOL = 2, 4, 5, 6

IntArray = npt.NDArray[np.int64]


@dataclass
class School:
    """A school with some of its connections hidden: the graph that is left, the profiles, and
    each member's hidden connections."""

    name: str
    graph: GraphIndex
    profiles: ProfileIndex
    hidden: dict[int, set[int]]


def load(name: str, *, fraction: float, seed: int) -> School | None:
    """The school with a seeded random `fraction` of its connections hidden; None when its
    files are not in the shared data folder."""
    edges_path = SHARED_DATA / "facebook100" / f"{name}.edges.txt"
    info_path = SHARED_DATA / "facebook100" / f"{name}.local_info.txt"
    if not (edges_path.exists() and info_path.exists()):
        return None
    edges = np.loadtxt(edges_path, dtype=np.int64, ndmin=2)
    info = np.loadtxt(info_path, dtype=np.int64, ndmin=2)
    return split(name, edges, info, fraction=fraction, seed=seed)


def split(name: str, edges: IntArray, info: IntArray, *, fraction: float, seed: int) -> School:
    size = len(info)
    rng = np.random.default_rng(seed)
    hide = rng.random(len(edges)) < fraction
    kept = edges[~hide]
    graph = GraphIndex(Snapshot.from_pairs(kept[:, 0], kept[:, 1], size=size))
    hidden = fitting.by_member(edges[hide, 0], edges[hide, 1])
    return School(name, graph, profiles_of(info), hidden)


def profiles_of(info: IntArray) -> ProfileIndex:
    """Facebook100's attributes as profiles. A dorm or house is an organization, held in the
    four years up to the class year; the high school a school, in the four years before those;
    the first major is the sector. Without a class year a place has no years, so it is left
    out; nothing maps to a location."""
    affiliations: list[tuple[int, int, str, int, int | None]] = []
    for member, (dorm, year, school) in enumerate(info[:, [DORM, YEAR, HIGH_SCHOOL]].tolist()):
        if year <= 0:
            continue
        if dorm > 0:
            affiliations.append((member, dorm, "organization", year - 3, year))
        if school > 0:
            affiliations.append((member, school, "school", year - 7, year - 4))
    sectors = {member: major for member, major in enumerate(info[:, MAJOR].tolist()) if major > 0}
    return ProfileIndex.build(len(info), affiliations, sectors, {}, current_year=2010)


# The baselines


@njit(cache=True, nogil=True)
def neighbour_scores(  # noqa: PLR0917 - a compiled kernel takes its arrays positionally
    graph: GraphArrays, member: int, stamp: Any, tally: Any, adamic: Any, queue: Any, epoch: int
) -> int:  # pragma: no cover - compiled
    """The members two steps away, at the front of `queue`, with their common neighbours with
    `member` in `tally` and their Adamic–Adar score (the sum of 1 / log(connections) over the
    common neighbours) in `adamic`; how many."""
    stamp[member] = epoch
    tally[member] = -1
    for first in row(graph, member):
        stamp[first] = epoch
        tally[first] = -1
    count = 0
    for first in row(graph, member):
        connections = row(graph, first)
        if connections.shape[0] < 2:  # the member alone: it leads nowhere
            continue
        share = 1.0 / np.log(connections.shape[0])
        for other in connections:
            if stamp[other] != epoch:
                stamp[other] = epoch
                tally[other] = 1
                adamic[other] = share
                queue[count] = other
                count += 1
            elif tally[other] > 0:
                tally[other] += 1
                adamic[other] += share
    return count


class Baselines(Workspace):
    """Common neighbours and Adamic–Adar over the members two steps away, top `limit` by score
    and by id among equals, as the ranking breaks its ties."""

    def __init__(self, graph: GraphIndex) -> None:
        self.arrays = graph.arrays()
        super().__init__(self.arrays.size)
        self.stamp = self.marks()
        self.tally = self.scratch(np.int32)
        self.adamic = self.scratch(np.float64)
        self.queue = self.scratch(np.int64)

    def _scores(self, member: int) -> tuple[IntArray, npt.NDArray[Any], npt.NDArray[Any]]:
        count = neighbour_scores(
            self.arrays, member, self.stamp, self.tally, self.adamic, self.queue, self.next_epoch()
        )
        ids = self.queue[:count]
        return ids, self.tally[ids], self.adamic[ids]

    def common_neighbours(self, member: int, limit: int) -> list[int]:
        ids, common, _ = self._scores(member)
        return top(ids, common.astype(np.float64), limit)

    def adamic_adar(self, member: int, limit: int) -> list[int]:
        ids, _, adamic = self._scores(member)
        return top(ids, adamic, limit)


def top(ids: IntArray, score: npt.NDArray[np.float64], limit: int) -> list[int]:
    if len(score) > limit:
        bar = np.partition(-score, limit - 1)[limit - 1]
        keep = np.flatnonzero(-score <= bar)
        ids, score = ids[keep], score[keep]
    chosen: list[int] = ids[np.lexsort((ids, -score))][:limit].tolist()
    return chosen


# The evaluation


@dataclass
class Result:
    method: str
    recall: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    reciprocal: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, found: list[int], hidden: set[int], seconds: float) -> None:
        hits = [at for at, other in enumerate(found) if other in hidden]
        self.recall.append(len(hits) / len(hidden))
        self.precision.append(len(hits) / LIMIT)
        self.reciprocal.append(1 / (hits[0] + 1) if hits else 0.0)
        self.seconds.append(seconds)

    def latency_ms(self, q: float) -> float:
        return float(np.quantile(self.seconds, q)) * 1e3


def evaluate(school: School, reranker: reranking.Reranker | None) -> list[Result]:
    """Rank the top 20 for every member who lost a connection, with each method."""
    baselines = Baselines(school.graph)

    def ours(member: int, reranker: reranking.Reranker | None) -> list[int]:
        found = ranking.rank(school.graph, school.profiles, member, limit=LIMIT, reranker=reranker)
        return [s.member for s in found]

    methods: list[tuple[str, Callable[[int], list[int]]]] = [
        ("vínculo", lambda m: ours(m, reranker)),
        ("vínculo, first score only", lambda m: ours(m, None)),
        ("common neighbours", lambda m: baselines.common_neighbours(m, LIMIT)),
        ("Adamic–Adar", lambda m: baselines.adamic_adar(m, LIMIT)),
    ]
    for _, run in methods:
        run(0)  # compile
    results = [Result(name) for name, _ in methods]
    for member in sorted(school.hidden):
        for result, (_, run) in zip(results, methods, strict=True):
            started = time.perf_counter()
            found = run(member)
            result.add(found, school.hidden[member], time.perf_counter() - started)
    return results


def print_table(school: School, results: list[Result], seconds: float) -> bool:
    """Print the school's table; whether the ranking met the target there."""
    stats = school.graph.stats()
    hidden = sum(len(h) for h in school.hidden.values()) // 2
    print(f"#### {school.name}\n")
    print(
        f"{stats.members:,} members with connections left, {stats.connections:,} connections "
        f"left, {hidden:,} hidden; {len(school.hidden):,} members ranked ({seconds:.0f} s).\n"
    )
    print(
        "| method | recall@20 | precision@20 | MRR | p50 ms | p99 ms | recall / Adamic–Adar's "
        "| target ≥ 1.1× |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    adamic = float(np.mean(results[-1].recall))
    met = True
    for result in results:
        recall = float(np.mean(result.recall))
        ratio = recall / adamic if adamic else float("nan")
        verdict = ""
        if result.method == "vínculo":
            met = ratio >= TARGET
            verdict = "met" if met else "MISSED"
        print(
            f"| {result.method} | {recall:.3f} | {np.mean(result.precision):.3f} | "
            f"{np.mean(result.reciprocal):.3f} | {result.latency_ms(0.5):.2f} | "
            f"{result.latency_ms(0.99):.2f} | {ratio:.2f}× | {verdict} |"
        )
    print()
    return met


# Fitting the weights


@dataclass
class Sample:
    """Candidates of some members with their features and whether each was hidden; `starts`
    marks where each member's candidates begin."""

    features: npt.NDArray[np.float64]
    labels: npt.NDArray[np.float64]
    starts: IntArray


EXPONENTS = (0.25, 0.5, 0.75, 1.0)  # tried for the mutual connections
CANDIDATE_EXPONENTS = (0.0, 0.25, 0.5)  # tried for the candidate's connections


def sample(school: School, members: list[int], exponent: float) -> Sample:
    rows, labels, starts = [], [], [0]
    for member in members:
        ids, features = ranking.candidates(school.graph, school.profiles, member, exponent=exponent)
        if not len(ids):
            continue  # nothing to choose among: no part of the likelihood
        hidden = np.fromiter(school.hidden[member], np.int64)
        rows.append(features)
        labels.append(np.isin(ids, hidden).astype(np.float64))
        starts.append(starts[-1] + len(ids))
    return Sample(np.concatenate(rows), np.concatenate(labels), np.array(starts[:-1], np.int64))


def design(features: npt.NDArray[np.float64], candidate_exponent: float) -> npt.NDArray[Any]:
    """The model's inputs: the mutual term, then per kind of place the places shared, the sum of
    the log of their sizes and of the log of the years in common, then the same sector."""
    connections = np.maximum(features[:, kernels.CONNECTIONS], 1.0)
    mutual = np.log1p(
        ranking.MUTUAL_SCALE * features[:, kernels.MUTUAL_WEIGHT] / connections**candidate_exponent
    )
    places = features[:, kernels.PLACES : kernels.PLACES + 6]
    return np.column_stack((mutual, places, features[:, kernels.SAME_SECTOR]))


def sample_recall(score: npt.NDArray[Any], data: Sample) -> float:
    ends = np.append(data.starts[1:], len(score))
    recalls = []
    for start, end in zip(data.starts.tolist(), ends.tolist(), strict=True):
        labels = data.labels[start:end]
        hidden = labels.sum()
        if not hidden:
            continue
        chosen = np.argsort(-score[start:end], kind="stable")[:LIMIT]
        recalls.append(labels[chosen].sum() / hidden)
    return float(np.mean(recalls))


def fit(name: str, *, seed: int, members: int, fraction: float) -> None:
    school = load(name, fraction=fraction, seed=seed)
    if school is None:
        print(f"{name} is not in {SHARED_DATA}: nothing to fit on")
        return
    rng = np.random.default_rng(seed)
    chosen = sorted(school.hidden)
    if len(chosen) > members:
        chosen = sorted(rng.choice(chosen, members, replace=False).tolist())
    print(f"### Fitting on {name}, seed {seed}, {len(chosen)} members\n")
    print("| mutual exponent | candidate exponent | in-sample recall@20 |")
    print("|---:|---:|---:|")
    best: tuple[float, float, float, npt.NDArray[np.float64]] | None = None
    for exponent in EXPONENTS:
        data = sample(school, chosen, exponent)
        for candidate_exponent in CANDIDATE_EXPONENTS:
            x = design(data.features, candidate_exponent)
            weights = reranking.conditional_logit(x, data.labels, data.starts)
            recall = sample_recall(x @ weights, data)
            print(f"| {exponent} | {candidate_exponent} | {recall:.4f} |")
            if best is None or recall > best[0]:
                best = (recall, exponent, candidate_exponent, weights)
    assert best is not None
    _, exponent, candidate_exponent, weights = best
    w = [round(float(v), 2) for v in weights]
    print("\nFor src/vinculo/suggestions/ranking.py:\n")
    print(f"    MUTUAL_EXPONENT = {exponent}")
    print(f"    CANDIDATE_EXPONENT = {candidate_exponent}")
    print(f"    MUTUAL_POINTS = {w[0]}")
    print(f"    ORGANIZATION_POINTS = ({w[1]}, {w[2]}, {w[3]})")
    print(f"    SCHOOL_POINTS = ({w[4]}, {w[5]}, {w[6]})")
    print(f"    SECTOR_POINTS = {w[7]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", nargs="+", default=list(SCHOOLS))
    parser.add_argument("--seed", type=int, default=SEED, help="which connections are hidden")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--fit", action="store_true", help="fit the weights and print them")
    parser.add_argument("--fit-school", default=FIT_SCHOOL)
    parser.add_argument("--fit-seed", type=int, default=FIT_SEED)
    parser.add_argument("--fit-members", type=int, default=1000)
    args = parser.parse_args()
    if args.fit:
        fit(args.fit_school, seed=args.fit_seed, members=args.fit_members, fraction=args.fraction)
        return
    print(
        f"### Suggestions — {round(args.fraction * 100)}% of the connections hidden (seed "
        f"{args.seed}), top {LIMIT}\n"
    )
    print(
        f"First-score weights fitted on {FIT_SCHOOL} with the connections hidden under seed "
        f"{FIT_SEED}; each school's reranker fitted on its own visible connections, hiding "
        f"{round(fitting.SHARE * 100)}% of them again under seed {fitting.SEED}; Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs.\n"
    )
    verdicts = {}
    for name in args.schools:
        started = time.perf_counter()
        school = load(name, fraction=args.fraction, seed=args.seed)
        if school is None:
            print(f"#### {name}\n\nskipped: {name}'s files are not in {SHARED_DATA}\n")
            continue
        fitting_started = time.perf_counter()
        reranker = fitting.fit(school.graph, school.profiles)
        fitted_in = time.perf_counter() - fitting_started
        results = evaluate(school, reranker)
        verdicts[name] = print_table(school, results, time.perf_counter() - started)
        if reranker is None:
            print("Too small to fit a reranker: the first score alone ordered the suggestions.\n")
        else:
            print(f"Reranker fitted on {reranker.examples:,} members in {fitted_in:.1f} s.\n")
    if verdicts:
        met = [name for name, ok in verdicts.items() if ok]
        print(f"Target (recall@20 ≥ {TARGET}× Adamic–Adar's) met on {len(met)} of {len(verdicts)}.")


if __name__ == "__main__":
    main()
