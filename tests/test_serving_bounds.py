"""Honest failures: when the database is locked, stalled, out of connections or refusing them,
a request is answered 503 with Retry-After (never a 500 or a hang) and writes nothing; a body too
large is a 413; a request with a bogus token never waits for the database's write lock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import (
    logged_in_member,
    member_with_token,
    problem_of,
    serving_database,
    wait_until,
)
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.errors import VinculoError
from vinculo.settings import get_settings
from vinculo.web.limits import Deadline


def _app(database: Database, **settings: Any) -> FastAPI:
    return create_app(get_settings().model_copy(update=settings), database=database)


@contextmanager
def write_lock_held(database: Database) -> Iterator[None]:
    """Another process holds the database's write lock (SQLite) or every row's lock a write
    takes (PostgreSQL: an exclusive lock on the invitation and member tables)."""
    engine = sa.create_engine(database.url)
    connection = engine.connect()
    try:
        if database.is_sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("LOCK TABLE invitation, notification IN EXCLUSIVE MODE")
        yield
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def _invite(client: TestClient, headers: dict[str, str], to: int) -> Any:
    return client.post("/api/v1/invitations", json={"to": to}, headers=headers)


def _invitations(database: Database) -> int:
    with database.unit_of_work(write=False) as db:
        return int(db.scalar(sa.text("SELECT count(*) FROM invitation")) or 0)


def test_a_write_that_cannot_get_its_lock_is_a_503_that_writes_nothing(
    database: Database,
) -> None:
    quick = Database(
        str(database.url.render_as_string(hide_password=False)),
        busy_timeout=0.5,
        lock_timeout=0.5,
    )
    try:
        with TestClient(_app(quick)) as client:
            _, ana_headers = member_with_token(client, name="Ana")
            beto, _ = member_with_token(client, name="Beto")
            with write_lock_held(quick):
                started = time.monotonic()
                refused = _invite(client, ana_headers, beto["id"])
                waited = time.monotonic() - started
                # Reads go on meanwhile.
                assert client.get("/api/v1/members/me", headers=ana_headers).status_code == 200
            body = problem_of(refused, 503, slug="unavailable")
            assert int(refused.headers["retry-after"]) >= 1
            assert "try again" in body["detail"].lower()
            assert waited < 5
            assert _invitations(quick) == 0
            # Once the lock is gone the same request goes through.
            assert _invite(client, ana_headers, beto["id"]).status_code == 201
    finally:
        quick.dispose()


def test_a_request_that_cannot_answer_in_time_is_a_503(database: Database) -> None:
    patient = Database(
        str(database.url.render_as_string(hide_password=False)), busy_timeout=30, lock_timeout=30
    )
    try:
        # The members first, without the deadline: registering hashes a password, which on a
        # busy machine alone can take a second.
        with TestClient(_app(patient)) as setup:
            _, ana_headers = member_with_token(setup, name="Ana")
            beto, _ = member_with_token(setup, name="Beto")
        with TestClient(_app(patient, request_deadline=1.0)) as client:
            with write_lock_held(patient):
                started = time.monotonic()
                refused = _invite(client, ana_headers, beto["id"])
                waited = time.monotonic() - started
            problem_of(refused, 503, slug="unavailable")
            assert refused.headers["retry-after"] == "1"
            assert 0.9 < waited < 5
            # The request went on waiting for the lock; once it had it, it rolled back rather
            # than commit what nobody waited for.
            serving = serving_database(client, patient)
            wait_until(
                lambda: serving.engine.pool.checkedout() == 0,  # type: ignore[attr-defined]
                what="the abandoned request ends",
            )
            assert _invitations(patient) == 0
    finally:
        patient.dispose()


def test_a_bogus_token_never_waits_for_the_write_lock(database: Database) -> None:
    with TestClient(_app(database)) as client, write_lock_held(database):
        started = time.monotonic()
        answer = client.post(
            "/api/v1/invitations", json={"to": 1}, headers={"Authorization": "Bearer bogus"}
        )
        assert time.monotonic() - started < 2
        problem_of(answer, 401, slug="not-authenticated")


def test_no_free_connection_is_a_503(database: Database) -> None:
    tight = Database(
        str(database.url.render_as_string(hide_password=False)), pool_size=1, pool_timeout=0.3
    )
    try:
        with TestClient(_app(tight)) as client:
            _, headers = member_with_token(client, name="Ana")
            # Both of the readers' connections (one, and one more) are held elsewhere.
            serving = serving_database(client, tight)
            portal = client.portal
            assert portal is not None
            held = [portal.call(serving.run, serving.reader.connect) for _ in range(2)]
            try:
                problem_of(client.get("/api/v1/members/me", headers=headers), 503)
            finally:
                for connection in held:
                    portal.call(serving.run, connection.close)
            assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    finally:
        tight.dispose()


def test_a_database_that_refuses_connections_is_a_503(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("a SQLite file does not refuse connections; PostgreSQL can be told to")
    name = database.url.database
    admin = sa.create_engine(database.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        app = _app(database)
        with TestClient(app) as client, TestClient(app) as browser:
            _, headers = member_with_token(client, name="Ana")
            logged_in_member(browser, name="Beto")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            try:
                refused = client.get("/api/v1/members/me", headers=headers)
                problem_of(refused, 503, slug="unavailable")
                ready = client.get("/healthz")
                assert ready.status_code == 503
                assert ready.json()["database"] == "unavailable"
                page = browser.get("/network")
                assert page.status_code == 503
                assert page.headers["content-type"].startswith("text/html")
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            # The dropped connections were replaced: the next request is served.
            assert client.get("/api/v1/members/me", headers=headers).status_code == 200
    finally:
        admin.dispose()


def test_a_body_too_large_is_a_413(client: TestClient) -> None:
    _, headers = member_with_token(client)
    note = "x" * (2 * 1024 * 1024)
    answer = client.post("/api/v1/invitations", json={"to": 1, "note": note}, headers=headers)
    problem_of(answer, 413, slug="too-large")

    def chunks() -> Iterator[bytes]:
        yield b'{"to": 1, "note": "'
        for _ in range(2048):
            yield b"x" * 1024
        yield b'"}'

    streamed = client.post(
        "/api/v1/invitations",
        content=chunks(),
        headers={**headers, "content-type": "application/json"},
    )
    problem_of(streamed, 413, slug="too-large")


def test_the_deadline_lets_a_quick_answer_through_whole() -> None:
    """The deadline only bounds the wait for an answer to begin: a quick one streams on."""
    sent: list[dict[str, Any]] = []

    async def quick_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.2)
        await send({"type": "http.response.body", "body": b"late but whole"})

    async def render(_request: Any, _error: VinculoError) -> Any:
        raise AssertionError("no error expected")

    async def run() -> None:
        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(dict(message))

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        await Deadline(quick_app, seconds=0.1, render=render)(
            {"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send
        )

    asyncio.run(run())
    assert [message.get("body") for message in sent] == [None, b"late but whole"]


def test_readiness_waits_for_the_graph_index(database: Database) -> None:
    """Until the graph index is built the process answers "loading"; liveness is fine."""
    app = _app(database)
    seen: list[int] = []
    with TestClient(app) as client:
        seen.append(client.get("/healthz/ready").status_code)
    # Outside its lifespan the app has no index: not ready, yet alive.
    bare = TestClient(app)
    assert bare.get("/healthz/live").status_code == 200
    waiting = bare.get("/healthz/ready")
    assert (waiting.status_code, waiting.json()["graph_index"]) == (503, "loading")
    assert seen == [200]


def test_requests_run_on_the_loop_only_while_the_app_serves(database: Database) -> None:
    """On PostgreSQL an app serving from an event loop gives its requests a twin of the database
    on async psycopg, closed when the app stops; without its start-up (a client that never
    starts it) requests use the process's own pools, so no connection is left behind."""
    app = _app(database)
    bare = TestClient(app)
    member_with_token(bare, name="Ana")
    assert not database._twins
    with TestClient(app) as client:
        member_with_token(client, name="Beto")
        serving = serving_database(client, database)
        assert serving.on_the_loop is not database.is_sqlite
        assert (serving is database) is database.is_sqlite
    assert not database._twins


def test_a_reading_unit_cannot_write(database: Database) -> None:
    """GET requests read through connections the database keeps from writing: a route that wrote
    by mistake would fail instead of writing."""
    refused = sa.exc.OperationalError if database.is_sqlite else sa.exc.InternalError
    for consistent in (False, True):
        with (
            pytest.raises(refused),
            database.unit_of_work(write=False, consistent=consistent) as db,
        ):
            db.execute(sa.text("DELETE FROM member"))
