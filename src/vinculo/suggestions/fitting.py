"""Fitting the reranker on a community's own network, with no labels but its connections: hide a
seeded share of them, rank for members who lost one, and fit the reranker to find the hidden
ones among each member's best candidates (a conditional logit, `reranking.fitted`).

The hidden connections are hidden from the fit only: the reranker it returns is then used on the
whole network. Pure: it knows the graph index, the profile index and numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vinculo.graph import GraphIndex, Snapshot
from vinculo.suggestions import ranking
from vinculo.suggestions.ranking import ProfileIndex
from vinculo.suggestions.reranking import DEPTH, Reranker, fitted

SHARE = 0.1  # of the connections hidden
MEMBERS = 1000  # members who lost a connection, sampled
MIN_EXAMPLES = 300  # members with a hidden connection among their best candidates, at least
SEED = 1

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def split(graph: GraphIndex, *, share: float, seed: int) -> tuple[GraphIndex, dict[int, set[int]]]:
    """The graph with a seeded random `share` of its connections hidden, and each member's
    hidden connections."""
    low, high = graph.pairs()
    hide = np.random.default_rng(seed).random(len(low)) < share
    size = graph.arrays().size
    kept = GraphIndex(Snapshot.from_pairs(low[~hide], high[~hide], size=size))
    return kept, by_member(low[hide], high[hide])


def by_member(low: npt.ArrayLike, high: npt.ArrayLike) -> dict[int, set[int]]:
    """Connections given as two arrays of ends, as each member's set of the others."""
    found: dict[int, set[int]] = {}
    for a, b in zip(np.asarray(low).tolist(), np.asarray(high).tolist(), strict=True):
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found


def examples(
    graph: GraphIndex, profiles: ProfileIndex, hidden: dict[int, set[int]], members: list[int]
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Each member's best `DEPTH` candidates on `graph` as the reranker's inputs, whether each
    is one of their hidden connections, and where each member's rows start; members with no
    hidden connection among their best candidates are left out (they teach nothing)."""
    rows: list[FloatArray] = []
    labels: list[FloatArray] = []
    starts = [0]
    for member in members:
        ids, features = ranking.candidates(graph, profiles, member)
        if not len(ids):
            continue
        best = ranking.best(ids, ranking.points(features).sum(axis=1), DEPTH)
        found = np.isin(ids[best], np.fromiter(hidden.get(member, ()), np.int64))
        if not found.any():
            continue
        rows.append(ranking.rerank_inputs(graph, member, ids[best], features[best]))
        labels.append(found.astype(np.float64))
        starts.append(starts[-1] + len(best))
    if not rows:
        return np.empty((0, 0)), np.empty(0), np.empty(0, np.int64)
    return np.concatenate(rows), np.concatenate(labels), np.array(starts[:-1], np.int64)


def fit(
    graph: GraphIndex,
    profiles: ProfileIndex,
    *,
    share: float = SHARE,
    members: int = MEMBERS,
    seed: int = SEED,
    min_examples: int = MIN_EXAMPLES,
) -> Reranker | None:
    """A reranker fitted on the network's own connections, or None when the network is too small
    to teach one (fewer than `min_examples` members find a hidden connection among their best
    candidates); the first score alone then orders the suggestions."""
    kept, hidden = split(graph, share=share, seed=seed)
    chosen = sorted(hidden)
    if len(chosen) < min_examples:
        return None
    if len(chosen) > members:
        rng = np.random.default_rng(seed)
        chosen = sorted(rng.choice(chosen, members, replace=False).tolist())
    x, y, starts = examples(kept, profiles, hidden, chosen)
    if len(starts) < min_examples:
        return None
    return fitted(x, y, starts)


__all__ = ["MEMBERS", "MIN_EXAMPLES", "SHARE", "by_member", "examples", "fit", "split"]
