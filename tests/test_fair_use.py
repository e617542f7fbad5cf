"""Fair use: each client (a bearer token, a session, else an address) has a rate limit and a
number of requests served at once; registering and logging in have stricter limits per address,
counted where every process sees them (the database, or Redis). Beyond them: 429 with
Retry-After, and other members are served meanwhile."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, bearer, new_email, problem_of, token_for
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.settings import get_settings
from vinculo.throttling import storage as storage_module

REDIS_URL = "redis://127.0.0.1:6379/0"


def _app(database: Database, **settings: Any) -> FastAPI:
    return create_app(get_settings().model_copy(update=settings), database=database)


def _register(client: TestClient, email: str | None = None) -> Any:
    return client.post(
        "/api/v1/auth/register",
        json={"email": email or new_email(), "password": PASSWORD, "name": "Ana Ruiz"},
    )


def _member(client: TestClient) -> dict[str, str]:
    email = new_email()
    assert _register(client, email).status_code == 201
    return bearer(token_for(client, email))


def test_a_client_over_its_rate_is_told_when_to_come_back(database: Database) -> None:
    with TestClient(_app(database, rate_limit="5/minute")) as client:
        # Registering and getting the token are requests of the address, not of the token.
        ana = _member(client)
        beto = _member(client)
        answers = [client.get("/api/v1/members/me", headers=ana) for _ in range(6)]
        assert [answer.status_code for answer in answers[:5]] == [200] * 5
        refused = answers[5]
        problem_of(refused, 429, slug="slow-down")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Another member is not held back by Ana's requests.
        assert client.get("/api/v1/members/me", headers=beto).status_code == 200


def test_registrations_per_address_are_counted_across_processes(database: Database) -> None:
    """Two processes of one community (two apps on one database) share the count."""
    one = _app(database, registration_rate_limit="2/hour")
    other = _app(database, registration_rate_limit="2/hour")
    with TestClient(one) as first, TestClient(other) as second:
        assert _register(first).status_code == 201
        assert _register(second).status_code == 201
        refused = _register(first)
        problem_of(refused, 429, slug="slow-down")
        assert int(refused.headers["retry-after"]) > 60
        # The page form is held to the same limit.
        assert second.post("/register", data={}).status_code == 429


def test_logins_per_address_are_limited(database: Database) -> None:
    with TestClient(_app(database, login_rate_limit="2/minute")) as client:
        email = new_email()
        assert _register(client, email).status_code == 201
        answers = [
            client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
            for _ in range(3)
        ]
        assert [answer.status_code for answer in answers] == [200, 200, 429]


@contextmanager
def _write_lock_held(database: Database) -> Iterator[None]:
    engine = sa.create_engine(database.url)
    connection = engine.connect()
    try:
        if database.is_sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("LOCK TABLE invitation IN EXCLUSIVE MODE")
        yield
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def test_one_clients_burst_waits_its_turn_without_holding_others(database: Database) -> None:
    """One member's requests are served one at a time here; while the first is stuck on a lock,
    their next one waits for its turn and gives up with 429, and another member is served."""
    patient = Database(str(database.url.render_as_string(hide_password=False)), busy_timeout=30)
    app = _app(patient, requests_at_once=1, turn_wait=0.5)
    try:
        with TestClient(app) as client:
            ana, beto = _member(client), _member(client)
            carla_id = client.get("/api/v1/members/me", headers=_member(client)).json()["id"]
            stuck: list[int] = []
            with _write_lock_held(patient):
                # Through the same client: one event loop, as in a serving process.
                first = threading.Thread(
                    target=lambda: stuck.append(
                        client.post(
                            "/api/v1/invitations", json={"to": carla_id}, headers=ana
                        ).status_code
                    )
                )
                first.start()
                # Until the first one holds Ana's turn (the lock keeps it there).
                while not _turn_taken(app):
                    threading.Event().wait(0.01)
                second = client.get("/api/v1/members/me", headers=ana)
                problem_of(second, 429, slug="slow-down")
                assert client.get("/api/v1/members/me", headers=beto).status_code == 200
            first.join(timeout=30)
            assert stuck == [201]
    finally:
        patient.dispose()


def _turn_taken(app: FastAPI) -> bool:
    """Whether some client holds a turn in the app's fair-use middleware."""
    layer: Any = app.middleware_stack
    while layer is not None and not hasattr(layer, "_turns"):
        layer = getattr(layer, "app", None)
    return bool(layer and layer._turns)


def test_with_redis_the_processes_share_the_rate(database: Database) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis answers on 127.0.0.1:6379")
    # Keys of this run's own: the counters in Redis outlive the test.
    prefix = f"vinculo-test-{uuid.uuid4().hex}"
    one, other = (
        _app(database, rate_limit="5/hour", redis_url=REDIS_URL, redis_prefix=prefix)
        for _ in range(2)
    )
    with TestClient(one) as first, TestClient(other) as second:
        ana = _member(first)  # two requests of the address, not of Ana's token
        codes = [
            client.get("/api/v1/members/me", headers=ana).status_code
            for client in (first, second, first, second, first, second)
        ]
        assert codes == [200, 200, 200, 200, 200, 429]


def test_the_in_memory_counters_keep_fixed_windows_and_forget_finished_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The counters behind every request's rate limit: a window counts until it ends, then the
    next request starts a new one; finished windows are dropped by the minute's sweep; the
    limiter's answers (allowed, the window's reset) come from them."""
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    counters = storage_module.MemoryStorage()
    limiter = FixedWindowRateLimiter(counters)
    rate = parse("2/second")

    assert limiter.hit(rate, "ana")
    assert limiter.hit(rate, "ana")
    assert not limiter.hit(rate, "ana")
    assert limiter.hit(rate, "beto")  # another client's window
    assert limiter.get_window_stats(rate, "ana").reset_time == now[0] + 1
    now[0] += 1.0
    assert counters.get(rate.key_for("ana")) == 0
    assert limiter.hit(rate, "ana")  # a new window
    now[0] += 61.0
    counters.incr("carla", 10)
    assert list(counters._windows) == ["carla"]  # ana's and beto's finished windows swept
    counters.clear("carla")
    assert counters.get("carla") == 0
    counters.incr("dora", 10, amount=3)
    assert counters.reset() == 1
    assert counters.get("dora") == 0
