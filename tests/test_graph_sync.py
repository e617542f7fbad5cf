"""Several `vinculo serve` processes on one database keep their graph indexes in step."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, new_email, register, wait_until
from vinculo import clock
from vinculo.db import Database
from vinculo.network import index as index_module
from vinculo.network import service as network
from vinculo.network.index import NetworkIndex

pytestmark = pytest.mark.slow

# The target is one second; notifications make it milliseconds. The generous deadline
# only keeps a loaded machine from failing the test.
DEADLINE_SECONDS = 5.0


class Server:
    def __init__(self, database_url: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "vinculo", "serve", "--port", str(self.port)],
            env={**os.environ, "VINCULO_DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: self.call("GET", "/healthz"),
            what="the server answers",
            seconds=30,
            ignoring=(OSError,),
        )

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "content-type": "application/json",
                **({"authorization": f"Bearer {token}"} if token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local http
            raw = answer.read()
        return json.loads(raw) if raw else None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[Server, Server]]:
    first = Server(database_url)
    try:
        second = Server(database_url)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def _member(server: Server, name: str) -> tuple[int, str]:
    email = new_email()
    member = server.call(
        "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": name}
    )
    token = server.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    return member["id"], token["access_token"]


def _degree_seen(server: Server, token: str, member_id: int, expected: int | None) -> bool:
    def seen() -> bool:
        return bool(
            server.call("GET", f"/api/v1/members/{member_id}", token=token)["degree"] == expected
        )

    return wait_until(
        seen,
        what=f"member {member_id} shows degree {expected}",
        seconds=DEADLINE_SECONDS,
        every=0.02,
    )


def _connect(server: Server, a_token: str, b_id: int, b_token: str) -> None:
    invitation = server.call("POST", "/api/v1/invitations", {"to": b_id}, token=a_token)
    server.call("POST", f"/api/v1/invitations/{invitation['id']}/accept", token=b_token)


def test_a_connection_made_through_one_process_shows_in_the_other(
    two_servers: tuple[Server, Server],
) -> None:
    one, other = two_servers
    _, ana_token = _member(one, "Ana")
    beto, beto_token = _member(one, "Beto")
    carla, carla_token = _member(one, "Carla")
    _connect(one, ana_token, beto, beto_token)
    # The process that made the change answers from its index at once.
    assert one.call("GET", f"/api/v1/members/{beto}", token=ana_token)["degree"] == 1
    assert _degree_seen(other, ana_token, beto, 1)
    _connect(other, beto_token, carla, carla_token)
    assert _degree_seen(one, ana_token, carla, 2)
    one.call("DELETE", f"/api/v1/connections/{beto}", token=ana_token)
    assert _degree_seen(other, ana_token, carla, None)


def test_nothing_is_missed_when_the_listener_loses_its_connection(
    two_servers: tuple[Server, Server], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite processes poll")
    one, other = two_servers
    members = [_member(one, name) for name in ("Ana", "Beto", "Carla", "Dani")]
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            killed = connection.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'vinculo-graph-listener' "
                    "AND datname = current_database()"
                )
            ).scalar()
        assert killed == 2
        # Changes while the listeners are down.
        (_, ana_token), (beto, beto_token), (carla, carla_token), (dani, dani_token) = members
        _connect(one, ana_token, beto, beto_token)
        _connect(one, carla_token, dani, dani_token)
        _connect(one, beto_token, carla, carla_token)
        assert _degree_seen(other, ana_token, dani, 3)
        assert _degree_seen(other, dani_token, beto, 2)
    finally:
        engine.dispose()


class _TenMinutesALook:
    """The clock as the index reads it: ten minutes pass each time it looks, so that any wait
    the index would give a missing change runs out while the slow writer holds it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        self.seconds += 600.0
        return self.seconds


def test_a_change_that_commits_late_still_reaches_every_index(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL writers commit in any order: a transaction that took its change's id before
    others, and commits minutes after them, must still reach the indexes that read past it."""
    if database.is_sqlite:
        pytest.skip("SQLite writers take turns: a late commit cannot pass another one")
    monkeypatch.setattr(index_module, "time", _TenMinutesALook())
    ana, beto, carla, dani = (
        register(client, name=name)["id"] for name in ("Ana", "Beto", "Carla", "Dani")
    )
    follower = NetworkIndex(database)
    follower.load()
    slow = sa.create_engine(database.url)
    try:
        with slow.connect() as late:
            # The slow writer logs its change first (the smaller id) and keeps its transaction
            # open.
            late.execute(
                sa.text(
                    "INSERT INTO connection (low_id, high_id, created_at, low_tier, high_tier, "
                    "low_note, high_note) VALUES (:a, :b, now(), 'regular', 'regular', '', '')"
                ),
                {"a": ana, "b": beto},
            )
            late.execute(
                sa.text(
                    "INSERT INTO connection_change (low_id, high_id, connected, created_at) "
                    "VALUES (:a, :b, true, now())"
                ),
                {"a": ana, "b": beto},
            )
            # Others commit after it, with larger ids, and the follower reads past them, again
            # and again, for as long as the slow writer takes.
            with database.unit_of_work() as db:
                network.connect(db, a=carla, b=dani, now=clock.now())
            for _ in range(20):
                follower.catch_up()
                time.sleep(0.05)
            assert follower.graph.connected(carla, dani)
            assert not follower.graph.connected(ana, beto)
            late.commit()
        follower.catch_up()
        assert follower.graph.connected(ana, beto)
        # A process started now sees it too.
        fresh = NetworkIndex(database)
        fresh.load()
        assert fresh.graph.connected(ana, beto)
        assert fresh.graph.connected(carla, dani)
    finally:
        slow.dispose()


def test_processes_of_one_machine_share_one_saved_index(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    """One process reads the connections and saves the index; the others map it (one copy in
    memory for all) and catch up from where it stood when saved."""
    ana, beto, carla, dani = (
        register(client, name=name)["id"] for name in ("Ana", "Beto", "Carla", "Dani")
    )
    with database.unit_of_work() as db:
        network.connect(db, a=ana, b=beto, now=clock.now())
    first = NetworkIndex(database)
    first.load()
    first.save(tmp_path)
    with database.unit_of_work() as db:
        network.connect(db, a=carla, b=dani, now=clock.now())
    second = NetworkIndex(database)
    second.load(shared=tmp_path)
    assert second.graph.connected(ana, beto)
    assert second.graph.connected(carla, dani)  # caught up from the saved position
    # It reads the saved arrays where they lie (mapped, shared with every process mapping
    # them), rather than a copy of its own.
    maps = Path("/proc/self/maps")
    if maps.exists():
        assert str(tmp_path.resolve()) in maps.read_text()

    # A folder saved for another database is not used.
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert index_module._saved(tmp_path, other) is None
    finally:
        other.dispose()
