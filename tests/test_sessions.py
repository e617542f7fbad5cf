"""Sessions and API tokens: they end at an absolute lifetime however often they are used, and a
member lists and ends their own, through the API and the settings pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
from vinculo import clock

SESSIONS = "/api/v1/auth/sessions"
ME = "/api/v1/members/me"


def _sessions(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = client.get(SESSIONS, params={"limit": 100}, headers=headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def test_a_token_used_every_day_still_ends_after_ninety_days(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    with clock.frozen(datetime.now(UTC)) as frozen:
        issued = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        expires_at = datetime.fromisoformat(issued.json()["expires_at"])
        assert expires_at == frozen.current + timedelta(days=90)
        for _ in range(89):
            frozen.advance(timedelta(days=1))
            assert client.get(ME, headers=bearer(token)).status_code == 200
        frozen.advance(timedelta(days=1))
        refused = client.get(ME, headers=bearer(token))
        problem_of(refused, 401, slug="not-authenticated")


def test_a_token_may_ask_for_a_shorter_life_never_a_longer_one(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    with clock.frozen(datetime.now(UTC)) as frozen:
        issued = client.post(
            "/api/v1/auth/token",
            json={"email": email, "password": PASSWORD, "lifetime_days": 2},
        )
        assert issued.status_code == 200, issued.text
        body = issued.json()
        assert body["expires_in"] == 2 * 86400
        assert datetime.fromisoformat(body["expires_at"]) == frozen.current + timedelta(days=2)
        frozen.advance(timedelta(days=1, hours=23))
        assert client.get(ME, headers=bearer(body["access_token"])).status_code == 200
        frozen.advance(timedelta(hours=2))
        assert client.get(ME, headers=bearer(body["access_token"])).status_code == 401

        for days in (91, 0):
            longer = client.post(
                "/api/v1/auth/token",
                json={"email": email, "password": PASSWORD, "lifetime_days": days},
            )
            assert "lifetime_days" in fields_of(problem_of(longer, 422)), days


def test_a_page_session_used_every_week_ends_after_ninety_days(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    with clock.frozen(datetime.now(UTC)) as frozen:
        log_in_page(client, email)
        for _ in range(12):
            frozen.advance(timedelta(days=7))
            assert client.get("/settings", follow_redirects=False).status_code == 200
        frozen.advance(timedelta(days=5, hours=23))  # 89 days and 23 hours after logging in
        assert client.get("/settings", follow_redirects=False).status_code == 200
        frozen.advance(timedelta(hours=1))
        ended = client.get("/settings", follow_redirects=False)
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/login")


def test_my_sessions_and_tokens_are_listed_and_ended_one_by_one(
    client: TestClient, other_client: TestClient
) -> None:
    email = new_email()
    register(client, email=email)
    log_in_page(other_client, email)  # a browser session of the same member
    first = bearer(token_for(client, email))
    scripted = client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": "backup-script/1.0"},
    )
    second = bearer(scripted.json()["access_token"])

    listed = _sessions(client, first)
    assert [item["kind"] for item in listed] == ["api", "api", "web"]  # newest first
    assert [item["current"] for item in listed] == [False, True, False]
    assert listed[0]["user_agent"] == "backup-script/1.0"
    assert all(item["client_address"] for item in listed)
    for item in listed:
        assert {"id", "created_at", "last_used_at", "expires_at"} <= item.keys()
        assert datetime.fromisoformat(item["created_at"]).utcoffset() == timedelta(0)
    second_id, first_id, web_id = (item["id"] for item in listed)

    # Ending another one: it stops working at once, and disappears from the list.
    assert client.delete(f"{SESSIONS}/{second_id}", headers=first).status_code == 204
    problem_of(client.get(ME, headers=second), 401)
    problem_of(
        client.delete(f"{SESSIONS}/{second_id}", headers=first), 404, slug="session-not-found"
    )
    assert [item["id"] for item in _sessions(client, first)] == [first_id, web_id]

    # The browser session too: that browser is logged out.
    assert client.delete(f"{SESSIONS}/{web_id}", headers=first).status_code == 204
    assert other_client.get("/settings", follow_redirects=False).status_code == 303

    # Ending the token of the request itself signs it out.
    assert client.delete(f"{SESSIONS}/{first_id}", headers=first).status_code == 204
    problem_of(client.get(ME, headers=first), 401)


def test_another_members_session_is_not_found_and_lives_on(client: TestClient) -> None:
    ana_email, beto_email = new_email(), new_email()
    register(client, email=ana_email, name="Ana Ruiz")
    register(client, email=beto_email, name="Beto Gil")
    ana, beto = bearer(token_for(client, ana_email)), bearer(token_for(client, beto_email))
    ana_session = _sessions(client, ana)[0]["id"]
    assert [item["id"] for item in _sessions(client, beto)] != [ana_session]

    refused = client.delete(f"{SESSIONS}/{ana_session}", headers=beto)
    problem_of(refused, 404, slug="session-not-found")
    assert client.get(ME, headers=ana).status_code == 200
    problem_of(client.get(SESSIONS), 401)


def test_ended_and_expired_sessions_are_not_listed(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    with clock.frozen(datetime.now(UTC)) as frozen:
        short = client.post(
            "/api/v1/auth/token",
            json={"email": email, "password": PASSWORD, "lifetime_days": 1},
        )
        assert short.status_code == 200, short.text
        client.delete("/api/v1/auth/token", headers=bearer(token_for(client, email)))
        current = bearer(token_for(client, email))
        assert [item["current"] for item in _sessions(client, current)] == [True, False]
        frozen.advance(timedelta(days=1))
        assert [item["current"] for item in _sessions(client, current)] == [True]


def test_the_sessions_page_lists_them_and_ends_one_or_this_one(
    client: TestClient, other_client: TestClient
) -> None:
    email = new_email()
    register(client, email=email)
    log_in_page(client, email)
    log_in_page(other_client, email)
    token = token_for(client, email)

    page = client.get("/settings/sessions", headers={"User-Agent": "Firefox de Ana"})
    assert page.status_code == 200
    assert page.text.count('/revoke"') == 3
    assert 'action="/settings/sessions/end-others"' in page.text
    assert "This session" in page.text
    assert "API token" in page.text
    assert "/settings/sessions" in client.get("/settings").text

    # The other browser's session is ended by a form.
    listed = _sessions(client, bearer(token))
    assert [item["kind"] for item in listed] == ["api", "web", "web"]
    other_id, own_id = listed[1]["id"], listed[2]["id"]
    form_token = csrf_token_of(page.text)
    forged = client.post(f"/settings/sessions/{other_id}/revoke", follow_redirects=False)
    assert forged.status_code == 403
    ended = client.post(
        f"/settings/sessions/{other_id}/revoke",
        data={"csrf_token": form_token},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert ended.headers["location"] == "/settings/sessions?done=revoked"
    assert other_client.get("/settings", follow_redirects=False).status_code == 303
    assert client.get("/settings", follow_redirects=False).status_code == 200

    # Someone else's session id: not found, nothing ended.
    stranger = new_email()
    register(other_client, email=stranger)
    log_in_page(other_client, stranger)
    missing = other_client.post(
        f"/settings/sessions/{own_id}/revoke",
        data={"csrf_token": csrf_token_of(other_client.get("/settings/sessions").text)},
        follow_redirects=False,
    )
    assert missing.status_code == 404
    assert client.get("/settings", follow_redirects=False).status_code == 200

    # Ending this browser's own session logs it out.
    page = client.get("/settings/sessions")
    logged_out = client.post(
        f"/settings/sessions/{own_id}/revoke",
        data={"csrf_token": csrf_token_of(page.text)},
        follow_redirects=False,
    )
    assert logged_out.status_code == 303
    assert logged_out.headers["location"] == "/login"
    assert client.get("/settings", follow_redirects=False).status_code == 303
    assert client.get(ME, headers=bearer(token)).status_code == 200  # the API token lives on


def test_the_sessions_page_speaks_spanish(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    log_in_page(client, email)
    page = client.get("/settings/sessions", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    assert "Sesiones y tokens" in page.text
    assert "Esta sesión" in page.text


def test_every_other_session_and_token_is_ended_at_once(
    client: TestClient, other_client: TestClient
) -> None:
    email = new_email()
    register(client, email=email)
    first, second, third = (bearer(token_for(client, email)) for _ in range(3))
    log_in_page(other_client, email)
    stranger_email = new_email()
    register(client, email=stranger_email)
    stranger = bearer(token_for(client, stranger_email))

    assert client.delete(SESSIONS, headers=second).status_code == 204
    assert [item["current"] for item in _sessions(client, second)] == [True]
    for ended in (first, third):
        problem_of(client.get(ME, headers=ended), 401, slug="not-authenticated")
    assert other_client.get("/settings", follow_redirects=False).status_code == 303
    assert client.get(ME, headers=stranger).status_code == 200  # another member's live on
    log = client.get("/api/v1/members/me/security-events", headers=second).json()["items"]
    assert log[0]["kind"] == "session_revoked"
    assert log[0]["detail"] == "every other (3)"
    # With nothing else to end, nothing is ended and nothing logged.
    assert client.delete(SESSIONS, headers=second).status_code == 204
    again = client.get("/api/v1/members/me/security-events", headers=second).json()["items"]
    assert len(again) == len(log)


def test_the_pages_offer_to_end_the_others_after_two_factor_changes(
    client: TestClient, other_client: TestClient
) -> None:
    email = new_email()
    register(client, email=email)
    log_in_page(client, email)
    log_in_page(other_client, email)
    token = bearer(token_for(client, email))

    page = client.get("/settings/sessions")
    ended = client.post(
        "/settings/sessions/end-others",
        data={"csrf_token": csrf_token_of(page.text)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert ended.headers["location"] == "/settings/sessions?done=others"
    assert "Every other session and token is ended." in client.get(ended.headers["location"]).text
    assert other_client.get("/settings", follow_redirects=False).status_code == 303
    problem_of(client.get(ME, headers=token), 401, slug="not-authenticated")
    assert client.get("/settings", follow_redirects=False).status_code == 200

    # Turning two-factor sign-in off leads to the same offer.
    offer = 'action="/settings/sessions/end-others"'
    assert offer not in client.get("/settings").text
    assert offer in client.get("/settings", params={"saved": "two-factor-off"}).text
