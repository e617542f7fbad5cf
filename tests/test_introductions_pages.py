"""The introduction pages as browsers use them: asking from a member's profile or the wider
network, forwarding (the target sees "Introduced by" on their invitation), declining, passing a
request on, withdrawing; refusals shown on the form with their status and nothing written; the
pages in Spanish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import Browser

INTRODUCTIONS = "/api/v1/introductions"
MESSAGE = "Me gustaría hablar con ella sobre el puerto de Valencia."


@pytest.fixture
def carla(app: FastAPI) -> Iterator[Browser]:
    """Carla Sanz, logged in on a browser of her own."""
    with TestClient(app) as third:
        yield Browser(third, name="Carla Sanz")


@pytest.fixture
def dani(app: FastAPI) -> Iterator[Browser]:
    with TestClient(app) as fourth:
        yield Browser(fourth, name="Dani Paz")


def _sent(browser: Browser) -> list[dict[str, object]]:
    listed = browser.client.get(INTRODUCTIONS, params={"box": "sent"}, headers=browser.api)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, object]] = listed.json()["items"]
    return items


def test_ask_forward_and_accept_through_the_pages(
    ana: Browser, beto: Browser, carla: Browser
) -> None:
    ana.connect(beto)
    beto.connect(carla)

    profile = ana.page(f"/members/{carla.id}")
    assert f'href="/members/{carla.id}/introduce"' in profile
    wider = ana.page("/network/second-degree")
    assert f'href="/members/{carla.id}/introduce?via={beto.id}"' in wider
    assert "Ask Beto Gil to introduce you" in wider

    form = ana.page(f"/members/{carla.id}/introduce?via={beto.id}")
    assert "Ask for an introduction to Carla Sanz" in form
    assert f'value="{beto.id}" checked' in form
    assert "Connected with Carla Sanz since" in form
    assert 'maxlength="500"' in form

    asked = ana.post(
        f"/members/{carla.id}/introduce",
        {"via": str(beto.id), "message": MESSAGE},
        form_page=f"/members/{carla.id}/introduce",
    )
    assert asked.status_code == 303, asked.text
    assert asked.headers["location"] == "/introductions?box=sent&done=requested"
    mine = ana.page(asked.headers["location"])
    assert "Request sent." in mine
    assert "Requested" in mine
    assert "Carla Sanz" in mine
    [introduction] = _sent(ana)

    waiting = beto.page("/introductions")
    assert "Ana Ruiz would like to meet Carla Sanz" in waiting
    assert MESSAGE in waiting
    assert f'action="/introductions/{introduction["id"]}/forward"' in waiting
    forwarded = beto.post(
        f"/introductions/{introduction['id']}/forward",
        {"note": "Ana y yo trabajamos juntos."},
        form_page="/introductions",
    )
    assert forwarded.status_code == 303, forwarded.text
    assert "Introduction forwarded" in beto.page(forwarded.headers["location"])

    network = carla.page("/network")
    assert "Introduced by Beto Gil" in network
    assert MESSAGE in network
    assert "Ana y yo trabajamos juntos." in network
    [invitation] = carla.received()
    accepted = carla.post(f"/network/invitations/{invitation['id']}/accept", form_page="/network")
    assert accepted.status_code == 303, accepted.text
    assert "Connected" in ana.page("/introductions?box=sent")
    assert "Carla Sanz accepted the introduction you forwarded" in beto.page("/notifications")


def test_a_refused_request_is_shown_on_the_form_and_writes_nothing(
    ana: Browser, beto: Browser, carla: Browser
) -> None:
    ana.connect(beto)
    beto.connect(carla)
    form_page = f"/members/{carla.id}/introduce"
    blank = ana.post(form_page, {"via": str(beto.id), "message": "   "}, form_page=form_page)
    assert blank.status_code == 422
    assert 'aria-invalid="true" aria-describedby="error-message"' in blank.text
    no_one = ana.post(form_page, {"message": MESSAGE}, form_page=form_page)
    assert no_one.status_code == 422
    assert 'id="error-via"' in no_one.text
    assert _sent(ana) == []
    asked = ana.post(form_page, {"via": str(beto.id), "message": MESSAGE}, form_page=form_page)
    assert asked.status_code == 303
    again = ana.post(form_page, {"via": str(beto.id), "message": MESSAGE}, form_page=form_page)
    assert again.status_code == 409
    assert "You already asked for an introduction to this member" in again.text
    assert len(_sent(ana)) == 1


def test_declining_and_withdrawing_through_the_pages(
    ana: Browser, beto: Browser, carla: Browser
) -> None:
    ana.connect(beto)
    beto.connect(carla)
    form_page = f"/members/{carla.id}/introduce"
    ana.post(form_page, {"via": str(beto.id), "message": MESSAGE}, form_page=form_page)
    [introduction] = _sent(ana)
    declined = beto.post(f"/introductions/{introduction['id']}/decline", form_page="/introductions")
    assert declined.status_code == 303, declined.text
    assert "Not forwarded" in ana.page("/introductions?box=sent")
    assert "was not forwarded" in ana.page("/notifications")
    # Declined: withdrawing it now is refused on the page, with its status.
    refused = ana.post(
        f"/introductions/{introduction['id']}/withdraw", form_page="/introductions?box=sent"
    )
    assert refused.status_code == 409
    assert "This request was already forwarded" in refused.text


def test_passing_a_request_on_through_the_pages(
    ana: Browser, beto: Browser, carla: Browser, dani: Browser
) -> None:
    ana.connect(beto)
    beto.connect(dani)
    dani.connect(carla)
    form = ana.page(f"/members/{carla.id}/introduce")
    assert "their network reaches Carla Sanz" in form
    form_page = f"/members/{carla.id}/introduce"
    ana.post(form_page, {"via": str(beto.id), "message": MESSAGE}, form_page=form_page)
    [introduction] = _sent(ana)
    waiting = beto.page("/introductions")
    assert "You are not connected to Carla Sanz yourself" in waiting
    assert f'value="{dani.id}" checked' in waiting
    passed = beto.post(
        f"/introductions/{introduction['id']}/pass",
        {"to": str(dani.id), "note": "Dani, ¿puedes?"},
        form_page="/introductions",
    )
    assert passed.status_code == 303, passed.text
    theirs = dani.page("/introductions")
    assert "passed on to you by Beto Gil" in theirs
    assert "Dani, ¿puedes?" in theirs
    forwarded = dani.post(
        f"/introductions/{introduction['id']}/forward", form_page="/introductions"
    )
    assert forwarded.status_code == 303, forwarded.text
    assert "Introduced by Dani Paz" in carla.page("/network")


def test_the_pages_in_spanish(ana: Browser, beto: Browser, carla: Browser) -> None:
    ana.connect(beto)
    beto.connect(carla)
    spanish = {"Accept-Language": "es"}
    form = ana.page(f"/members/{carla.id}/introduce", headers=spanish)
    assert "Pide que te presenten a Carla Sanz" in form
    assert "Introductions" not in ana.page("/introductions", headers=spanish)
