"""The graph core against networkx: random graphs, changes through the overlay, compaction, and
two real networks."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path
from unittest.mock import patch

import networkx as nx
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vinculo.graph import GraphIndex, Snapshot
from vinculo.graph import index as graph_index
from vinculo.graph.workspace import LAST_EPOCH, Workspace

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


def _check_against(index: GraphIndex, reference: nx.Graph) -> None:
    members = sorted(reference.nodes)
    adjacency = {m: set(reference.neighbors(m)) for m in members}
    low, high = index.pairs()
    assert (low < high).all()
    assert sorted(zip(low.tolist(), high.tolist(), strict=True)) == sorted(
        (min(a, b), max(a, b)) for a, b in reference.edges
    )
    for a in members:
        lengths = nx.single_source_shortest_path_length(reference, a)
        first = adjacency[a]
        assert index.neighbours(a).tolist() == sorted(first)
        second = {n for f in first for n in adjacency[f]} - first - {a}
        assert index.second_degree(a).tolist() == sorted(second)
        assert index.second_degree_count(a) == len(second)
        _check_ranked(index, adjacency, a, second)
        common = {b: sorted(first & adjacency[b]) if b != a else sorted(first) for b in members}
        assert index.mutual_counts(a, members) == {
            b: 0 if a == b else len(common[b]) for b in members
        }
        found = index.degrees(a, members)
        for b in members:
            length = lengths.get(b)
            assert found[b] == (length if length is not None and length <= 3 else None), (a, b)
            assert index.degree(a, b) == found[b]
            assert index.connected(a, b) == (b in first)
            assert index.mutual_connections(a, b).tolist() == common[b]
            path = index.shortest_path(a, b)
            if length is not None and length <= 6:
                assert path is not None
                assert len(path) - 1 == length
                assert path[0] == a
                assert path[-1] == b
                assert all(y in adjacency[x] for x, y in pairwise(path))
                assert index.shortest_path(a, b) == path  # the same path every time
            else:
                assert path is None


def _check_ranked(
    index: GraphIndex, adjacency: dict[int, set[int]], a: int, second: set[int]
) -> None:
    """The 2nd-degree members ranked by mutual connections, most first, then by id."""
    ids, shared = index.second_degree_ranked(a)
    counts = {m: len(adjacency[a] & adjacency[m]) for m in second}
    expected = sorted(second, key=lambda m: (-counts[m], m))
    assert ids.tolist() == expected
    assert shared.tolist() == [counts[m] for m in expected]


@settings(max_examples=40, deadline=None)
@given(edges)
def test_snapshot_answers_like_networkx(pairs: list[tuple[int, int]]) -> None:
    index = GraphIndex.from_pairs(pairs)
    _check_against(index, _reference(pairs))


@settings(max_examples=40, deadline=None)
@given(edges, changes, st.sampled_from([None, 3]))
# A member who joined after the snapshot, connected and disconnected again.
@example([(0, 1)], [(True, 35, 36), (False, 35, 36)], None)
# The same connection made and unmade while the index reads between the changes.
@example([(0, 1)], [(True, 2, 3), (False, 2, 3), (True, 2, 3), (False, 0, 1), (True, 0, 1)], None)
def test_overlay_and_compaction_answer_like_networkx(
    pairs: list[tuple[int, int]], steps: list[tuple[bool, int, int]], fold_after: int | None
) -> None:
    """Changes through the overlay, read after every one (so the patch grows row by row and is
    rebuilt once mostly stale), with the index's own fold either at its bounds or after every
    three changed members."""
    members_bound = graph_index.COMPACT_MEMBERS if fold_after is None else fold_after
    with patch.object(graph_index, "COMPACT_MEMBERS", members_bound):
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
            for member in (a, b):
                assert index.neighbours(member).tolist() == sorted(reference.neighbors(member))
        _check_against(index, reference)
        assert index.stats().connections == reference.number_of_edges()
        index.compact()
        _check_against(index, reference)
        assert index.stats().connections == reference.number_of_edges()
        assert index.stats().overlay_changes == 0


@pytest.mark.parametrize("bound", ["COMPACT_MEMBERS", "COMPACT_CONNECTIONS"])
def test_the_index_folds_its_overlay_on_its_own(
    bound: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past either bound a change folds the overlay into the snapshot: nobody has to call
    `compact`, and the answers stay the same."""
    monkeypatch.setattr(graph_index, bound, 4)
    index = GraphIndex.from_pairs([(0, 1), (1, 2)])
    index.connect(3, 4)
    index.connect(5, 6)
    assert index.stats().overlay_changes == 2
    assert index.stats().index_bytes == Snapshot.from_pairs([0, 1], [1, 2]).nbytes
    index.connect(7, 8)  # a 6th changed member, a 3rd connection (5 > 4 either way)
    index.disconnect(0, 1)
    index.connect(9, 10)
    assert index.stats().overlay_changes < 5
    assert index.stats().index_bytes > Snapshot.from_pairs([0, 1], [1, 2]).nbytes
    expected = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    assert sorted(zip(*(side.tolist() for side in index.pairs()), strict=True)) == expected
    assert index.degree(1, 2) == 1
    assert index.degree(0, 1) is None


class _TwoMarks(Workspace):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.seen = self.marks()
        self.reached = self.marks()
        self.tally = self.scratch(np.int32)


def test_every_mark_array_is_cleared_when_the_epochs_wrap_around() -> None:
    work = _TwoMarks(4)
    work.epoch = LAST_EPOCH - 3
    first = work.next_epoch(2)
    assert first == LAST_EPOCH - 2
    work.seen[:2] = first
    work.reached[2:] = first + 1
    work.tally[:] = 7
    # No mark may ever equal a fresh epoch: past the last one, every mark array starts again.
    assert work.next_epoch(2) == 1
    assert not work.seen.any()
    assert not work.reached.any()
    assert work.tally.tolist() == [7, 7, 7, 7]  # values are read only where the marks say
    assert work.next_epoch() == 3


def test_searches_answer_the_same_across_the_wrap_around() -> None:
    index = GraphIndex.from_pairs([(0, 1), (1, 2), (2, 3), (3, 4)])
    before = [index.degrees(0, list(range(5))), index.second_degree(1).tolist()]
    index._workspace.epoch = LAST_EPOCH - 5  # as after two billion queries
    for _ in range(4):
        assert [index.degrees(0, list(range(5))), index.second_degree(1).tolist()] == before
    assert index._workspace.epoch < 100  # it wrapped around


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
    adjacency = {m: set(reference.neighbors(m)) for m in members}
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
        _check_ranked(index, adjacency, viewer, second)
