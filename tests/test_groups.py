"""Groups through the JSON API: creating and finding groups, joining each kind (open, by request,
private by invitation), approving and declining requests, inviting, leaving, removing, banning,
roles and handing a group over; what each role and an outsider may do (404 for a private group
they may not know of, 403 for an admin's action in a group they know, 409 for a wrong state);
expiry; blocks; an owner closing their account; races on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    MISSING,
    Person,
    connect_people,
    fields_of,
    notifications,
    people,
    problem_of,
)
from tests.test_races import Call, race
from tests.test_round_trips import statements
from vinculo import clock
from vinculo.db import Database

GROUPS = "/api/v1/groups"


def create(client: TestClient, owner: Person, *, policy: str = "open", **body: Any) -> int:
    created = client.post(
        GROUPS,
        json={
            "name": body.pop("name", "Logística Portuaria"),
            "description": "Puertos y cadenas de suministro.",
            "policy": policy,
            **body,
        },
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    group_id: int = created.json()["id"]
    return group_id


def post(client: TestClient, person: Person, path: str, **body: Any) -> Any:
    return client.post(f"{GROUPS}/{path}", json=body or None, headers=person.headers)


def get(client: TestClient, person: Person, path: str, **params: Any) -> Any:
    return client.get(f"{GROUPS}/{path}", params=params, headers=person.headers)


def standing(client: TestClient, person: Person, group_id: int) -> str | None:
    found = get(client, person, str(group_id))
    assert found.status_code == 200, found.text
    value: str | None = found.json()["my_standing"]
    return value


def member_ids(
    client: TestClient, person: Person, group_id: int, box: str = "members"
) -> list[int]:
    listed = get(client, person, f"{group_id}/{box}", limit=100)
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


def joined(client: TestClient, person: Person, group_id: int) -> str:
    response = post(client, person, f"{group_id}/join")
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


# Creating, reading, finding


def test_creating_a_group_makes_its_creator_the_owner(client: TestClient) -> None:
    (ana,) = people(client, "Ana Ruiz")
    group_id = create(client, ana, sector="Transporte", policy="request")
    found = get(client, ana, str(group_id)).json()
    assert found["name"] == "Logística Portuaria"
    assert (found["policy"], found["sector"], found["member_count"]) == ("request", "Transporte", 1)
    assert (found["my_standing"], found["my_role"]) == ("member", "owner")
    (item,) = get(client, ana, f"{group_id}/members").json()["items"]
    assert (item["id"], item["role"], item["degree"]) == (ana.id, "owner", 0)


def test_bad_groups_name_their_field(client: TestClient) -> None:
    (ana,) = people(client, "Ana Ruiz")
    for body, field in (
        ({"name": "", "policy": "open"}, "name"),
        ({"name": "x" * 101, "policy": "open"}, "name"),
        ({"name": "Ok", "policy": "secret"}, "policy"),
        ({"name": "Ok", "description": "x" * 2001}, "description"),
    ):
        response = client.post(GROUPS, json=body, headers=ana.headers)
        assert field in fields_of(problem_of(response, 422)), body
    assert get(client, ana, "", mine="true").json()["items"] == []


def test_finding_groups_by_name_and_sector_ignores_case_and_accents(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    port = create(client, ana, name="Logística Portuaria", sector="Transporte marítimo")
    create(client, ana, name="Cocina vasca", sector="Hostelería")
    hidden = create(client, ana, name="Logística interna", policy="private")
    found = get(client, beto, "", q="LOGISTICA").json()["items"]
    assert [item["id"] for item in found] == [port]
    assert found[0]["member_count"] == 1
    assert found[0]["my_standing"] is None
    assert [i["id"] for i in get(client, beto, "", sector="maritimo").json()["items"]] == [port]
    # The owner finds their private group too.
    assert {i["id"] for i in get(client, ana, "", q="logística").json()["items"]} == {port, hidden}
    assert [i["id"] for i in get(client, beto, "", q="%").json()["items"]] == []


def test_my_groups_and_pagination(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    ids = [create(client, ana, name=f"Grupo {n}") for n in range(5)]
    joined(client, beto, ids[1])
    assert [i["id"] for i in get(client, beto, "", mine="true").json()["items"]] == [ids[1]]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"mine": "true", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get(client, ana, "", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    problem_of(get(client, ana, "", cursor="nonsense"), 422)


# Joining each kind of group


def test_an_open_group_is_joined_at_once(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana)
    assert joined(client, beto, group_id) == "member"
    assert joined(client, beto, group_id) == "member"  # again: nothing changes
    assert member_ids(client, ana, group_id) == [ana.id, beto.id]
    assert get(client, beto, str(group_id)).json()["member_count"] == 2


def test_a_request_is_approved_by_an_admin_and_the_member_is_told(client: TestClient) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    group_id = create(client, ana, policy="request")
    post(client, ana, f"{group_id}/invitations", member=carla.id)
    joined(client, carla, group_id)
    assert post(client, ana, f"{group_id}/admins", member=carla.id).status_code == 200
    assert joined(client, beto, group_id) == "requested"
    assert standing(client, beto, group_id) == "requested"
    assert member_ids(client, ana, group_id, "requests") == [beto.id]
    # The owner and the admin are told, with the group.
    for admin in (ana, carla):
        listed = client.get("/api/v1/notifications", headers=admin.headers).json()["items"]
        assert ("group_join_requested", beto.id, group_id) in [
            (n["kind"], n["actor"]["id"], n["group_id"]) for n in listed
        ]
    approved = post(client, carla, f"{group_id}/requests/{beto.id}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["standing"], approved.json()["role"]) == ("member", "member")
    assert ("group_request_approved", carla.id, None) in notifications(client, beto)
    assert standing(client, beto, group_id) == "member"
    problem_of(
        post(client, ana, f"{group_id}/requests/{beto.id}/approve"),
        409,
        slug="group-membership-changed",
    )


def test_a_declined_request_may_be_made_again(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana, policy="request")
    joined(client, beto, group_id)
    assert post(client, ana, f"{group_id}/requests/{beto.id}/decline").status_code == 204
    assert standing(client, beto, group_id) is None
    assert member_ids(client, ana, group_id, "requests") == []
    assert joined(client, beto, group_id) == "requested"
    # Withdrawn by its member.
    assert post(client, beto, f"{group_id}/leave").status_code == 204
    assert member_ids(client, ana, group_id, "requests") == []


def test_a_private_group_is_joined_only_by_invitation_and_is_invisible_to_others(
    client: TestClient,
) -> None:
    ana, beto, outsider = people(client, "Ana Ruiz", "Beto Gil", "Olga Paz")
    group_id = create(client, ana, policy="private", name="Consejo")
    for person in (beto, outsider):
        problem_of(get(client, person, str(group_id)), 404, slug="group-not-found")
        problem_of(post(client, person, f"{group_id}/join"), 404, slug="group-not-found")
        assert get(client, person, "", q="consejo").json()["items"] == []
    invited = post(client, ana, f"{group_id}/invitations", member=beto.id)
    assert invited.status_code == 201, invited.text
    assert invited.json()["standing"] == "invited"
    assert ("group_invited", ana.id, None) in notifications(client, beto)
    # Invited: Beto sees the group, and it is among his invitations.
    assert standing(client, beto, group_id) == "invited"
    assert [i["id"] for i in get(client, beto, "", standing="invited").json()["items"]] == [
        group_id
    ]
    assert member_ids(client, beto, group_id) == [ana.id]
    problem_of(
        post(client, ana, f"{group_id}/invitations", member=beto.id),
        409,
        slug="group-membership-changed",
    )
    assert joined(client, beto, group_id) == "member"
    assert member_ids(client, ana, group_id, "invitations") == []
    # The outsider still sees nothing, of the group or its members.
    for path in ("", "/members", "/requests", "/invitations", "/bans"):
        problem_of(get(client, outsider, f"{group_id}{path}"), 404, slug="group-not-found")


def test_an_invitation_may_be_declined_and_expires(
    frozen: clock.FrozenClock, client: TestClient
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    group_id = create(client, ana, policy="private")
    post(client, ana, f"{group_id}/invitations", member=beto.id)
    assert post(client, beto, f"{group_id}/leave").status_code == 204
    problem_of(get(client, beto, str(group_id)), 404)
    post(client, ana, f"{group_id}/invitations", member=carla.id)
    frozen.advance(timedelta(days=14))
    problem_of(get(client, carla, str(group_id)), 404)
    problem_of(post(client, carla, f"{group_id}/join"), 404)
    # Invited again once expired.
    assert post(client, ana, f"{group_id}/invitations", member=carla.id).status_code == 201
    assert joined(client, carla, group_id) == "member"


def test_inviting_a_member_who_asked_lets_them_in(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana, policy="request")
    joined(client, beto, group_id)
    invited = post(client, ana, f"{group_id}/invitations", member=beto.id)
    assert invited.status_code == 201, invited.text
    assert invited.json()["standing"] == "member"
    problem_of(
        post(client, ana, f"{group_id}/invitations", member=beto.id),
        409,
        slug="group-membership-changed",
    )
    no_one = client.post(f"{GROUPS}/{group_id}/invitations", json={}, headers=ana.headers)
    assert "member" in fields_of(problem_of(no_one, 422))
    problem_of(post(client, ana, f"{group_id}/invitations", member=MISSING), 404)


# Who may do what


def test_each_role_and_an_outsider(client: TestClient) -> None:
    """Owner, admin, member, requested, invited, banned, outsider: what each may do in a group
    by request (a group they may know of: 403 for an admin's action)."""
    owner, admin, member, asking, invited, banned, outsider, target = people(
        client, "Olga", "Adán", "Mar", "Pía", "Iris", "Bea", "Omar", "Tina"
    )
    group_id = create(client, owner, policy="request")
    for person in (admin, member, target):
        post(client, owner, f"{group_id}/invitations", member=person.id)
        joined(client, person, group_id)
    post(client, owner, f"{group_id}/admins", member=admin.id)
    joined(client, asking, group_id)
    post(client, owner, f"{group_id}/invitations", member=invited.id)
    assert post(client, owner, f"{group_id}/bans", member=banned.id).status_code == 201
    assert standing(client, banned, group_id) == "banned"

    admin_only = [
        ("get", "requests", {}),
        ("get", "invitations", {}),
        ("get", "bans", {}),
        ("post", f"requests/{asking.id}/approve", {}),
        ("post", f"requests/{asking.id}/decline", {}),
        ("post", "invitations", {"member": outsider.id}),
        ("post", "bans", {"member": target.id}),
        ("delete", f"members/{target.id}", {}),
        ("delete", f"bans/{banned.id}", {}),
    ]
    for person in (member, asking, invited, banned, outsider):
        for method, path, body in admin_only:
            url = f"{GROUPS}/{group_id}/{path}"
            response = (
                client.request(method, url, json=body or None, headers=person.headers)
                if method != "get"
                else client.get(url, headers=person.headers)
            )
            problem_of(response, 403, slug="not-group-admin")
    # Owner-only, for an admin.
    for path, body in (("admins", {"member": target.id}), ("transfer", {"member": target.id})):
        problem_of(
            post(client, admin, f"{group_id}/{path}", **body), 403, slug="group-role-refused"
        )
    problem_of(
        client.delete(f"{GROUPS}/{group_id}/members/{owner.id}", headers=admin.headers),
        403,
        slug="group-role-refused",
    )
    problem_of(post(client, admin, f"{group_id}/bans", member=owner.id), 403)
    # A banned member cannot rejoin, nor be invited.
    problem_of(post(client, banned, f"{group_id}/join"), 403, slug="banned-from-group")
    problem_of(post(client, banned, f"{group_id}/leave"), 409)
    problem_of(
        post(client, admin, f"{group_id}/invitations", member=banned.id),
        409,
        slug="member-banned-from-group",
    )
    problem_of(get(client, banned, f"{group_id}/members"), 403, slug="banned-from-group")
    # The admin does what admins do.
    assert post(client, admin, f"{group_id}/requests/{asking.id}/approve").status_code == 200
    assert (
        client.delete(f"{GROUPS}/{group_id}/bans/{banned.id}", headers=admin.headers).status_code
        == 204
    )
    assert joined(client, banned, group_id) == "requested"
    assert (
        client.delete(f"{GROUPS}/{group_id}/members/{target.id}", headers=admin.headers).status_code
        == 204
    )
    assert standing(client, target, group_id) is None
    assert joined(client, target, group_id) == "requested"
    # Nobody acts on a group that does not exist.
    problem_of(post(client, owner, f"{MISSING}/join"), 404, slug="group-not-found")


def test_a_banned_member_of_a_private_group_no_longer_sees_it(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana, policy="private")
    post(client, ana, f"{group_id}/invitations", member=beto.id)
    joined(client, beto, group_id)
    banned = post(client, ana, f"{group_id}/bans", member=beto.id)
    assert banned.status_code == 201, banned.text
    assert banned.json()["standing"] == "banned"
    for path in ("", "/members", "/join"):
        response = (
            post(client, beto, f"{group_id}{path}")
            if path == "/join"
            else get(client, beto, f"{group_id}{path}")
        )
        problem_of(response, 404, slug="group-not-found")
    assert get(client, beto, "", mine="true").json()["items"] == []
    problem_of(post(client, ana, f"{group_id}/bans", member=beto.id), 409)


def test_the_owner_hands_over_before_leaving_and_manages_admins(client: TestClient) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    group_id = create(client, ana)
    joined(client, beto, group_id)
    joined(client, carla, group_id)
    problem_of(post(client, ana, f"{group_id}/leave"), 409, slug="group-owner-must-transfer")
    made = post(client, ana, f"{group_id}/admins", member=carla.id)
    assert (made.status_code, made.json()["role"]) == (200, "admin")
    problem_of(post(client, ana, f"{group_id}/admins", member=carla.id), 409)
    # An admin may not remove or ban another admin; the owner may remove one.
    problem_of(client.delete(f"{GROUPS}/{group_id}/members/{beto.id}", headers=beto.headers), 403)
    unmade = client.delete(f"{GROUPS}/{group_id}/admins/{carla.id}", headers=ana.headers)
    assert (unmade.status_code, unmade.json()["role"]) == (200, "member")
    problem_of(client.post(f"{GROUPS}/{group_id}/transfer", json={}, headers=ana.headers), 422)
    problem_of(post(client, ana, f"{group_id}/transfer", member=MISSING), 404)
    handed = post(client, ana, f"{group_id}/transfer", member=beto.id)
    assert handed.status_code == 200, handed.text
    assert handed.json()["my_role"] == "admin"
    assert get(client, beto, str(group_id)).json()["my_role"] == "owner"
    listed = get(client, carla, f"{group_id}/members").json()["items"]
    assert [(item["id"], item["role"]) for item in listed] == [
        (beto.id, "owner"),
        (ana.id, "admin"),
        (carla.id, "member"),
    ]
    problem_of(post(client, ana, f"{group_id}/transfer", member=carla.id), 403)
    assert post(client, ana, f"{group_id}/leave").status_code == 204
    assert member_ids(client, beto, group_id) == [beto.id, carla.id]
    # The owner removes an admin.
    post(client, beto, f"{group_id}/admins", member=carla.id)
    assert (
        client.delete(f"{GROUPS}/{group_id}/members/{carla.id}", headers=beto.headers).status_code
        == 204
    )


# Lists


def test_members_show_degree_and_mutual_connections_admins_first_and_hide_blocked(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla, dora, eva = people(
        client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dora Vidal", "Eva Mora"
    )
    group_id = create(client, eva)
    for person in (ana, beto, carla, dora):
        joined(client, person, group_id)
    post(client, eva, f"{group_id}/admins", member=dora.id)
    connect_people(client, ana, beto)
    connect_people(client, beto, carla)
    listed = get(client, ana, f"{group_id}/members").json()["items"]
    assert [item["id"] for item in listed] == [eva.id, dora.id, ana.id, beto.id, carla.id]
    by_id = {item["id"]: item for item in listed}
    assert (by_id[beto.id]["degree"], by_id[carla.id]["degree"]) == (1, 2)
    assert by_id[carla.id]["mutual_count"] == 1
    assert by_id[eva.id]["role"] == "owner"
    # A block hides each from the other in the list.
    assert client.post(BLOCKS, json={"member": carla.id}, headers=ana.headers).status_code == 201
    assert carla.id not in member_ids(client, ana, group_id)
    assert ana.id not in member_ids(client, carla, group_id)
    assert ana.id in member_ids(client, beto, group_id)
    # Pages of two, then the same number of statements for a page of two or of five.
    first = get(client, ana, f"{group_id}/members", limit=2).json()
    second = get(client, ana, f"{group_id}/members", limit=2, cursor=first["next_cursor"]).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [eva.id, dora.id, ana.id, beto.id]
    counts = []
    for limit in (2, 5):
        with statements(database) as sent:
            assert get(client, ana, f"{group_id}/members", limit=limit).status_code == 200
        counts.append(len(sent))
    assert counts[0] == counts[1]


# Shared groups


def test_a_received_invitation_names_the_groups_the_two_share(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    shared = create(client, ana, name="Puertos")
    create(client, ana, name="Solo Ana")
    joined(client, beto, shared)
    sent = client.post(INVITATIONS, json={"to": ana.id}, headers=beto.headers)
    assert sent.status_code == 201, sent.text
    received = client.get(INVITATIONS, params={"box": "received"}, headers=ana.headers).json()
    (invitation,) = received["items"]
    assert invitation["link"]["shared_groups"] == [{"id": shared, "name": "Puertos"}]


# Closing an account


def test_an_owner_closing_their_account_hands_each_group_to_the_longest_standing_admin(
    client: TestClient,
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    group_id = create(client, ana)
    joined(client, beto, group_id)
    joined(client, carla, group_id)
    post(client, ana, f"{group_id}/admins", member=carla.id)
    alone = create(client, ana, name="Solo")
    closed = client.request(
        "DELETE",
        "/api/v1/members/me",
        json={"password": "correct horse battery"},
        headers=ana.headers,
    )
    assert closed.status_code == 202, closed.text
    assert get(client, carla, str(group_id)).json()["my_role"] == "owner"
    assert get(client, beto, str(group_id)).json()["my_role"] == "member"
    # The closed owner is hidden from the list; the group they were alone in stays theirs.
    assert member_ids(client, beto, group_id) == [carla.id, beto.id]
    assert get(client, beto, str(alone)).json()["member_count"] == 1


# Expiry


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(START) as frozen_clock:
        yield frozen_clock


def test_a_request_expires_after_14_days(frozen: clock.FrozenClock, client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana, policy="request")
    joined(client, beto, group_id)
    waiting = get(client, beto, str(group_id)).json()["waiting_until"]
    assert datetime.fromisoformat(waiting) == START + timedelta(days=14)
    frozen.advance(timedelta(days=14) - timedelta(seconds=1))
    assert member_ids(client, ana, group_id, "requests") == [beto.id]
    frozen.advance(timedelta(seconds=1))
    assert member_ids(client, ana, group_id, "requests") == []
    assert standing(client, beto, group_id) is None
    problem_of(post(client, ana, f"{group_id}/requests/{beto.id}/approve"), 409)
    assert joined(client, beto, group_id) == "requested"


# Races: each request on its own client and database connection, released at once


def _post(path: str, person: Person, body: dict[str, Any] | None = None) -> Call:
    return lambda racer: racer.post(f"{GROUPS}/{path}", json=body, headers=person.headers)


def test_two_admins_answering_one_request_give_one_outcome(
    app: FastAPI, client: TestClient
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    for _ in range(3):
        (carla,) = people(client, "Carla Sanz")
        group_id = create(client, ana, policy="request")
        post(client, ana, f"{group_id}/invitations", member=beto.id)
        joined(client, beto, group_id)
        post(client, ana, f"{group_id}/admins", member=beto.id)
        joined(client, carla, group_id)
        path = f"{group_id}/requests/{carla.id}"
        responses = race(app, [_post(f"{path}/approve", ana), _post(f"{path}/decline", beto)])
        codes = [response.status_code for response in responses]
        assert sorted(codes) in ([200, 409], [204, 409]), [r.text for r in responses]
        expected = "member" if 200 in codes else None
        found = get(client, carla, str(group_id)).json()["my_standing"]
        assert found == expected


def test_a_join_racing_a_ban_ends_banned(app: FastAPI, client: TestClient) -> None:
    (ana,) = people(client, "Ana Ruiz")
    for _ in range(3):
        (beto,) = people(client, "Beto Gil")
        group_id = create(client, ana)
        responses = race(
            app,
            [_post(f"{group_id}/join", beto), _post(f"{group_id}/bans", ana, {"member": beto.id})],
        )
        join, ban = (response.status_code for response in responses)
        assert ban == 201, responses[1].text
        assert join in (200, 403), responses[0].text
        assert standing(client, beto, group_id) == "banned"
        assert member_ids(client, ana, group_id) == [ana.id]


# People you should know


def test_a_shared_group_is_a_reason_in_people_you_should_know(client: TestClient) -> None:
    ana, beto, fede = people(client, "Ana Ruiz", "Beto Gil", "Fede Paz")
    assert client.get("/api/v1/network/suggestions", headers=ana.headers).json()["items"] == []
    group_id = create(client, beto)
    joined(client, ana, group_id)
    found = client.get("/api/v1/network/suggestions", headers=ana.headers)
    assert found.status_code == 200, found.text
    (item,) = found.json()["items"]
    assert item["member"]["id"] == beto.id
    assert item["reasons"] == ["1 group in common"]
    assert fede.id not in [i["member"]["id"] for i in found.json()["items"]]


def test_a_shared_group_is_a_reason_in_search_results(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    group_id = create(client, ana, name="Logística portuaria")
    assert joined(client, beto, group_id) == "member"
    found = client.get("/api/v1/members", params={"q": "Beto"}, headers=ana.headers)
    assert found.status_code == 200, found.text
    (item,) = found.json()["items"]
    assert "In Logística portuaria, a group of yours" in item["matched"]
