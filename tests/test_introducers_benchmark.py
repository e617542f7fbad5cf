"""benchmarks/introducers.py run small: a generated school of a hundred members loaded by the
benchmark's own loader (careers from the attribute columns, tiers and dates at random), the graph
index served, and the product's choice of introducers for a few viewers' pages of 2nd-degree
members compared with the benchmark's naive per-candidate reference. The benchmark times them on
Cornell5; here only their answers are checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from vinculo import clock
from vinculo.db import Database
from vinculo.identity.repository import members_by_id
from vinculo.introductions.introducers import best_introducers

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "introducers.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("introducers_benchmark", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _school(bench: ModuleType, *, members: int, seed: int) -> object:
    """Groups of 25 who mostly know each other, a few links between groups, and attributes
    drawn from small ranges so that places are shared (Facebook100's columns)."""
    rng = np.random.default_rng(seed)
    edges = [
        (a, b)
        for a in range(members)
        for b in range(a + 1, members)
        if rng.random() < (0.5 if a // 25 == b // 25 else 0.03)
    ]
    info = np.zeros((members, 7), dtype=np.int64)
    info[:, 0] = 1
    info[:, 2] = rng.integers(0, 6, members)  # major
    info[:, 3] = rng.integers(0, 6, members) * (rng.random(members) < 0.2)  # second major
    info[:, 4] = rng.integers(0, 5, members)  # dorm
    info[:, 5] = rng.choice([0, 2005, 2006, 2007, 2008], members)  # class year
    info[:, 6] = rng.integers(0, 8, members)  # high school
    return bench.School("Generated", np.array(edges, dtype=np.int64), info)


def test_the_page_at_once_chooses_as_the_naive_reference(database: Database) -> None:
    bench = _benchmark()
    loaded = bench.load_school(database, _school(bench, members=100, seed=3), seed=5)
    assert loaded.members == 100
    assert loaded.careers > 100
    bench.serve_graph_index(database)
    pages = bench.sample_pages(database, viewers=6, seed=11)
    assert len(pages) == 6
    comparison = bench.compare(database, pages, naive_pages=len(pages), warm_up=pages[:1])
    assert comparison.with_introducer > 0
    assert comparison.same_best == comparison.targets == len(comparison.naive.best)
    assert comparison.same_ranking == comparison.naive_targets == comparison.targets
    # A few statements for the whole page, whatever its size; one per candidate for the reference.
    assert max(comparison.ours.statements) <= 6
    assert max(comparison.ours.statements) < min(comparison.naive.statements)
    # The best few, weighed without reading every date, are the head of the whole ranking.
    with clock.frozen(bench.NOW):
        for page in pages:
            ranked = bench.full_rankings(database, page)
            with database.unit_of_work(write=False) as db:
                viewer = members_by_id(db, [page.viewer])[page.viewer]
                for limit in (1, 2, 5):
                    best = best_introducers(db, viewer=viewer, target_ids=page.targets, limit=limit)
                    for target, found in ranked.items():
                        assert bench.same_ranking(best[target], found[:limit])
