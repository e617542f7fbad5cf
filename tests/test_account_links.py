"""Links mailed to members, through the API and the pages as members use them, with the mail read
from a real SMTP server: confirming an address, a forgotten password, changing the address,
claiming an account `vinculo import` made. Every link works once and for a while; asking for one
never tells whether an email is a member's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from threading import Barrier, Thread
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import (
    PASSWORD,
    bearer,
    csrf_token_of,
    fields_of,
    log_in_page,
    new_email,
    problem_of,
    register,
    token_for,
)
from tests.smtp_server import Mailbox, html_of, links_in, text_of
from tests.test_cli import vinculo
from vinculo import clock
from vinculo.db import Database
from vinculo.security.models import SecurityEvent
from vinculo.settings import get_settings

NEW_PASSWORD = "a quiet harbour at dawn"


def _link(mailbox: Mailbox, database: Database, address: str, path: str) -> str:
    """The token of the newest link to `path` mailed to `address`."""
    mailbox.deliver(database)
    found = [
        url
        for message in mailbox.to(address)
        for url in links_in(message)
        if urlsplit(url).path == path
    ]
    assert found, f"no mail to {address} with a link to {path}"
    return parse_qs(urlsplit(found[-1]).query)["token"][0]


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/api/v1/members/me", headers=headers)
    assert answer.status_code == 200, answer.text
    me: dict[str, Any] = answer.json()
    return me


def test_a_new_member_confirms_their_address_with_the_mailed_link(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email = new_email()
    member = register(client, email=email)  # 201: they act at once
    assert member["email_confirmed"] is False
    token = _link(mailbox, database, email, "/confirm-email")
    [message] = mailbox.to(email)
    assert "List-Unsubscribe" not in message  # about the account: no unsubscribing from it
    assert "Confirm my address" in html_of(message)
    assert client.post("/api/v1/auth/confirm-email", json={"token": token}).status_code == 204
    headers = bearer(token_for(client, email))
    assert _me(client, headers)["email_confirmed"] is True

    again = client.post("/api/v1/auth/confirm-email", json={"token": token})
    assert fields_of(problem_of(again, 422, slug="link-not-valid")) == ["token"]
    forged = client.post("/api/v1/auth/confirm-email", json={"token": token[:-3] + "abc"})
    assert fields_of(problem_of(forged, 422)) == ["token"]
    # Confirmed: asking again sends nothing.
    assert client.post("/api/v1/auth/confirm-email/resend", headers=headers).status_code == 202
    mailbox.deliver(database)
    assert len(mailbox.to(email)) == 1


def test_a_forgotten_password_is_reset_once_within_the_hour_and_ends_every_session(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email = new_email()
    register(client, email=email)
    old_token = token_for(client, email)
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@vinculo.example"})
    known = client.post("/api/v1/auth/password-reset", json={"email": email.upper()})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    mailbox.deliver(database)
    assert mailbox.to("nobody@vinculo.example") == []
    token = _link(mailbox, database, email, "/reset-password")
    assert "one hour" in text_of(mailbox.to(email)[-1])

    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "password1"}
    )
    assert fields_of(problem_of(weak, 422)) == ["new_password"]
    done = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204  # the weak attempt did not use the link
    assert client.get("/api/v1/members/me", headers=bearer(old_token)).status_code == 401
    token_for(client, email, NEW_PASSWORD)
    reused = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD}
    )
    assert fields_of(problem_of(reused, 422)) == ["token"]
    token_for(client, email, NEW_PASSWORD)  # unchanged by the refused reuse


def test_a_reset_link_expires_after_an_hour_and_a_new_one_replaces_it(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email = new_email()
    register(client, email=email)
    with clock.frozen(clock.now()) as frozen:
        client.post("/api/v1/auth/password-reset", json={"email": email})
        first = _link(mailbox, database, email, "/reset-password")
        client.post("/api/v1/auth/password-reset", json={"email": email})  # too soon: nothing
        mailbox.deliver(database)
        assert sum("/reset-password" in text_of(m) for m in mailbox.to(email)) == 1
        frozen.advance(timedelta(minutes=61))
        late = client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": first, "new_password": NEW_PASSWORD},
        )
        assert fields_of(problem_of(late, 422)) == ["token"]
        client.post("/api/v1/auth/password-reset", json={"email": email})
        second = _link(mailbox, database, email, "/reset-password")
    assert second != first
    body = {"token": second, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204


def test_two_requests_racing_with_one_link_use_it_once(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email = new_email()
    register(client, email=email)
    client.post("/api/v1/auth/password-reset", json={"email": email})
    token = _link(mailbox, database, email, "/reset-password")
    start = Barrier(2)
    answers: list[int] = []

    def use(password: str) -> None:
        start.wait()
        body = {"token": token, "new_password": password}
        answers.append(client.post("/api/v1/auth/password-reset/confirm", json=body).status_code)

    threads = [Thread(target=use, args=(p,)) for p in (NEW_PASSWORD, "another quiet harbour")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [204, 422]
    with database.unit_of_work(write=False) as db:
        events = db.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(SecurityEvent.kind == "password_reset")
        )
    assert events == 1


def test_changing_the_email_needs_the_password_and_the_new_address_and_tells_the_old(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email, taken, wanted = new_email(), new_email(), new_email()
    register(client, email=email)
    register(client, email=taken)
    headers = bearer(token_for(client, email))
    wrong = client.post(
        "/api/v1/auth/email", headers=headers, json={"password": "wrong!", "new_email": wanted}
    )
    assert fields_of(problem_of(wrong, 422)) == ["password"]
    clash = client.post(
        "/api/v1/auth/email", headers=headers, json={"password": PASSWORD, "new_email": taken}
    )
    assert problem_of(clash, 409, slug="email-taken")
    asked = client.post(
        "/api/v1/auth/email", headers=headers, json={"password": PASSWORD, "new_email": wanted}
    )
    assert asked.status_code == 202
    assert _me(client, headers)["email"] == email  # not before the new address confirms
    token = _link(mailbox, database, wanted, "/confirm-email")
    assert any(wanted in text_of(m) for m in mailbox.to(email))  # the old address is told
    assert client.post("/api/v1/auth/confirm-email", json={"token": token}).status_code == 204
    me = _me(client, headers)
    assert (me["email"], me["email_confirmed"]) == (wanted, True)
    token_for(client, wanted)
    mailbox.deliver(database)
    assert any("was changed" in str(m["Subject"]) for m in mailbox.to(email))


def test_an_imported_member_claims_their_account_and_keeps_their_network(
    client: TestClient, database: Database, database_url: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    email = new_email("imported")
    members = tmp_path / "members.csv"
    members.write_text(
        "external_id,name,email,headline,location,sector\n"
        f"i-1,Inés Prado,{email},Engineer,,\n"
        "i-2,Pablo Sanz,,,,\n"
        f"i-3,Rosa Vidal,{new_email('imported')},,,\n"
    )
    pairs = tmp_path / "connections.csv"
    pairs.write_text("a,b,connected_on\ni-1,i-2,\ni-1,i-3,2020-05-01\n")
    files = ("--members", str(members), "--connections", str(pairs))
    first = vinculo("import", *files, "--send-claims", database_url=database_url)
    assert "Claim links mailed to 2 members" in first.stdout  # not the one without an email
    again = vinculo("import", *files, "--send-claims", database_url=database_url)
    assert "Claim links mailed to 0 members" in again.stdout  # once
    claim = _link(mailbox, database, email, "/claim")

    # Registering with the imported email sends another claim link instead of "taken" (a few
    # minutes later: one right after the first would send nothing).
    with clock.frozen(clock.now() + timedelta(minutes=3)):
        answer = client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Someone"},
        )
        newer = _link(mailbox, database, email, "/claim")
    assert answer.status_code == 202, answer.text
    assert "claim" in answer.json()["detail"]
    assert (
        client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    assert newer != claim
    weak = client.post("/api/v1/auth/claim", json={"token": newer, "password": "password1"})
    assert fields_of(problem_of(weak, 422)) == ["password"]
    done = client.post("/api/v1/auth/claim", json={"token": newer, "password": NEW_PASSWORD})
    assert done.status_code == 204
    headers = bearer(token_for(client, email, NEW_PASSWORD))
    me = _me(client, headers)
    assert (me["name"], me["headline"], me["email_confirmed"]) == ("Inés Prado", "Engineer", True)
    listed = client.get(f"/api/v1/members/{me['id']}/connections", headers=headers).json()
    assert sorted(item["name"] for item in listed["items"]) == ["Pablo Sanz", "Rosa Vidal"]
    old = client.post("/api/v1/auth/claim", json={"token": claim, "password": NEW_PASSWORD})
    assert fields_of(problem_of(old, 422)) == ["token"]  # the newer link replaced it


def test_the_pages_reset_a_password_from_the_login_form(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email = new_email()
    register(client, email=email)
    login = client.get("/login")
    assert 'href="/forgot-password"' in login.text
    form = client.get("/forgot-password")
    sent = client.post(
        "/forgot-password", data={"email": email, "csrf_token": csrf_token_of(form.text)}
    )
    assert sent.status_code == 200
    assert "is on its way" in sent.text
    token = _link(mailbox, database, email, "/reset-password")
    page = client.get("/reset-password", params={"token": token})
    assert page.status_code == 200
    weak = client.post(
        "/reset-password",
        data={"token": token, "new_password": "password1", "csrf_token": csrf_token_of(page.text)},
    )
    assert weak.status_code == 422
    done = client.post(
        "/reset-password",
        data={"token": token, "new_password": NEW_PASSWORD, "csrf_token": csrf_token_of(page.text)},
    )
    assert done.status_code == 200
    assert "Your password is changed" in done.text
    log_in_page(client, email, NEW_PASSWORD)
    page = client.get("/reset-password", params={"token": token})
    again = client.post(
        "/reset-password",
        data={"token": token, "new_password": PASSWORD, "csrf_token": csrf_token_of(page.text)},
    )
    assert again.status_code == 422
    assert "does not work any more" in again.text


def test_the_settings_page_confirms_and_changes_the_address(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    email, wanted = new_email(), new_email()
    register(client, email=email)
    log_in_page(client, email)
    settings = client.get("/settings")
    assert "not confirmed" in settings.text
    token = _link(mailbox, database, email, "/confirm-email")
    form = client.get("/confirm-email", params={"token": token})
    assert "not confirmed" in client.get("/settings").text  # following the link changes nothing
    done = client.post(
        "/confirm-email", data={"token": token, "csrf_token": csrf_token_of(form.text)}
    )
    assert "Your email address is confirmed" in done.text
    csrf = csrf_token_of(client.get("/settings").text)
    wrong = client.post(
        "/settings/email-address",
        data={"new_email": wanted, "password": "not it", "csrf_token": csrf},
    )
    assert wrong.status_code == 422
    asked = client.post(
        "/settings/email-address",
        data={"new_email": wanted, "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    changing = _link(mailbox, database, wanted, "/confirm-email")
    done = client.post("/confirm-email", data={"token": changing, "csrf_token": csrf})
    assert "Your email address is changed" in done.text


def test_an_operator_may_require_a_confirmed_address_to_invite(
    client: TestClient, database: Database, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = new_email()
    register(client, email=email)
    other = register(client, name="Luis Gómez")
    headers = bearer(token_for(client, email))
    # By default a mark, shown on the invitation the other receives.
    sent = client.post("/api/v1/invitations", headers=headers, json={"to": other["id"]})
    assert sent.status_code == 201
    received = client.get(
        "/api/v1/invitations?box=received", headers=bearer(token_for(client, other["email"]))
    ).json()["items"]
    assert [item["sender_email_confirmed"] for item in received] == [False]
    monkeypatch.setenv("VINCULO_REQUIRE_CONFIRMED_EMAIL_TO_INVITE", "true")
    get_settings.cache_clear()
    try:
        third = register(client)
        refused = client.post("/api/v1/invitations", headers=headers, json={"to": third["id"]})
        assert problem_of(refused, 403, slug="email-not-confirmed")
        token = _link(mailbox, database, email, "/confirm-email")
        assert client.post("/api/v1/auth/confirm-email", json={"token": token}).status_code == 204
        sent = client.post("/api/v1/invitations", headers=headers, json={"to": third["id"]})
        assert sent.status_code == 201
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_registering_on_the_page_with_an_imported_email_mails_a_claim_link(
    client: TestClient, database: Database, database_url: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    email = new_email("imported")
    members = tmp_path / "members.csv"
    members.write_text(f"external_id,name,email,headline,location,sector\nk-1,Ana Sol,{email},,,\n")
    vinculo("import", "--members", str(members), database_url=database_url)
    form = client.get("/register")
    answer = client.post(
        "/register",
        data={
            "name": "Ana",
            "email": email,
            "password": NEW_PASSWORD,
            "csrf_token": csrf_token_of(form.text),
        },
    )
    assert answer.status_code == 202
    assert "claim the account" in answer.text
    token = _link(mailbox, database, email, "/claim")
    page = client.get("/claim", params={"token": token})
    claimed = client.post(
        "/claim",
        data={"token": token, "new_password": NEW_PASSWORD, "csrf_token": csrf_token_of(page.text)},
        follow_redirects=False,
    )
    assert claimed.status_code == 303
    assert "Ana Sol" in client.get("/").text  # logged in as the imported member
