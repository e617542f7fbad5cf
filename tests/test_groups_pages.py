"""The group pages as browsers use them: creating a group, finding and joining one, asking to
join and being approved, a private group seen only once invited, the admins' actions on a
member, refusals shown on the page with their status and nothing written, the groups two members
share on a profile and an invitation, and the notifications of groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import Browser

GROUPS = "/api/v1/groups"


@pytest.fixture
def carla(app: FastAPI) -> Iterator[Browser]:
    with TestClient(app) as third:
        yield Browser(third, name="Carla Sanz")


def create(browser: Browser, name: str, policy: str = "open", sector: str = "") -> int:
    created = browser.post(
        "/groups",
        {
            "name": name,
            "sector": sector,
            "description": "Para hablar de puertos.",
            "policy": policy,
        },
        form_page="/groups",
    )
    assert created.status_code == 303, created.text
    location: str = created.headers["location"]
    assert location.endswith("?done=created")
    return int(location.removeprefix("/groups/").split("?")[0])


def group_api(browser: Browser, group_id: int) -> Any:
    return browser.client.get(f"{GROUPS}/{group_id}", headers=browser.api)


def test_create_find_join_and_leave_an_open_group(ana: Browser, beto: Browser) -> None:
    assert 'href="/groups"' in ana.page("/")
    group_id = create(ana, "Logística Portuaria", sector="Transporte")
    page = ana.page(f"/groups/{group_id}?done=created")
    assert "Your group is ready" in page
    assert "Para hablar de puertos." in page
    assert "You own this group" in page
    assert "Open group" in page

    found = beto.page("/groups?q=logistica")
    assert f'href="/groups/{group_id}"' in found
    assert "1 member" in found
    joined = beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}")
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == f"/groups/{group_id}?done=joined"
    page = beto.page(f"/groups/{group_id}")
    assert "You are a member of this group." in page
    assert "Ana Ruiz" in page
    assert "2 members" in page
    assert "Logística Portuaria" in beto.page("/groups")
    left = beto.post(f"/groups/{group_id}/leave", form_page=f"/groups/{group_id}")
    assert (left.status_code, left.headers["location"]) == (303, "/groups?done=left")
    assert group_api(beto, group_id).json()["my_standing"] is None


def test_a_request_approved_on_the_group_page_and_the_notifications(
    ana: Browser, beto: Browser
) -> None:
    group_id = create(ana, "Consejo asesor", policy="request")
    assert "Ask to join" in beto.page(f"/groups/{group_id}")
    asked = beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}")
    assert asked.status_code == 303
    assert "Your request to join is waiting" in beto.page(f"/groups/{group_id}")
    notes = ana.page("/notifications")
    assert "Beto Gil asked to join a group you run." in notes
    assert f'href="/groups/{group_id}"' in notes
    page = ana.page(f"/groups/{group_id}")
    assert "Requests to join (1)" in page
    assert f'action="/groups/{group_id}/members/{beto.id}/approve"' in page
    approved = ana.post(
        f"/groups/{group_id}/members/{beto.id}/approve", form_page=f"/groups/{group_id}"
    )
    assert approved.status_code == 303, approved.text
    assert "Request approved" in ana.page(approved.headers["location"])
    assert "Ana Ruiz approved your request to join the group" in beto.page("/notifications")
    # Answered twice: refused on the page with its status.
    again = ana.post(
        f"/groups/{group_id}/members/{beto.id}/approve", form_page=f"/groups/{group_id}"
    )
    assert again.status_code == 409
    assert "place in the group changed" in again.text


def test_a_private_group_is_seen_only_once_invited(
    ana: Browser, beto: Browser, carla: Browser
) -> None:
    group_id = create(ana, "Círculo privado", policy="private")
    assert beto.client.get(f"/groups/{group_id}").status_code == 404
    assert "Círculo privado" not in beto.page("/groups?q=circulo")
    bad = ana.post(
        f"/groups/{group_id}/invite", {"member": "nobody"}, form_page=f"/groups/{group_id}"
    )
    assert bad.status_code == 422
    assert 'id="error-member"' in bad.text
    invited = ana.post(
        f"/groups/{group_id}/invite", {"member": str(beto.id)}, form_page=f"/groups/{group_id}"
    )
    assert invited.status_code == 303, invited.text
    assert "Ana Ruiz invited you to join a group." in beto.page("/notifications")
    mine = beto.page("/groups")
    assert "Invitations to groups" in mine
    assert "Círculo privado" in mine
    assert "Accept the invitation" in beto.page(f"/groups/{group_id}")
    accepted = beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}")
    assert accepted.status_code == 303
    assert group_api(beto, group_id).json()["my_standing"] == "member"
    assert carla.client.get(f"/groups/{group_id}").status_code == 404


def test_admin_actions_and_refusals_on_the_group_page(ana: Browser, beto: Browser) -> None:
    group_id = create(ana, "Puertos")
    beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}")
    page = ana.page(f"/groups/{group_id}")
    for action in ("remove", "ban", "make-admin", "transfer"):
        assert f'action="/groups/{group_id}/members/{beto.id}/{action}"' in page
    # The owner leaving: refused on the page, with its status.
    left = ana.post(f"/groups/{group_id}/leave", form_page=f"/groups/{group_id}")
    assert left.status_code == 409
    assert "leaves it only after handing it over to a member" in left.text
    made = ana.post(
        f"/groups/{group_id}/members/{beto.id}/make-admin", form_page=f"/groups/{group_id}"
    )
    assert made.status_code == 303
    assert group_api(beto, group_id).json()["my_role"] == "admin"
    # An admin sees no action on the owner, and is refused one.
    admin_page = beto.page(f"/groups/{group_id}")
    assert f"/members/{ana.id}/remove" not in admin_page
    refused = beto.post(f"/groups/{group_id}/members/{ana.id}/ban", form_page=f"/groups/{group_id}")
    assert refused.status_code == 403
    banned = ana.post(f"/groups/{group_id}/members/{beto.id}/ban", form_page=f"/groups/{group_id}")
    assert banned.status_code == 303
    assert "Banned members" in ana.page(f"/groups/{group_id}")
    page = beto.page(f"/groups/{group_id}")
    assert "banned you" in page
    rejoin = beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}")
    assert rejoin.status_code == 403
    unbanned = ana.post(
        f"/groups/{group_id}/members/{beto.id}/unban", form_page=f"/groups/{group_id}"
    )
    assert unbanned.status_code == 303
    assert beto.post(f"/groups/{group_id}/join", form_page=f"/groups/{group_id}").status_code == 303


def test_groups_shared_on_profiles_and_invitations_and_inviting_from_a_profile(
    ana: Browser, beto: Browser, carla: Browser
) -> None:
    shared = create(ana, "Puertos del Sur")
    beto.post(f"/groups/{shared}/join", form_page=f"/groups/{shared}")
    profile = ana.page(f"/members/{beto.id}")
    assert "Groups you share:" in profile
    assert f'<a href="/groups/{shared}">Puertos del Sur</a>' in profile
    assert beto.invite(ana, "Hola").status_code == 303
    network = ana.page("/network")
    assert "1 group in common" in network
    assert f'href="/groups/{shared}"' in network

    private = create(ana, "Junta", policy="private")
    form = ana.page(f"/members/{carla.id}")
    assert f'action="/members/{carla.id}/group-invitation"' in form
    assert f'<option value="{private}">Junta</option>' in form
    invited = ana.post(
        f"/members/{carla.id}/group-invitation",
        {"group": str(private)},
        form_page=f"/members/{carla.id}",
    )
    assert invited.status_code == 303, invited.text
    assert invited.headers["location"] == f"/groups/{private}?done=invited"
    assert group_api(carla, private).json()["my_standing"] == "invited"
