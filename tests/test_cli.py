"""The `vinculo` command as an operator runs it: a real process on a real database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, wait_until
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.demo.community import DEMO_EMAIL, DEMO_PASSWORD
from vinculo.identity.models import Member
from vinculo.profiles.models import Organization, Position
from vinculo.search.models import SearchDocument
from vinculo.settings import get_settings


def vinculo(*args: str, database_url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "VINCULO_DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 - our own command, with fixed arguments
        [sys.executable, "-m", "vinculo", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def test_upgrade_then_demo_seeds_a_community_once(database_url: str, database: Database) -> None:
    vinculo("db", "upgrade", database_url=database_url)
    first = vinculo("demo", "--members", "300", database_url=database_url)
    assert "300 members" in first.stdout
    assert DEMO_EMAIL in first.stdout
    assert DEMO_PASSWORD in first.stdout

    with database.unit_of_work(write=False) as db:
        members = db.scalar(select(func.count()).select_from(Member))
        organizations = db.scalar(select(func.count()).select_from(Organization))
        positions = db.scalar(select(func.count()).select_from(Position))
    assert members == 300
    assert organizations is not None
    assert organizations > 10
    assert positions is not None
    assert positions > 300

    again = vinculo("demo", "--members", "300", database_url=database_url)
    assert "already has 300 members" in again.stdout
    with database.unit_of_work(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Member)) == 300

    # The printed credentials work, and the demo member's profile is filled in.
    with TestClient(create_app(get_settings(), database=database)) as client:
        response = client.post(
            "/api/v1/auth/token", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = client.get("/api/v1/members/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["headline"]
        found = client.get(
            "/api/v1/members",
            params={"q": me.json()["name"].split()[0]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert found.status_code == 200
        assert found.json()["items"]
        # Colleagues connected, and invitations wait for the demo account.
        connections = client.get(
            f"/api/v1/members/{me.json()['id']}/connections",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert connections.json()["items"]
        received = client.get(
            "/api/v1/invitations",
            params={"box": "received"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert len(received.json()["items"]) == 3

    # Rebuilding the search index finds the same members.
    with database.unit_of_work(write=False) as db:
        before = sorted(db.execute(select(SearchDocument.member_id, SearchDocument.work)).all())
    rebuilt = vinculo("search-index", database_url=database_url)
    assert "Indexed 300 members" in rebuilt.stdout
    with database.unit_of_work(write=False) as db:
        after = sorted(db.execute(select(SearchDocument.member_id, SearchDocument.work)).all())
    assert after == before


def test_the_same_seed_gives_the_same_community(tmp_path: Path) -> None:
    names = []
    for run in ("one", "two"):
        url = f"sqlite:///{tmp_path / run}.db"
        vinculo("db", "upgrade", database_url=url)
        vinculo("demo", "--members", "50", "--seed", "3", database_url=url)
        database = Database(url)
        try:
            with database.unit_of_work(write=False) as db:
                names.append(list(db.scalars(select(Member.name).order_by(Member.id))))
        finally:
            database.dispose()
    assert names[0] == names[1]
    assert len(set(names[0])) > 40


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = vinculo("serve", database_url=f"sqlite:///{tmp_path / 'empty.db'}", check=False)
    assert result.returncode == 1
    assert "vinculo db upgrade" in result.stderr


def test_db_check_and_current(database_url: str) -> None:
    assert "matches" in vinculo("db", "check", database_url=database_url).stdout
    assert "(latest)" in vinculo("db", "current", database_url=database_url).stdout


@pytest.mark.slow
def test_serve_answers_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    vinculo("db", "upgrade", database_url=url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "vinculo", "serve", "--port", str(port)],
        env={**os.environ, "VINCULO_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def health() -> bytes:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                body: bytes = answer.read()
                return body

        body = wait_until(health, what="the server answers", seconds=60, ignoring=(OSError,))
        assert json.loads(body)["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _old_invitation(database: Database, *, days_ago: int) -> int:
    """An invitation sent `days_ago` days ago between two new members; its id."""
    from datetime import UTC, datetime, timedelta

    from vinculo import clock
    from vinculo.identity import service as identity
    from vinculo.invitations import service as invitations

    with clock.frozen(datetime.now(UTC) - timedelta(days=days_ago)), database.unit_of_work() as db:
        sender = identity.register_member(
            db, email="old.sender@vinculo.example", password=PASSWORD, name="Sender", locale=None
        )
        recipient = identity.register_member(
            db, email="old.recipient@vinculo.example", password=PASSWORD, name="Rec", locale=None
        )
        return invitations.send_invitation(db, sender=sender, to=recipient.id).invitation.id


def test_worker_once_expires_and_reminds(database_url: str, database: Database) -> None:
    from vinculo.invitations.models import Invitation
    from vinculo.notifications.models import Notification

    invitation_id = _old_invitation(database, days_ago=15)
    result = vinculo("worker", "--once", database_url=database_url)
    assert "1 expired" in result.stdout
    with database.unit_of_work(write=False) as db:
        assert db.get_one(Invitation, invitation_id).status == "expired"
        # Past its expiry, no reminder is sent any more.
        assert db.scalar(select(func.count()).select_from(Notification)) == 1


@pytest.mark.slow
def test_serve_runs_the_scheduled_jobs_beside_the_web_processes(
    database_url: str, database: Database
) -> None:
    """`vinculo serve --jobs` starts the worker too: an invitation past its time is expired
    without anyone asking for it, and stopping the server stops the worker."""
    from vinculo.invitations.models import Invitation

    invitation_id = _old_invitation(database, days_ago=15)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "vinculo", "serve", "--port", str(port), "--jobs"],
        env={**os.environ, "VINCULO_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def expired() -> bool:
            with database.unit_of_work(write=False) as db:
                return db.get_one(Invitation, invitation_id).status == "expired"

        wait_until(expired, what="the worker expires the invitation", seconds=30)
        workers = _children(server.pid, running="worker")
        assert len(workers) == 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The worker stopped with the server.
    wait_until(lambda: not Path(f"/proc/{workers[0]}").exists(), what="the worker stops")


def _children(parent: int, *, running: str) -> list[int]:
    """The processes `parent` started whose command line names `running`."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == parent and running in command:
            found.append(int(status.parent.name))
    return found


def test_the_worker_sends_the_day_7_reminder_once(database: Database) -> None:
    import threading

    from vinculo.notifications.models import Notification
    from vinculo.worker import Worker

    _old_invitation(database, days_ago=8)
    stopped = threading.Event()
    jobs = threading.Thread(
        target=Worker(database, get_settings()).run,
        kwargs={"stopped": stopped, "interval": 0.05},
        daemon=True,
    )
    jobs.start()
    try:

        def kinds_once_reminded() -> list[str] | None:
            with database.unit_of_work(write=False) as db:
                kinds = list(db.scalars(select(Notification.kind).order_by(Notification.id)))
            return kinds if "invitation_reminder" in kinds else None

        kinds = wait_until(kinds_once_reminded, what="the worker sends the reminder")
        # Many rounds run meanwhile; the reminder goes out once.
        stopped.wait(0.3)
    finally:
        stopped.set()
        jobs.join(timeout=30)
    with database.unit_of_work(write=False) as db:
        kinds = list(db.scalars(select(Notification.kind).order_by(Notification.id)))
    assert kinds == ["invitation_received", "invitation_reminder"]
