"""A request makes the same number of database round trips whatever the length of the lists it
shows: what each listed member shares with the viewer comes in batches, never one query per item."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from tests.helpers import (
    PASSWORD,
    bearer,
    csrf_token_of,
    new_email,
    register,
    serving_database,
    token_for,
)
from vinculo.db import Database


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The statements requests send while the block runs (not those of the process's own
    background threads, which keep the graph index in step)."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        if not threading.current_thread().name.startswith("vinculo-"):
            sent.append(args[2])

    engines = (database.engine, database.reader)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


class Community:
    """A viewer whose lists hold `size` items each: invitations received from members who share
    a place and a connection with them, invitations sent, notifications, connections; and a
    colleague to suggest."""

    def __init__(self, client: TestClient, size: int) -> None:
        self.client = client
        self.email = new_email("viewer")
        self.viewer = register(self.client, name=f"Viewer {size}", email=self.email)["id"]
        self.headers = bearer(token_for(client, self.email))
        self._work_at("Acme Logística", self.headers)
        middle, middle_headers = self._member("Mutual")
        self._connect(self.headers, middle, middle_headers)
        # Someone to suggest: a colleague at the same place, with nothing pending.
        self._work_at("Acme Logística", self._member("Colleague")[1])
        for n in range(size):
            other, headers = self._member(f"Sender {n}")
            self._work_at("Acme Logística", headers)
            self._connect(middle_headers, other, headers)
            self._invite(headers, self.viewer)
            invited, _ = self._member(f"Invited {n}")
            self._invite(self.headers, invited)
            friend, friend_headers = self._member(f"Friend {n}")
            self._connect(self.headers, friend, friend_headers)

    def _member(self, name: str) -> tuple[int, dict[str, str]]:
        email = new_email()
        member = register(self.client, name=name, email=email)
        return member["id"], bearer(token_for(self.client, email))

    def _work_at(self, organization: str, headers: dict[str, str]) -> None:
        added = self.client.post(
            "/api/v1/members/me/positions",
            json={"organization": organization, "title": "Analyst", "start": "2019"},
            headers=headers,
        )
        assert added.status_code == 201, added.text

    def _invite(self, headers: dict[str, str], to: int) -> int:
        sent = self.client.post("/api/v1/invitations", json={"to": to}, headers=headers)
        assert sent.status_code == 201, sent.text
        return int(sent.json()["id"])

    def _connect(self, headers: dict[str, str], to: int, to_headers: dict[str, str]) -> None:
        invitation = self._invite(headers, to)
        accepted = self.client.post(f"/api/v1/invitations/{invitation}/accept", headers=to_headers)
        assert accepted.status_code == 200, accepted.text

    def log_in(self) -> None:
        form = self.client.get("/login")
        self.client.post(
            "/login",
            data={
                "csrf_token": csrf_token_of(form.text),
                "email": self.email,
                "password": PASSWORD,
            },
        )


API_LISTS = [
    "/api/v1/invitations?box=received",
    "/api/v1/invitations?box=sent",
    "/api/v1/notifications",
    "/api/v1/members/{viewer}/connections",
    "/api/v1/members?q=acme",
    "/api/v1/network/second-degree",
]
PAGES = ["/network", "/notifications", "/network/connections", "/network/second-degree", "/"]


def _round_trips(database: Database, community: Community, path: str, **headers: str) -> int:
    with statements(serving_database(community.client, database)) as sent:
        response = community.client.get(path.format(viewer=community.viewer), headers=headers)
    assert response.status_code == 200, response.text
    return len(sent)


@pytest.mark.parametrize("path", API_LISTS + PAGES)
def test_a_longer_list_costs_no_more_round_trips(app: Any, database: Database, path: str) -> None:
    counts = []
    for size in (3, 7):
        with TestClient(app) as client:
            community = Community(client, size)
            if path.startswith("/api/"):
                counts.append(_round_trips(database, community, path, **community.headers))
            else:
                community.log_in()
                counts.append(_round_trips(database, community, path))
    assert counts[0] == counts[1], f"{path}: {counts[0]} statements for 3 items, {counts[1]} for 7"
    assert counts[0] > 0, f"{path}: no statement seen"
    if path.startswith("/api/"):
        assert counts[0] <= MOST_FOR_AN_API_READ, f"{path}: {counts[0]} statements"


# What any read of the API may cost, whatever it lists: the caller, then the list and what its
# members share with the caller.
MOST_FOR_AN_API_READ = 6
