"""The invitation pages as browsers use them: inviting from a profile, answering on "My network",
refusals shown on the form; and the network pages in Spanish."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.helpers import Browser, csrf_token_of, log_in_page, page_text
from vinculo.settings import get_settings

SPANISH = {"Accept-Language": "es"}


def _words(page: str) -> str:
    """What a reader sees of the page's markup: the text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(" :", ":")


def _alerts(page: str) -> list[str]:
    return [
        page_text(found).strip()
        for found in re.findall(r'<p class="alert alert--error" role="alert">(.*?)</p>', page)
    ]


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

    sent = ana.invite(beto, "  Nos conocimos en la feria de Bilbao.  ")
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

    assert beto.invite(ana, "Coincidimos en Acme.").status_code == 303
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
    assert beto.invite(ana).status_code == 303
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
    assert beto.invite(ana).status_code == 303
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
    assert ana.invite(beto, "¿Conectamos?").status_code == 303
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
    assert ana.invite(beto).status_code == 303
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
    assert ana.invite(beto).status_code == 303
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

    again = ana.invite(beto, "Perdona, ahora sí.")
    assert again.status_code == 409
    [alert] = _alerts(again.text)
    assert alert.startswith("You can invite this member again from ")
    assert "Perdona, ahora sí." in again.text  # the note is kept in the form
    assert [item["status"] for item in ana.sent()] == ["withdrawn"]


def test_answering_twice_shows_why_on_the_page(ana: Browser, beto: Browser) -> None:
    assert ana.invite(beto).status_code == 303
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
    response = ana.invite(beto, "x" * 301)
    assert response.status_code == 422
    assert '<p class="field__error" id="error-note">At most 300 characters.</p>' in response.text
    assert "x" * 301 in response.text
    assert ana.sent() == []
    assert beto.received() == []
    assert ana.invite(beto, "x" * 300).status_code == 303


def test_a_member_who_limits_invitations_explains_it(ana: Browser, beto: Browser) -> None:
    saved = beto.post(
        "/settings/privacy",
        {"who_can_invite": "email", "connections_visible_to": "connections"},
        form_page="/settings/privacy",
    )
    assert saved.status_code == 303
    refused = ana.invite(beto, "Hola")
    assert refused.status_code == 403
    [alert] = _alerts(refused.text)
    assert alert.startswith("This member accepts invitations only from members they share a link")
    assert ana.sent() == []

    allowed = ana.invite(beto, "Hola", email=beto.email.upper())
    assert allowed.status_code == 303, allowed.text
    assert len(beto.received()) == 1


def test_the_weekly_limit_is_a_429_with_the_wait(
    client: TestClient, ana: Browser, beto: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "invitations_per_week", 1)
    carla = Browser(client, name="Carla Sanz")
    log_in_page(client, ana.email)
    assert ana.invite(beto).status_code == 303
    refused = ana.invite(carla, "Hola")
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

    assert ana.invite(beto).status_code == 303
    [invitation] = beto.received()
    forged = beto.client.post(
        f"/network/invitations/{invitation['id']}/accept",
        data={"csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert len(beto.received()) == 1
    assert beto.connection_ids() == []


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

    assert ana.invite(beto, "Hola").status_code == 303
    network = beto.page("/network", headers=SPANISH)
    assert "Invitaciones que te esperan" in network
    assert "1 invitación espera tu respuesta" in network
    assert "Aceptar" in network
    assert "No conozco a esta persona" in network
    assert "Pendiente" in ana.page("/network", headers=SPANISH)
    again = ana.invite(beto, "Hola")
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
