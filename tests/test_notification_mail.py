"""Notifications by email, as members meet them: an invitation mailed to its recipient with its
note and what the two share, a reminder, an acceptance; each kind at once, in a daily digest or
never, as the member chose in the API or on the settings page; never across a block; in the
member's language; stopped by the mail's own unsubscribe link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from threading import Barrier, Thread
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    Browser,
    Person,
    act,
    connect_people,
    fields_of,
    invite,
    notifications,
    page_text,
    people,
    problem_of,
)
from tests.smtp_server import Mailbox, html_of, links_in, text_of
from vinculo import clock
from vinculo.db import Database
from vinculo.invitations.service import still_awaiting_answer
from vinculo.invitations.sweep import sweep_once
from vinculo.mail.service import CHOOSABLE_KINDS
from vinculo.notifications.service import send_digests

PREFERENCES = "/api/v1/members/me/email-preferences"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The clock every rule reads, stopped at START; ask for it before `client`."""
    with clock.frozen(START) as frozen_clock:
        yield frozen_clock


def _mails(mailbox: Mailbox, database: Database, person: Person) -> list[EmailMessage]:
    """What the member has received about their network (not the link confirming their address
    that every new member gets), after the worker sent what is waiting."""
    mailbox.deliver(database)
    return [m for m in mailbox.to(person.email) if m["Auto-Submitted"] and m["List-Unsubscribe"]]


def _subjects(mailbox: Mailbox, database: Database, person: Person) -> list[str]:
    return [str(message["Subject"]) for message in _mails(mailbox, database, person)]


def _choose(client: TestClient, person: Person, **frequencies: str) -> dict[str, Any]:
    changed = client.patch(PREFERENCES, json=frequencies, headers=person.headers)
    assert changed.status_code == 200, changed.text
    body: dict[str, Any] = changed.json()
    return body


def _preferences(client: TestClient, person: Person) -> dict[str, tuple[str, bool]]:
    found = client.get(PREFERENCES, headers=person.headers)
    assert found.status_code == 200, found.text
    return {item["kind"]: (item["frequency"], item["chosen"]) for item in found.json()["items"]}


def _digests(database: Database) -> int:
    """One run of the worker's digest job."""
    return send_digests(database, still_awaiting=still_awaiting_answer)


def _unsubscribe(client: TestClient, message: EmailMessage) -> None:
    """What a mail program does with the one-click unsubscribe headers."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(str(message["List-Unsubscribe"]).strip().strip("<>")).path
    answer = client.post(path, content=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200, answer.text


def test_an_invitation_mails_its_recipient_who_invites_the_note_and_what_they_share(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto, carla, dani = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dani Vega")
    connect_people(client, carla, ana)
    connect_people(client, carla, beto)
    connect_people(client, dani, ana)  # Ana's connection, not Beto's: never named to him
    profile = client.patch(
        "/api/v1/members/me", json={"headline": "Ingeniera de datos"}, headers=ana.headers
    )
    assert profile.status_code == 200, profile.text
    for person, start in ((ana, "2017"), (beto, "2019")):
        added = client.post(
            "/api/v1/members/me/positions",
            json={"organization": "Acme", "title": "Ingeniería", "start": start},
            headers=person.headers,
        )
        assert added.status_code == 201, added.text

    invite(client, ana, to=beto, note="Hola Beto, nos vimos en la conferencia.")
    [message] = [m for m in _mails(mailbox, database, beto) if m["Subject"].startswith("Ana")]
    assert message["Subject"] == "Ana Ruiz invited you to connect"
    text, html = text_of(message), html_of(message)
    assert "Hello Beto Gil," in text
    assert "Ana Ruiz, Ingeniera de datos, invited you to connect on Vínculo." in text
    assert "Hola Beto, nos vimos en la conferencia." in text
    assert "- 1 mutual connection: Carla Sanz" in text
    assert "- You both worked at Acme (2019 to now)" in text
    assert "Dani" not in text
    assert "Dani" not in html
    assert "Hola Beto, nos vimos en la conferencia." in html
    assert "http://127.0.0.1:8000/network" in links_in(message)
    assert str(message["List-Unsubscribe"]).strip().strip("<>") in links_in(message)


def test_an_invitation_with_nothing_shared_says_so(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    invite(client, ana, to=beto)
    [message] = _mails(mailbox, database, beto)
    text = text_of(message)
    assert "Ana Ruiz invited you to connect on Vínculo." in text
    assert "No mutual connections, and no organization or school in common." in text
    assert "Their note" not in text


def test_an_acceptance_mails_the_sender_with_a_link_to_the_new_connection(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    invitation = invite(client, ana, to=beto)
    assert _mails(mailbox, database, ana) == []
    assert act(client, beto, invitation["id"], "accept").status_code == 200
    [message] = _mails(mailbox, database, ana)
    assert message["Subject"] == "Beto Gil accepted your invitation"
    assert "Beto Gil accepted your invitation: you are now connected." in text_of(message)
    assert f"http://127.0.0.1:8000/members/{beto.id}" in links_in(message)


def test_a_request_for_an_introduction_mails_the_introducer_with_the_message(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    connect_people(client, ana, beto)
    connect_people(client, beto, carla)
    before = len(_mails(mailbox, database, beto))
    asked = client.post(
        "/api/v1/introductions",
        json={"target": carla.id, "via": beto.id, "message": "Quiero hablar del puerto."},
        headers=ana.headers,
    )
    assert asked.status_code == 201, asked.text
    message = _mails(mailbox, database, beto)[before]
    assert message["Subject"] == "Ana Ruiz asks you for an introduction"
    text = text_of(message)
    assert "Ana Ruiz asks you to introduce them to Carla Sanz, whom you know." in text
    assert "Quiero hablar del puerto." in text
    assert "http://127.0.0.1:8000/introductions?box=to_forward" in links_in(message)


def test_the_day_7_reminder_says_when_the_invitation_expires(
    frozen: clock.FrozenClock, client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    invite(client, ana, to=beto, note="Hola")
    frozen.advance(7 * DAY)
    assert sweep_once(database).reminded == 1
    assert sweep_once(database).reminded == 0  # once
    subjects = _subjects(mailbox, database, beto)
    assert subjects == ["Ana Ruiz invited you to connect", "Ana Ruiz is waiting for your answer"]
    reminder = _mails(mailbox, database, beto)[1]
    text = text_of(reminder)
    assert "Ana Ruiz's invitation to connect is still waiting for your answer." in text
    assert "It expires on March 16, 2026." in text
    assert "List-Unsubscribe" in reminder


def test_never_mails_nothing_and_the_notification_is_still_there(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    _choose(client, beto, invitation_received="never")
    invitation = invite(client, ana, to=beto)
    assert _mails(mailbox, database, beto) == []
    assert notifications(client, beto) == [("invitation_received", ana.id, invitation["id"])]
    # Other kinds are unchanged: Ana still hears of the acceptance.
    assert act(client, beto, invitation["id"], "accept").status_code == 200
    assert _subjects(mailbox, database, ana) == ["Beto Gil accepted your invitation"]


def test_the_unsubscribe_link_of_a_mail_stops_that_kind_only(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    invite(client, ana, to=beto)
    [message] = _mails(mailbox, database, beto)
    _unsubscribe(client, message)
    assert _preferences(client, beto)["invitation_received"] == ("never", True)
    invite(client, carla, to=beto)
    assert len(_mails(mailbox, database, beto)) == 1
    # Other kinds still go: Beto answers Carla's invitation with his own, and Carla hears of it.
    assert invite(client, beto, to=carla)["status"] == "accepted"
    assert _subjects(mailbox, database, carla)[-1] == "Beto Gil accepted your invitation"


def test_daily_sends_nothing_now_then_one_digest_of_what_is_still_relevant_and_never_twice(
    frozen: clock.FrozenClock, client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto, carla, dani, eva, fede = people(
        client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dani Vega", "Eva Mora", "Fede Paz"
    )
    _choose(client, beto, invitation_received="daily", invitation_accepted="daily")
    invite(client, ana, to=beto)
    frozen.advance(timedelta(hours=2))
    invite(client, carla, to=beto)
    withdrawn = invite(client, eva, to=beto)
    assert act(client, eva, withdrawn["id"], "withdraw").status_code == 200
    to_dani = invite(client, beto, to=dani)
    assert act(client, dani, to_dani["id"], "accept").status_code == 200
    assert _mails(mailbox, database, beto) == []

    # Nothing before the oldest has waited a day.
    frozen.advance(DAY - timedelta(hours=2, seconds=1))
    assert _digests(database) == 0
    frozen.advance(timedelta(seconds=1))
    assert _digests(database) == 1
    [digest] = _mails(mailbox, database, beto)
    assert digest["Subject"] == "Ana Ruiz and 2 others on Vínculo today"
    text = text_of(digest)
    assert "- Ana Ruiz invited you to connect" in text
    assert "- Carla Sanz invited you to connect" in text
    assert "- Dani Vega accepted your invitation: you are now connected." in text
    assert "Eva" not in text  # withdrawn since: nothing to answer
    assert "http://127.0.0.1:8000/notifications" in links_in(digest)
    assert "List-Unsubscribe" in digest

    # Never twice; the next one gathers only what came after.
    frozen.advance(3 * DAY)
    assert _digests(database) == 0
    assert len(_mails(mailbox, database, beto)) == 1
    invite(client, fede, to=beto)
    frozen.advance(DAY)
    assert _digests(database) == 1
    later = _mails(mailbox, database, beto)[1]
    assert later["Subject"] == "Fede Paz on Vínculo today"
    assert "Ana" not in text_of(later)

    # The digest's unsubscribe link stops every kind Beto got daily.
    _unsubscribe(client, later)
    assert _preferences(client, beto) == {
        "invitation_received": ("never", True),
        "invitation_reminder": ("immediately", False),
        "invitation_accepted": ("never", True),
        "introduction_requested": ("immediately", False),
    }


def test_an_invitation_answered_before_the_digest_leaves_nothing_to_mail(
    frozen: clock.FrozenClock, client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    _choose(client, beto, invitation_received="daily")
    invitation = invite(client, ana, to=beto)
    assert act(client, beto, invitation["id"], "ignore").status_code == 200
    frozen.advance(DAY)
    assert _digests(database) == 0
    frozen.advance(DAY)
    assert _digests(database) == 0  # claimed once, with nothing worth a mail
    assert _mails(mailbox, database, beto) == []


def test_nothing_is_mailed_across_a_block(
    frozen: clock.FrozenClock, client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    _choose(client, ana, invitation_accepted="daily")
    invitation = invite(client, ana, to=beto)
    assert act(client, beto, invitation["id"], "accept").status_code == 200
    blocked = client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers)
    assert blocked.status_code == 201, blocked.text
    frozen.advance(DAY)
    assert _digests(database) == 0
    assert _mails(mailbox, database, ana) == []


def test_two_workers_running_the_digest_at_once_send_each_once(
    frozen: clock.FrozenClock, client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, *readers = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dani Vega", "Eva Mora")
    for reader in readers:
        _choose(client, reader, invitation_received="daily")
        invite(client, ana, to=reader)
    frozen.advance(DAY)
    start = Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        start.wait()
        sent.append(_digests(database))

    threads = [Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == len(readers)
    for reader in readers:
        assert _subjects(mailbox, database, reader) == ["Ana Ruiz on Vínculo today"]


def test_a_member_who_speaks_spanish_gets_the_mail_in_spanish(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    changed = client.patch("/api/v1/members/me", json={"locale": "es"}, headers=beto.headers)
    assert changed.status_code == 200, changed.text
    invite(client, ana, to=beto, note="Hola")
    [message] = _mails(mailbox, database, beto)
    assert message["Subject"] == "Ana Ruiz te invitó a conectar"
    text = text_of(message)
    assert "Hola, Beto Gil:" in text
    assert "Ningún contacto en común" in text
    assert "Dejar de recibir estos correos" in text


# Choosing


def test_the_preferences_api_lists_every_kind_and_changes_one_or_several(
    client: TestClient,
) -> None:
    [beto] = people(client, "Beto Gil")
    assert _preferences(client, beto) == {
        kind: (default, False) for kind, default in CHOOSABLE_KINDS.items()
    }
    body = _choose(client, beto, invitation_received="daily", invitation_accepted="never")
    assert {item["kind"]: item["frequency"] for item in body["items"]} == {
        "invitation_received": "daily",
        "invitation_reminder": "immediately",
        "invitation_accepted": "never",
        "introduction_requested": "immediately",
    }
    assert _preferences(client, beto)["invitation_received"] == ("daily", True)
    assert _preferences(client, beto)["invitation_reminder"] == ("immediately", False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"invitation_received": "weekly"}, "invitation_received"),
        (
            {"invitation_received": "daily", "invitation_accepted": "sometimes"},
            "invitation_accepted",
        ),
        ({"digest": "never"}, "digest"),
        ({"invitation_reminder": None}, "invitation_reminder"),
    ],
)
def test_a_bad_kind_or_frequency_is_a_422_naming_it_and_changes_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    [beto] = people(client, "Beto Gil")
    refused = client.patch(PREFERENCES, json=body, headers=beto.headers)
    assert field in fields_of(problem_of(refused, 422, slug="invalid-input"))
    assert _preferences(client, beto) == {
        kind: (default, False) for kind, default in CHOOSABLE_KINDS.items()
    }


def test_the_email_settings_page_chooses_with_a_radio_group_per_kind(
    ana: Browser, database: Database
) -> None:
    settings = ana.page("/settings")
    assert 'href="/settings/email"' in settings
    shown = ana.page("/settings/email")
    assert "An invitation to connect" in shown
    assert 'name="invitation_received" value="immediately" checked' in shown
    saved = ana.post(
        "/settings/email",
        {"invitation_received": "daily", "invitation_accepted": "never"},
        form_page="/settings/email",
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/email?saved=1"
    shown = ana.page("/settings/email?saved=1")
    assert "Your email settings are saved." in shown
    assert 'name="invitation_received" value="daily" checked' in shown
    assert 'name="invitation_accepted" value="never" checked' in shown
    assert 'name="invitation_reminder" value="immediately" checked' in shown

    refused = ana.post(
        "/settings/email",
        {"invitation_received": "weekly", "invitation_accepted": "immediately"},
        form_page="/settings/email",
    )
    assert refused.status_code == 422
    assert 'id="error-invitation_received"' in refused.text
    shown = ana.page("/settings/email")
    assert 'name="invitation_received" value="daily" checked' in shown
    assert 'name="invitation_accepted" value="never" checked' in shown

    forged = ana.client.post("/settings/email", data={"invitation_received": "never"})
    assert forged.status_code == 403
    assert 'name="invitation_received" value="daily" checked' in ana.page("/settings/email")


def test_the_email_settings_page_speaks_spanish(ana: Browser) -> None:
    changed = ana.client.patch("/api/v1/members/me", json={"locale": "es"}, headers=ana.api)
    assert changed.status_code == 200, changed.text
    shown = page_text(ana.client.get("/settings/email").text)
    assert "Ajustes de correo" in shown
    assert "Nunca" in shown
