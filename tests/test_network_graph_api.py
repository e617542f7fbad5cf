"""Degrees, paths and the 2nd-degree network through the API, answered by the graph index."""

from __future__ import annotations

from itertools import pairwise

from starlette.testclient import TestClient

from tests.helpers import connect, log_in_page, member_with_token


def _chain(client: TestClient, names: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Members connected in a line, in the order of the names."""
    members = [member_with_token(client, name=name) for name in names]
    people = [(member["id"], headers) for member, headers in members]
    for (_, headers), (next_id, next_headers) in pairwise(people):
        sent = client.post("/api/v1/invitations", json={"to": next_id}, headers=headers)
        assert sent.status_code == 201, sent.text
        accepted = client.post(
            f"/api/v1/invitations/{sent.json()['id']}/accept", headers=next_headers
        )
        assert accepted.status_code == 200, accepted.text
    return people


def test_degrees_and_paths_along_a_chain(client: TestClient) -> None:
    people = _chain(client, ["Ana", "Beto", "Carla", "Dani", "Eva", "Fede", "Gala", "Hugo"])
    ana, ana_headers = people[0]
    ids = [member_id for member_id, _ in people]
    for steps, (member_id, _) in enumerate(people[1:5], start=1):
        profile = client.get(f"/api/v1/members/{member_id}", headers=ana_headers).json()
        assert profile["degree"] == (steps if steps <= 3 else None)
    # Two steps: Beto's connection with Carla is one Ana may see (Beto is a mutual connection).
    near = client.get(f"/api/v1/network/path/{ids[2]}", headers=ana_headers).json()
    assert near["degree"] == 2
    assert [member["id"] for member in near["path"]] == ids[:3]
    assert [member["degree"] for member in near["path"]] == [0, 1, 2]
    assert (near["complete"], near["reaches_via"]) == (True, None)
    # Four steps: Carla's connection with Dani is not one Ana may see. The path stops at Carla,
    # whose network reaches Eva; Dani is named nowhere.
    path = client.get(f"/api/v1/network/path/{ids[4]}", headers=ana_headers)
    assert path.json()["degree"] == 4
    assert [member["id"] for member in path.json()["path"]] == ids[:3]
    assert path.json()["complete"] is False
    assert path.json()["reaches_via"]["id"] == ids[2]
    assert "Dani" not in path.text
    # Seven steps is beyond the six a path may take.
    far = client.get(f"/api/v1/network/path/{ids[7]}", headers=ana_headers).json()
    assert far == {"degree": None, "path": [], "complete": False, "reaches_via": None}
    mine = client.get(f"/api/v1/network/path/{ana}", headers=ana_headers).json()
    assert mine["degree"] == 0
    assert [member["id"] for member in mine["path"]] == [ana]
    assert mine["complete"] is True


def test_a_path_through_a_connection_no_list_shows_stops_at_whom_to_ask(
    client: TestClient,
) -> None:
    """Carl → Zoe → Bea → Ana: no list lets Carl see that Bea and Ana are connected, so the path
    stops at Zoe, his own connection: her network reaches Ana. Bea is not named: with the degree,
    "ask Bea" would tell that Bea and Ana are connected. Nor on the page."""
    people = _chain(client, ["Carl", "Zoe", "Bea", "Ana"])
    (carl, carl_headers), (zoe, _), (_, bea_headers), (ana, _) = people
    for headers in (bea_headers, people[3][1]):
        changed = client.patch(
            "/api/v1/network/settings", json={"connections_visible_to": "only_me"}, headers=headers
        )
        assert changed.status_code == 200, changed.text

    path = client.get(f"/api/v1/network/path/{ana}", headers=carl_headers)
    assert path.status_code == 200, path.text
    assert path.json()["degree"] == 3
    assert [member["id"] for member in path.json()["path"]] == [carl, zoe]
    assert path.json()["complete"] is False
    assert path.json()["reaches_via"]["id"] == zoe
    assert "Bea" not in path.text

    # Ana, Bea's connection, sees Bea's side; Bea's connection with Zoe, like Zoe, is in reach.
    back = client.get(f"/api/v1/network/path/{carl}", headers=people[3][1]).json()
    assert [member["name"] for member in back["path"]] == ["Ana", "Bea"]
    assert back["reaches_via"]["name"] == "Bea"


def test_the_path_page_shows_whom_to_ask(client: TestClient) -> None:
    """The page says how far the member is, shows the chain as far as it may, and whom to ask."""
    people = _chain(client, ["Carl Pagina", "Zoe Pagina", "Bea Pagina", "Ana Pagina"])
    carl = client.get("/api/v1/members/me", headers=people[0][1]).json()
    log_in_page(client, carl["email"])
    profile = client.get(f"/members/{people[3][0]}").text
    assert f'href="/members/{people[3][0]}/path"' in profile
    page = client.get(f"/members/{people[3][0]}/path")
    assert page.status_code == 200, page.text
    text = " ".join(page.text.split())
    assert "3 steps away." in text
    assert "Ask Zoe Pagina: their network reaches Ana Pagina." in text
    assert "Bea Pagina" not in text
    near = " ".join(client.get(f"/members/{people[2][0]}/path").text.split())
    assert "2 steps away." in near
    assert "Zoe Pagina" in near
    assert "Ask " not in near


def test_second_degree_network_and_mutual_connections(client: TestClient) -> None:
    people = _chain(client, ["Ana", "Beto", "Carla"])
    (ana, ana_headers), (beto, _), (carla, carla_headers) = people
    dani, dani_headers = member_with_token(client, name="Dani")
    sent = client.post(
        "/api/v1/invitations", json={"to": dani["id"]}, headers=_chain_headers(people, 1)
    )
    client.post(f"/api/v1/invitations/{sent.json()['id']}/accept", headers=dani_headers)

    second = client.get("/api/v1/network/second-degree", headers=ana_headers).json()
    assert second["count"] == 2
    assert [member["id"] for member in second["items"]] == sorted([carla, dani["id"]])
    page = client.get("/api/v1/network/second-degree", params={"limit": 1}, headers=ana_headers)
    assert page.json()["next_cursor"]
    rest = client.get(
        "/api/v1/network/second-degree",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=ana_headers,
    ).json()
    assert [m["id"] for m in page.json()["items"] + rest["items"]] == sorted([carla, dani["id"]])

    mutual = client.get(f"/api/v1/members/{carla}/mutual-connections", headers=ana_headers).json()
    assert mutual["count"] == 1
    assert [member["id"] for member in mutual["items"]] == [beto]
    profile = client.get(f"/api/v1/members/{carla}", headers=ana_headers).json()
    assert profile["mutual_connections"]["count"] == 1

    # A block hides the member from the blocker's wider network, and the path to them.
    blocked = client.post("/api/v1/blocks", json={"member": ana}, headers=carla_headers)
    assert blocked.status_code == 201
    second = client.get("/api/v1/network/second-degree", headers=ana_headers).json()
    assert [member["id"] for member in second["items"]] == [dani["id"]]
    assert client.get(f"/api/v1/network/path/{carla}", headers=ana_headers).status_code == 404


def _chain_headers(people: list[tuple[int, dict[str, str]]], index: int) -> dict[str, str]:
    return people[index][1]


def test_a_removed_connection_leaves_the_index_at_once(client: TestClient) -> None:
    (ana, ana_headers), (beto, _) = _chain(client, ["Ana", "Beto"])
    assert client.get(f"/api/v1/members/{beto}", headers=ana_headers).json()["degree"] == 1
    assert client.delete(f"/api/v1/connections/{beto}", headers=ana_headers).status_code == 204
    assert client.get(f"/api/v1/members/{beto}", headers=ana_headers).json()["degree"] is None
    assert client.get(f"/api/v1/network/path/{beto}", headers=ana_headers).json() == {
        "degree": None,
        "path": [],
        "complete": False,
        "reaches_via": None,
    }
    assert ana


def test_wider_network_ranks_by_connections_shared(client: TestClient) -> None:
    """The 2nd-degree network puts first whom the viewer shares most connections with, says how
    many, and pages through the rest in the same order, in the API and on the page."""
    ana, ana_headers = member_with_token(client, name="Ana")
    friends = [member_with_token(client, name=f"Friend {n}") for n in range(3)]
    far = [member_with_token(client, name=f"Far {n}") for n in range(3)]
    for friend, friend_headers in friends:
        connect(client, ana_headers, to=friend["id"], to_headers=friend_headers)
    # Far 0 knows one of Ana's friends, Far 1 all three, Far 2 two.
    for (stranger, stranger_headers), known in zip(far, (1, 3, 2), strict=True):
        for _friend, friend_headers in friends[:known]:
            connect(client, friend_headers, to=stranger["id"], to_headers=stranger_headers)

    wider = client.get("/api/v1/network/second-degree", headers=ana_headers).json()
    assert wider["count"] == 3
    ranked = [(member["id"], member["mutual_count"]) for member in wider["items"]]
    assert ranked == [(far[1][0]["id"], 3), (far[2][0]["id"], 2), (far[0][0]["id"], 1)]
    assert all(member["degree"] == 2 for member in wider["items"])

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/network/second-degree", params=params, headers=ana_headers)
        assert page.status_code == 200, page.text
        seen += [member["id"] for member in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [member_id for member_id, _ in ranked]

    log_in_page(client, ana["email"])
    html = client.get("/network/second-degree").text
    assert html.index("Far 1") < html.index("Far 2") < html.index("Far 0")
    assert "3 mutual connections" in html
    # A sample of two of them by name, for each member: Friend 2 is always third.
    assert "Friend 0" in html
    assert "Friend 1" in html
    assert "Friend 2" not in html
    assert f'href="/members/{far[1][0]["id"]}/invite"' in html


def test_lists_show_connections_shared(client: TestClient) -> None:
    """Search results, connection lists and notifications carry the degree badge and how many
    connections the viewer shares with each member, from the graph index."""
    people = _chain(client, ["Ana Lista", "Beto Lista", "Carla Lista"])
    (ana, ana_headers), (beto, _), (carla, carla_headers) = people
    found = client.get("/api/v1/members", params={"q": "Lista"}, headers=ana_headers).json()
    shared = {member["id"]: (member["degree"], member["mutual_count"]) for member in found["items"]}
    assert shared == {ana: (0, 0), beto: (1, 0), carla: (2, 1)}

    listed = client.get(f"/api/v1/members/{beto}/connections", headers=ana_headers).json()
    assert {(item["id"], item["mutual_count"]) for item in listed["items"]} == {
        (ana, 0),
        (carla, 1),
    }

    # Carla invites Ana: Ana's notification says what they share.
    sent = client.post("/api/v1/invitations", json={"to": ana}, headers=carla_headers)
    assert sent.status_code == 201, sent.text
    notes = client.get("/api/v1/notifications", headers=ana_headers).json()["items"]
    assert (notes[0]["actor"]["id"], notes[0]["actor"]["mutual_count"]) == (carla, 1)
