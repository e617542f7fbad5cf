"""The reranker of suggestions: what the graph says of the best candidates against a brute force,
the conditional logit recovering known weights, the order it gives, fitting on a community's own
network, the engine fitting it once (in the background or not), and the offline evaluation of
benchmarks/suggestions.py run small on a generated community (the benchmark measures it on real
networks)."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo import clock
from vinculo.db import Database
from vinculo.graph import GraphIndex, Snapshot
from vinculo.settings import get_settings
from vinculo.suggestions import fitting, kernels, ranking, repository, reranking
from vinculo.suggestions.engine import SuggestionEngine
from vinculo.suggestions.models import SuggestionReranker
from vinculo.suggestions.ranking import ProfileIndex
from vinculo.suggestions.reranking import (
    COLUMNS,
    NAMES,
    Reranker,
    column,
    conditional_logit,
    design,
    fitted,
)
from vinculo.worker import Worker

SIZE = 20

pairs = st.lists(st.tuples(st.integers(0, SIZE - 1), st.integers(0, SIZE - 1)), max_size=80)


def _adjacency(edges: list[tuple[int, int]]) -> dict[int, set[int]]:
    adjacency: dict[int, set[int]] = {m: set() for m in range(SIZE)}
    for a, b in edges:
        if a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    return adjacency


def _brute_structure(adjacency: dict[int, set[int]], member: int, other: int) -> list[float]:
    degree = {m: len(n) for m, n in adjacency.items()}
    common = adjacency[member] & adjacency[other]
    three = sum(
        1 / math.sqrt(degree[first] * degree[middle])
        for first in adjacency[member]
        for middle in adjacency[first]
        if other in adjacency[middle]
    )
    links = [(a, b) for a in common for b in common if a < b and b in adjacency[a]]
    return [
        len(common),
        sum(1 / math.log(degree[z]) for z in common if degree[z] > 1),
        sum(1 / degree[z] for z in common),
        three,
        len(links),
        sum(1 / math.sqrt(degree[a] * degree[b]) for a, b in links),
    ]


@settings(max_examples=60, deadline=None)
@given(pairs, st.integers(0, SIZE - 1))
def test_what_the_graph_says_matches_a_brute_force(
    edges: list[tuple[int, int]], member: int
) -> None:
    graph = GraphIndex.from_pairs(edges)
    adjacency = _adjacency(edges)
    others = np.array([m for m in range(SIZE) if m != member], np.int64)
    found = ranking.structure(graph, member, others)
    again = ranking.structure(graph, member, others[::-1])  # marks left behind change nothing
    assert found.shape == (len(others), kernels.STRUCTURE)
    for row, other in zip(found, others.tolist(), strict=True):
        assert row.tolist() == pytest.approx(_brute_structure(adjacency, member, other))
    np.testing.assert_allclose(again[::-1], found)


def test_the_conditional_logit_recovers_the_weights_that_made_the_choices() -> None:
    rng = np.random.default_rng(3)
    truth = np.array([1.5, -1.0, 0.5])
    members, per_member = 1500, 25
    x = rng.normal(size=(members * per_member, 3))
    y = np.zeros(members * per_member)
    for m in range(members):
        rows = slice(m * per_member, (m + 1) * per_member)
        odds = np.exp(x[rows] @ truth)
        y[m * per_member + rng.choice(per_member, p=odds / odds.sum())] = 1.0
    starts = np.arange(0, members * per_member, per_member)
    weights = conditional_logit(x, y, starts, ridge=1e-4)
    assert weights == pytest.approx(truth, abs=0.15)


def test_a_column_that_never_varies_gets_no_weight() -> None:
    rng = np.random.default_rng(4)
    x = np.column_stack((rng.normal(size=200), np.full(200, 7.0)))
    y = (np.arange(200) % 10 == 0).astype(np.float64)
    reranker = fitted(x, y, np.arange(0, 200, 10))
    assert reranker.scale[1] == 1.0
    assert reranker.weights[1] == pytest.approx(0.0, abs=1e-9)
    assert reranker.examples == 20


def _random_graph(size: int, average: float, seed: int) -> GraphIndex:
    """Members in ten groups, most connections within a group: triangles to find."""
    rng = np.random.default_rng(seed)
    count = int(size * average / 2)
    a = rng.integers(0, size, count)
    inside = rng.random(count) < 0.8
    b = np.where(inside, (a // 10) * 10 + rng.integers(0, 10, count), rng.integers(0, size, count))
    b = np.minimum(b, size - 1)
    return GraphIndex(Snapshot.from_pairs(a, b, size=size))


def test_a_reranker_orders_the_best_candidates_and_keeps_exclusions() -> None:
    """A reranker that only likes candidates with many connections orders the best of the first
    score by their number of connections; the member, their connections and the excluded never
    appear."""
    graph = _random_graph(400, 12, seed=5)
    profiles = ProfileIndex.empty(400)
    weights = np.zeros(COLUMNS)
    weights[column("log_connections")] = 1.0
    likes_hubs = Reranker(np.zeros(COLUMNS), np.ones(COLUMNS), weights, 1)
    assert likes_hubs.weight("log_connections") == 1.0
    for member in (0, 17, 250):
        excluded = {int(m) for m in graph.second_degree(member)[:3]}
        found = ranking.rank(
            graph, profiles, member, limit=15, excluded=excluded, reranker=likes_hubs
        )
        ids, features = ranking.candidates(graph, profiles, member, excluded=excluded)
        looked = ids[ranking.best(ids, ranking.points(features).sum(axis=1), reranking.DEPTH)]
        degree = {int(m): len(graph.neighbours(m)) for m in looked}
        expected = sorted(degree, key=lambda m: (-degree[m], m))[:15]
        assert [s.member for s in found] == expected
        assert [s.score for s in found] == pytest.approx(
            [math.log(max(degree[m], 1)) for m in expected]
        )
        forbidden = {member, *graph.neighbours(member).tolist(), *excluded}
        assert not forbidden & {s.member for s in found}


def test_design_has_its_named_columns() -> None:
    graph = _random_graph(200, 8, seed=6)
    ids, features = ranking.candidates(graph, ProfileIndex.empty(200), 3)
    mutual = ranking.mutual_term(features)
    x = design(mutual, features, ranking.structure(graph, 3, ids))
    assert x.shape == (len(ids), COLUMNS)
    assert len(set(NAMES)) == COLUMNS
    assert np.isfinite(x).all()
    connections = [len(graph.neighbours(m)) for m in ids.tolist()]
    assert x[:, column("log_connections")] == pytest.approx(np.log(connections))
    assert x[:, column("mutual_term")] == pytest.approx(mutual)
    # Each candidate sits in one cell of the grid, the left-out first one included.
    cells = x[:, [at for at, name in enumerate(NAMES) if name.startswith("cell_")]]
    assert set(cells.sum(axis=1).tolist()) <= {0.0, 1.0}
    lowest = (mutual < reranking.MUTUAL_EDGES[0]) & (np.log(connections) <= np.log(20))
    assert (cells.sum(axis=1) == 0).tolist() == lowest.tolist()


def test_a_small_community_teaches_no_reranker() -> None:
    graph = _random_graph(300, 8, seed=7)
    assert fitting.fit(graph, ProfileIndex.empty(300)) is None


def test_a_community_large_enough_fits_its_own_reranker() -> None:
    graph = _random_graph(3000, 14, seed=8)
    reranker = fitting.fit(graph, ProfileIndex.empty(3000), members=600)
    assert reranker is not None
    assert reranker.examples >= fitting.MIN_EXAMPLES
    assert reranker.weights.shape == (COLUMNS,)
    assert np.isfinite(reranker.weights).all()
    # The same seed hides the same connections: fitting is repeatable.
    again = fitting.fit(graph, ProfileIndex.empty(3000), members=600)
    assert again is not None
    assert again.weights == pytest.approx(reranker.weights)


def _some_reranker(seed: int) -> Reranker:
    rng = np.random.default_rng(seed)
    return Reranker(np.zeros(COLUMNS), np.ones(COLUMNS), rng.normal(size=COLUMNS), 7)


def test_a_stored_reranker_comes_back_whole() -> None:
    reranker = _some_reranker(1)
    again = Reranker.from_json(json.loads(json.dumps(reranker.to_json())))
    assert again is not None
    assert again.weights.tolist() == reranker.weights.tolist()
    assert again.examples == 7
    # One fitted on other columns (an older release) is not used.
    stored = {**reranker.to_json(), "columns": ["something", "else"]}
    assert Reranker.from_json(stored) is None


def test_serving_processes_load_what_the_worker_stored(database: Database) -> None:
    """The engine never fits: it loads the latest reranker stored (the worker's), and only a
    newer one replaces it."""
    engine = SuggestionEngine(database, max_age_seconds=3600)
    engine.load()
    assert engine.reranker() == (None, 0)
    for seed in (1, 2):
        with database.unit_of_work() as db:
            version = repository.save_reranker(
                db, model=json.dumps(_some_reranker(seed).to_json()), fitted_at=clock.now()
            )
        engine.load()
        loaded, loaded_version = engine.reranker()
        assert loaded_version == version
        assert loaded is not None
        assert loaded.weights.tolist() == _some_reranker(seed).weights.tolist()
    # Only the last three are kept.
    for seed in range(3, 7):
        with database.unit_of_work() as db:
            repository.save_reranker(
                db, model=json.dumps(_some_reranker(seed).to_json()), fitted_at=clock.now()
            )
    with database.unit_of_work(write=False) as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(SuggestionReranker)) == 3


def test_the_worker_fits_when_the_stored_reranker_is_due(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits: list[int] = []

    def fake_fit(graph: GraphIndex, profiles: ProfileIndex, **_: Any) -> Reranker:
        fits.append(1)
        return _some_reranker(len(fits))

    monkeypatch.setattr(fitting, "fit", fake_fit)
    settings = get_settings().model_copy(update={"suggestion_refit_seconds": 3600})
    jobs = Worker(database, settings)
    first = jobs.run_once().reranker
    assert first is not None
    assert jobs.run_once().reranker is None  # an hour has not passed
    with clock.frozen(clock.now() + timedelta(hours=2)):
        assert jobs.run_once().reranker == first + 1
    assert len(fits) == 2


def _adamic_adar_top(graph: GraphIndex, member: int, limit: int) -> list[int]:
    """Adamic–Adar's best `limit` for `member`, by brute force, ties by id."""
    scores: dict[int, float] = {}
    mine = set(graph.neighbours(member).tolist())
    for middle in mine:
        theirs = graph.neighbours(middle).tolist()
        if len(theirs) < 2:
            continue
        share = 1 / math.log(len(theirs))
        for other in theirs:
            if other != member and other not in mine:
                scores[other] = scores.get(other, 0.0) + share
    return sorted(scores, key=lambda o: (-scores[o], o))[:limit]


def test_the_offline_evaluation_on_a_generated_community() -> None:
    """benchmarks/suggestions.py's evaluation, small: hide a tenth of the connections of a
    community whose members mostly know their colleagues, fit the reranker on what is left (as
    the community would), and rank the top 20 for every member who lost a connection. The lists
    are well formed, the reranker only reorders the first score's best, and, as on the real
    networks, the first score finds more hidden connections than Adamic–Adar and the reranker
    more than the first score."""
    size, limit = 1000, 20
    graph = _random_graph(size, 12, seed=11)
    # Each group of ten shares an organization, in overlapping years; some share a school.
    places: list[tuple[int, int, str, int, int | None]] = [
        (m, m // 10, "organization", 2010 + m % 3, 2014 + m % 4) for m in range(size)
    ]
    places += [(m, m % 7, "school", 2000, 2004) for m in range(0, size, 3)]
    profiles = ProfileIndex.build(
        size, places, {m: 1 + m % 5 for m in range(size)}, {}, current_year=2020
    )
    kept, hidden = fitting.split(graph, share=0.1, seed=5)
    reranker = fitting.fit(kept, profiles, members=300, min_examples=100)
    assert reranker is not None
    recall: dict[str, list[float]] = {"first score": [], "reranked": [], "Adamic–Adar": []}
    for member, lost in sorted(hidden.items()):
        forbidden = {member, *kept.neighbours(member).tolist()}
        ids, features = ranking.candidates(kept, profiles, member)
        looked = ids[ranking.best(ids, ranking.points(features).sum(axis=1), reranking.DEPTH)]
        plain = ranking.rank(kept, profiles, member, limit=limit)
        again = ranking.rank(kept, profiles, member, limit=limit, reranker=reranker)
        for found in (plain, again):
            assert len(found) == min(limit, len(ids))
            assert not forbidden & {s.member for s in found}
            scores = [s.score for s in found]
            assert scores == sorted(scores, reverse=True)
        assert {s.member for s in again} <= set(looked.tolist())
        for method, top in (
            ("first score", [s.member for s in plain]),
            ("reranked", [s.member for s in again]),
            ("Adamic–Adar", _adamic_adar_top(kept, member, limit)),
        ):
            recall[method].append(len(set(top) & lost) / len(lost))
    mean = {method: float(np.mean(values)) for method, values in recall.items()}
    assert mean["first score"] > 1.03 * mean["Adamic–Adar"], mean
    assert mean["reranked"] > 1.02 * mean["first score"], mean
