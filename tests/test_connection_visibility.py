"""Who may see a connection, as a property: random small communities (connections, pending
invitations, private lists, blocks), every route that tells who is connected to whom asked as
every member, each answer checked against an oracle of the rule written here from PRODUCT.md:

    A connection X–Y is visible to V when V is X or Y, V may see X's or Y's list, or X is a
    mutual connection of V and Y. A block, either way, hides each member from the other.

Nothing invisible may appear, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    NOTIFICATIONS,
    Person,
    change_settings,
    connect_people,
    invite,
    log_in_page,
    people,
)

# First names none of which holds another; each community adds a number of its own.
FIRST_NAMES = ["Abril", "Bruno", "Celia", "Darío", "Elena", "Fabio", "Gisela", "Hugo"]
MAX_PATH = 6
_communities = itertools.count(1)


@dataclass(frozen=True)
class Plan:
    """A community to build: members 0..size-1, then connections, invitations, blocks and
    private lists, in that order (a block ends a connection and the invitations between two)."""

    size: int
    connections: frozenset[tuple[int, int]]
    invitations: tuple[tuple[int, int], ...]  # (sender, recipient), not connected
    blocks: tuple[tuple[int, int], ...]  # (blocker, blocked), at most one per pair
    private: frozenset[int]  # lists shown to no one


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    size = draw(st.integers(4, 7))
    pairs = list(itertools.combinations(range(size), 2))
    connections = draw(st.sets(st.sampled_from(pairs), max_size=12))
    unconnected = [pair for pair in pairs if pair not in connections]
    invited = (
        draw(st.lists(st.sampled_from(unconnected), unique=True, max_size=3)) if unconnected else []
    )
    invitations = tuple((a, b) if draw(st.booleans()) else (b, a) for a, b in sorted(invited))
    blocked = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=2))
    blocks = tuple((a, b) if draw(st.booleans()) else (b, a) for a, b in blocked)
    private = draw(st.frozensets(st.integers(0, size - 1)))
    return Plan(size, frozenset(connections), invitations, blocks, private)


@dataclass
class Oracle:
    """The rule, from the plan alone."""

    plan: Plan
    edges: set[frozenset[int]] = field(default_factory=set)
    hidden: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        apart = {frozenset(pair) for pair in self.plan.blocks}
        self.edges = {frozenset(pair) for pair in self.plan.connections} - apart
        self.hidden = {v: set() for v in range(self.plan.size)}
        for a, b in self.plan.blocks:
            self.hidden[a].add(b)
            self.hidden[b].add(a)

    def connected(self, a: int, b: int) -> bool:
        return frozenset((a, b)) in self.edges

    def neighbours(self, a: int) -> set[int]:
        return {b for b in range(self.plan.size) if self.connected(a, b)}

    def list_open(self, viewer: int, owner: int) -> bool:
        """Whether the viewer may see the owner's list of connections."""
        if owner in self.hidden[viewer]:
            return False
        if owner == viewer:
            return True
        return owner not in self.plan.private and self.connected(viewer, owner)

    def sees(self, viewer: int, x: int, y: int) -> bool:
        """Whether the viewer may see the connection x–y."""
        if not self.connected(x, y) or {x, y} & self.hidden[viewer]:
            return False
        if viewer in (x, y) or self.list_open(viewer, x) or self.list_open(viewer, y):
            return True
        mutual_x = self.connected(x, viewer) and self.connected(x, y)
        mutual_y = self.connected(y, viewer) and self.connected(y, x)
        return mutual_x or mutual_y

    def mutual(self, a: int, b: int) -> set[int]:
        return set() if a == b else self.neighbours(a) & self.neighbours(b)

    def distances(self, source: int) -> dict[int, int]:
        found = {source: 0}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            for there in self.neighbours(here):
                if there not in found:
                    found[there] = found[here] + 1
                    queue.append(there)
        return found


@dataclass
class Community:
    oracle: Oracle
    members: list[Person]
    invitation_ids: dict[int, tuple[int, int]]  # id → (sender, recipient) by index

    def index(self, member_id: int) -> int:
        """The index of a member of this community (a member from elsewhere fails the test)."""
        found = [i for i, person in enumerate(self.members) if person.id == member_id]
        assert found, f"member {member_id} is not of this community"
        return found[0]

    def named_in(self, text: str) -> set[int]:
        return {i for i, person in enumerate(self.members) if person.name in text}


def _build(client: TestClient, plan: Plan) -> Community:
    number = next(_communities)
    members = people(client, *(f"{FIRST_NAMES[i]} N{number:04d}" for i in range(plan.size)))
    for a, b in sorted(plan.connections):
        connect_people(client, members[a], members[b])
    invitation_ids = {
        invite(client, members[a], to=members[b])["id"]: (a, b) for a, b in plan.invitations
    }
    for a, b in plan.blocks:
        blocked = client.post(BLOCKS, json={"member": members[b].id}, headers=members[a].headers)
        assert blocked.status_code == 201, blocked.text
    for i in plan.private:
        change_settings(client, members[i], connections_visible_to="only_me")
    return Community(Oracle(plan), members, invitation_ids)


def _get(client: TestClient, person: Person, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers=person.headers)


def _check_lists(client: TestClient, community: Community, v: int, m: int) -> None:
    """`m`'s connections and the connections `v` and `m` share, and `m`'s profile, as `v`."""
    oracle, viewer, other = community.oracle, community.members[v], community.members[m]
    listed = _get(client, viewer, f"/api/v1/members/{other.id}/connections", limit=100)
    shared = _get(client, viewer, f"/api/v1/members/{other.id}/mutual-connections", limit=100)
    profile = _get(client, viewer, f"/api/v1/members/{other.id}")
    if m in oracle.hidden[v]:
        assert (listed.status_code, shared.status_code, profile.status_code) == (404, 404, 404)
        return
    if oracle.list_open(v, m):
        assert listed.status_code == 200, listed.text
        shown = {community.index(item["id"]) for item in listed.json()["items"]}
        assert shown == oracle.neighbours(m) - oracle.hidden[v]
        assert all(oracle.sees(v, m, y) for y in shown)
    else:
        assert listed.status_code == 403, listed.text
    assert shared.status_code == 200, shared.text
    mutual = {community.index(item["id"]) for item in shared.json()["items"]}
    assert mutual == oracle.mutual(v, m)
    assert shared.json()["count"] == len(mutual)
    assert all(oracle.sees(v, z, m) and oracle.sees(v, z, v) for z in mutual)
    sample = profile.json()["mutual_connections"]["sample"]
    assert {community.index(item["id"]) for item in sample} <= mutual


def _check_path(client: TestClient, community: Community, v: int, m: int) -> None:
    """The path from `v` to `m`: only connections `v` may see, and whom to ask beyond them."""
    oracle, viewer, other = community.oracle, community.members[v], community.members[m]
    found = _get(client, viewer, f"/api/v1/network/path/{other.id}")
    if m in oracle.hidden[v]:
        assert found.status_code == 404, found.text
        return
    assert found.status_code == 200, found.text
    body = found.json()
    distance = oracle.distances(v).get(m)
    assert body["degree"] == (distance if distance is not None and distance <= MAX_PATH else None)
    chain = [community.index(item["id"]) for item in body["path"]]
    assert not set(chain) & oracle.hidden[v]
    if chain:
        assert chain[0] == v
    assert all(oracle.sees(v, x, y) for x, y in itertools.pairwise(chain))
    if body["complete"]:
        assert chain[-1] == m
        assert body["reaches_via"] is None
    else:
        via = body["reaches_via"]
        assert (via and community.index(via["id"])) == (chain[-1] if chain else None)
        if chain:
            # The one to ask is never next to the member: "their network reaches them" would
            # name the connection between the two.
            assert oracle.distances(chain[-1])[m] >= 2
    if body["degree"] is not None and body["degree"] <= 2:
        # Two steps away: both connections are visible (the one between is a mutual connection).
        assert body["complete"]


def _check_wider_network(client: TestClient, community: Community, v: int) -> None:
    """The 2nd-degree network (and the sample its page names), suggestions' reasons and notes,
    invitations and notifications."""
    oracle, viewer = community.oracle, community.members[v]
    second = _get(client, viewer, "/api/v1/network/second-degree", limit=100)
    assert second.status_code == 200, second.text
    distances = oracle.distances(v)
    expected = {y for y, d in distances.items() if d == 2} - oracle.hidden[v]
    rows = {community.index(item["id"]): item["mutual_count"] for item in second.json()["items"]}
    assert set(rows) == expected
    assert all(count == len(oracle.mutual(v, y)) for y, count in rows.items())

    # The page names a few of the connections shared with each member: mutual connections only.
    log_in_page(client, viewer.email)
    page = client.get("/network/second-degree")
    assert page.status_code == 200, page.text
    for row in page.text.split('id="member-')[1:]:
        shown = community.index(int(row[: row.index('"')]))
        sample = {community.index(int(i)) for i in re.findall(r'href="/members/(\d+)"', row)}
        assert sample - {shown} <= oracle.mutual(v, shown)

    suggested = _get(client, viewer, "/api/v1/network/suggestions", limit=50)
    assert suggested.status_code == 200, suggested.text
    for item in suggested.json()["items"]:
        s = community.index(item["member"]["id"])
        assert s not in oracle.hidden[v]
        assert s != v
        for text in [*item["reasons"], item["suggested_note"]]:
            # A member named in a reason is a mutual connection: their connection with the
            # suggested member is one the viewer may see.
            named = community.named_in(text) - {s}
            assert named <= oracle.mutual(v, s), text
            assert all(oracle.sees(v, z, s) for z in named)

    for box in ("received", "sent"):
        listed = _get(client, viewer, INVITATIONS, box=box, limit=100)
        assert listed.status_code == 200, listed.text
        for item in listed.json()["items"]:
            other = community.index(item["from"] if box == "received" else item["to"])
            assert other not in oracle.hidden[v]
            link = item["link"]
            if link is not None:
                sample = {community.index(z["id"]) for z in link["mutual_sample"]}
                assert sample <= oracle.mutual(v, other)
                assert link["mutual_connections"] == len(oracle.mutual(v, other))
    for invitation_id, (a, b) in community.invitation_ids.items():
        found = _get(client, viewer, f"{INVITATIONS}/{invitation_id}")
        party = v in (a, b)
        other = b if v == a else a
        assert found.status_code == (200 if party and other not in oracle.hidden[v] else 404)

    noted = _get(client, viewer, NOTIFICATIONS, limit=100)
    assert noted.status_code == 200, noted.text
    actors = {community.index(item["actor"]["id"]) for item in noted.json()["items"]}
    assert not actors & oracle.hidden[v]


def test_nothing_shows_a_connection_the_viewer_may_not_see(client: TestClient) -> None:
    """Every member asks every route about every member of a random community; every answer
    agrees with the rule."""

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(plans())
    def check(plan: Plan) -> None:
        community = _build(client, plan)
        for v in range(plan.size):
            for m in range(plan.size):
                _check_lists(client, community, v, m)
                _check_path(client, community, v, m)
            _check_wider_network(client, community, v)

    check()


def test_the_oracle_follows_the_rule_on_the_issues_example() -> None:
    """Carl → Zoe → Bea → Ana, Bea's and Ana's lists private: Carl sees Zoe–Bea (Zoe is a mutual
    connection of the two), not Bea–Ana; Bea's own connection sees it, and a block hides it."""
    carl, zoe, bea, ana = range(4)
    plan = Plan(4, frozenset({(0, 1), (1, 2), (2, 3)}), (), (), frozenset({bea, ana}))
    oracle = Oracle(plan)
    assert oracle.sees(carl, carl, zoe)
    assert oracle.sees(carl, zoe, bea)
    assert not oracle.sees(carl, bea, ana)
    assert oracle.sees(zoe, bea, ana)
    blocked = Oracle(Plan(4, plan.connections, (), ((ana, zoe),), plan.private))
    assert not blocked.sees(zoe, bea, ana)
