"""The security event log: what happens to an account is recorded with UTC times, and read by the
member (API and page, their own account only) and by operators (`vinculo security-events`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    PASSWORD,
    act,
    bearer,
    csrf_token_of,
    fields_of,
    invite,
    log_in_page,
    new_email,
    people,
    problem_of,
    register,
    token_for,
)
from tests.test_cli import vinculo
from vinculo import clock
from vinculo.db import Database
from vinculo.security.service import record_security_event

EVENTS = "/api/v1/members/me/security-events"


def _events(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every event of the caller's log, newest first, following the cursors."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(EVENTS, params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        found.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def _kinds(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [event["kind"] for event in _events(client, headers)]


def _fail_login(client: TestClient, email: str) -> Any:
    return client.post("/api/v1/auth/token", json={"email": email, "password": "wrong guess!"})


def test_logins_failures_and_a_lockout_are_recorded_once_each(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    start = datetime.now(UTC).replace(microsecond=0)
    with clock.frozen(start) as frozen:
        assert _fail_login(client, email).status_code == 401
        frozen.advance(timedelta(minutes=1))
        token = token_for(client, email)
        for _ in range(5):
            assert _fail_login(client, email).status_code == 401
        for _ in range(3):  # refused while paused: not one more event each
            assert _fail_login(client, email).status_code == 429
        # Failures on an email nobody has are in no one's log.
        assert _fail_login(client, new_email()).status_code == 401
        events = _events(client, bearer(token))

    assert [event["kind"] for event in events] == [
        "login_locked",
        *["login_failed"] * 5,
        "login",
        "login_failed",
    ]
    oldest, login = events[-1], events[-2]
    assert datetime.fromisoformat(oldest["occurred_at"]) == start
    assert datetime.fromisoformat(login["occurred_at"]) == start + timedelta(minutes=1)
    assert datetime.fromisoformat(login["occurred_at"]).utcoffset() == timedelta(0)
    assert login["client_address"] == "testclient"
    assert login["detail"].startswith("api #")
    assert oldest["detail"] == "api"


def test_password_changes_revocations_blocks_and_reports_are_recorded(
    client: TestClient,
) -> None:
    ana, beto, carl = people(client, "Ana Ruiz", "Beto Gil", "Carl Sanz")
    other = bearer(token_for(client, ana.email))
    sessions = client.get("/api/v1/auth/sessions", headers=ana.headers).json()["items"]
    other_id = next(item["id"] for item in sessions if not item["current"])
    assert (
        client.delete(f"/api/v1/auth/sessions/{other_id}", headers=ana.headers).status_code == 204
    )
    assert client.get("/api/v1/members/me", headers=other).status_code == 401

    # A wrong current password is recorded as a failed login (it counts as one); a change as such.
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not my password", "new_password": "a brand new phrase"},
        headers=ana.headers,
    )
    assert wrong.status_code == 422
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new phrase"},
        headers=ana.headers,
    )
    assert changed.status_code == 204

    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    assert client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers).status_code == 204
    invitation = invite(client, carl, to=ana)
    assert act(client, ana, invitation["id"], "report").status_code == 200
    assert client.delete("/api/v1/auth/token", headers=ana.headers).status_code == 204

    again = bearer(token_for(client, ana.email, "a brand new phrase"))
    events = _events(client, again)
    assert [event["kind"] for event in events] == [
        "login",
        "logout",
        "report_sent",
        "member_unblocked",
        "member_blocked",
        "password_changed",
        "login_failed",
        "session_revoked",
        "login",
        "login",
    ]
    details = {event["kind"]: event["detail"] for event in events}
    assert details["session_revoked"] == f"api #{other_id}"
    assert details["member_blocked"] == f"member #{beto.id}"
    assert details["report_sent"] == f"invitation #{invitation['id']}"
    assert details["login_failed"] == "password change"

    # Each member reads only their own log: Beto was blocked, nothing of it is in his.
    assert _kinds(client, beto.headers) == ["login"]
    assert _kinds(client, carl.headers) == ["login"]


def test_the_log_is_for_members_and_its_cursor_is_checked(client: TestClient) -> None:
    (ana,) = people(client, "Ana Ruiz")
    problem_of(client.get(EVENTS), 401)
    bad = client.get(EVENTS, params={"cursor": "WyJcdWQ4MDAiLCAxXQ"}, headers=ana.headers)
    assert "cursor" in fields_of(problem_of(bad, 422))


def test_only_known_kinds_are_recorded(database: Database) -> None:
    with database.unit_of_work() as db, pytest.raises(ValueError, match="kind"):
        record_security_event(db, member_id=1, kind="coffee_break")  # type: ignore[arg-type]


def test_the_security_log_page(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    _fail_login(client, email)
    log_in_page(client, email)
    page = client.get("/settings/security-log")
    assert page.status_code == 200
    assert page.text.index("Logged in") < page.text.index("Failed login")
    assert "UTC" in page.text
    assert "/settings/security-log" in client.get("/settings").text
    spanish = client.get("/settings/security-log", headers={"Accept-Language": "es"})
    assert "Registro de seguridad" in spanish.text
    assert "Inicio de sesión fallido" in spanish.text

    # Logging out from the page is recorded, and the page is for members only.
    client.post("/logout", data={"csrf_token": csrf_token_of(page.text)}, follow_redirects=False)
    assert client.get("/settings/security-log", follow_redirects=False).status_code == 303
    log_in_page(client, email)
    text = client.get("/settings/security-log").text
    assert text.index("Logged in") < text.index("Logged out") < text.index("Failed login")


def test_a_page_shows_older_events_through_its_cursor(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    for _ in range(4):
        _fail_login(client, email)
    for _ in range(20):
        token_for(client, email)
    log_in_page(client, email)
    # 20 a page: the newest 20 logins, then the oldest login and the 4 failures.
    first = client.get("/settings/security-log")
    assert first.text.count("Logged in") == 20
    assert "Failed login" not in first.text
    older = first.text.split('rel="next" href="')[1].split('"')[0]
    second = client.get(older.replace("&amp;", "&"))
    assert second.status_code == 200
    assert second.text.count("Logged in") == 1
    assert second.text.count("Failed login") == 4
    assert 'rel="next"' not in second.text


def test_operators_read_the_log_with_the_command(
    client: TestClient, database_url: str, database: Database
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    assert _fail_login(client, ana.email).status_code == 401
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201

    everyone = vinculo("security-events", "--json", database_url=database_url).stdout
    rows = [json.loads(line) for line in everyone.splitlines()]
    assert [(row["email"], row["kind"]) for row in rows] == [
        (ana.email, "member_blocked"),
        (ana.email, "login_failed"),
        (beto.email, "login"),
        (ana.email, "login"),
    ]
    assert all(row["occurred_at"].endswith("Z") for row in rows)

    anas = vinculo("security-events", "--member", ana.email, database_url=database_url).stdout
    lines = anas.splitlines()
    assert len(lines) == 3
    assert "member_blocked" in lines[0]
    assert f"member {ana.id} <{ana.email}>" in lines[0]
    assert "from testclient" in lines[1]
    assert beto.email not in anas

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = vinculo("security-events", "--since", tomorrow, database_url=database_url)
    assert later.stdout == ""
    unknown = vinculo(
        "security-events", "--member", new_email(), database_url=database_url, check=False
    )
    assert unknown.returncode == 1
    assert "No member" in unknown.stderr


def test_registering_through_the_page_is_the_first_login(client: TestClient) -> None:
    form = client.get("/register")
    joined = client.post(
        "/register",
        data={
            "csrf_token": csrf_token_of(form.text),
            "name": "Nora Vidal",
            "email": new_email(),
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert joined.status_code == 303, joined.text
    text = client.get("/settings/security-log").text
    assert text.count("Logged in") == 1
    assert "web #" in text


def test_operators_end_one_members_sessions_or_everyones(
    client: TestClient, database_url: str
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    second = bearer(token_for(client, ana.email))
    me = "/api/v1/members/me"

    refused = vinculo("end-sessions", database_url=database_url, check=False)
    assert refused.returncode == 2
    unknown = vinculo(
        "end-sessions", "--member", "nobody@example.org", database_url=database_url, check=False
    )
    assert unknown.returncode == 1
    assert "nobody@example.org" in unknown.stderr

    ended = vinculo("end-sessions", "--member", ana.email.upper(), database_url=database_url)
    assert ended.stdout.strip() == "Ended 2 sessions and tokens."
    for headers in (ana.headers, second):
        assert client.get(me, headers=headers).status_code == 401
    assert client.get(me, headers=beto.headers).status_code == 200

    again = bearer(token_for(client, ana.email))
    log = _events(client, again)
    assert (log[1]["kind"], log[1]["detail"]) == ("session_revoked", "by an operator (2)")

    everyone = vinculo("end-sessions", "--everyone", database_url=database_url)
    assert everyone.stdout.strip() == "Ended 2 sessions and tokens."
    for headers in (again, beto.headers):
        assert client.get(me, headers=headers).status_code == 401
