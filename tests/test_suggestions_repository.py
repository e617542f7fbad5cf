"""What suggestions read from the database: who an invitation keeps out of a member's
suggestions (open either way, or ended within the cooldown), dismissals, and the careers,
sectors and locations the ranking is built from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tests.helpers import member_with_token
from vinculo import clock
from vinculo.db import Database
from vinculo.invitations import repository as invitations
from vinculo.suggestions import repository

START = datetime(2031, 5, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
COOLDOWN = timedelta(days=21)
INVITATIONS = "/api/v1/invitations"


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(START) as frozen_clock:
        yield frozen_clock


def _excluded(database: Database, member_id: int) -> set[int]:
    now = clock.now()
    with database.unit_of_work(write=False) as db:
        return invitations.kept_apart_from(
            db, member_id=member_id, now=now, cooldown_start=now - COOLDOWN
        )


def _invite(client: TestClient, headers: dict[str, str], to: int) -> int:
    sent = client.post(INVITATIONS, json={"to": to}, headers=headers)
    assert sent.status_code == 201, sent.text
    return int(sent.json()["id"])


def test_open_invitations_keep_both_members_out_either_way(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    (ana, ana_headers), (beto, beto_headers), (carla, _) = (
        member_with_token(client, name=name) for name in ("Ana", "Beto", "Carla")
    )
    invitation = _invite(client, ana_headers, beto["id"])
    assert _excluded(database, ana["id"]) == {beto["id"]}
    assert _excluded(database, beto["id"]) == {ana["id"]}
    assert _excluded(database, carla["id"]) == set()
    # Ignored, it still looks pending to Ana: both stay out until it expires.
    ignored = client.post(f"{INVITATIONS}/{invitation}/ignore", headers=beto_headers)
    assert ignored.status_code == 200
    assert _excluded(database, beto["id"]) == {ana["id"]}
    frozen.advance(14 * DAY)
    # Expired: Ana is within her cooldown for Beto; Beto may be suggested Ana again.
    assert _excluded(database, ana["id"]) == {beto["id"]}
    assert _excluded(database, beto["id"]) == set()
    frozen.advance(COOLDOWN)
    assert _excluded(database, ana["id"]) == set()


def test_a_withdrawn_invitation_keeps_its_recipient_out_for_the_cooldown(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    (ana, ana_headers), (beto, _) = (member_with_token(client, name=n) for n in ("Ana", "Beto"))
    invitation = _invite(client, ana_headers, beto["id"])
    frozen.advance(DAY)
    withdrawn = client.post(f"{INVITATIONS}/{invitation}/withdraw", headers=ana_headers)
    assert withdrawn.status_code == 200
    assert _excluded(database, ana["id"]) == {beto["id"]}
    assert _excluded(database, beto["id"]) == set()
    frozen.advance(COOLDOWN - timedelta(seconds=1))
    assert _excluded(database, ana["id"]) == {beto["id"]}
    frozen.advance(timedelta(seconds=1))
    assert _excluded(database, ana["id"]) == set()


def test_an_accepted_invitation_excludes_nobody(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    (ana, ana_headers), (beto, beto_headers) = (
        member_with_token(client, name=n) for n in ("Ana", "Beto")
    )
    invitation = _invite(client, ana_headers, beto["id"])
    accepted = client.post(f"{INVITATIONS}/{invitation}/accept", headers=beto_headers)
    assert accepted.status_code == 200
    # Connections are left out by the ranking itself, from the graph.
    assert _excluded(database, ana["id"]) == set()


def test_dismissals_are_remembered_once_and_can_be_undone(
    client: TestClient, database: Database
) -> None:
    (ana, _), (beto, _) = (member_with_token(client, name=n) for n in ("Ana", "Beto"))
    with database.unit_of_work() as db:
        assert repository.add_dismissal(db, member_id=ana["id"], dismissed_id=beto["id"], now=START)
        assert not repository.add_dismissal(
            db, member_id=ana["id"], dismissed_id=beto["id"], now=START
        )
    with database.unit_of_work() as db:
        assert repository.dismissed_ids(db, member_id=ana["id"]) == {beto["id"]}
        assert repository.dismissed_ids(db, member_id=beto["id"]) == set()
        assert repository.delete_dismissal(db, member_id=ana["id"], dismissed_id=beto["id"])
        assert not repository.delete_dismissal(db, member_id=ana["id"], dismissed_id=beto["id"])
    with database.unit_of_work(write=False) as db:
        assert repository.dismissed_ids(db, member_id=ana["id"]) == set()


def test_careers_sectors_and_locations_are_read_for_the_ranking(
    client: TestClient, database: Database
) -> None:
    ana, headers = member_with_token(client, name="Ana")
    profile = {"sector": "Logística", "location": "Zaragoza"}
    assert client.patch("/api/v1/members/me", json=profile, headers=headers).status_code == 200
    position = {"organization": "Acme", "title": "Analista", "start": "2019", "end": "2021-06"}
    study = {"school": "Universidad de Zaragoza", "degree": "Economía", "start": "2012"}
    assert client.post("/api/v1/members/me/positions", json=position, headers=headers).is_success
    assert client.post("/api/v1/members/me/education", json=study, headers=headers).is_success
    with database.unit_of_work(write=False, consistent=True) as db:
        found = list(repository.affiliations(db, member_id=ana["id"]))
        rows = list(repository.sectors_and_locations(db, member_id=ana["id"]))
        names = repository.place_names(
            db,
            organization_ids=[a.place_id for a in found if a.kind == "organization"],
            school_ids=[a.place_id for a in found if a.kind == "school"],
        )
    assert sorted((a.kind, a.start, a.end) for a in found) == [
        ("organization", 2019, 2021),
        ("school", 2012, None),
    ]
    assert sorted(names.values()) == ["Acme", "Universidad de Zaragoza"]
    assert rows == [(ana["id"], "Logística", "Zaragoza")]
