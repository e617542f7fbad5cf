"""My account as a whole, through the API and the pages: exporting my data, closing the account,
reopening it by logging in within the grace period, erasing it after (ADR 0016), and closing
racing the actions of others, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    PASSWORD,
    Browser,
    Person,
    act,
    bearer,
    change_settings,
    connect_people,
    connections,
    fields_of,
    invitations_in,
    invite,
    notifications,
    page_text,
    people,
    problem_of,
    register,
    serving_database,
    statuses,
)
from tests.test_races import Call, assert_log_agrees, outcomes, race
from tests.test_round_trips import statements
from tests.test_two_factor import Member as TwoFactorMember
from tests.test_two_factor import code_of
from vinculo import clock
from vinculo.account.models import ClosedAccountConnection
from vinculo.db import Database
from vinculo.identity.models import AuthSession, Member
from vinculo.invitations.models import Invitation
from vinculo.mail.models import OutboxMail
from vinculo.network.models import Connection
from vinculo.security.models import SecurityEvent
from vinculo.settings import get_settings
from vinculo.worker import Worker

EXPORT = "/api/v1/members/me/export"
ME = "/api/v1/members/me"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def close(client: TestClient, person: Person, password: str = PASSWORD) -> Any:
    return client.request("DELETE", ME, json={"password": password}, headers=person.headers)


def closing(person: Person) -> Call:
    return lambda racer: close(racer, person)


def accepting(person: Person, invitation_id: int) -> Call:
    return lambda racer: act(racer, person, invitation_id, "accept")


def log_in(client: TestClient, person: Person) -> Person:
    """The same member with a new token (logging in, which reopens a closed account)."""
    response = client.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Person(person.id, person.name, person.email, bearer(response.json()["access_token"]))


def degree(client: TestClient, viewer: Person, member: Person) -> Any:
    found = client.get(f"/api/v1/members/{member.id}", headers=viewer.headers)
    assert found.status_code == 200, found.text
    return found.json()["degree"]


def search(client: TestClient, viewer: Person, words: str) -> list[int]:
    found = client.get("/api/v1/members", params={"q": words}, headers=viewer.headers)
    assert found.status_code == 200, found.text
    return [item["id"] for item in found.json()["items"]]


def archive_of(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(response.content))


def rows_of(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    """A list of the export, read from its JSON file, after checking its CSV file agrees."""
    listed: list[dict[str, Any]] = json.loads(archive.read(f"{name}.json"))
    from_csv = list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode())))
    assert len(from_csv) == len(listed), name
    for csv_row, json_row in zip(from_csv, listed, strict=True):
        assert list(csv_row) == list(json_row), name
    return listed


def count(database: Database, model: Any, *where: Any) -> int:
    with database.unit_of_work(write=False) as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# Export


def test_the_export_holds_my_data_with_my_tier_and_note_only(client: TestClient) -> None:
    ana, beto, carla, dora, eva = people(
        client, "Ana Ruiz", "Beto Gil", "Carla Paz", "Dora Sanz", "Eva Luna"
    )
    client.patch(ME, json={"headline": "Ingeniera de datos"}, headers=ana.headers)
    added = client.post(
        f"{ME}/positions",
        json={"title": "Analista", "organization": "Acme", "start": "2020"},
        headers=ana.headers,
    )
    assert added.status_code == 201, added.text
    connect_people(client, ana, beto)
    client.patch(
        f"/api/v1/connections/{beto.id}",
        json={"tier": "close", "note": "=met at the conference"},
        headers=ana.headers,
    )
    client.patch(
        f"/api/v1/connections/{ana.id}",
        json={"tier": "occasional", "note": "Beto's private note"},
        headers=beto.headers,
    )
    invite(client, carla, to=ana, note="Hola")
    ignored = invite(client, ana, to=eva)
    assert act(client, eva, ignored["id"], "ignore").status_code == 200
    # Dora blocks Ana: nothing of Dora shows in Ana's export. Ana blocks Eva: only in her blocks.
    invite(client, dora, to=ana)
    assert client.post(BLOCKS, json={"member": ana.id}, headers=dora.headers).status_code == 201
    assert client.post(BLOCKS, json={"member": eva.id}, headers=ana.headers).status_code == 201
    change_settings(client, ana, who_can_invite="email")

    archive = archive_of(client.get(EXPORT, headers=ana.headers))

    names = set(archive.namelist())
    assert {"README.txt", "profile.json", "settings.json"} <= names
    for kind in (
        "positions",
        "education",
        "connections",
        "invitations",
        "introductions",
        "notifications",
        "blocks",
        "security_events",
        "sessions",
    ):
        assert {f"{kind}.json", f"{kind}.csv"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert (profile["id"], profile["email"], profile["headline"]) == (
        ana.id,
        ana.email,
        "Ingeniera de datos",
    )
    assert json.loads(archive.read("settings.json"))["who_can_invite"] == "email"
    assert [row["organization"] for row in rows_of(archive, "positions")] == ["Acme"]
    assert rows_of(archive, "education") == []
    assert archive.read("education.csv").decode().startswith("id,school,degree")
    assert [
        (row["member_id"], row["my_tier"], row["my_note"])
        for row in rows_of(archive, "connections")
    ] == [(beto.id, "close", "=met at the conference")]
    # In the CSV, a note that looks like a formula is not one.
    assert "'=met at the conference" in archive.read("connections.csv").decode()
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "Beto's private note" not in everything
    assert "occasional" not in everything
    invitations = {row["member_id"]: row for row in rows_of(archive, "invitations")}
    assert set(invitations) == {beto.id, carla.id}, "Eva is blocked by me and Dora blocked me"
    assert (invitations[carla.id]["direction"], invitations[carla.id]["note"]) == (
        "received",
        "Hola",
    )
    assert [row["member_id"] for row in rows_of(archive, "blocks")] == [eva.id]
    assert "Dora Sanz" not in everything
    assert str(dora.id) not in [
        str(row["about_member_id"]) for row in rows_of(archive, "notifications")
    ]
    kinds = [row["kind"] for row in rows_of(archive, "security_events")]
    assert "login" in kinds
    assert "member_blocked" in kinds
    sessions = rows_of(archive, "sessions")
    assert sessions
    assert "token_hash" not in sessions[0]
    # The mail written to her, without its text, whose links may still work.
    mails = [row["kind"] for row in rows_of(archive, "mails")]
    assert mails[0] == "confirm_email"
    assert "invitation_received" in mails
    assert "confirm-email?token=" not in everything
    assert json.loads(archive.read("settings.json"))["emails"]["invitation_received"] == (
        "immediately"
    )
    assert profile["photo"] is None
    assert "photo.webp" not in names


def test_the_export_holds_my_photo(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    image = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(image, format="PNG")
    put = client.put(
        f"{ME}/photo",
        content=image.getvalue(),
        headers={**ana.headers, "Content-Type": "image/png"},
    )
    assert put.status_code == 200, put.text
    archive = archive_of(client.get(EXPORT, headers=ana.headers))
    assert json.loads(archive.read("profile.json"))["photo"] == "photo.webp"
    with Image.open(io.BytesIO(archive.read("photo.webp"))) as photo:
        assert (photo.format, photo.size) == ("WEBP", (256, 256))


def test_an_ignored_invitation_looks_pending_in_its_senders_export(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    sent = invite(client, ana, to=beto)
    assert act(client, beto, sent["id"], "report").status_code == 200

    (mine,) = rows_of(archive_of(client.get(EXPORT, headers=ana.headers)), "invitations")
    (theirs,) = rows_of(archive_of(client.get(EXPORT, headers=beto.headers)), "invitations")

    assert (mine["direction"], mine["status"], mine["closed_at"], mine["reported_by_me"]) == (
        "sent",
        "pending",
        None,
        None,
    )
    assert (theirs["direction"], theirs["status"], theirs["reported_by_me"]) == (
        "received",
        "ignored",
        True,
    )


def test_the_export_needs_a_token(client: TestClient) -> None:
    problem_of(client.get(EXPORT), 401)


def test_the_settings_page_downloads_my_data(client: TestClient, ana: Browser) -> None:
    settings = ana.page("/settings")
    assert "Download my data" in settings
    assert "Close my account" in settings

    archive = archive_of(client.get("/settings/my-data"))

    assert json.loads(archive.read("profile.json"))["email"] == ana.email


# Closing


def test_closing_hides_the_member_and_ends_everything_at_once(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla, dora, eva = people(
        client, "Ana Ruiz", "Beto Gil", "Carla Paz", "Dora Sanz", "Eva Luna"
    )
    connect_people(client, ana, beto)
    connect_people(client, ana, carla)
    invite(client, ana, to=dora)
    assert [actor for _, actor, _ in notifications(client, dora)] == [ana.id]
    invite(client, eva, to=ana)
    assert degree(client, beto, carla) == 2
    second_token = log_in(client, ana)

    closed = close(client, ana)

    assert closed.status_code == 202, closed.text
    body = closed.json()
    erase_after = datetime.fromisoformat(body["erase_after"])
    closed_at = datetime.fromisoformat(body["closed_at"])
    assert erase_after - closed_at == timedelta(days=get_settings().account_erase_days)
    # Logged out everywhere.
    for person in (ana, second_token):
        problem_of(client.get(ME, headers=person.headers), 401)
    assert count(database, AuthSession, AuthSession.member_id == ana.id) == 0
    # Invisible: the same 404 as a member who does not exist, and in no search or list.
    for other in (beto, dora, eva):
        problem_of(
            client.get(f"/api/v1/members/{ana.id}", headers=other.headers),
            404,
            slug="member-not-found",
        )
        assert ana.id not in search(client, other, "Ana Ruiz")
    # Connections gone, on both sides and from the graph index: Beto and Carla no longer meet
    # through Ana.
    assert connections(client, beto) == []
    assert degree(client, beto, carla) is None
    assert (
        count(database, Connection, (Connection.low_id == ana.id) | (Connection.high_id == ana.id))
        == 0
    )
    assert_log_agrees(database)
    # Invitations withdrawn both ways, and what Dora was told of Ana's is gone with her.
    assert statuses(client, dora, "received") == []
    assert all(actor != ana.id for _, actor, _ in notifications(client, dora))
    assert invitations_in(client, eva, "sent") == []
    with database.unit_of_work(write=False) as db:
        assert sorted(
            (row.sender_id, row.recipient_id, str(row.status))
            for row in db.scalars(
                select(Invitation).where(
                    (Invitation.sender_id == ana.id) | (Invitation.recipient_id == ana.id)
                )
            )
        ) == sorted(
            [
                (ana.id, beto.id, "accepted"),
                (ana.id, carla.id, "accepted"),
                (ana.id, dora.id, "withdrawn"),
                (eva.id, ana.id, "withdrawn"),
            ]
        )
        events = list(
            db.scalars(select(SecurityEvent.kind).where(SecurityEvent.member_id == ana.id))
        )
    assert "account_closed" in events
    # A new invitation to the closed member finds nobody.
    problem_of(client.post("/api/v1/invitations", json={"to": ana.id}, headers=dora.headers), 404)


def test_a_wrong_password_closes_nothing(client: TestClient, database: Database) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    connect_people(client, ana, beto)

    refused = close(client, ana, password="not my password")

    assert fields_of(problem_of(refused, 422, slug="wrong-password-or-code")) == ["password"]
    assert client.get(ME, headers=ana.headers).status_code == 200
    assert degree(client, beto, ana) == 1
    assert count(database, Member, Member.closed_at.is_not(None)) == 0
    with database.unit_of_work(write=False) as db:
        kinds = list(
            db.scalars(select(SecurityEvent.kind).where(SecurityEvent.member_id == ana.id))
        )
    assert "login_failed" in kinds
    assert "account_closed" not in kinds


@pytest.mark.parametrize(
    "body", [{}, {"password": ""}, {"password": PASSWORD, "code": "123456"}, {"password": 1}]
)
def test_closing_refuses_invalid_input(client: TestClient, body: dict[str, Any]) -> None:
    (ana,) = people(client, "Ana Ruiz")
    refused = client.request("DELETE", ME, json=body, headers=ana.headers)
    problem_of(refused, 422, slug="invalid-input")
    assert client.get(ME, headers=ana.headers).status_code == 200


def test_closing_from_the_settings_page(
    client: TestClient, ana: Browser, database: Database
) -> None:
    refused = ana.post("/settings/close-account", {"password": "wrong"}, form_page="/settings")
    assert refused.status_code == 422
    assert "The password is not right." in page_text(refused.text)

    closed = ana.post("/settings/close-account", {"password": PASSWORD}, form_page="/settings")

    assert closed.status_code == 303
    assert closed.headers["location"] == "/account-closed"
    page = client.get("/account-closed")
    assert "Your account is closed" in page_text(page.text)
    assert "14 days" in page_text(page.text)
    assert client.get("/settings", follow_redirects=False).status_code in (303, 307, 401)
    assert count(database, Member, Member.id == ana.id, Member.closed_at.is_not(None)) == 1


# Reopening and erasing


def test_logging_in_within_the_grace_period_reopens_with_the_connections(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla, dora = people(client, "Ana Ruiz", "Beto Gil", "Carla Paz", "Dora Sanz")
    connect_people(client, ana, beto)
    connect_people(client, ana, carla)
    connect_people(client, ana, dora)
    client.patch(
        f"/api/v1/connections/{ana.id}",
        json={"tier": "close", "note": "Ana!"},
        headers=beto.headers,
    )
    assert close(client, ana).status_code == 202
    # Meanwhile Carla closes her own account: that connection is not restored.
    assert close(client, carla).status_code == 202

    ana = log_in(client, ana)

    assert client.get(ME, headers=ana.headers).status_code == 200
    assert ana.id in search(client, beto, "Ana Ruiz")
    assert degree(client, beto, ana) == 1
    assert degree(client, dora, ana) == 1
    # Beto's own tier and note came back with the connection.
    (restored,) = [row for row in connections(client, beto) if row["id"] == ana.id]
    assert (restored["tier"], restored["note"]) == ("close", "Ana!")
    # Not with Carla, who closed hers since.
    assert sorted(row["id"] for row in connections(client, ana)) == sorted([beto.id, dora.id])
    assert (
        count(database, ClosedAccountConnection, ClosedAccountConnection.member_id == ana.id) == 0
    )
    assert_log_agrees(database)


def test_the_login_page_reopens_and_says_so(client: TestClient, database: Database) -> None:
    browser = Browser(client, name="Ana Ruiz")
    closed = browser.post("/settings/close-account", {"password": PASSWORD}, form_page="/settings")
    assert closed.status_code == 303

    form = client.get("/login")
    logged_in = client.post(
        "/login",
        data={
            "csrf_token": form.text.split('name="csrf_token" value="')[1].split('"')[0],
            "email": browser.email,
            "password": PASSWORD,
        },
        follow_redirects=False,
    )

    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == "/settings?saved=reopened"
    assert "logging in reopened it" in browser.page("/settings?saved=reopened")
    assert count(database, Member, Member.closed_at.is_not(None)) == 0


def test_after_the_grace_period_the_account_is_erased(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    with clock.frozen(START) as frozen:
        ana, beto = people(client, "Ana Ruiz", "Beto Gil")
        connect_people(client, ana, beto)
        invite(client, ana, to=people(client, "Carla Paz")[0])
        assert close(client, ana).status_code == 202
        worker = Worker(database, get_settings())

        frozen.advance(14 * DAY - timedelta(seconds=1))
        assert worker.run_once().erased == 0
        frozen.advance(timedelta(seconds=2))
        # Past the grace period, logging in no longer reopens, even before the worker ran.
        refused = client.post("/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD})
        problem_of(refused, 401)

        assert worker.run_once().erased == 1

        assert count(database, Member, Member.id == ana.id) == 0
        assert count(database, Invitation, Invitation.sender_id == ana.id) == 0
        assert count(database, SecurityEvent, SecurityEvent.member_id == ana.id) == 0
        assert count(database, ClosedAccountConnection) == 0
        assert count(database, OutboxMail, OutboxMail.to_address == ana.email) == 0
        # Beto's network is as it was without her; the email is free again.
        beto = log_in(client, beto)
        assert connections(client, beto) == []
        again = register(client, name="Ana Ruiz", email=ana.email)
        assert again["id"] != ana.id
        assert_log_agrees(database)


# Races


def test_two_closes_at_once_close_once(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    for _ in range(4):
        ana, beto = people(client, "Ana Ruiz", "Beto Gil")
        connect_people(client, ana, beto)
        responses = race(app, [closing(ana), closing(ana)])

        first, second = outcomes(responses)
        assert first == (202, "")
        assert second in {(401, "not-authenticated"), (409, "account-closed")}
        with database.unit_of_work(write=False) as db:
            assert (
                db.scalar(
                    select(func.count())
                    .select_from(SecurityEvent)
                    .where(
                        SecurityEvent.member_id == ana.id, SecurityEvent.kind == "account_closed"
                    )
                )
                == 1
            )
            kept = db.scalar(
                select(func.count())
                .select_from(ClosedAccountConnection)
                .where(ClosedAccountConnection.member_id == ana.id)
            )
        assert kept == 1
    assert_log_agrees(database)


def test_closing_while_an_invitation_is_accepted_leaves_no_connection(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """Ana closes her account while Beto accepts her invitation: whichever comes first, Ana ends
    with no connection, and the kept connections are exactly the ones that ended."""
    for _ in range(6):
        ana, beto = people(client, "Ana Ruiz", "Beto Gil")
        invitation = invite(client, ana, to=beto)
        responses = race(app, [closing(ana), accepting(beto, invitation["id"])])

        closed, accepted = responses
        assert closed.status_code == 202, closed.text
        assert accepted.status_code in (200, 404, 409), accepted.text
        low, high = sorted((ana.id, beto.id))
        assert (
            count(database, Connection, Connection.low_id == low, Connection.high_id == high) == 0
        )
        kept = count(database, ClosedAccountConnection, ClosedAccountConnection.member_id == ana.id)
        # Accepted first: the connection was made, then ended and kept; else never made.
        assert kept == (1 if accepted.status_code == 200 else 0)
        assert all(item["status"] != "pending" for item in invitations_in(client, beto, "received"))
    assert_log_agrees(database)


def test_with_two_factor_sign_in_the_password_closes_and_reopening_asks_for_a_code(
    client: TestClient,
) -> None:
    # Stopped 10 s into a 30-second step, so that a code stays current until the clock moves.
    start = datetime.now(UTC).replace(microsecond=0)
    with clock.frozen(start - timedelta(seconds=start.second % 30 - 10)) as frozen:
        member = TwoFactorMember(client)
        member.turn_on()
        frozen.advance(timedelta(seconds=30))
        close_and_reopen_with_a_code(client, member)


def close_and_reopen_with_a_code(client: TestClient, member: TwoFactorMember) -> None:
    person = Person(0, "Ana", member.email, member.headers)

    assert close(client, person).status_code == 202

    problem_of(member.log_in(), 401, slug="second-factor-required")
    reopened = member.log_in(code=code_of(member.secret))
    assert reopened.status_code == 200, reopened.text
    assert client.get(ME, headers=bearer(reopened.json()["access_token"])).status_code == 200


def test_the_export_makes_as_many_round_trips_however_much_data(
    client: TestClient, database: Database
) -> None:
    def export_statements(person: Person) -> int:
        with statements(serving_database(client, database)) as sent:
            archive_of(client.get(EXPORT, headers=person.headers))
        return len(sent)

    ana, beto, carla, dora = people(client, "Ana Ruiz", "Beto Gil", "Carla Paz", "Dora Sanz")
    connect_people(client, ana, beto)
    few = export_statements(ana)
    for other in (carla, dora):
        connect_people(client, ana, other)
        invite(client, other, to=people(client, "Eva Luna")[0])
        client.post(
            f"{ME}/positions",
            json={"title": "Analista", "organization": other.name, "start": "2020"},
            headers=ana.headers,
        )
    client.post(BLOCKS, json={"member": people(client, "Fede Ros")[0].id}, headers=ana.headers)

    assert export_statements(ana) == few
    assert 0 < few <= 16
