"""Passwords under attack, through the API and the pages: guessable ones refused with the reason
in the member's language, wrong current passwords throttled like logins, every change notified,
registrations limited per address and per network block, and an unknown email costing the same
hashing work as a known one."""

from __future__ import annotations

import html
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import func, select, text
from starlette.testclient import TestClient

from tests.helpers import (
    PASSWORD,
    bearer,
    csrf_token_of,
    fields_of,
    log_in_page,
    new_email,
    post_form,
    problem_of,
    register,
    token_for,
)
from vinculo import clock
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.identity import passwords
from vinculo.identity import service as identity_service
from vinculo.identity.models import Member
from vinculo.settings import get_settings

REGISTER = "/api/v1/auth/register"
CHANGE = "/api/v1/auth/password"
STRONG = "a brand new phrase"


def _members(database: Database) -> int:
    with database.unit_of_work(write=False) as db:
        return int(db.scalar(select(func.count()).select_from(Member)) or 0)


def _weak(response: Any, field: str) -> str:
    """The reason a weak-password problem gives for `field`."""
    problem = problem_of(response, 422, slug="weak-password")
    assert fields_of(problem) == [field], problem
    message: str = problem["errors"][0]["message"]
    assert message in problem["detail"]
    return message


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password123", "one of the most common passwords"),
        ("P@ssw0rd2024", "common password with small changes"),
        ("qwertyuiop", "one of the most common passwords"),
        ("zxcvbnm,./", "Keyboard patterns"),
        ("aaaaaaaaaaaa", "Repeats"),
        ("abcdefghijk", "Sequences"),
        ("vinculo2026", "name of this site"),
    ],
)
def test_guessable_passwords_are_refused_at_registration(
    client: TestClient, database: Database, password: str, reason: str
) -> None:
    response = client.post(
        REGISTER, json={"email": new_email(), "password": password, "name": "Ana Ruiz"}
    )
    assert reason in _weak(response, "password")
    assert _members(database) == 0


def test_the_members_name_and_email_make_a_password_guessable(client: TestClient) -> None:
    """ "Quintanilla1985!" is fine for Ana, but not for Marisol Quintanilla, nor for someone whose
    email address is built on it."""
    password = "Quintanilla1985!"
    for name, email in (
        ("Marisol Quintanilla", new_email()),
        ("Marisol", new_email("m.quintanilla.")),
    ):
        refused = client.post(REGISTER, json={"email": email, "password": password, "name": name})
        assert "your name or your email address" in _weak(refused, "password")
    register(client, name="Ana Ruiz", password=password)


def test_the_reason_is_in_the_members_language(client: TestClient) -> None:
    body = {"email": new_email(), "password": "password123", "name": "Ana Ruiz"}
    for extra, headers in (({"locale": "es"}, {}), ({}, {"Accept-Language": "es-ES,es;q=0.9"})):
        refused = client.post(REGISTER, json={**body, **extra}, headers=headers)
        assert _weak(refused, "password") == (
            "Es una de las contraseñas más comunes. "
            "Usa en su lugar varias palabras poco comunes juntas."
        )
        assert refused.json()["title"] == "Contraseña demasiado fácil de adivinar"
    # Without a language asked for, the API speaks English, as everywhere else.
    english = client.post(REGISTER, json=body)
    assert _weak(english, "password").startswith("This is one of the most common passwords.")


def test_the_register_page_refuses_a_guessable_password_in_spanish(
    client: TestClient, database: Database
) -> None:
    spanish = {"Accept-Language": "es"}
    form = client.get("/register", headers=spanish)
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": new_email(),
            "password": "qwerty123456",
            "name": "Ana Ruiz",
        },
        headers=spanish,
    )
    assert response.status_code == 422
    assert "varias palabras poco comunes juntas" in html.unescape(response.text)
    assert _members(database) == 0


def test_a_guessable_new_password_is_refused_and_the_old_one_kept(client: TestClient) -> None:
    email = new_email()
    register(client, email=email, name="Marisol Quintanilla")
    token = token_for(client, email)
    for weak in ("123456789", "marisolquintanilla"):
        refused = client.post(
            CHANGE,
            json={"current_password": PASSWORD, "new_password": weak},
            headers=bearer(token),
        )
        _weak(refused, "new_password")
    assert token_for(client, email)


def test_the_settings_page_refuses_a_guessable_new_password_in_the_members_language(
    client: TestClient,
) -> None:
    email = new_email()
    register(client, email=email, locale="es")
    log_in_page(client, email)
    response = post_form(
        client,
        "/settings/password",
        {"current_password": PASSWORD, "new_password": "password1234"},
        form_page="/settings",
    )
    assert response.status_code == 422
    assert "Es una de las contraseñas más comunes." in html.unescape(response.text)


def test_wrong_current_passwords_are_throttled_like_logins(client: TestClient) -> None:
    """A stolen token cannot guess the password: after 5 wrong current passwords in the login
    window, even the right one is answered 429 (nothing tells a right guess), and logins of the
    account are held too, until the window passes."""
    email = new_email()
    register(client, email=email)
    token = token_for(client, email)
    start = datetime.now(UTC)
    with clock.frozen(start) as frozen:
        for attempt in range(5):
            wrong = client.post(
                CHANGE,
                json={"current_password": f"guess number {attempt}", "new_password": STRONG},
                headers=bearer(token),
            )
            assert fields_of(problem_of(wrong, 422)) == ["current_password"]
        for current in ("guess number 6", PASSWORD):
            held = client.post(
                CHANGE,
                json={"current_password": current, "new_password": STRONG},
                headers=bearer(token),
            )
            problem_of(held, 429, slug="too-many-login-attempts")
            assert 0 < int(held.headers["retry-after"]) <= 15 * 60 + 1
        login = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        problem_of(login, 429, slug="too-many-login-attempts")

        frozen.advance(timedelta(minutes=16))
        changed = client.post(
            CHANGE,
            json={"current_password": PASSWORD, "new_password": STRONG},
            headers=bearer(token),
        )
        assert changed.status_code == 204
    assert token_for(client, email, STRONG)


def test_the_settings_page_is_throttled_too(client: TestClient) -> None:
    email = new_email()
    register(client, email=email)
    log_in_page(client, email)
    answers = [
        post_form(
            client,
            "/settings/password",
            {"current_password": "not my password", "new_password": STRONG},
            form_page="/settings",
        )
        for _ in range(6)
    ]
    assert [answer.status_code for answer in answers] == [422] * 5 + [429]
    assert int(answers[-1].headers["retry-after"]) > 0


def test_a_password_change_is_notified(client: TestClient) -> None:
    email = new_email()
    member = register(client, email=email, locale="es")
    token = token_for(client, email)
    changed = client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": STRONG}, headers=bearer(token)
    )
    assert changed.status_code == 204
    found = client.get("/api/v1/notifications", headers=bearer(token)).json()
    assert [(item["kind"], item["actor"]["id"]) for item in found["items"]] == [
        ("password_changed", member["id"])
    ]
    assert found["unread"] == 1
    # A refused change is not notified.
    client.post(
        CHANGE,
        json={"current_password": "a wrong one", "new_password": STRONG},
        headers=bearer(token),
    )
    assert client.get("/api/v1/notifications", headers=bearer(token)).json()["unread"] == 1

    log_in_page(client, email, STRONG)
    page = html.unescape(client.get("/notifications").text)
    assert "Se cambió tu contraseña" in page
    assert 'href="/settings"' in page


def _app(database: Database, **settings: Any) -> FastAPI:
    return create_app(get_settings().model_copy(update=settings), database=database)


def _register_from(app: FastAPI, address: str) -> int:
    with TestClient(app, client=(address, 40000)) as client:
        response = client.post(
            REGISTER, json={"email": new_email(), "password": PASSWORD, "name": "Ana Ruiz"}
        )
        return response.status_code


def test_registrations_are_limited_per_network_block(database: Database) -> None:
    """Each address may register 5 an hour, and each block of addresses (IPv4 /24, IPv6 /48:
    what one provider or organization usually holds) 3: cycling through the addresses of one
    block does not get around the limit; another block is not held back."""
    app = _app(database, registration_rate_limit="5/hour", registration_network_rate_limit="3/hour")
    statuses = [_register_from(app, f"203.0.113.{host}") for host in (1, 2, 3, 4)]
    assert statuses == [201, 201, 201, 429]
    assert _register_from(app, "198.51.100.1") == 201
    # IPv6: four /64s (each one client) in one /48.
    statuses = [_register_from(app, f"2001:db8:7:{subnet}::1") for subnet in (1, 2, 3, 4)]
    assert statuses == [201, 201, 201, 429]
    assert _register_from(app, "2001:db8:8::1") == 201


def test_registrations_per_address_group_ipv6_by_64(database: Database) -> None:
    app = _app(
        database, registration_rate_limit="2/hour", registration_network_rate_limit="100/hour"
    )
    statuses = [_register_from(app, f"2001:db8:9:1::{host}") for host in (1, 2, 3)]
    assert statuses == [201, 201, 429]
    assert _register_from(app, "2001:db8:9:2::1") == 201


def test_an_unknown_email_costs_the_same_hashing_work(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing belongs in benchmarks: here, the work. A login with an unknown email verifies a
    password against an argon2id hash exactly as a wrong password for a known one does."""
    email = new_email()
    register(client, email=email)
    verified: list[str] = []
    verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        verified.append(str(hash)[:10])
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    known = client.post("/api/v1/auth/token", json={"email": email, "password": "wrong password"})
    assert (known.status_code, len(verified)) == (401, 1)
    unknown = client.post(
        "/api/v1/auth/token", json={"email": new_email(), "password": "wrong password"}
    )
    assert (unknown.status_code, len(verified)) == (401, 2)
    assert verified[0] == verified[1] == "$argon2id$"


def _writers_waiting_on(database: Database) -> bool:
    """Whether a transaction of the app holds what a writer needs: on SQLite the write lock
    (another connection cannot take it at once), on PostgreSQL an open transaction."""
    if database.is_sqlite:
        probe = sqlite3.connect(str(database.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    with database.statements() as reader:
        open_ones = reader.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%'"
            )
        )
    return bool(open_ones)


def test_passwords_are_hashed_before_the_write_lock_is_taken(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing takes tens of milliseconds: registering (through the API and the page) and
    changing a password (the page) hash before their transaction begins, so other members'
    writes do not wait for it."""
    held: list[bool] = []
    real_hash = passwords.hash_password

    def watched_hash(password: str) -> str:
        held.append(_writers_waiting_on(database))
        return real_hash(password)

    monkeypatch.setattr(identity_service, "hash_password", watched_hash)
    register(client, name="Ana Ruiz", email=new_email())
    data = {"email": new_email(), "password": PASSWORD, "name": "Beto Gil"}
    answer = post_form(client, "/register", data)
    assert answer.status_code == 303, answer.text
    data = {"current_password": PASSWORD, "new_password": STRONG}
    changed = post_form(client, "/settings/password", data, form_page="/settings")
    assert changed.status_code in (200, 303), changed.text
    assert held == [False, False, False]
