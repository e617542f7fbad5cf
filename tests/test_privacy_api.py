"""Privacy settings and blocks through the JSON API: who may invite a member and see their
connections, and what a block ends, hides and refuses."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    MISSING,
    PRIVACY_SETTINGS,
    Person,
    act,
    change_settings,
    connect_people,
    connection_ids,
    connections,
    fields_of,
    invitations_in,
    invite,
    people,
    problem_of,
    row_counts,
    seen_status,
    statuses,
)
from vinculo.db import Database

# Privacy settings


def test_network_settings_start_open_and_change_one_at_a_time(client: TestClient) -> None:
    """Anyone may invite and connections see the list, until the member says otherwise."""
    (ana,) = people(client, "Ana")
    defaults = {"who_can_invite": "anyone", "connections_visible_to": "connections"}
    assert client.get(PRIVACY_SETTINGS, headers=ana.headers).json() == defaults
    changed = client.patch(PRIVACY_SETTINGS, json={"who_can_invite": "link"}, headers=ana.headers)
    assert changed.json() == {**defaults, "who_can_invite": "link"}
    client.patch(PRIVACY_SETTINGS, json={"connections_visible_to": "only_me"}, headers=ana.headers)
    assert client.get(PRIVACY_SETTINGS, headers=ana.headers).json() == {
        "who_can_invite": "link",
        "connections_visible_to": "only_me",
    }


def test_a_bad_setting_is_refused_naming_its_field(client: TestClient) -> None:
    """An unknown choice, a null or an unknown field is a 422 and changes nothing."""
    (ana,) = people(client, "Ana")
    change_settings(client, ana, who_can_invite="link")
    before = client.get(PRIVACY_SETTINGS, headers=ana.headers).json()
    for body, field in [
        ({"who_can_invite": "everyone"}, "who_can_invite"),
        ({"who_can_invite": None}, "who_can_invite"),
        ({"connections_visible_to": "friends"}, "connections_visible_to"),
        ({"connections_visible_to": None}, "connections_visible_to"),
        ({"tier": "close"}, "tier"),
    ]:
        refused = client.patch(PRIVACY_SETTINGS, json=body, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    assert client.get(PRIVACY_SETTINGS, headers=ana.headers).json() == before


# Blocks


def test_a_block_ends_the_connection_and_cancels_invitations_both_ways(
    client: TestClient, database: Database
) -> None:
    """A block removes the connection, withdraws the blocker's invitation and silently ignores the
    other's."""
    ana, beto, carla, dani = people(client, "Ana", "Beto", "Carla", "Dani")
    connect_people(client, ana, beto)
    to_carla = invite(client, ana, to=carla)
    from_dani = invite(client, dani, to=ana)
    for other in (beto, carla, dani):
        blocked = client.post(BLOCKS, json={"member": other.id}, headers=ana.headers)
        assert blocked.status_code == 201, blocked.text
        assert blocked.json()["member"]["id"] == other.id
        assert blocked.json()["blocked_at"]

    assert connection_ids(client, ana) == []
    assert connection_ids(client, beto) == []
    assert row_counts(database) == (3, 0)
    # The blocker's own invitation is withdrawn, the blocked member's ignored; to each of the two
    # they are gone, as the other member is: in every box, and by id.
    for person in (ana, carla, dani):
        for box in ("received", "sent"):
            assert invitations_in(client, person, box) == [], (person.name, box)
    nobody = client.get(f"{INVITATIONS}/{MISSING}", headers=ana.headers)
    for person, invitation in (
        (ana, to_carla),
        (carla, to_carla),
        (ana, from_dani),
        (dani, from_dani),
    ):
        hidden = client.get(f"{INVITATIONS}/{invitation['id']}", headers=person.headers)
        assert problem_of(hidden, 404) == problem_of(nobody, 404, slug="invitation-not-found")
    # Unblocking brings them back, as they now stand: the blocked member's still looks pending.
    assert client.delete(f"{BLOCKS}/{dani.id}", headers=ana.headers).status_code == 204
    assert seen_status(client, dani, from_dani["id"]) == "pending"
    assert statuses(client, dani, "sent") == [(dani.id, ana.id, "pending")]
    assert client.post(BLOCKS, json={"member": dani.id}, headers=ana.headers).status_code == 201
    listed = client.get(BLOCKS, headers=ana.headers).json()["items"]
    assert sorted(item["member"]["id"] for item in listed) == [beto.id, carla.id, dani.id]
    for person in (beto, carla, dani):
        assert client.get(BLOCKS, headers=person.headers).json()["items"] == []


def test_a_block_also_cancels_an_invitation_that_was_ignored(client: TestClient) -> None:
    """The blocker's invitation that the other member had ignored still looks pending to the
    blocker: the block withdraws it like any pending one."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, ana, to=beto)
    assert act(client, beto, invitation["id"], "ignore").status_code == 200
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    assert statuses(client, ana, "sent") == []
    assert client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers).status_code == 204
    assert seen_status(client, ana, invitation["id"]) == "withdrawn"
    assert statuses(client, ana, "sent") == [(ana.id, beto.id, "withdrawn")]


def test_a_blocked_member_cannot_find_the_blocker(client: TestClient) -> None:
    """Neither side of a block finds or views the other: search leaves them out, and every view is a
    404."""
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Ruiz")
    connect_people(client, carla, ana)
    connect_people(client, carla, beto)

    def found(person: Person, query: str) -> list[int]:
        page = client.get("/api/v1/members", params={"q": query}, headers=person.headers)
        assert page.status_code == 200, page.text
        return [member["id"] for member in page.json()["items"]]

    # Beto's connection first, then Ana, 2nd degree through her.
    assert found(beto, "ruiz") == [carla.id, ana.id]
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201

    assert found(beto, "ruiz") == [carla.id]
    assert found(ana, "gil") == []
    nobody = client.get(f"/api/v1/members/{MISSING}", headers=beto.headers)
    for person, other in ((beto, ana), (ana, beto)):
        for path in (
            f"/api/v1/members/{other.id}",
            f"/api/v1/members/{other.id}/connections",
            f"/api/v1/members/{other.id}/mutual-connections",
            f"/api/v1/network/path/{other.id}",
        ):
            hidden = client.get(path, headers=person.headers)
            assert problem_of(hidden, 404, slug="member-not-found") == nobody.json(), path


def test_another_members_list_leaves_out_anyone_with_a_block_between_you(
    client: TestClient,
) -> None:
    """A member who blocked you, or whom you blocked, is missing from a mutual contact's list,
    as everywhere else; the owner of the list still sees them."""
    ana, beto, carla, dani = people(client, "Ana", "Beto", "Carla", "Dani")
    for other in (beto, carla, dani):
        connect_people(client, ana, other)
    blocked = client.post(BLOCKS, json={"member": beto.id}, headers=carla.headers)
    assert blocked.status_code == 201, blocked.text
    blocked = client.post(BLOCKS, json={"member": dani.id}, headers=beto.headers)
    assert blocked.status_code == 201, blocked.text

    assert [item["id"] for item in connections(client, beto, of=ana)] == [beto.id]
    assert [item["id"] for item in connections(client, carla, of=ana)] == [carla.id, dani.id]
    assert connection_ids(client, ana) == [beto.id, carla.id, dani.id]


def test_a_block_refused_changes_nothing(client: TestClient) -> None:
    """Blocking nobody, yourself, twice, or someone who blocked you is refused and adds no block."""
    ana, beto = people(client, "Ana", "Beto")
    problem_of(
        client.post(BLOCKS, json={"member": MISSING}, headers=ana.headers),
        404,
        slug="member-not-found",
    )
    problem_of(
        client.post(BLOCKS, json={"member": ana.id}, headers=ana.headers),
        404,
        slug="member-not-found",
    )
    for body, field in (({}, "member"), ({"member": 0}, "member"), ({"who": beto.id}, "who")):
        refused = client.post(BLOCKS, json=body, headers=ana.headers)
        assert field in fields_of(problem_of(refused, 422, slug="invalid-input"))
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []

    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    problem_of(client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers), 409)
    # Blocking someone who blocked you answers as if they did not exist.
    back = client.post(BLOCKS, json={"member": ana.id}, headers=beto.headers)
    nobody = client.post(BLOCKS, json={"member": MISSING}, headers=beto.headers)
    assert problem_of(back, 404, slug="member-not-found") == nobody.json()
    assert client.get(BLOCKS, headers=beto.headers).json()["items"] == []
    assert [
        item["member"]["id"] for item in client.get(BLOCKS, headers=ana.headers).json()["items"]
    ] == [beto.id]


def test_unblocking_shows_the_member_again(client: TestClient) -> None:
    """Only the blocker can unblock, once; the member is visible again but not reconnected."""
    ana, beto = people(client, "Ana", "Beto")
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    problem_of(client.delete(f"{BLOCKS}/{ana.id}", headers=beto.headers), 404, slug="not-blocked")

    unblocked = client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers)
    assert unblocked.status_code == 204
    assert unblocked.content == b""
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []
    assert client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).status_code == 200
    problem_of(client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers), 404, slug="not-blocked")
    problem_of(client.delete(f"{BLOCKS}/{MISSING}", headers=ana.headers), 404, slug="not-blocked")
    # The connection does not come back by itself; an invitation may start it again.
    assert connection_ids(client, ana) == []
    connect_people(client, beto, ana)
    assert connection_ids(client, ana) == [beto.id]
