"""Connections through the JSON API: removing them, private tiers and notes, whose lists show
to whom, paging; and the bearer token every route of the network areas needs."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    MISSING,
    NOTIFICATIONS,
    PRIVACY_SETTINGS,
    change_settings,
    connect_people,
    connection_ids,
    connections,
    fields_of,
    invite,
    notifications,
    people,
    problem_of,
    row_counts,
    seen_status,
)
from vinculo.db import Database
from vinculo.network.models import CONNECTION_NOTE_MAX

# Connections


def test_removing_a_connection_is_silent(client: TestClient, database: Database) -> None:
    """Removal ends the connection for both without telling the other; a second one is a 404."""
    ana, beto = people(client, "Ana", "Beto")
    connect_people(client, ana, beto)
    told = notifications(client, ana)
    removed = client.delete(f"/api/v1/connections/{ana.id}", headers=beto.headers)
    assert removed.status_code == 204
    assert removed.content == b""
    assert connection_ids(client, ana) == []
    assert connection_ids(client, beto) == []
    assert row_counts(database) == (1, 0)
    assert notifications(client, ana) == told
    assert client.get(f"/api/v1/members/{beto.id}", headers=ana.headers).json()["degree"] is None

    for person, other in ((beto, ana), (ana, beto)):
        again = client.delete(f"/api/v1/connections/{other.id}", headers=person.headers)
        problem_of(again, 404, slug="not-connected")
        gone = client.get(f"/api/v1/connections/{other.id}", headers=person.headers)
        problem_of(gone, 404, slug="not-connected")
    problem_of(
        client.delete(f"/api/v1/connections/{MISSING}", headers=ana.headers),
        404,
        slug="not-connected",
    )
    # They may connect again: an accepted invitation starts no cooldown.
    connect_people(client, ana, beto)
    assert connection_ids(client, ana) == [beto.id]


def test_tiers_and_notes_are_private_to_each_side(client: TestClient) -> None:
    """Each member keeps their own tier and note for a connection; the other never sees them."""
    ana, beto = people(client, "Ana", "Beto")
    connect_people(client, ana, beto)
    mine = client.patch(
        f"/api/v1/connections/{beto.id}",
        json={"tier": "close", "note": "  Experto en logística.  "},
        headers=ana.headers,
    )
    assert mine.status_code == 200, mine.text
    assert (mine.json()["id"], mine.json()["tier"], mine.json()["note"]) == (
        beto.id,
        "close",
        "Experto en logística.",
    )
    theirs = client.patch(
        f"/api/v1/connections/{ana.id}", json={"tier": "occasional"}, headers=beto.headers
    )
    assert (theirs.json()["tier"], theirs.json()["note"]) == ("occasional", "")

    # A change of one leaves the other as it was.
    client.patch(f"/api/v1/connections/{beto.id}", json={"tier": "regular"}, headers=ana.headers)
    assert [(c["id"], c["tier"], c["note"]) for c in connections(client, ana)] == [
        (beto.id, "regular", "Experto en logística.")
    ]
    assert [(c["id"], c["tier"], c["note"]) for c in connections(client, beto)] == [
        (ana.id, "occasional", "")
    ]
    # In another member's list neither shows.
    assert [(c["id"], c["tier"], c["note"]) for c in connections(client, beto, of=ana)] == [
        (beto.id, None, None)
    ]
    shown = client.get(f"/api/v1/connections/{ana.id}", headers=beto.headers).json()
    assert (shown["tier"], shown["note"]) == ("occasional", "")


def test_a_bad_tier_or_note_changes_nothing(client: TestClient) -> None:
    """A bad tier or a note over the limit is a 422 naming it, and keeps what was there."""
    ana, beto = people(client, "Ana", "Beto")
    connect_people(client, ana, beto)
    path = f"/api/v1/connections/{beto.id}"
    client.patch(path, json={"tier": "close", "note": "Café en marzo"}, headers=ana.headers)
    for body, field in [
        ({"note": "x" * (CONNECTION_NOTE_MAX + 1)}, "note"),
        ({"tier": "occasional", "note": "x" * (CONNECTION_NOTE_MAX + 1)}, "note"),
        ({"tier": "best"}, "tier"),
        ({"tier": None}, "tier"),
        ({"note": None}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"degree": 1}, "degree"),
    ]:
        refused = client.patch(path, json=body, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    kept = client.get(path, headers=ana.headers).json()
    assert (kept["tier"], kept["note"]) == ("close", "Café en marzo")
    # The limit itself is fine, and counts characters.
    note = "ñ" * CONNECTION_NOTE_MAX
    changed = client.patch(path, json={"note": note}, headers=ana.headers)
    assert changed.status_code == 200, changed.text
    assert connections(client, ana)[0]["note"] == note


def test_only_a_connection_has_a_tier(client: TestClient) -> None:
    """Setting a tier for someone you are not connected with is a 404."""
    ana, beto = people(client, "Ana", "Beto")
    invite(client, ana, to=beto)
    for member_id in (beto.id, MISSING, ana.id):
        refused = client.patch(
            f"/api/v1/connections/{member_id}", json={"tier": "close"}, headers=ana.headers
        )
        problem_of(refused, 404, slug="not-connected")
    assert connection_ids(client, ana) == []


def test_your_list_can_be_filtered_by_tier(client: TestClient) -> None:
    """Your own list filters by your own tiers; a new connection starts regular."""
    ana, beto, carla, dani = people(client, "Ana", "Beto", "Carla", "Dani")
    for other, tier in ((beto, "close"), (carla, "regular"), (dani, None)):
        connect_people(client, other, ana)
        if tier:
            client.patch(
                f"/api/v1/connections/{other.id}", json={"tier": tier}, headers=ana.headers
            )
    client.patch(f"/api/v1/connections/{ana.id}", json={"tier": "close"}, headers=dani.headers)

    def ids(tier: str) -> list[int]:
        return [item["id"] for item in connections(client, ana, tier=tier)]

    # A connection starts in the regular tier.
    assert ids("close") == [beto.id]
    assert ids("regular") == [carla.id, dani.id]
    assert ids("occasional") == []
    # Dani's tier for Ana is Dani's own: it does not put Dani in Ana's close tier.
    assert [item["id"] for item in connections(client, dani, tier="close")] == [ana.id]
    refused = client.get(
        f"/api/v1/members/{ana.id}/connections", params={"tier": "best"}, headers=ana.headers
    )
    assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["tier"]


def test_a_private_connection_list_is_a_403_but_mutual_connections_show(
    client: TestClient,
) -> None:
    """With "only me" the list is hidden from connections too; mutual connections still show."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    connect_people(client, ana, beto)
    connect_people(client, ana, carla)
    connect_people(client, beto, carla)
    assert [item["id"] for item in connections(client, beto, of=ana)] == [beto.id, carla.id]

    change_settings(client, ana, connections_visible_to="only_me")
    refused = client.get(f"/api/v1/members/{ana.id}/connections", headers=beto.headers)
    problem_of(refused, 403, slug="connections-private")
    assert connection_ids(client, ana) == [beto.id, carla.id]
    mutual = client.get(f"/api/v1/members/{ana.id}/mutual-connections", headers=beto.headers)
    assert mutual.status_code == 200, mutual.text
    assert (mutual.json()["count"], [m["id"] for m in mutual.json()["items"]]) == (1, [carla.id])
    profile = client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).json()
    assert profile["mutual_connections"]["count"] == 1

    change_settings(client, ana, connections_visible_to="connections")
    assert [item["id"] for item in connections(client, beto, of=ana)] == [beto.id, carla.id]


def test_by_default_only_connections_see_a_members_connections(client: TestClient) -> None:
    """By default a member's list is for their connections: anyone else gets the 403 of a
    private list."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    connect_people(client, ana, beto)
    assert [item["id"] for item in connections(client, beto, of=ana)] == [beto.id]
    refused = client.get(f"/api/v1/members/{ana.id}/connections", headers=carla.headers)
    problem_of(refused, 403, slug="connections-private")


# Pagination


def test_connections_come_by_name_a_page_at_a_time(client: TestClient) -> None:
    """A connection list pages by name, accents and case folded."""
    ana, *others = people(client, "Ana", "Émile", "Carla", "beto", "Dani")
    for other in others:
        connect_people(client, other, ana)
    by_name = [others[2].id, others[1].id, others[3].id, others[0].id]  # beto, Carla, Dani, Émile
    path = f"/api/v1/members/{ana.id}/connections"
    first = client.get(path, params={"limit": 3}, headers=ana.headers).json()
    assert first["next_cursor"]
    rest = client.get(
        path, params={"limit": 3, "cursor": first["next_cursor"]}, headers=others[0].headers
    ).json()
    assert rest["next_cursor"] is None
    assert [item["id"] for item in first["items"] + rest["items"]] == by_name


# Authentication


def _routes(a: int, b: int, invitation: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every route of the network API with a body it takes, for members a and b and a's
    invitation from b."""
    return [
        ("POST", INVITATIONS, {"to": b}),
        ("GET", INVITATIONS, None),
        ("GET", f"{INVITATIONS}/{invitation}", None),
        ("POST", f"{INVITATIONS}/{invitation}/accept", None),
        ("POST", f"{INVITATIONS}/{invitation}/ignore", None),
        ("POST", f"{INVITATIONS}/{invitation}/withdraw", None),
        ("POST", f"{INVITATIONS}/{invitation}/report", None),
        ("GET", f"/api/v1/members/{a}/connections", None),
        ("GET", f"/api/v1/members/{a}/mutual-connections", None),
        ("GET", f"/api/v1/connections/{b}", None),
        ("PATCH", f"/api/v1/connections/{b}", {"tier": "close"}),
        ("DELETE", f"/api/v1/connections/{b}", None),
        ("GET", BLOCKS, None),
        ("POST", BLOCKS, {"member": b}),
        ("DELETE", f"{BLOCKS}/{b}", None),
        ("GET", PRIVACY_SETTINGS, None),
        ("PATCH", PRIVACY_SETTINGS, {"who_can_invite": "email"}),
        ("GET", NOTIFICATIONS, None),
        ("POST", f"{NOTIFICATIONS}/read", None),
    ]


def test_the_network_api_needs_a_token(client: TestClient, database: Database) -> None:
    """Without a valid bearer token every route is a 401 problem, and nothing changes."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, beto, to=ana)
    for method, path, body in _routes(ana.id, beto.id, invitation["id"]):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
            refused = client.request(method, path, json=body, headers=headers)
            problem_of(refused, 401, slug="not-authenticated")
            assert refused.headers["www-authenticate"] == "Bearer", (method, path)
    # Nothing happened.
    assert row_counts(database) == (1, 0)
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 1
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []
    assert client.get(PRIVACY_SETTINGS, headers=ana.headers).json()["who_can_invite"] == "anyone"
