"""The connections pages as browsers use them: tiers and private notes, removing through a
confirmation page, paging, and others' and mutual connections."""

from __future__ import annotations

import html
import re

from starlette.testclient import TestClient

from tests.helpers import Browser, log_in_page, page_text


def test_tier_and_private_note(ana: Browser, beto: Browser) -> None:
    ana.connect(beto)
    page = ana.page("/network/connections")
    assert f'id="connection-{beto.id}"' in page
    assert '<option value="regular" selected>Regular</option>' in page

    tier = ana.post(
        f"/network/connections/{beto.id}",
        {"tier": "close", "filter": "all"},
        form_page="/network/connections",
    )
    assert tier.status_code == 303, tier.text
    assert tier.headers["location"] == f"/network/connections?done=saved#connection-{beto.id}"
    note = ana.post(
        f"/network/connections/{beto.id}",
        {"note": "Experto en logística. Café en marzo.", "filter": "close"},
        form_page="/network/connections",
    )
    assert note.status_code == 303
    assert note.headers["location"].startswith("/network/connections?done=saved&tier=close")

    close = ana.page("/network/connections?tier=close")
    assert "Beto Gil" in close
    assert '<option value="close" selected>Close</option>' in close
    assert "Experto en logística. Café en marzo." in close
    assert "Beto Gil" not in ana.page("/network/connections?tier=occasional")
    assert "No connection in this tier." in ana.page("/network/connections?tier=occasional")
    # Private: Beto's side of the same connection is untouched.
    assert "Experto en logística" not in beto.page("/network/connections")

    too_long = ana.post(
        f"/network/connections/{beto.id}",
        {"note": "y" * 2001},
        form_page="/network/connections",
    )
    assert too_long.status_code == 422
    assert "At most 2000 characters." in too_long.text
    assert "Experto en logística. Café en marzo." in ana.page("/network/connections")

    wrong_tier = ana.post(
        f"/network/connections/{beto.id}", {"tier": "best"}, form_page="/network/connections"
    )
    assert wrong_tier.status_code == 422
    assert "Choose one of the options." in wrong_tier.text


def test_remove_a_connection_through_its_confirmation(ana: Browser, beto: Browser) -> None:
    ana.connect(beto)
    assert f'href="/network/connections/{beto.id}/remove"' in ana.page("/network/connections")
    confirm = ana.page(f"/network/connections/{beto.id}/remove")
    assert "Remove Beto Gil?" in confirm
    assert ana.connection_ids() == [beto.id]  # looking at the question removes nothing

    removed = ana.post(
        f"/network/connections/{beto.id}/remove",
        form_page=f"/network/connections/{beto.id}/remove",
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == "/network/connections?done=removed"
    assert "Connection removed. The other member is not told." in ana.page(
        removed.headers["location"]
    )
    assert ana.connection_ids() == []
    assert beto.connection_ids() == []
    assert "No connections yet." in beto.page("/network/connections")
    assert ana.client.get(f"/network/connections/{beto.id}/remove").status_code == 404


def test_remove_from_the_profile_comes_back_to_it(ana: Browser, beto: Browser) -> None:
    ana.connect(beto)
    profile = ana.page(f"/members/{beto.id}")
    assert f'href="/network/connections/{beto.id}/remove?from=profile"' in profile
    removed = ana.post(
        f"/network/connections/{beto.id}/remove",
        {"from": "profile"},
        form_page=f"/network/connections/{beto.id}/remove?from=profile",
    )
    assert removed.headers["location"] == f"/members/{beto.id}?done=removed"
    assert "Connection removed. Beto Gil is not told." in ana.page(removed.headers["location"])


def test_connections_are_paginated(client: TestClient, ana: Browser) -> None:
    names = [f"Miembro {number:02d}" for number in range(21)]
    for name in names:
        other = Browser(client, name=name)
        sent = client.post("/api/v1/invitations", json={"to": ana.id}, headers=other.api)
        client.post(f"/api/v1/invitations/{sent.json()['id']}/accept", headers=ana.api)
    log_in_page(client, ana.email)
    first = client.get("/network/connections")
    cursor = re.search(r'href="/network/connections\?tier=all&amp;cursor=([^"]+)"', first.text)
    assert cursor, "no link to the next page"
    second = client.get(f"/network/connections?tier=all&cursor={html.unescape(cursor.group(1))}")
    assert second.status_code == 200
    shown = [re.findall(r"Miembro \d\d", page.text) for page in (first, second)]
    assert sorted(set(shown[0])) + sorted(set(shown[1])) == names
    assert "21 connections" in page_text(first.text)


def test_others_connections_and_mutual_connections(
    client: TestClient, ana: Browser, beto: Browser
) -> None:
    carla = Browser(client, name="Carla Sanz")
    log_in_page(client, ana.email)
    for member in (ana, beto):
        sent = client.post("/api/v1/invitations", json={"to": member.id}, headers=carla.api)
        client.post(f"/api/v1/invitations/{sent.json()['id']}/accept", headers=member.api)

    theirs = ana.page(f"/members/{carla.id}/connections")
    assert "Connections of Carla Sanz" in theirs
    assert "Ana Ruiz" in theirs
    assert "Beto Gil" in theirs

    mutual = ana.page(f"/members/{beto.id}/mutual")
    assert "Mutual connections with Beto Gil" in mutual
    assert "1 mutual connection" in mutual
    assert "Carla Sanz" in mutual
    assert f'href="/members/{carla.id}/connections"' in ana.page(f"/members/{carla.id}")
