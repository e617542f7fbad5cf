"""The suggestions' ranking core: every signal against a brute force on small random communities,
the years two members have in common, who is never suggested, ties, the points adding up to the
score, and no kernel compiling in a request once warmed up. How well it finds hidden connections
on real networks is measured by benchmarks/suggestions.py; test_suggestions_reranking.py runs the
same evaluation small on a generated community."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Collection
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba.core.dispatcher import Dispatcher

from vinculo.graph import GraphIndex, Snapshot
from vinculo.graph import kernels as graph_kernels
from vinculo.suggestions import fitting, kernels, ranking
from vinculo.suggestions.ranking import ProfileIndex, SharedPlace, Suggestion, rank
from vinculo.suggestions.reranking import COLUMNS, Reranker

SIZE = 24
YEAR = 2026  # "current" for affiliations without an end

Affiliation = tuple[int, int, str, int, int | None]

members = st.integers(0, SIZE - 1)
edges = st.lists(st.tuples(members, members), max_size=70)
affiliations = st.lists(
    st.tuples(
        members,
        st.integers(0, 3),
        st.sampled_from(ranking.KINDS),
        st.integers(2010, 2024),
        st.one_of(st.none(), st.integers(0, 6)),
    ).map(lambda a: (a[0], a[1], a[2], a[3], None if a[4] is None else a[3] + a[4])),
    max_size=30,
)
attributes = st.dictionaries(members, st.integers(0, 3), max_size=SIZE)
groups = st.dictionaries(st.integers(1, 4), st.sets(members, max_size=8), max_size=3)
excluded = st.sets(members, max_size=4)


@dataclass
class Community:
    """The same community as plain Python sets, for a brute force to read."""

    graph: GraphIndex
    profiles: ProfileIndex
    adjacency: dict[int, set[int]]
    years: dict[tuple[int, str, int], set[int]]  # (member, kind, place) -> years there
    sectors: dict[int, int]
    locations: dict[int, int]


def _community(
    pairs: list[tuple[int, int]],
    places: list[Affiliation],
    sectors: dict[int, int],
    locations: dict[int, int],
) -> Community:
    graph = GraphIndex.from_pairs(pairs)
    profiles = ProfileIndex.build(SIZE, places, sectors, locations, current_year=YEAR)
    adjacency: dict[int, set[int]] = {m: set() for m in range(SIZE)}
    for a, b in pairs:
        if a != b:
            adjacency[a].add(b)
            adjacency[b].add(a)
    years: dict[tuple[int, str, int], set[int]] = {}
    for member, place, kind, start, end in places:
        years.setdefault((member, kind, place), set()).update(
            range(start, (YEAR if end is None else end) + 1)
        )
    return Community(graph, profiles, adjacency, years, sectors, locations)


def _shared(community: Community, a: int, b: int) -> list[SharedPlace]:
    shared = []
    for (member, kind, place), years in community.years.items():
        if member != a:
            continue
        common = years & community.years.get((b, kind, place), set())
        if common:
            shared.append(SharedPlace(place, kind, min(common), max(common), len(common)))  # type: ignore[arg-type]
    return sorted(shared, key=lambda p: (-p.years, p.kind, p.place))


def _place_points(community: Community, place: SharedPlace) -> float:
    weights = ranking.ORGANIZATION_POINTS if place.kind == "organization" else ranking.SCHOOL_POINTS
    size = len({m for (m, kind, p) in community.years if (kind, p) == (place.kind, place.place)})
    points = weights[0] + weights[1] * math.log(size) + weights[2] * math.log(place.years)
    return max(points, 0.0)


def _expected(
    community: Community,
    member: int,
    other: int,
    group_members: dict[int, set[int]],
) -> tuple[tuple[float, ...], dict[str, object]]:
    """The points and signals of `other` as a suggestion to `member`, worked out by hand."""
    adjacency = community.adjacency
    mutual = adjacency[member] & adjacency[other]
    weight = sum(len(adjacency[z]) ** -ranking.MUTUAL_EXPONENT for z in mutual)
    connections = max(len(adjacency[other]), 1)
    shared = _shared(community, member, other)
    same_sector = community.sectors.get(member, 0) > 0 and community.sectors.get(
        member
    ) == community.sectors.get(other)
    same_location = community.locations.get(member, 0) > 0 and community.locations.get(
        member
    ) == community.locations.get(other)
    shared_groups = tuple(sorted(g for g, ms in group_members.items() if other in ms))
    points = (
        ranking.MUTUAL_POINTS
        * math.log1p(ranking.MUTUAL_SCALE * weight / connections**ranking.CANDIDATE_EXPONENT),
        sum(_place_points(community, p) for p in shared if p.kind == "organization"),
        sum(_place_points(community, p) for p in shared if p.kind == "school"),
        ranking.SECTOR_POINTS * same_sector,
        ranking.LOCATION_POINTS * same_location,
        ranking.GROUP_POINTS * len(shared_groups),
    )
    signals: dict[str, object] = {
        "mutual_count": len(mutual),
        "mutuals": tuple(sorted(mutual, key=lambda z: (len(adjacency[z]), z))[:3]),
        "shared_places": tuple(shared),
        "same_sector": same_sector,
        "same_location": same_location,
        "shared_groups": shared_groups,
    }
    return points, signals


def _candidates(
    community: Community, member: int, skip: Collection[int], group_members: dict[int, set[int]]
) -> set[int]:
    adjacency = community.adjacency
    found = {o for f in adjacency[member] for o in adjacency[f]}
    found |= {o for o in range(SIZE) if _shared(community, member, o)}
    sector, location = community.sectors.get(member, 0), community.locations.get(member, 0)
    if sector > 0 and location > 0:
        found |= {
            o
            for o in range(SIZE)
            if community.sectors.get(o) == sector and community.locations.get(o) == location
        }
    for ms in group_members.values():
        found |= ms
    return found - adjacency[member] - {member} - set(skip)


def _check_order(suggestions: list[Suggestion]) -> None:
    for first, second in pairwise(suggestions):
        assert first.score > second.score - 1e-9
        if first.score == second.score:
            assert first.member < second.member


@settings(max_examples=150, deadline=None)
@given(edges, affiliations, attributes, attributes, groups, excluded)
def test_signals_and_points_match_a_brute_force(  # noqa: PLR0917 - one per strategy
    pairs: list[tuple[int, int]],
    places: list[Affiliation],
    sectors: dict[int, int],
    locations: dict[int, int],
    group_members: dict[int, set[int]],
    skip: set[int],
) -> None:
    community = _community(pairs, places, sectors, locations)
    for member in range(SIZE):
        found = rank(
            community.graph,
            community.profiles,
            member,
            limit=SIZE,
            excluded=skip,
            groups=group_members,
        )
        assert {s.member for s in found} == _candidates(community, member, skip, group_members)
        _check_order(found)
        for suggestion in found:
            points, signals = _expected(community, member, suggestion.member, group_members)
            got = suggestion.signals
            assert got.points == pytest.approx(points)
            assert suggestion.score == pytest.approx(sum(got.contributions().values()))
            assert got.mutual_count == signals["mutual_count"]
            assert got.mutuals == signals["mutuals"]
            assert got.shared_places == signals["shared_places"]
            assert got.same_sector == signals["same_sector"]
            assert got.same_location == signals["same_location"]
            assert got.shared_groups == signals["shared_groups"]


@settings(max_examples=30, deadline=None)
@given(edges, affiliations)
def test_a_short_list_is_the_head_of_the_long_one(
    pairs: list[tuple[int, int]], places: list[Affiliation]
) -> None:
    community = _community(pairs, places, {}, {})
    for member in range(0, SIZE, 3):
        long = rank(community.graph, community.profiles, member, limit=SIZE)
        short = rank(community.graph, community.profiles, member, limit=3)
        assert [s.member for s in short] == [s.member for s in long[:3]]
        assert rank(community.graph, community.profiles, member, limit=SIZE) == long


def _profiles(places: list[Affiliation], size: int = 10) -> ProfileIndex:
    return ProfileIndex.build(size, places, {}, {}, current_year=YEAR)


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        ((2001, 2004), (2004, 2006), (2004, 2004, 1)),  # one year in common
        ((2001, 2003), (2004, 2006), None),  # consecutive, never together
        ((2001, 2010), (2003, 2005), (2003, 2005, 3)),  # one inside the other
        ((2020, None), (2024, None), (2024, YEAR, 3)),  # both still there
        ((2020, None), (2010, 2019), None),
    ],
)
def test_years_in_common(
    mine: tuple[int, int | None],
    theirs: tuple[int, int | None],
    expected: tuple[int, int, int] | None,
) -> None:
    profiles = _profiles([(0, 7, "organization", *mine), (1, 7, "organization", *theirs)])
    shared = profiles.shared_places(0, 1)
    graph = GraphIndex.from_pairs([])
    found = rank(graph, profiles, 0)
    if expected is None:
        assert shared == ()
        assert found == []
    else:
        first, last, years = expected
        assert shared == (SharedPlace(7, "organization", first, last, years),)
        assert [s.member for s in found] == [1]
        assert found[0].signals.shared_places == shared
        assert found[0].signals.strongest() in ([ranking.ORGANIZATIONS], [])


def test_stretches_at_one_place_join_and_kinds_stay_apart() -> None:
    profiles = _profiles(
        [
            (0, 3, "organization", 2000, 2002),
            (0, 3, "organization", 2003, 2005),  # touches the first: one stretch
            (0, 3, "organization", 2010, 2012),  # came back later
            (1, 3, "organization", 2001, 2011),
            (1, 3, "school", 2001, 2011),  # school 3 is not organization 3
        ]
    )
    assert profiles.shared_places(0, 1) == (SharedPlace(3, "organization", 2001, 2011, 7),)
    assert profiles.shared_places(1, 0) == profiles.shared_places(0, 1)


def test_bad_affiliations_are_refused() -> None:
    with pytest.raises(ValueError, match="before starting"):
        _profiles([(0, 1, "organization", 2010, 2009)])
    with pytest.raises(ValueError, match="kind"):
        _profiles([(0, 1, "club", 2010, 2012)])
    with pytest.raises(ValueError, match="outside"):
        _profiles([(10, 1, "school", 2010, 2012)])


def test_never_the_member_their_connections_or_the_excluded() -> None:
    # 0 knows 1 and 2; 1 and 2 know 3, 4, 5; 0 shares an organization with 1 and 6.
    graph = GraphIndex.from_pairs([(0, 1), (0, 2), (1, 3), (2, 3), (1, 4), (2, 5), (1, 2)])
    profiles = _profiles(
        [(m, 9, "organization", 2015, None) for m in (0, 1, 6)],
        size=8,
    )
    found = [s.member for s in rank(graph, profiles, 0, limit=10)]
    assert found == [3, 4, 5, 6]  # 3 has two mutuals; 4 and 5 one each, by id; 6 a place
    assert [s.member for s in rank(graph, profiles, 0, limit=10, excluded={3, 6})] == [4, 5]
    assert rank(graph, profiles, 0, limit=0) == []
    assert rank(graph, profiles, 7) == []  # nobody and nothing in common
    assert rank(graph, profiles, 0, limit=10, excluded=range(8)) == []


def test_a_mutual_with_few_connections_counts_more_than_a_collector() -> None:
    # 0 reaches 5 through 1 (connected to little else) and 6 through 2 (a collector).
    pairs = [(0, 1), (1, 5), (0, 2), (2, 6)] + [(2, c) for c in range(10, 40)]
    found = rank(GraphIndex.from_pairs(pairs), ProfileIndex.empty(40), 0, limit=40)
    assert found[0].member == 5
    assert found[0].score > found[1].score
    assert found[0].signals.mutuals == (1,)
    assert found[0].signals.strongest() == [ranking.MUTUALS]


def test_points_add_up_and_the_two_strongest_are_named() -> None:
    graph = GraphIndex.from_pairs([(0, 1), (1, 2)])
    profiles = ProfileIndex.build(
        4,
        [(0, 5, "school", 2010, 2014), (2, 5, "school", 2012, 2016)],
        {0: 3, 2: 3},
        {0: 1, 2: 1},
        current_year=YEAR,
    )
    (suggestion,) = rank(graph, profiles, 0, groups={8: {0, 2, 3}, 9: {2}})[:1]
    signals = suggestion.signals
    assert suggestion.member == 2
    assert signals.same_sector
    assert signals.same_location
    assert signals.shared_groups == (8, 9)
    assert signals.shared_places == (SharedPlace(5, "school", 2012, 2014, 3),)
    contributions = signals.contributions()
    assert list(contributions) == list(ranking.SIGNALS)
    assert sum(contributions.values()) == pytest.approx(suggestion.score)
    strongest = sorted(contributions, key=lambda name: -contributions[name])[:2]
    assert signals.strongest() == strongest
    assert signals.strongest(1) == strongest[:1]


def test_ties_are_broken_by_id() -> None:
    # A star: every leaf is two steps from leaf 1, through the hub, with the same score.
    graph = GraphIndex.from_pairs([(0, leaf) for leaf in range(1, 30)])
    found = rank(graph, ProfileIndex.empty(30), 1, limit=5)
    assert [s.member for s in found] == [2, 3, 4, 5, 6]
    assert len({s.score for s in found}) == 1


def test_a_group_brings_in_members_the_graph_and_profiles_do_not_know_yet() -> None:
    graph = GraphIndex.from_pairs([(0, 1)])
    found = rank(graph, ProfileIndex.empty(2), 0, groups={4: {0, 1, 50}})
    assert [s.member for s in found] == [50]
    assert found[0].signals.shared_groups == (4,)
    assert found[0].signals.strongest() == [ranking.GROUPS]


def _kernel_signatures() -> dict[str, int]:
    """How many signatures each compiled kernel of the graph and of the suggestions has."""
    return {
        f"{module.__name__}.{name}": len(kernel.signatures)
        for module in (graph_kernels, kernels)
        for name, kernel in vars(module).items()
        if isinstance(kernel, Dispatcher)
    }


def _every_graph_query(graph: GraphIndex, rng: np.random.Generator) -> None:
    """Every public query of the graph index, some with numpy integers for ids as a caller may
    pass them, on the patched arrays and again after a fold."""
    for a, b in rng.integers(0, 70, (25, 2)).tolist():
        graph.connect(a, b)
    for a, b in rng.integers(0, 70, (10, 2)).tolist():
        graph.disconnect(a, b)
    for _ in range(2):
        first = graph.neighbours(3)
        # Ids as numpy integers, as a caller reading them out of arrays passes them.
        other: Any = first[0] if len(first) else np.int32(4)
        three: Any = np.int64(3)
        assert graph.version >= 0
        graph.connected(3, other)
        graph.mutual_connections(3, 9)
        graph.mutual_connections(other, other)
        graph.mutual_count(three, 9)
        graph.mutual_counts(3, list(range(40)))
        graph.second_degree(other)
        graph.second_degree_count(3)
        graph.second_degree_ranked(3)
        graph.degree(3, 40)
        graph.degrees(3, [1, 2])
        graph.degrees(other, list(range(70)))
        for target in range(70):
            graph.shortest_path(3, target)
        graph.shortest_path(3, 60, max_length=2)
        graph.pairs()
        graph.arrays()
        graph.stats()
        graph.compact()


def _every_ranking_query(graph: GraphIndex, rng: np.random.Generator) -> None:
    """Every public query of the ranking: with and without a reranker, groups and exclusions,
    the candidates and what the reranker reads of them, and a fit."""
    size = graph.arrays().size
    places: list[Affiliation] = [
        (int(m), int(rng.integers(0, 4)), ranking.KINDS[m % 2], 2010 + m % 5, None)
        for m in range(0, size, 2)
    ]
    profiles = ProfileIndex.build(
        size,
        places,
        {m: m % 3 for m in range(size)},
        {m: m % 2 for m in range(size)},
        current_year=YEAR,
    )
    reranker = Reranker(np.zeros(COLUMNS), np.ones(COLUMNS), np.ones(COLUMNS), 1)
    for member in range(0, size, 7):
        numpy_member: Any = np.int64(member)
        for second_look in (None, reranker):
            rank(graph, profiles, member, reranker=second_look)
            rank(
                graph,
                profiles,
                numpy_member,
                limit=5,
                excluded={member + 1, member + 2},
                groups={1: {member, 3, 5, size + 2}, 2: {1, 2}},
                reranker=second_look,
            )
        rank(graph, ProfileIndex.empty(size), member)
        ids, features = ranking.candidates(graph, profiles, member, exponent=0.5)
        ranking.rerank_inputs(graph, member, ids[::-1], features[::-1])
    fitting.fit(graph, profiles, share=0.3, min_examples=2)


def queries_after_warm_up() -> None:
    """In a fresh process: warm up, then ask every query on other graphs; print, as JSON, the
    kernels that compiled a new signature for them and how many."""
    from vinculo.graph import warm_up as warm_up_graph

    found: dict[str, object] = {}
    rng = np.random.default_rng(12)
    a, b = rng.integers(0, 60, 240), rng.integers(0, 60, 240)
    warm_up_graph()
    before = _kernel_signatures()
    for graph in (
        GraphIndex(Snapshot.from_pairs(a, b, size=64)),
        GraphIndex.from_pairs(zip(a.tolist(), b.tolist(), strict=True)),
        GraphIndex(),  # as a process starts, before it loads the connections
    ):
        _every_graph_query(graph, rng)
    after = _kernel_signatures()
    found["compiled by graph queries"] = {
        name: after[name] - before[name] for name in before if after[name] != before[name]
    }
    ranking.warm_up()
    before = _kernel_signatures()
    _every_ranking_query(GraphIndex(Snapshot.from_pairs(a, b, size=64)), rng)
    graph = GraphIndex.from_pairs(zip(a.tolist(), b.tolist(), strict=True))
    _every_graph_query(graph, rng)
    _every_ranking_query(graph, rng)
    after = _kernel_signatures()
    found["compiled by queries"] = {
        name: after[name] - before[name] for name in before if after[name] != before[name]
    }
    print(json.dumps(found))  # noqa: T201 - the test reads it


def test_after_warm_up_no_query_compiles_a_kernel() -> None:
    """`warm_up` compiles every kernel with the signatures the queries use, so none compiles in a
    request. Run in a fresh process: in this one, other tests may have compiled what the
    warm-up misses."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import {__name__} as t; t.queries_after_warm_up()"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "compiled by graph queries": {},
        "compiled by queries": {},
    }
