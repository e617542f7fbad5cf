"""The notifications page as browsers use it: listed, and marked read only by its button."""

from __future__ import annotations

from tests.helpers import Browser


def test_notifications_are_listed_and_marked_read_by_the_button(
    ana: Browser, beto: Browser
) -> None:
    assert ana.invite(beto).status_code == 303
    home = beto.page("/")
    assert 'href="/network"' in home
    assert '<span class="nav-count">1</span>' in home

    page = beto.page("/notifications")
    assert "Ana Ruiz invited you to connect." in page
    assert "1 unread notification" in page
    # Reading the page writes nothing: they stay unread until the button says so.
    assert '<span class="nav-count">1</span>' in beto.page("/notifications")

    read = beto.post("/notifications/read", form_page="/notifications")
    assert read.status_code == 303
    assert read.headers["location"] == "/notifications"
    page = beto.page("/notifications")
    assert "nav-count" not in page
    assert "Ana Ruiz invited you to connect." in page

    [invitation] = beto.received()
    beto.post(f"/network/invitations/{invitation['id']}/accept", form_page="/network")
    assert "Beto Gil accepted your invitation: you are now connected." in ana.page("/notifications")


def test_old_notifications_from_a_member_who_blocked_you_stop_naming_them(
    ana: Browser, beto: Browser
) -> None:
    """Beto accepted Ana's invitation, then blocked her: Ana's notification of it no longer names
    him, on the page, in the count, nor through the invitation it points to (a 404, as for one
    that does not exist)."""
    ana.connect(beto)
    [accepted] = ana.client.get("/api/v1/notifications", headers=ana.api).json()["items"]
    assert (accepted["kind"], accepted["actor"]["id"]) == ("invitation_accepted", beto.id)
    assert "Beto Gil" in ana.page("/notifications")
    assert (
        ana.client.get(f"/api/v1/invitations/{accepted['invitation_id']}", headers=ana.api).json()[
            "to"
        ]
        == beto.id
    )

    blocked = beto.client.post("/api/v1/blocks", json={"member": ana.id}, headers=beto.api)
    assert blocked.status_code == 201, blocked.text
    page = ana.page("/notifications")
    assert "Beto Gil" not in page
    assert "nav-count" not in page
    assert ana.client.get("/api/v1/notifications", headers=ana.api).json()["items"] == []
    pointed = ana.client.get(f"/api/v1/invitations/{accepted['invitation_id']}", headers=ana.api)
    nobody = ana.client.get("/api/v1/invitations/999999", headers=ana.api)
    assert pointed.status_code == 404, pointed.text
    assert pointed.json() == nobody.json()
    assert "Beto Gil" not in ana.page("/network")
    assert all(item["to"] != beto.id for item in ana.sent())
