"""Introductions through the JSON API: asking a common connection, forwarding with a note (the
target receives an invitation "introduced by"), declining, withdrawing, passing a request on
once (two hops), expiry, the invitation rules an introduction is held to, blocks, wrong actors
(404) and wrong states (409), choosing the best introducer, and the insight counts."""

from __future__ import annotations

import io
import json
import zipfile
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
    act,
    connect_people,
    fields_of,
    invitations_in,
    notifications,
    people,
    problem_of,
)
from tests.test_races import Call, race
from vinculo import clock
from vinculo.introductions.models import MESSAGE_MAX, NOTE_MAX
from vinculo.settings import get_settings

INTRODUCTIONS = "/api/v1/introductions"
MESSAGE = "We both work on port logistics; I would like to ask her about Valencia."


def trio(client: TestClient) -> tuple[Person, Person, Person]:
    """Ana, Beto and Carla: Beto is connected to both, Ana and Carla are 2nd degree."""
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    connect_people(client, ana, beto)
    connect_people(client, beto, carla)
    return ana, beto, carla


def ask(client: TestClient, requester: Person, *, target: Person, via: Person, **body: Any) -> Any:
    return client.post(
        INTRODUCTIONS,
        json={"target": target.id, "via": via.id, "message": MESSAGE, **body},
        headers=requester.headers,
    )


def asked(client: TestClient, requester: Person, *, target: Person, via: Person) -> dict[str, Any]:
    response = ask(client, requester, target=target, via=via)
    assert response.status_code == 201, response.text
    introduction: dict[str, Any] = response.json()
    return introduction


def step(client: TestClient, person: Person, introduction_id: int, action: str, **body: Any) -> Any:
    return client.post(
        f"{INTRODUCTIONS}/{introduction_id}/{action}", json=body or None, headers=person.headers
    )


def box(client: TestClient, person: Person, name: str) -> list[dict[str, Any]]:
    listed = client.get(INTRODUCTIONS, params={"box": name}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def status_for(client: TestClient, person: Person, introduction_id: int) -> str:
    found = client.get(f"{INTRODUCTIONS}/{introduction_id}", headers=person.headers)
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


# The flow


def test_asking_forwarding_and_accepting_connects_the_two(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    assert (introduction["requester"], introduction["introducer"], introduction["target"]) == (
        ana.id,
        beto.id,
        carla.id,
    )
    assert introduction["message"] == MESSAGE
    assert introduction["status"] == "requested"
    assert introduction["members"]["target"]["degree"] == 2
    created = datetime.fromisoformat(introduction["created_at"])
    assert datetime.fromisoformat(introduction["expires_at"]) - created == timedelta(days=14)

    waiting = box(client, beto, "to_forward")
    assert [item["id"] for item in waiting] == [introduction["id"]]
    assert waiting[0]["waiting_for_you"] is True
    assert ("introduction_requested", ana.id, None) in notifications(client, beto)
    # Not forwarded yet: the target knows nothing of it.
    assert invitations_in(client, carla, "received") == []
    problem_of(client.get(f"{INTRODUCTIONS}/{introduction['id']}", headers=carla.headers), 404)

    forwarded = step(client, beto, introduction["id"], "forward", note="Ana is great.")
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["status"] == "forwarded"
    assert box(client, beto, "to_forward") == []
    assert [item["id"] for item in box(client, beto, "handled")] == [introduction["id"]]
    assert status_for(client, ana, introduction["id"]) == "forwarded"
    assert ("introduction_forwarded", beto.id, None) in notifications(client, ana)

    received = invitations_in(client, carla, "received")
    assert len(received) == 1
    invitation = received[0]
    assert invitation["from"] == ana.id
    card = invitation["introduction"]
    assert card["id"] == introduction["id"]
    assert card["introducer"]["id"] == beto.id
    assert (card["message"], card["note"]) == (MESSAGE, "Ana is great.")
    assert status_for(client, carla, introduction["id"]) == "forwarded"

    accepted = act(client, carla, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["introduction"]["introducer"]["id"] == beto.id
    for person in (ana, beto, carla):
        assert status_for(client, person, introduction["id"]) == "connected"
    assert ("introduction_connected", carla.id, invitation["id"]) in notifications(client, beto)
    insight = client.get(f"{INTRODUCTIONS}/insight", headers=beto.headers).json()
    assert insight["introduced"] == {"asked": 1, "forwarded": 1, "connected": 1}
    assert insight["asked"] == {"asked": 0, "forwarded": 0, "connected": 0}
    mine = client.get(f"{INTRODUCTIONS}/insight", headers=ana.headers).json()
    assert mine["asked"] == {"asked": 1, "forwarded": 1, "connected": 1}
    assert mine["community"]["connected"] >= 1


def test_a_declined_request_tells_the_requester_only_that_it_was_not_forwarded(
    client: TestClient,
) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    declined = step(client, beto, introduction["id"], "decline")
    assert declined.status_code == 200, declined.text
    assert status_for(client, ana, introduction["id"]) == "declined"
    assert ("introduction_not_forwarded", beto.id, None) in notifications(client, ana)
    problem_of(
        step(client, beto, introduction["id"], "forward"), 409, slug="introduction-not-waiting"
    )
    problem_of(
        step(client, ana, introduction["id"], "withdraw"), 409, slug="introduction-not-waiting"
    )
    assert invitations_in(client, carla, "received") == []


def test_withdrawing_before_and_after_forwarding(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    first = asked(client, ana, target=carla, via=beto)
    withdrawn = step(client, ana, first["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert box(client, beto, "to_forward") == []
    problem_of(step(client, beto, first["id"], "forward"), 409, slug="introduction-not-waiting")

    get_settings_cooldown = get_settings().reinvite_cooldown_days
    assert get_settings_cooldown > 0
    # The same cooldowns as invitations: asking again for Carla at once is refused.
    problem_of(ask(client, ana, target=carla, via=beto), 409, slug="invitation-cooldown")


def test_withdrawing_a_forwarded_introduction_withdraws_its_invitation(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    assert step(client, beto, introduction["id"], "forward").status_code == 200
    withdrawn = step(client, ana, introduction["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert invitations_in(client, carla, "received") == []
    assert status_for(client, beto, introduction["id"]) == "withdrawn"
    problem_of(
        step(client, ana, introduction["id"], "withdraw"), 409, slug="introduction-not-waiting"
    )


# Who may do what


def test_wrong_actors_get_404_and_a_stranger_sees_nothing(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    (stranger,) = people(client, "Dora Vidal")
    introduction = asked(client, ana, target=carla, via=beto)
    path = introduction["id"]
    for person in (stranger, carla):
        problem_of(client.get(f"{INTRODUCTIONS}/{path}", headers=person.headers), 404)
        for action in ("forward", "decline", "withdraw"):
            problem_of(step(client, person, path, action), 404, slug="introduction-not-found")
    problem_of(step(client, ana, path, "forward"), 404, slug="introduction-not-found")
    problem_of(step(client, ana, path, "decline"), 404, slug="introduction-not-found")
    problem_of(step(client, beto, path, "withdraw"), 404, slug="introduction-not-found")
    problem_of(step(client, ana, MISSING, "withdraw"), 404, slug="introduction-not-found")
    assert box(client, stranger, "to_forward") == []
    assert status_for(client, ana, path) == "requested"


def test_bad_requests_name_their_field_and_write_nothing(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    (dora,) = people(client, "Dora Vidal")
    connect_people(client, ana, dora)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"message": ""}, "message"),
        ({"message": "x" * (MESSAGE_MAX + 1)}, "message"),
        ({"target": ana.id}, "target"),
        ({"via": carla.id}, "via"),  # not Ana's connection
        ({"via": dora.id}, "via"),  # Dora knows nobody who knows Carla
        ({"via": ana.id}, "via"),
    ]
    for change, field in cases:
        body = {"target": carla.id, "via": beto.id, "message": MESSAGE, **change}
        response = client.post(INTRODUCTIONS, json=body, headers=ana.headers)
        assert field in fields_of(problem_of(response, 422)), (change, response.text)
    problem_of(
        client.post(
            INTRODUCTIONS,
            json={"target": MISSING, "via": beto.id, "message": MESSAGE},
            headers=ana.headers,
        ),
        404,
    )
    assert box(client, ana, "sent") == []
    assert box(client, beto, "to_forward") == []
    introduction = asked(client, ana, target=carla, via=beto)
    long_note = "x" * (NOTE_MAX + 1)
    assert "note" in fields_of(
        problem_of(step(client, beto, introduction["id"], "forward", note=long_note), 422)
    )
    assert status_for(client, ana, introduction["id"]) == "requested"


def test_one_open_introduction_per_target_and_none_once_connected(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    (eva,) = people(client, "Eva Mora")
    connect_people(client, ana, eva)
    connect_people(client, eva, carla)
    asked(client, ana, target=carla, via=beto)
    problem_of(ask(client, ana, target=carla, via=eva), 409, slug="introduction-already-requested")
    problem_of(ask(client, ana, target=beto, via=eva), 409, slug="already-connected")
    # An invitation already open between the two: ask them to answer it instead.
    (fran,) = people(client, "Fran Lago")
    connect_people(client, eva, fran)
    client.post(INVITATIONS, json={"to": ana.id}, headers=fran.headers)
    problem_of(ask(client, ana, target=fran, via=eva), 409, slug="already-invited")


def test_introductions_count_towards_the_weekly_invitation_cap(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, beto, carla = trio(client)
    (dora,) = people(client, "Dora Vidal")
    connect_people(client, beto, dora)
    # Ana's invitation to Beto, and this introduction: two this week.
    monkeypatch.setattr(get_settings(), "invitations_per_week", 2)
    asked(client, ana, target=carla, via=beto)
    response = ask(client, ana, target=dora, via=beto)
    problem_of(response, 429, slug="weekly-invitation-limit")
    assert "retry-after" in response.headers
    assert [item["target"] for item in box(client, ana, "sent")] == [carla.id]


def test_who_can_invite_by_email_only_refuses_introductions(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    changed = client.patch(
        "/api/v1/network/settings", json={"who_can_invite": "email"}, headers=carla.headers
    )
    assert changed.status_code == 200, changed.text
    problem_of(ask(client, ana, target=carla, via=beto), 403, slug="not-invitable")


# Blocks


def test_a_block_on_the_path_refuses_and_ends_introductions(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    blocked = client.post(BLOCKS, json={"member": ana.id}, headers=carla.headers)
    assert blocked.status_code == 201, blocked.text
    # To Ana, Carla is gone, and the introduction with her; Beto is no longer asked.
    assert box(client, ana, "sent") == []
    assert box(client, beto, "to_forward") == []
    problem_of(step(client, beto, introduction["id"], "forward"), 409)
    problem_of(ask(client, ana, target=carla, via=beto), 404)


def test_a_block_between_introducer_and_target_reads_as_not_forwarded(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    assert client.post(BLOCKS, json={"member": beto.id}, headers=carla.headers).status_code == 201
    assert status_for(client, ana, introduction["id"]) == "declined"


# Two hops


def test_a_request_passed_on_once_reaches_a_third_degree_member(client: TestClient) -> None:
    ana, beto, dani, carla = people(client, "Ana Ruiz", "Beto Gil", "Dani Paz", "Carla Sanz")
    connect_people(client, ana, beto)
    connect_people(client, beto, dani)
    connect_people(client, dani, carla)
    found = client.get(f"/api/v1/members/{carla.id}/introducers", headers=ana.headers)
    assert found.status_code == 200, found.text
    assert found.json()["two_hops"] is True
    assert [item["member"]["id"] for item in found.json()["items"]] == [beto.id]

    introduction = asked(client, ana, target=carla, via=beto)
    # Beto is not connected to Carla: he cannot forward it himself, only pass it on.
    problem_of(step(client, beto, introduction["id"], "forward"), 409, slug="introducer-not-linked")
    candidates = client.get(
        f"{INTRODUCTIONS}/{introduction['id']}/pass-candidates", headers=beto.headers
    )
    assert [item["member"]["id"] for item in candidates.json()["items"]] == [dani.id]
    assert "to" in fields_of(
        problem_of(step(client, beto, introduction["id"], "pass", to=carla.id), 422)
    )
    passed = step(client, beto, introduction["id"], "pass", to=dani.id, note="Dani, can you?")
    assert passed.status_code == 200, passed.text
    assert passed.json()["via"] == dani.id
    assert passed.json()["status"] == "requested"
    assert box(client, beto, "to_forward") == []
    waiting = box(client, dani, "to_forward")
    assert [item["id"] for item in waiting] == [introduction["id"]]
    assert waiting[0]["pass_note"] == "Dani, can you?"
    # Once only.
    passed_again = step(client, dani, introduction["id"], "pass", to=beto.id)
    problem_of(passed_again, 404, slug="introduction-not-found")
    forwarded = step(client, dani, introduction["id"], "forward", note="Meet Ana.")
    assert forwarded.status_code == 200, forwarded.text
    (invitation,) = invitations_in(client, carla, "received")
    assert invitation["introduction"]["introducer"]["id"] == dani.id
    assert act(client, carla, invitation["id"], "accept").status_code == 200
    assert status_for(client, ana, introduction["id"]) == "connected"
    assert status_for(client, beto, introduction["id"]) == "connected"


def test_the_export_of_my_data_holds_my_introductions(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    assert step(client, beto, introduction["id"], "forward", note="Adelante").status_code == 200
    for person, part in ((ana, "requester"), (beto, "introducer")):
        exported = client.get("/api/v1/members/me/export", headers=person.headers)
        assert exported.status_code == 200, exported.text
        with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
            (row,) = json.loads(archive.read("introductions.json"))
        assert (row["my_part"], row["target_id"], row["message"], row["note"]) == (
            part,
            carla.id,
            MESSAGE,
            "Adelante",
        )
        assert row["status"] == "forwarded"


# Choosing the introducer


def test_the_best_introducer_knows_both_sides(client: TestClient) -> None:
    ana, beto, carla = trio(client)
    (eva,) = people(client, "Eva Mora")
    connect_people(client, ana, eva)
    connect_people(client, eva, carla)
    found = client.get(f"/api/v1/members/{carla.id}/introducers", headers=ana.headers).json()
    assert {item["member"]["id"] for item in found["items"]} == {beto.id, eva.id}
    assert found["two_hops"] is False
    closer = client.patch(
        f"/api/v1/connections/{eva.id}", json={"tier": "close"}, headers=ana.headers
    )
    assert closer.status_code == 200, closer.text
    found = client.get(f"/api/v1/members/{carla.id}/introducers", headers=ana.headers).json()
    assert [item["member"]["id"] for item in found["items"]] == [eva.id, beto.id]
    assert "Your close connection" in found["items"][0]["reasons"]
    assert any("Connected with Carla Sanz since" in r for r in found["items"][0]["reasons"])
    # Nobody to ask for a 1st-degree member or oneself.
    mine = client.get(f"/api/v1/members/{beto.id}/introducers", headers=ana.headers).json()
    assert mine["items"] == []


# Expiry


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(START) as frozen_clock:
        yield frozen_clock


def test_a_request_expires_after_14_days(frozen: clock.FrozenClock, client: TestClient) -> None:
    ana, beto, carla = trio(client)
    introduction = asked(client, ana, target=carla, via=beto)
    frozen.advance(timedelta(days=14) - timedelta(seconds=1))
    assert status_for(client, ana, introduction["id"]) == "requested"
    frozen.advance(timedelta(seconds=1))
    assert status_for(client, ana, introduction["id"]) == "expired"
    assert box(client, beto, "to_forward") == []
    problem_of(step(client, beto, introduction["id"], "forward"), 409)
    # The cooldown runs from the expiry, as for an invitation.
    problem_of(ask(client, ana, target=carla, via=beto), 409, slug="invitation-cooldown")


# Races: each request on its own client and database connection, released at once


def _post(path: str, person: Person, body: dict[str, Any] | None = None) -> Call:
    return lambda racer: racer.post(path, json=body, headers=person.headers)


def test_a_forward_racing_a_withdrawal_has_one_outcome(app: FastAPI, client: TestClient) -> None:
    """Whichever wins, the introduction ends withdrawn and Carla has no invitation waiting: a
    withdrawal first leaves nothing to forward (409); a forward first leaves an invitation the
    withdrawal then withdraws."""
    for _ in range(3):
        ana, beto, carla = trio(client)
        introduction = asked(client, ana, target=carla, via=beto)
        path = f"{INTRODUCTIONS}/{introduction['id']}"
        responses = race(
            app,
            [
                _post(f"{path}/forward", beto),
                _post(f"{path}/withdraw", ana),
            ],
        )
        forward, withdraw = (response.status_code for response in responses)
        assert withdraw == 200, responses[1].text
        assert forward in (200, 409), responses[0].text
        assert status_for(client, ana, introduction["id"]) == "withdrawn"
        assert invitations_in(client, carla, "received") == []


def test_two_forwards_at_once_make_one_invitation(app: FastAPI, client: TestClient) -> None:
    for _ in range(3):
        ana, beto, carla = trio(client)
        introduction = asked(client, ana, target=carla, via=beto)
        path = f"{INTRODUCTIONS}/{introduction['id']}/forward"
        responses = race(app, [_post(path, beto), _post(path, beto)])
        assert sorted(response.status_code for response in responses) == [200, 409]
        assert len(invitations_in(client, carla, "received")) == 1


def test_two_requests_for_the_same_member_at_once_make_one(
    app: FastAPI, client: TestClient
) -> None:
    for _ in range(3):
        ana, beto, carla = trio(client)
        (eva,) = people(client, "Eva Mora")
        connect_people(client, ana, eva)
        connect_people(client, eva, carla)
        responses = race(
            app,
            [
                _post(INTRODUCTIONS, ana, {"target": carla.id, "via": via.id, "message": MESSAGE})
                for via in (beto, eva)
            ],
        )
        assert sorted(response.status_code for response in responses) == [201, 409]
        assert len(box(client, ana, "sent")) == 1
