"""The network pages as browsers use them: inviting from a profile, answering on "My network",
connections with their tiers and notes, removing and blocking through their confirmation pages,
others' and mutual connections, privacy settings, notifications, refusals shown on the page,
and Spanish."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    bearer,
    csrf_token_of,
    log_in_page,
    new_email,
    post_form,
    register,
    token_for,
)
from vinculo.settings import get_settings

SPANISH = {"Accept-Language": "es"}


class Browser:
    """A logged-in member's browser, with API headers to arrange what a test needs quickly."""

    def __init__(self, client: TestClient, *, name: str) -> None:
        email = new_email()
        member = register(client, name=name, email=email)
        log_in_page(client, email)
        self.client = client
        self.id: int = member["id"]
        self.name = name
        self.email = email
        self.api = bearer(token_for(client, email))

    def page(self, path: str, **kwargs: Any) -> str:
        response = self.client.get(path, **kwargs)
        assert response.status_code == 200, response.text
        return _text(response.text)

    def post(self, path: str, data: dict[str, str] | None = None, *, form_page: str) -> Any:
        """Post a form shown on `form_page`, with that page's token."""
        return post_form(self.client, path, data or {}, form_page=form_page)

    def sent(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/invitations?box=sent", headers=self.api)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def received(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/invitations?box=received", headers=self.api)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def connection_ids(self) -> list[int]:
        response = self.client.get(f"/api/v1/members/{self.id}/connections", headers=self.api)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]


def _text(page: str) -> str:
    """The page with entities decoded and runs of white space made one space."""
    return re.sub(r"\s+", " ", html.unescape(page))


def _words(page: str) -> str:
    """What a reader sees of the page's markup: the text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(" :", ":")


def _alerts(page: str) -> list[str]:
    return [
        _text(found).strip()
        for found in re.findall(r'<p class="alert alert--error" role="alert">(.*?)</p>', page)
    ]


def _invite(browser: Browser, other: Browser, note: str = "", **extra: str) -> Any:
    return browser.post(
        f"/members/{other.id}/invite",
        {"note": note, "email": "", **extra},
        form_page=f"/members/{other.id}/invite",
    )


def _connect(one: Browser, other: Browser) -> None:
    """Connect two members through the pages: one invites, the other accepts on My network."""
    assert _invite(one, other, "Hola").status_code == 303
    [invitation] = [item for item in other.received() if item["from"] == one.id]
    accepted = other.post(f"/network/invitations/{invitation['id']}/accept", form_page="/network")
    assert accepted.status_code == 303, accepted.text


@pytest.fixture
def ana(client: TestClient) -> Browser:
    return Browser(client, name="Ana Ruiz")


@pytest.fixture
def beto(other_client: TestClient) -> Browser:
    return Browser(other_client, name="Beto Gil")


# Inviting and answering


def test_invite_from_the_profile_then_accept_on_my_network(ana: Browser, beto: Browser) -> None:
    profile = ana.page(f"/members/{beto.id}")
    assert f'href="/members/{beto.id}/invite"' in profile
    assert "Connect" in profile

    form = ana.page(f"/members/{beto.id}/invite")
    assert "Invite Beto Gil to connect" in form
    assert "What you share" in form
    assert "You share no connection, organization or school with Beto Gil." in form
    assert 'maxlength="300"' in form

    sent = _invite(ana, beto, "  Nos conocimos en la feria de Bilbao.  ")
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/members/{beto.id}?done=sent"
    profile = ana.page(sent.headers["location"])
    assert "Invitation sent to Beto Gil." in profile
    assert "Invitation pending" in profile
    assert f'href="/members/{beto.id}/invite"' not in profile

    network = beto.page("/network")
    assert "Ana Ruiz" in network
    assert "Nos conocimos en la feria de Bilbao." in network
    assert "1 invitation waiting for you" in network
    assert '<span class="nav-count">1</span>' in network
    [invitation] = beto.received()
    assert f'action="/network/invitations/{invitation["id"]}/accept"' in network
    assert f'action="/network/invitations/{invitation["id"]}/ignore"' in network
    assert f'action="/network/invitations/{invitation["id"]}/report"' in network
    assert "I don't know this person" in network

    accepted = beto.post(f"/network/invitations/{invitation['id']}/accept", form_page="/network")
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == "/network?done=accepted"
    network = beto.page(accepted.headers["location"])
    assert "Invitation accepted: you are now connected." in network
    assert "No invitations are waiting for you." in network
    assert "1 connection" in network

    assert "Ana Ruiz" in beto.page("/network/connections")
    assert "Beto Gil" in ana.page("/network/connections")
    assert "Connected" in ana.page(f"/members/{beto.id}")
    assert "Connected" in beto.page(f"/members/{ana.id}")
    sent_list = ana.page("/network")
    assert '<span class="status status--accepted">Accepted</span>' in sent_list


def test_a_received_invitation_shows_what_the_two_share(
    client: TestClient, ana: Browser, beto: Browser
) -> None:
    carla = Browser(client, name="Carla Sanz")
    log_in_page(client, ana.email)
    for member in (ana, beto):
        response = client.post(
            "/api/v1/members/me/positions",
            json={"organization": "Acme Ibérica", "title": "Analista", "start": "2015"},
            headers=member.api,
        )
        assert response.status_code == 201, response.text
    for member in (ana, beto):
        sent = client.post("/api/v1/invitations", json={"to": member.id}, headers=carla.api)
        client.post(f"/api/v1/invitations/{sent.json()['id']}/accept", headers=member.api)

    assert _invite(beto, ana, "Coincidimos en Acme.").status_code == 303
    network = _words(ana.page("/network"))
    assert "1 mutual connection: Carla Sanz" in network
    assert "Acme Ibérica (organization) You: 2015–Present; Beto Gil: 2015–Present." in network

    assert "Connected" in beto.page(f"/members/{carla.id}")
    profile = ana.page(f"/members/{beto.id}")
    assert "1 mutual connection: Carla Sanz" in _words(profile)
    assert f'href="/members/{beto.id}/mutual"' in profile
    assert "Beto Gil invited you to connect." in profile
    assert "Coincidimos en Acme." in profile


def test_accepting_from_the_profile_comes_back_to_it(ana: Browser, beto: Browser) -> None:
    assert _invite(beto, ana).status_code == 303
    [invitation] = ana.received()
    accepted = ana.post(
        f"/network/invitations/{invitation['id']}/accept",
        {"from": "profile"},
        form_page=f"/members/{beto.id}",
    )
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == f"/members/{beto.id}?done=accepted"
    profile = ana.page(accepted.headers["location"])
    assert "You are now connected with Beto Gil." in profile
    assert "Connected" in profile
    assert ana.connection_ids() == [beto.id]


def test_inviting_someone_who_invited_you_connects_at_once(ana: Browser, beto: Browser) -> None:
    assert _invite(beto, ana).status_code == 303
    # Ana's profile of Beto offers to answer, but a direct post of the invite form connects too.
    crossing = ana.client.post(
        f"/members/{beto.id}/invite",
        data={"csrf_token": csrf_token_of(ana.client.get("/network").text), "note": ""},
        follow_redirects=False,
    )
    assert crossing.status_code == 303, crossing.text
    assert crossing.headers["location"] == f"/members/{beto.id}?done=connected"
    assert "Beto Gil had already invited you: you are now connected." in ana.page(
        crossing.headers["location"]
    )
    assert ana.connection_ids() == [beto.id]


def test_ignoring_is_silent_to_the_sender(ana: Browser, beto: Browser) -> None:
    assert _invite(ana, beto, "¿Conectamos?").status_code == 303
    [invitation] = beto.received()
    ignored = beto.post(f"/network/invitations/{invitation['id']}/ignore", form_page="/network")
    assert ignored.status_code == 303
    assert ignored.headers["location"] == "/network?done=ignored"
    network = beto.page(ignored.headers["location"])
    assert "Invitation ignored. The sender is not told." in network
    assert "¿Conectamos?" not in network

    sender_view = ana.page("/network")
    assert '<span class="status status--pending">Pending</span>' in sender_view
    assert f'action="/network/invitations/{invitation["id"]}/withdraw"' in sender_view
    assert "Invitation pending" in ana.page(f"/members/{beto.id}")

    # Withdrawing it works as for any pending invitation: a refusal would give the ignore away.
    withdrawn = ana.post(f"/network/invitations/{invitation['id']}/withdraw", form_page="/network")
    assert withdrawn.status_code == 303, withdrawn.text
    assert '<span class="status status--withdrawn">Withdrawn</span>' in ana.page("/network")


def test_i_dont_know_this_person_is_silent_too(ana: Browser, beto: Browser) -> None:
    assert _invite(ana, beto).status_code == 303
    [invitation] = beto.received()
    reported = beto.post(f"/network/invitations/{invitation['id']}/report", form_page="/network")
    assert reported.status_code == 303
    assert reported.headers["location"] == "/network?done=reported"
    assert beto.received() == []
    assert [item["status"] for item in ana.sent()] == ["pending"]
    assert '<span class="status status--pending">Pending</span>' in ana.page("/network")


def test_withdraw_from_the_profile_then_the_cooldown_is_explained(
    ana: Browser, beto: Browser
) -> None:
    assert _invite(ana, beto).status_code == 303
    [invitation] = ana.sent()
    withdrawn = ana.post(
        f"/network/invitations/{invitation['id']}/withdraw",
        {"from": "profile"},
        form_page=f"/members/{beto.id}",
    )
    assert withdrawn.status_code == 303, withdrawn.text
    assert withdrawn.headers["location"] == f"/members/{beto.id}?done=withdrawn"
    profile = ana.page(withdrawn.headers["location"])
    assert "Invitation withdrawn." in profile
    assert f'href="/members/{beto.id}/invite"' in profile
    assert beto.received() == []

    again = _invite(ana, beto, "Perdona, ahora sí.")
    assert again.status_code == 409
    [alert] = _alerts(again.text)
    assert alert.startswith("You can invite this member again from ")
    assert "Perdona, ahora sí." in again.text  # the note is kept in the form
    assert [item["status"] for item in ana.sent()] == ["withdrawn"]


def test_answering_twice_shows_why_on_the_page(ana: Browser, beto: Browser) -> None:
    assert _invite(ana, beto).status_code == 303
    [invitation] = beto.received()
    token = csrf_token_of(beto.client.get("/network").text)
    path = f"/network/invitations/{invitation['id']}/accept"
    first = beto.client.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303
    second = beto.client.post(
        f"/network/invitations/{invitation['id']}/ignore",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert second.status_code == 409
    assert _alerts(second.text) == [
        "This invitation was already answered, withdrawn or has expired."
    ]
    assert "<h1>My network</h1>" in second.text
    assert beto.connection_ids() == [ana.id]

    # Someone else's invitation is not there to act on.
    ana_token = csrf_token_of(ana.client.get("/network").text)
    foreign = ana.client.post(path, data={"csrf_token": ana_token}, follow_redirects=False)
    assert foreign.status_code == 404
    assert _alerts(foreign.text) == ["There is no such invitation, or it is not yours to act on."]


# Refusals from the service, on the invitation form


def test_a_note_over_300_characters_is_refused_and_nothing_is_sent(
    ana: Browser, beto: Browser
) -> None:
    response = _invite(ana, beto, "x" * 301)
    assert response.status_code == 422
    assert '<p class="field__error" id="error-note">At most 300 characters.</p>' in response.text
    assert "x" * 301 in response.text
    assert ana.sent() == []
    assert beto.received() == []
    assert _invite(ana, beto, "x" * 300).status_code == 303


def test_a_member_who_limits_invitations_explains_it(ana: Browser, beto: Browser) -> None:
    saved = beto.post(
        "/settings/privacy",
        {"who_can_invite": "email", "connections_visible_to": "connections"},
        form_page="/settings/privacy",
    )
    assert saved.status_code == 303
    refused = _invite(ana, beto, "Hola")
    assert refused.status_code == 403
    [alert] = _alerts(refused.text)
    assert alert.startswith("This member accepts invitations only from members they share a link")
    assert ana.sent() == []

    allowed = _invite(ana, beto, "Hola", email=beto.email.upper())
    assert allowed.status_code == 303, allowed.text
    assert len(beto.received()) == 1


def test_the_weekly_limit_is_a_429_with_the_wait(
    client: TestClient, ana: Browser, beto: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "invitations_per_week", 1)
    carla = Browser(client, name="Carla Sanz")
    log_in_page(client, ana.email)
    assert _invite(ana, beto).status_code == 303
    refused = _invite(ana, carla, "Hola")
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    [alert] = _alerts(refused.text)
    assert alert.startswith("You sent 1 invitations in the last 7 days.")
    assert [item["to"] for item in ana.sent()] == [beto.id]


def test_invite_and_answer_forms_need_the_form_token(ana: Browser, beto: Browser) -> None:
    without = ana.client.post(
        f"/members/{beto.id}/invite", data={"note": "Hola"}, follow_redirects=False
    )
    assert without.status_code == 403
    assert "Form expired" in without.text
    assert ana.sent() == []

    assert _invite(ana, beto).status_code == 303
    [invitation] = beto.received()
    forged = beto.client.post(
        f"/network/invitations/{invitation['id']}/accept",
        data={"csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert len(beto.received()) == 1
    assert beto.connection_ids() == []


# Connections


def test_tier_and_private_note(ana: Browser, beto: Browser) -> None:
    _connect(ana, beto)
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
    _connect(ana, beto)
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
    _connect(ana, beto)
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
    assert "21 connections" in _text(first.text)


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


# Blocking


def test_block_through_its_confirmation_then_unblock(ana: Browser, beto: Browser) -> None:
    _connect(ana, beto)
    assert f'href="/members/{beto.id}/block"' in ana.page(f"/members/{beto.id}")
    assert "Block Beto Gil?" in ana.page(f"/members/{beto.id}/block")

    blocked = ana.post(f"/members/{beto.id}/block", form_page=f"/members/{beto.id}/block")
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/network/blocked?done=blocked"
    page = ana.page("/network/blocked")
    assert "Beto Gil" in page
    assert f'action="/network/blocked/{beto.id}/unblock"' in page
    assert ana.connection_ids() == []

    for path in (
        f"/members/{ana.id}",
        f"/members/{ana.id}/connections",
        f"/members/{ana.id}/mutual",
        f"/members/{ana.id}/invite",
    ):
        assert beto.client.get(path).status_code == 404, path
    assert ana.client.get(f"/members/{beto.id}").status_code == 404

    unblocked = ana.post(f"/network/blocked/{beto.id}/unblock", form_page="/network/blocked")
    assert unblocked.status_code == 303
    assert "You have not blocked anyone." in ana.page("/network/blocked")
    assert beto.client.get(f"/members/{ana.id}").status_code == 200


# Privacy


def test_privacy_settings_are_saved_and_hide_the_connection_list(
    ana: Browser, beto: Browser
) -> None:
    _connect(ana, beto)
    assert 'href="/settings/privacy"' in ana.page("/settings")
    form = ana.page("/settings/privacy")
    assert 'name="who_can_invite" value="anyone" checked' in form
    assert 'name="connections_visible_to" value="connections" checked' in form

    saved = ana.post(
        "/settings/privacy",
        {"who_can_invite": "link", "connections_visible_to": "only_me"},
        form_page="/settings/privacy",
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/privacy?saved=1"
    form = ana.page(saved.headers["location"])
    assert "Your privacy settings are saved." in form
    assert 'name="who_can_invite" value="link" checked' in form
    assert 'name="connections_visible_to" value="only_me" checked' in form

    private = beto.client.get(f"/members/{ana.id}/connections")
    assert private.status_code == 403
    assert "This member shows their connections to no one." in private.text
    assert f'href="/members/{ana.id}/connections"' not in beto.page(f"/members/{ana.id}")

    wrong = ana.post(
        "/settings/privacy", {"who_can_invite": "everyone"}, form_page="/settings/privacy"
    )
    assert wrong.status_code == 422
    assert "Choose one of the options." in wrong.text
    assert 'name="who_can_invite" value="link" checked' in ana.page("/settings/privacy")


# Notifications


def test_notifications_are_listed_and_marked_read_by_the_button(
    ana: Browser, beto: Browser
) -> None:
    assert _invite(ana, beto).status_code == 303
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


# Spanish


def test_the_network_pages_speak_spanish(ana: Browser, beto: Browser) -> None:
    profile = ana.page(f"/members/{beto.id}", headers=SPANISH)
    assert "Conectar" in profile
    assert "Mi red" in profile
    form = ana.page(f"/members/{beto.id}/invite", headers=SPANISH)
    assert "Invitar a Beto Gil a conectar" in form

    refused = ana.client.post(
        f"/members/{beto.id}/invite",
        data={"csrf_token": csrf_token_of(form), "note": "x" * 301},
        headers=SPANISH,
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "Como máximo 300 caracteres." in refused.text

    assert _invite(ana, beto, "Hola").status_code == 303
    network = beto.page("/network", headers=SPANISH)
    assert "Invitaciones que te esperan" in network
    assert "1 invitación espera tu respuesta" in network
    assert "Aceptar" in network
    assert "No conozco a esta persona" in network
    assert "Pendiente" in ana.page("/network", headers=SPANISH)
    again = _invite(ana, beto, "Hola")
    assert again.status_code == 409
    for path in (
        "/network/connections",
        "/network/blocked",
        "/settings/privacy",
        "/notifications",
    ):
        page = beto.page(path, headers=SPANISH)
        assert 'lang="es"' in page, path
        assert "Mi red" in page, path
