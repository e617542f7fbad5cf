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
