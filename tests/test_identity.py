"""Accounts through the API and the pages: bad input answered clearly and nothing half-written,
duplicate emails (racing too), forged form tokens, throttled logins, sessions that end."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, bearer, csrf_token_of, new_email, register, token_for
from vinculo import clock
from vinculo.db import Database
from vinculo.identity.models import AuthSession, Member


def _members(database: Database) -> int:
    with database.unit_of_work(write=False) as db:
        return int(db.scalar(select(func.count()).select_from(Member)) or 0)


def _field_errors(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [error["field"] for error in body.get("errors") or []]


def test_bad_registrations_name_the_field_and_write_nothing(
    client: TestClient, database: Database
) -> None:
    cases = [
        ({"email": new_email(), "password": "short", "name": "Ana"}, "password"),
        ({"email": new_email(), "password": "x" * 129, "name": "Ana"}, "password"),
        ({"email": new_email(), "password": PASSWORD}, "name"),
        ({"email": new_email(), "password": PASSWORD, "name": "A" * 101}, "name"),
        ({"email": "not-an-email", "password": PASSWORD, "name": "Ana"}, "email"),
        ({"email": new_email(), "password": PASSWORD, "name": "Ana", "role": "admin"}, "role"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert {"type", "title", "status", "detail"} <= problem.keys()
        assert field in _field_errors(response), (field, problem)
    assert _members(database) == 0


def test_a_duplicate_email_is_a_conflict_whatever_its_case(
    client: TestClient, database: Database
) -> None:
    email = new_email("dup")
    register(client, email=email)
    again = client.post(
        "/api/v1/auth/register",
        json={"email": email.upper(), "password": PASSWORD, "name": "Other"},
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/email-taken"
    assert _members(database) == 1


def test_two_registrations_racing_for_one_email(app: object, database: Database) -> None:
    email = new_email("race")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def attempt() -> None:
        with TestClient(app) as racer:  # type: ignore[arg-type]
            barrier.wait()
            response = racer.post(
                "/api/v1/auth/register",
                json={"email": email, "password": PASSWORD, "name": "Racer"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert _members(database) == 1


def test_unknown_email_and_wrong_password_get_the_same_answer(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    wrong = client.post("/api/v1/auth/token", json={"email": email, "password": "wrong password"})
    unknown = client.post(
        "/api/v1/auth/token", json={"email": new_email(), "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_logins_are_throttled_per_account_and_recover(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    start = datetime.now(UTC)
    with clock.frozen(start) as frozen:
        for _ in range(5):
            failed = client.post(
                "/api/v1/auth/token", json={"email": email, "password": "nope!!!!"}
            )
            assert failed.status_code == 401
        blocked = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["status"] == 429
        frozen.advance(timedelta(minutes=16))
        assert token_for(client, email)


def test_token_revocation_and_password_change_end_other_sessions(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    first, second = token_for(client, email), token_for(client, email)
    assert len(first) >= 22  # at least 128 random bits, url-safe
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new phrase"},
        headers=bearer(first),
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/members/me", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/members/me", headers=bearer(second)).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer(first)).status_code == 204
    assert client.get("/api/v1/members/me", headers=bearer(first)).status_code == 401


def test_tokens_expire_after_fourteen_idle_days(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    start = datetime.now(UTC)
    with clock.frozen(start) as frozen:
        token = token_for(client, email)
        frozen.advance(timedelta(days=13))
        assert client.get("/api/v1/members/me", headers=bearer(token)).status_code == 200
        frozen.advance(timedelta(days=13))  # used 13 days ago: still alive
        assert client.get("/api/v1/members/me", headers=bearer(token)).status_code == 200
        frozen.advance(timedelta(days=15))
        assert client.get("/api/v1/members/me", headers=bearer(token)).status_code == 401


def test_only_a_hash_of_the_token_is_stored(client: TestClient, database: Database) -> None:
    email = new_email()
    register(client, email=email)
    token = token_for(client, email)
    with database.unit_of_work(write=False) as db:
        stored = list(db.scalars(select(AuthSession.token_hash)))
    assert stored
    assert token not in stored


def test_register_page_sets_a_safe_session_cookie(client: TestClient, database: Database) -> None:
    form = client.get("/register")
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": new_email(),
            "password": PASSWORD,
            "name": "Página",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/profile/edit?welcome=1"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("vinculo_session=")
    )
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert _members(database) == 1
    # Logging out deletes the session: the cookie opens nothing any more.
    page = client.get("/settings")
    logout = client.post(
        "/logout", data={"csrf_token": csrf_token_of(page.text)}, follow_redirects=False
    )
    assert logout.status_code == 303
    with database.unit_of_work(write=False) as db:
        assert db.scalar(select(func.count()).select_from(AuthSession)) == 0
    assert client.get("/settings", follow_redirects=False).headers["location"].startswith("/login")


def test_a_forged_form_token_is_refused_and_nothing_written(
    client: TestClient, database: Database
) -> None:
    client.get("/register")
    for token in ("", "forged-token"):
        response = client.post(
            "/register",
            data={"csrf_token": token, "email": new_email(), "password": PASSWORD, "name": "X"},
            follow_redirects=False,
        )
        assert response.status_code == 403
    assert _members(database) == 0


def test_register_page_shows_the_field_error_and_writes_nothing(
    client: TestClient, database: Database
) -> None:
    form = client.get("/register", headers={"accept-language": "es"})
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": new_email(),
            "password": "corta",
            "name": "Ana",
        },
        headers={"accept-language": "es"},
    )
    assert response.status_code == 422
    assert "Como mínimo 8 caracteres." in response.text
    assert 'value="Ana"' in response.text
    assert _members(database) == 0


def test_pages_and_api_carry_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/openapi.json"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]
