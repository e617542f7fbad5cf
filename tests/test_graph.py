"""The graph core against networkx: random graphs, changes through the overlay, compaction, and
two real networks."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vinculo.graph import GraphIndex, Snapshot

SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

edges = st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), min_size=0, max_size=90)
# Changes reach past the snapshot's ids: members who joined after it was built.
changes = st.lists(st.tuples(st.booleans(), st.integers(0, 39), st.integers(0, 39)), max_size=40)


def _reference(pairs: list[tuple[int, int]], size: int = 40) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(size))
    graph.add_edges_from((a, b) for a, b in pairs if a != b)
    return graph


def _degree(reference: nx.Graph, a: int, b: int) -> int | None:
    try:
        length = nx.shortest_path_length(reference, a, b)
    except nx.NetworkXNoPath:
        return None
    return int(length) if length <= 3 else None


def _check_against(index: GraphIndex, reference: nx.Graph) -> None:
    members = sorted(reference.nodes)
    for a in members:
        assert index.neighbours(a).tolist() == sorted(reference.neighbors(a))
        first = set(reference.neighbors(a))
        second = {n for f in first for n in reference.neighbors(f)} - first - {a}
        assert index.second_degree(a).tolist() == sorted(second)
        _check_ranked(index, reference, a, second)
        assert index.mutual_counts(a, members) == {
            b: 0 if a == b else len(list(nx.common_neighbors(reference, a, b))) for b in members
        }
        found = index.degrees(a, members)
        for b in members:
            assert found[b] == _degree(reference, a, b), (a, b)
            expected_mutual = (
                sorted(nx.common_neighbors(reference, a, b)) if a != b else sorted(first)
            )
            assert index.mutual_connections(a, b).tolist() == expected_mutual
            path = index.shortest_path(a, b)
            if nx.has_path(reference, a, b) and nx.shortest_path_length(reference, a, b) <= 6:
                assert path is not None
                assert len(path) - 1 == nx.shortest_path_length(reference, a, b)
                assert path[0] == a
                assert path[-1] == b
                assert all(reference.has_edge(x, y) for x, y in pairwise(path))
                assert index.shortest_path(a, b) == path  # the same path every time
            else:
                assert path is None


def _check_ranked(index: GraphIndex, reference: nx.Graph, a: int, second: set[int]) -> None:
    """The 2nd-degree members ranked by mutual connections, most first, then by id."""
    ids, shared = index.second_degree_ranked(a)
    counts = {m: len(list(nx.common_neighbors(reference, a, m))) for m in second}
    expected = sorted(second, key=lambda m: (-counts[m], m))
    assert ids.tolist() == expected
    assert shared.tolist() == [counts[m] for m in expected]


@settings(max_examples=40, deadline=None)
@given(edges)
def test_snapshot_answers_like_networkx(pairs: list[tuple[int, int]]) -> None:
    index = GraphIndex.from_pairs(pairs)
    _check_against(index, _reference(pairs))


@settings(max_examples=40, deadline=None)
@given(edges, changes)
# A member who joined after the snapshot, connected and disconnected again.
@example([(0, 1)], [(True, 35, 36), (False, 35, 36)])
def test_overlay_and_compaction_answer_like_networkx(
    pairs: list[tuple[int, int]], steps: list[tuple[bool, int, int]]
) -> None:
    index = GraphIndex.from_pairs(pairs)
    reference = _reference(pairs)
    for add, a, b in steps:
        if add:
            index.connect(a, b)
            if a != b:
                reference.add_edge(a, b)
        else:
            index.disconnect(a, b)
            if reference.has_edge(a, b):
                reference.remove_edge(a, b)
    _check_against(index, reference)
    index.compact()
    _check_against(index, reference)
    assert index.stats().connections == reference.number_of_edges()


def test_snapshot_memory_is_about_eight_bytes_a_connection() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 10_000, 200_000)
    b = rng.integers(0, 10_000, 200_000)
    snapshot = Snapshot.from_pairs(a, b)
    per_connection = snapshot.nbytes / snapshot.connections
    assert per_connection < 9


def _load(path: Path, *, separator: str | None, skip: int) -> list[tuple[int, int]]:
    pairs = []
    with path.open() as lines:
        for number, line in enumerate(lines):
            if number < skip or line.startswith("#"):
                continue
            fields = line.strip().split(separator)
            pairs.append((int(fields[0]), int(fields[1])))
    return pairs


def _dense(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ids = {member: index for index, member in enumerate(sorted({m for p in pairs for m in p}))}
    return [(ids[a], ids[b]) for a, b in pairs]


@pytest.mark.parametrize(
    ("relative", "separator", "skip"),
    [
        ("ldbc-tiny/person_knows_person_0_0.csv", "|", 1),
        ("ego-facebook/facebook_combined.txt", None, 0),
    ],
)
def test_real_networks_answer_like_networkx(
    relative: str, separator: str | None, skip: int
) -> None:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{relative} is not here: the shared data folder is absent ({SHARED_DATA})")
    pairs = _dense(_load(path, separator=separator, skip=skip))
    index = GraphIndex.from_pairs(pairs)
    reference = nx.Graph(pairs)
    rng = np.random.default_rng(11)
    members = sorted(reference.nodes)
    viewers = rng.choice(members, size=min(15, len(members)), replace=False).tolist()
    for viewer in viewers:
        lengths = nx.single_source_shortest_path_length(reference, viewer, cutoff=6)
        sample = rng.choice(members, size=min(60, len(members)), replace=False).tolist()
        found = index.degrees(viewer, sample)
        for member in sample:
            expected = lengths.get(member)
            assert found[member] == (expected if expected is not None and expected <= 3 else None)
            route = index.shortest_path(viewer, member)
            assert (None if route is None else len(route) - 1) == expected
            assert (
                index.mutual_count(viewer, member)
                == len(list(nx.common_neighbors(reference, viewer, member)))
                or viewer == member
            )
        first = set(reference.neighbors(viewer))
        second = {n for f in first for n in reference.neighbors(f)} - first - {viewer}
        assert len(index.second_degree(viewer)) == len(second)
        _check_ranked(index, reference, viewer, second)
