"""The invitation life cycle, connections, private tiers and notes, blocks, privacy settings and
notifications through the JSON API: every refusal is an RFC 9457 problem, and leaves nothing
half-written behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import bearer, fields_of, new_email, problem_of, register, token_for
from vinculo.db import Database
from vinculo.invitations.models import NOTE_MAX, Invitation
from vinculo.network.models import CONNECTION_NOTE_MAX, Connection
from vinculo.pagination import encode_cursor

INVITATIONS = "/api/v1/invitations"
NOTIFICATIONS = "/api/v1/notifications"
BLOCKS = "/api/v1/blocks"
SETTINGS = "/api/v1/network/settings"
MISSING = 999_999


@dataclass(frozen=True)
class Person:
    """A registered member and the headers that act as them."""

    id: int
    name: str
    email: str
    headers: dict[str, str]


def _people(client: TestClient, *names: str) -> list[Person]:
    people = []
    for name in names:
        email = new_email()
        member = register(client, name=name, email=email)
        people.append(Person(member["id"], name, email, bearer(token_for(client, email))))
    return people


def _invite(client: TestClient, sender: Person, to: Person, **body: Any) -> dict[str, Any]:
    sent = client.post(INVITATIONS, json={"to": to.id, **body}, headers=sender.headers)
    assert sent.status_code == 201, sent.text
    invitation: dict[str, Any] = sent.json()
    return invitation


def _act(client: TestClient, person: Person, invitation_id: int | str, action: str) -> Any:
    return client.post(f"{INVITATIONS}/{invitation_id}/{action}", headers=person.headers)


def _connect(client: TestClient, a: Person, b: Person) -> None:
    invitation = _invite(client, a, b)
    accepted = _act(client, b, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text


def _box(client: TestClient, person: Person, box: str) -> list[dict[str, Any]]:
    """Every invitation in one of the member's boxes, as they see them."""
    listed = client.get(INVITATIONS, params={"box": box, "limit": 100}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _statuses(client: TestClient, person: Person, box: str) -> list[tuple[int, int, str]]:
    """(from, to, status) of each invitation in one of the member's boxes, newest first."""
    return [(item["from"], item["to"], item["status"]) for item in _box(client, person, box)]


def _seen(client: TestClient, person: Person, invitation_id: int) -> str:
    """The status of one invitation as this member sees it."""
    found = client.get(f"{INVITATIONS}/{invitation_id}", headers=person.headers)
    assert found.status_code == 200, found.text
    status: str = found.json()["status"]
    return status


def _connections(
    client: TestClient, person: Person, *, of: Person | None = None, **params: Any
) -> list[dict[str, Any]]:
    member_id = (of or person).id
    listed = client.get(
        f"/api/v1/members/{member_id}/connections",
        params={"limit": 100, **params},
        headers=person.headers,
    )
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _connection_ids(client: TestClient, person: Person) -> list[int]:
    return [item["id"] for item in _connections(client, person)]


def _notifications(client: TestClient, person: Person) -> list[tuple[str, int, int | None]]:
    """(kind, actor, invitation) of each of the member's notifications, newest first."""
    listed = client.get(NOTIFICATIONS, params={"limit": 100}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    return [
        (item["kind"], item["actor"]["id"], item["invitation_id"])
        for item in listed.json()["items"]
    ]


def _rows(database: Database) -> tuple[int, int]:
    """How many invitations and connections the database holds."""
    with database.unit_of_work(write=False) as db:
        invitations = db.scalar(select(func.count()).select_from(Invitation)) or 0
        connections = db.scalar(select(func.count()).select_from(Connection)) or 0
    return invitations, connections


def _nothing_between(client: TestClient, a: Person, b: Person) -> None:
    """Neither member has an invitation from or to the other, nor a connection with them."""
    for person, other in ((a, b), (b, a)):
        for box in ("received", "sent"):
            assert all(
                other.id not in (item["from"], item["to"]) for item in _box(client, person, box)
            ), (person.name, box)
        assert other.id not in _connection_ids(client, person)
        assert all(actor != other.id for _, actor, _ in _notifications(client, person))


# Sending


def test_an_invitation_with_a_note_is_sent(client: TestClient) -> None:
    """The invitation comes back with its fields; both members find it, the recipient with what they
    share and a notification."""
    ana, beto = _people(client, "Ana Ruiz", "Beto Gil")
    sent = client.post(
        INVITATIONS,
        json={"to": beto.id, "note": "  Trabajamos juntos en Acme.  "},
        headers=ana.headers,
    )
    assert sent.status_code == 201, sent.text
    invitation = sent.json()
    assert invitation["from"] == ana.id
    assert invitation["to"] == beto.id
    assert invitation["note"] == "Trabajamos juntos en Acme."
    assert invitation["status"] == "pending"
    created = datetime.fromisoformat(invitation["created_at"])
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert expires - created == timedelta(days=14)
    assert (invitation["sender"]["id"], invitation["sender"]["degree"]) == (ana.id, 0)
    assert (invitation["recipient"]["id"], invitation["recipient"]["name"]) == (beto.id, "Beto Gil")
    assert invitation["recipient"]["degree"] is None

    # Both see it; the recipient with what the two share.
    assert _box(client, ana, "sent") == [invitation]
    received = _box(client, beto, "received")
    assert [item["id"] for item in received] == [invitation["id"]]
    assert received[0]["status"] == "pending"
    assert received[0]["note"] == "Trabajamos juntos en Acme."
    assert received[0]["link"] == {
        "mutual_connections": 0,
        "mutual_sample": [],
        "shared_places": [],
    }
    assert _box(client, beto, "sent") == []
    assert _box(client, ana, "received") == []
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert _seen(client, beto, invitation["id"]) == "pending"
    assert _notifications(client, beto) == [("invitation_received", ana.id, invitation["id"])]
    assert _notifications(client, ana) == []

    # A note may be left out, or as long as the limit, which counts characters, not bytes.
    carla, dani = _people(client, "Carla", "Dani")
    assert _invite(client, ana, carla)["note"] == ""
    assert _invite(client, ana, dani, note="ñ" * NOTE_MAX)["note"] == "ñ" * NOTE_MAX


# Bodies an invitation is refused for, and the field each names.
BAD_INVITATIONS: list[tuple[dict[str, Any], str]] = [
    ({"note": "x" * (NOTE_MAX + 1)}, "note"),
    ({"note": "ñ" * (NOTE_MAX + 1)}, "note"),
    ({"note": None}, "note"),
    ({"note": 42}, "note"),
    ({"note": "Hola\x00"}, "note"),
    ({"nickname": "Anita"}, "nickname"),
    ({"to": None}, "to"),
    ({"to": "beto"}, "to"),
    ({"to": 0}, "to"),
    ({"to": 2**63}, "to"),
    ({"email": 42}, "email"),
]


def test_an_invalid_invitation_is_refused_naming_its_field(
    client: TestClient, database: Database
) -> None:
    """Each bad body is a 422 naming its field, and writes nothing."""
    ana, beto = _people(client, "Ana", "Beto")
    for body, field in BAD_INVITATIONS:
        refused = client.post(INVITATIONS, json={"to": beto.id, **body}, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    _nothing_between(client, ana, beto)
    assert _rows(database) == (0, 0)


def test_spaces_around_a_note_do_not_count_towards_its_length(client: TestClient) -> None:
    """A note is trimmed before its length is checked, so a full note pasted with a newline
    after it is taken; the same holds for a connection's private note."""
    ana, beto = _people(client, "Ana", "Beto")
    note = "x" * 300
    invitation = _invite(client, ana, beto, note=f"  {note}\n")
    assert invitation["note"] == note
    accepted = _act(client, beto, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    private = "y" * 2000
    updated = client.patch(
        f"/api/v1/connections/{beto.id}", json={"note": f"\n{private} "}, headers=ana.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["note"] == private


def test_an_invitation_to_nobody_or_to_yourself_is_refused(
    client: TestClient, database: Database
) -> None:
    """No recipient or yourself is invalid input; an unknown member is a 404."""
    (ana,) = _people(client, "Ana")
    missing = client.post(INVITATIONS, json={"note": "Hola"}, headers=ana.headers)
    assert fields_of(problem_of(missing, 422, slug="invalid-input")) == ["to"]
    yourself = client.post(INVITATIONS, json={"to": ana.id}, headers=ana.headers)
    assert fields_of(problem_of(yourself, 422, slug="invalid-input")) == ["to"]
    for member_id in (MISSING, 2**63 - 1):
        refused = client.post(INVITATIONS, json={"to": member_id}, headers=ana.headers)
        problem_of(refused, 404, slug="member-not-found")
    assert _box(client, ana, "sent") == []
    assert _box(client, ana, "received") == []
    assert _notifications(client, ana) == []
    assert _rows(database) == (0, 0)


def test_inviting_a_connection_is_a_conflict_either_way(
    client: TestClient, database: Database
) -> None:
    """Connected members cannot invite each other again, in either direction."""
    ana, beto = _people(client, "Ana", "Beto")
    _connect(client, ana, beto)
    before = _rows(database)
    for sender, to in ((ana, beto), (beto, ana)):
        refused = client.post(INVITATIONS, json={"to": to.id}, headers=sender.headers)
        problem_of(refused, 409, slug="already-connected")
    assert _rows(database) == before == (1, 1)
    assert _statuses(client, ana, "sent") == [(ana.id, beto.id, "accepted")]
    assert _statuses(client, beto, "sent") == []
    assert _box(client, beto, "received") == []


def test_a_second_invitation_to_the_same_member_is_a_conflict(
    client: TestClient, database: Database
) -> None:
    """While an invitation is pending, the same sender cannot send another."""
    ana, beto = _people(client, "Ana", "Beto")
    first = _invite(client, ana, beto, note="Hola")
    refused = client.post(
        INVITATIONS, json={"to": beto.id, "note": "Otra vez"}, headers=ana.headers
    )
    problem_of(refused, 409, slug="already-invited")
    assert _box(client, ana, "sent") == [first]
    assert [item["id"] for item in _box(client, beto, "received")] == [first["id"]]
    assert _notifications(client, beto) == [("invitation_received", ana.id, first["id"])]
    assert _rows(database) == (1, 0)


@pytest.mark.parametrize("blocker", ["sender", "recipient"])
def test_a_block_either_way_makes_an_invitation_look_like_one_to_nobody(
    client: TestClient, database: Database, blocker: str
) -> None:
    """Inviting across a block gets the very 404 of a member who does not exist."""
    ana, beto = _people(client, "Ana", "Beto")
    by, of = (ana, beto) if blocker == "sender" else (beto, ana)
    assert client.post(BLOCKS, json={"member": of.id}, headers=by.headers).status_code == 201

    refused = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    nobody = client.post(INVITATIONS, json={"to": MISSING}, headers=ana.headers)
    assert problem_of(refused, 404, slug="member-not-found") == problem_of(nobody, 404)
    assert refused.headers["content-type"] == nobody.headers["content-type"]
    _nothing_between(client, ana, beto)
    assert _rows(database) == (0, 0)


# Who can invite me


def _set(client: TestClient, person: Person, **settings: str) -> None:
    changed = client.patch(SETTINGS, json=settings, headers=person.headers)
    assert changed.status_code == 200, changed.text


def test_network_settings_start_open_and_change_one_at_a_time(client: TestClient) -> None:
    """Anyone may invite and connections see the list, until the member says otherwise."""
    (ana,) = _people(client, "Ana")
    defaults = {"who_can_invite": "anyone", "connections_visible_to": "connections"}
    assert client.get(SETTINGS, headers=ana.headers).json() == defaults
    changed = client.patch(SETTINGS, json={"who_can_invite": "link"}, headers=ana.headers)
    assert changed.json() == {**defaults, "who_can_invite": "link"}
    client.patch(SETTINGS, json={"connections_visible_to": "only_me"}, headers=ana.headers)
    assert client.get(SETTINGS, headers=ana.headers).json() == {
        "who_can_invite": "link",
        "connections_visible_to": "only_me",
    }


def test_a_bad_setting_is_refused_naming_its_field(client: TestClient) -> None:
    """An unknown choice, a null or an unknown field is a 422 and changes nothing."""
    (ana,) = _people(client, "Ana")
    _set(client, ana, who_can_invite="link")
    before = client.get(SETTINGS, headers=ana.headers).json()
    for body, field in [
        ({"who_can_invite": "everyone"}, "who_can_invite"),
        ({"who_can_invite": None}, "who_can_invite"),
        ({"connections_visible_to": "friends"}, "connections_visible_to"),
        ({"connections_visible_to": None}, "connections_visible_to"),
        ({"tier": "close"}, "tier"),
    ]:
        refused = client.patch(SETTINGS, json=body, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    assert client.get(SETTINGS, headers=ana.headers).json() == before


def test_members_with_a_link_only_refuse_strangers(client: TestClient) -> None:
    """With "members with a link", a mutual connection or the same organization in overlapping
    years passes; a stranger gets a 403 unless they type the email."""
    ana, beto, carla, dani, eva = _people(client, "Ana", "Beto", "Carla", "Dani", "Eva")
    _set(client, ana, who_can_invite="link")
    refused = client.post(INVITATIONS, json={"to": ana.id}, headers=beto.headers)
    problem_of(refused, 403, slug="not-invitable")
    _nothing_between(client, ana, beto)

    # A mutual connection is a link.
    _connect(client, ana, carla)
    _connect(client, carla, beto)
    assert _invite(client, beto, ana)["status"] == "pending"

    # So is the same organization in overlapping years; years apart are not.
    for person, start, end in ((ana, "2015", "2019-06"), (dani, "2019-02", None)):
        position = {"organization": "Acme", "title": "Ingeniería", "start": start, "end": end}
        added = client.post("/api/v1/members/me/positions", json=position, headers=person.headers)
        assert added.status_code == 201, added.text
    client.post(
        "/api/v1/members/me/positions",
        json={"organization": "Acme", "title": "Becaria", "start": "2005", "end": "2008"},
        headers=eva.headers,
    )
    from_dani = _invite(client, dani, ana)
    shown = client.get(f"{INVITATIONS}/{from_dani['id']}", headers=ana.headers).json()
    assert [
        (place["kind"], place["name"], place["start_year"], place["other_start_year"])
        for place in shown["link"]["shared_places"]
    ] == [("organization", "Acme", 2015, 2019)]
    problem_of(
        client.post(INVITATIONS, json={"to": ana.id}, headers=eva.headers),
        403,
        slug="not-invitable",
    )
    # Knowing the email passes the rule.
    assert _invite(client, eva, ana, email=ana.email)["status"] == "pending"


def test_members_who_want_their_email_refuse_everyone_without_it(
    client: TestClient, database: Database
) -> None:
    """With "only members who know my email", nothing but the right email passes, in any case
    and spacing."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    _set(client, ana, who_can_invite="email")
    # Even a member with a link needs the email.
    _connect(client, ana, carla)
    _connect(client, carla, beto)
    before = _rows(database)
    for body in ({}, {"email": beto.email}, {"email": "ana@elsewhere.example"}, {"email": ""}):
        refused = client.post(INVITATIONS, json={"to": ana.id, **body}, headers=beto.headers)
        problem_of(refused, 403, slug="not-invitable")
    assert _rows(database) == before
    _nothing_between(client, ana, beto)

    typed = f"  {ana.email.upper()} "
    invitation = _invite(client, beto, ana, email=typed, note="Carla me habló de ti")
    assert invitation["status"] == "pending"
    assert "email" not in invitation
    assert [item["id"] for item in _box(client, ana, "received")] == [invitation["id"]]


def test_a_sender_reported_five_times_may_invite_only_members_with_a_link(
    client: TestClient, database: Database
) -> None:
    """Five "I don't know this person" reports restrict the sender to linked members or typed
    emails."""
    ana, beto, carla, dani, *others = _people(
        client, "Ana", "Beto", "Carla", "Dani", "E", "F", "G", "H", "I"
    )
    for other in others:
        invitation = _invite(client, ana, other)
        reported = _act(client, other, invitation["id"], "report")
        assert reported.status_code == 200, reported.text
    before = _rows(database)
    refused = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    problem_of(refused, 403, slug="restricted-sender")
    _nothing_between(client, ana, beto)
    assert _rows(database) == before
    # Typing the member's email passes the restriction; so does a mutual connection.
    assert _invite(client, ana, beto, email=beto.email)["status"] == "pending"
    _connect(client, carla, ana)
    _connect(client, carla, dani)
    assert _invite(client, ana, dani)["status"] == "pending"


# Accepting


def test_accepting_connects_both_and_tells_the_sender(client: TestClient) -> None:
    """Accepting connects the two at once, for both, and notifies the sender."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    _connect(client, carla, ana)
    invitation = _invite(client, ana, beto, note="Hola")
    accepted = _act(client, beto, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["id"], body["from"], body["to"]) == (invitation["id"], ana.id, beto.id)
    assert body["status"] == "accepted"
    # As the recipient sees them now: connected.
    assert (body["sender"]["degree"], body["recipient"]["degree"]) == (1, 0)

    assert _connection_ids(client, ana) == [beto.id, carla.id]
    assert _connection_ids(client, beto) == [ana.id]
    connection = client.get(f"/api/v1/connections/{ana.id}", headers=beto.headers)
    assert connection.status_code == 200, connection.text
    assert (connection.json()["id"], connection.json()["degree"]) == (ana.id, 1)
    assert (connection.json()["tier"], connection.json()["note"]) == ("regular", "")
    assert client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).json()["degree"] == 1
    mutual = client.get(f"/api/v1/members/{beto.id}/mutual-connections", headers=carla.headers)
    assert mutual.json()["count"] == 1
    assert [member["id"] for member in mutual.json()["items"]] == [ana.id]
    assert client.get(f"/api/v1/members/{beto.id}", headers=carla.headers).json()["degree"] == 2

    assert _seen(client, ana, invitation["id"]) == "accepted"
    assert _seen(client, beto, invitation["id"]) == "accepted"
    assert _box(client, beto, "received") == []
    assert _notifications(client, ana)[0] == ("invitation_accepted", beto.id, invitation["id"])
    assert _notifications(client, beto) == [("invitation_received", ana.id, invitation["id"])]


def test_an_invitation_is_accepted_once(client: TestClient, database: Database) -> None:
    """Once accepted, every further action is a 409 and nothing is doubled."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, ana, beto)
    assert _act(client, beto, invitation["id"], "accept").status_code == 200
    for action in ("accept", "ignore", "report"):
        again = _act(client, beto, invitation["id"], action)
        problem_of(again, 409, slug="invitation-not-pending")
    problem_of(_act(client, ana, invitation["id"], "withdraw"), 409, slug="invitation-not-pending")
    assert _rows(database) == (1, 1)
    assert _notifications(client, ana) == [("invitation_accepted", beto.id, invitation["id"])]
    assert _seen(client, ana, invitation["id"]) == "accepted"


def test_the_sender_cannot_accept_their_own_invitation(
    client: TestClient, database: Database
) -> None:
    """Only the recipient answers: the sender's answer is a 404 and changes nothing."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, ana, beto)
    for action in ("accept", "ignore", "report"):
        refused = _act(client, ana, invitation["id"], action)
        problem_of(refused, 404, slug="invitation-not-found")
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert _seen(client, beto, invitation["id"]) == "pending"
    assert _connection_ids(client, ana) == []
    assert _rows(database) == (1, 0)


def test_crossing_invitations_connect_at_once(client: TestClient, database: Database) -> None:
    """Inviting a member whose invitation to you is pending connects you both, once."""
    ana, beto = _people(client, "Ana", "Beto")
    theirs = _invite(client, ana, beto, note="¿Conectamos?")
    crossing = client.post(
        INVITATIONS, json={"to": ana.id, "note": "¡Claro!"}, headers=beto.headers
    )
    assert crossing.status_code == 201, crossing.text
    ours = crossing.json()
    assert (ours["from"], ours["to"], ours["status"]) == (beto.id, ana.id, "accepted")
    assert ours["note"] == "¡Claro!"
    assert (ours["sender"]["degree"], ours["recipient"]["degree"]) == (0, 1)
    assert ours["id"] != theirs["id"]

    assert _rows(database) == (2, 1)
    assert _connection_ids(client, ana) == [beto.id]
    assert _connection_ids(client, beto) == [ana.id]
    assert _seen(client, ana, theirs["id"]) == "accepted"
    assert _seen(client, beto, ours["id"]) == "accepted"
    assert _box(client, ana, "received") == []
    assert _box(client, beto, "received") == []
    assert _notifications(client, ana) == [("invitation_accepted", beto.id, theirs["id"])]
    # Inviting once more is a conflict, not a second connection.
    problem_of(
        client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers),
        409,
        slug="already-connected",
    )


# Ignoring, withdrawing, reporting


def test_an_ignore_stays_silent_to_the_sender(client: TestClient, database: Database) -> None:
    """The recipient sees it ignored; the sender sees it pending, is refused a new one as if it
    were, and may withdraw it."""
    ana, beto, carla, dani = _people(client, "Ana", "Beto", "Carla", "Dani")
    invitation = _invite(client, ana, beto)
    ignored = _act(client, beto, invitation["id"], "ignore")
    assert ignored.status_code == 200, ignored.text
    assert ignored.json()["status"] == "ignored"
    assert _seen(client, beto, invitation["id"]) == "ignored"
    assert _box(client, beto, "received") == []

    # The sender sees it pending, everywhere.
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert _statuses(client, ana, "sent") == [(ana.id, beto.id, "pending")]
    assert _notifications(client, ana) == []
    ignored_again = _act(client, beto, invitation["id"], "ignore")
    problem_of(ignored_again, 409, slug="invitation-not-pending")
    problem_of(_act(client, beto, invitation["id"], "accept"), 409, slug="invitation-not-pending")

    # Inviting again is refused exactly as while it is pending.
    _invite(client, carla, dani)
    pending = client.post(INVITATIONS, json={"to": dani.id}, headers=carla.headers)
    again = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    assert problem_of(again, 409, slug="already-invited") == problem_of(pending, 409)
    assert _rows(database) == (2, 0)

    # And it can be withdrawn like a pending one; then the cooldown starts.
    withdrawn = _act(client, ana, invitation["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert _seen(client, beto, invitation["id"]) == "withdrawn"
    cooldown = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    problem = problem_of(cooldown, 409, slug="invitation-cooldown")
    sent_on = datetime.fromisoformat(withdrawn.json()["created_at"])
    days = {(moment + timedelta(days=21)).date() for moment in (sent_on, datetime.now(UTC))}
    assert any(day.isoformat() in problem["detail"] for day in days), problem["detail"]
    assert _rows(database) == (2, 0)


def test_only_the_sender_may_withdraw(client: TestClient, database: Database) -> None:
    """The recipient's withdraw is a 404; once withdrawn, nobody can act on it."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, ana, beto)
    problem_of(_act(client, beto, invitation["id"], "withdraw"), 404, slug="invitation-not-found")
    assert _seen(client, beto, invitation["id"]) == "pending"

    withdrawn = _act(client, ana, invitation["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert _statuses(client, ana, "sent") == [(ana.id, beto.id, "withdrawn")]
    assert _box(client, beto, "received") == []
    assert _seen(client, beto, invitation["id"]) == "withdrawn"

    for person, action in ((ana, "withdraw"), (beto, "accept"), (beto, "ignore")):
        refused = _act(client, person, invitation["id"], action)
        problem_of(refused, 409, slug="invitation-not-pending")
    assert _connection_ids(client, beto) == []
    assert _rows(database) == (1, 0)
    # The recipient may still invite the sender: the cooldown binds only the sender.
    assert _invite(client, beto, ana)["status"] == "pending"


def test_a_stranger_sees_and_does_nothing_with_an_invitation(client: TestClient) -> None:
    """To a third member an invitation does not exist, whatever they try."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    invitation = _invite(client, ana, beto)
    for missing in (invitation["id"], MISSING):
        problem_of(
            client.get(f"{INVITATIONS}/{missing}", headers=carla.headers),
            404,
            slug="invitation-not-found",
        )
        for action in ("accept", "ignore", "withdraw", "report"):
            refused = _act(client, carla, missing, action)
            problem_of(refused, 404, slug="invitation-not-found")
    # A stranger's 404 is the one for an invitation that does not exist.
    seen = client.get(f"{INVITATIONS}/{invitation['id']}", headers=carla.headers)
    assert seen.json() == client.get(f"{INVITATIONS}/{MISSING}", headers=carla.headers).json()
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert _seen(client, beto, invitation["id"]) == "pending"
    assert _connection_ids(client, carla) == []


def test_a_report_ignores_the_invitation_silently(client: TestClient, database: Database) -> None:
    """A report is an ignore that the sender cannot see, and only the recipient may make it."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, ana, beto)
    problem_of(_act(client, ana, invitation["id"], "report"), 404, slug="invitation-not-found")
    reported = _act(client, beto, invitation["id"], "report")
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "ignored"
    assert _box(client, beto, "received") == []
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert _statuses(client, ana, "sent") == [(ana.id, beto.id, "pending")]
    assert _notifications(client, ana) == []
    problem_of(_act(client, beto, invitation["id"], "report"), 409, slug="invitation-not-pending")
    with database.unit_of_work(write=False) as db:
        row = db.get_one(Invitation, invitation["id"])
        assert (row.status, row.reported) == ("ignored", True)


def test_an_invitation_id_must_be_a_positive_64_bit_number(client: TestClient) -> None:
    """An invitation id that no database could hold is invalid input, named."""
    (ana,) = _people(client, "Ana")
    for invitation_id in ("0", "-1", "uno", str(2**63)):
        refused = client.get(f"{INVITATIONS}/{invitation_id}", headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["invitation_id"]
        for action in ("accept", "ignore", "withdraw", "report"):
            acted = _act(client, ana, invitation_id, action)
            assert fields_of(problem_of(acted, 422, slug="invalid-input")) == ["invitation_id"]


# Connections


def test_removing_a_connection_is_silent(client: TestClient, database: Database) -> None:
    """Removal ends the connection for both without telling the other; a second one is a 404."""
    ana, beto = _people(client, "Ana", "Beto")
    _connect(client, ana, beto)
    told = _notifications(client, ana)
    removed = client.delete(f"/api/v1/connections/{ana.id}", headers=beto.headers)
    assert removed.status_code == 204
    assert removed.content == b""
    assert _connection_ids(client, ana) == []
    assert _connection_ids(client, beto) == []
    assert _rows(database) == (1, 0)
    assert _notifications(client, ana) == told
    assert client.get(f"/api/v1/members/{beto.id}", headers=ana.headers).json()["degree"] is None

    for person, other in ((beto, ana), (ana, beto)):
        again = client.delete(f"/api/v1/connections/{other.id}", headers=person.headers)
        problem_of(again, 404, slug="not-connected")
        gone = client.get(f"/api/v1/connections/{other.id}", headers=person.headers)
        problem_of(gone, 404, slug="not-connected")
    problem_of(
        client.delete(f"/api/v1/connections/{MISSING}", headers=ana.headers),
        404,
        slug="not-connected",
    )
    # They may connect again: an accepted invitation starts no cooldown.
    _connect(client, ana, beto)
    assert _connection_ids(client, ana) == [beto.id]


def test_tiers_and_notes_are_private_to_each_side(client: TestClient) -> None:
    """Each member keeps their own tier and note for a connection; the other never sees them."""
    ana, beto = _people(client, "Ana", "Beto")
    _connect(client, ana, beto)
    mine = client.patch(
        f"/api/v1/connections/{beto.id}",
        json={"tier": "close", "note": "  Experto en logística.  "},
        headers=ana.headers,
    )
    assert mine.status_code == 200, mine.text
    assert (mine.json()["id"], mine.json()["tier"], mine.json()["note"]) == (
        beto.id,
        "close",
        "Experto en logística.",
    )
    theirs = client.patch(
        f"/api/v1/connections/{ana.id}", json={"tier": "occasional"}, headers=beto.headers
    )
    assert (theirs.json()["tier"], theirs.json()["note"]) == ("occasional", "")

    # A change of one leaves the other as it was.
    client.patch(f"/api/v1/connections/{beto.id}", json={"tier": "regular"}, headers=ana.headers)
    assert [(c["id"], c["tier"], c["note"]) for c in _connections(client, ana)] == [
        (beto.id, "regular", "Experto en logística.")
    ]
    assert [(c["id"], c["tier"], c["note"]) for c in _connections(client, beto)] == [
        (ana.id, "occasional", "")
    ]
    # In another member's list neither shows.
    assert [(c["id"], c["tier"], c["note"]) for c in _connections(client, beto, of=ana)] == [
        (beto.id, None, None)
    ]
    shown = client.get(f"/api/v1/connections/{ana.id}", headers=beto.headers).json()
    assert (shown["tier"], shown["note"]) == ("occasional", "")


def test_a_bad_tier_or_note_changes_nothing(client: TestClient) -> None:
    """A bad tier or a note over the limit is a 422 naming it, and keeps what was there."""
    ana, beto = _people(client, "Ana", "Beto")
    _connect(client, ana, beto)
    path = f"/api/v1/connections/{beto.id}"
    client.patch(path, json={"tier": "close", "note": "Café en marzo"}, headers=ana.headers)
    for body, field in [
        ({"note": "x" * (CONNECTION_NOTE_MAX + 1)}, "note"),
        ({"tier": "occasional", "note": "x" * (CONNECTION_NOTE_MAX + 1)}, "note"),
        ({"tier": "best"}, "tier"),
        ({"tier": None}, "tier"),
        ({"note": None}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"degree": 1}, "degree"),
    ]:
        refused = client.patch(path, json=body, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    kept = client.get(path, headers=ana.headers).json()
    assert (kept["tier"], kept["note"]) == ("close", "Café en marzo")
    # The limit itself is fine, and counts characters.
    note = "ñ" * CONNECTION_NOTE_MAX
    changed = client.patch(path, json={"note": note}, headers=ana.headers)
    assert changed.status_code == 200, changed.text
    assert _connections(client, ana)[0]["note"] == note


def test_only_a_connection_has_a_tier(client: TestClient) -> None:
    """Setting a tier for someone you are not connected with is a 404."""
    ana, beto = _people(client, "Ana", "Beto")
    _invite(client, ana, beto)
    for member_id in (beto.id, MISSING, ana.id):
        refused = client.patch(
            f"/api/v1/connections/{member_id}", json={"tier": "close"}, headers=ana.headers
        )
        problem_of(refused, 404, slug="not-connected")
    assert _connection_ids(client, ana) == []


def test_your_list_can_be_filtered_by_tier(client: TestClient) -> None:
    """Your own list filters by your own tiers; a new connection starts regular."""
    ana, beto, carla, dani = _people(client, "Ana", "Beto", "Carla", "Dani")
    for other, tier in ((beto, "close"), (carla, "regular"), (dani, None)):
        _connect(client, other, ana)
        if tier:
            client.patch(
                f"/api/v1/connections/{other.id}", json={"tier": tier}, headers=ana.headers
            )
    client.patch(f"/api/v1/connections/{ana.id}", json={"tier": "close"}, headers=dani.headers)

    def ids(tier: str) -> list[int]:
        return [item["id"] for item in _connections(client, ana, tier=tier)]

    # A connection starts in the regular tier.
    assert ids("close") == [beto.id]
    assert ids("regular") == [carla.id, dani.id]
    assert ids("occasional") == []
    # Dani's tier for Ana is Dani's own: it does not put Dani in Ana's close tier.
    assert [item["id"] for item in _connections(client, dani, tier="close")] == [ana.id]
    refused = client.get(
        f"/api/v1/members/{ana.id}/connections", params={"tier": "best"}, headers=ana.headers
    )
    assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["tier"]


def test_a_private_connection_list_is_a_403_but_mutual_connections_show(
    client: TestClient,
) -> None:
    """With "only me" the list is hidden from connections too; mutual connections still show."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    _connect(client, ana, beto)
    _connect(client, ana, carla)
    _connect(client, beto, carla)
    assert [item["id"] for item in _connections(client, beto, of=ana)] == [beto.id, carla.id]

    _set(client, ana, connections_visible_to="only_me")
    refused = client.get(f"/api/v1/members/{ana.id}/connections", headers=beto.headers)
    problem_of(refused, 403, slug="connections-private")
    assert _connection_ids(client, ana) == [beto.id, carla.id]
    mutual = client.get(f"/api/v1/members/{ana.id}/mutual-connections", headers=beto.headers)
    assert mutual.status_code == 200, mutual.text
    assert (mutual.json()["count"], [m["id"] for m in mutual.json()["items"]]) == (1, [carla.id])
    profile = client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).json()
    assert profile["mutual_connections"]["count"] == 1

    _set(client, ana, connections_visible_to="connections")
    assert [item["id"] for item in _connections(client, beto, of=ana)] == [beto.id, carla.id]


def test_by_default_only_connections_see_a_members_connections(client: TestClient) -> None:
    """By default a member's list is for their connections: anyone else gets the 403 of a
    private list."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    _connect(client, ana, beto)
    assert [item["id"] for item in _connections(client, beto, of=ana)] == [beto.id]
    refused = client.get(f"/api/v1/members/{ana.id}/connections", headers=carla.headers)
    problem_of(refused, 403, slug="connections-private")


def test_another_members_list_leaves_out_anyone_with_a_block_between_you(
    client: TestClient,
) -> None:
    """A member who blocked you, or whom you blocked, is missing from a mutual contact's list,
    as everywhere else; the owner of the list still sees them."""
    ana, beto, carla, dani = _people(client, "Ana", "Beto", "Carla", "Dani")
    for other in (beto, carla, dani):
        _connect(client, ana, other)
    blocked = client.post(BLOCKS, json={"member": beto.id}, headers=carla.headers)
    assert blocked.status_code == 201, blocked.text
    blocked = client.post(BLOCKS, json={"member": dani.id}, headers=beto.headers)
    assert blocked.status_code == 201, blocked.text

    assert [item["id"] for item in _connections(client, beto, of=ana)] == [beto.id]
    assert [item["id"] for item in _connections(client, carla, of=ana)] == [carla.id, dani.id]
    assert _connection_ids(client, ana) == [beto.id, carla.id, dani.id]


def test_a_block_takes_the_other_out_of_old_notifications_both_ways(client: TestClient) -> None:
    """Notifications from before a block no longer name the other member, for either of the two,
    nor count as unread; unblocking brings them back."""
    ana, beto, carla = _people(client, "Ana", "Beto", "Carla")
    _connect(client, ana, beto)
    _invite(client, carla, beto)
    assert [actor for _, actor, _ in _notifications(client, beto)] == [carla.id, ana.id]
    assert [actor for _, actor, _ in _notifications(client, ana)] == [beto.id]

    blocked = client.post(BLOCKS, json={"member": ana.id}, headers=beto.headers)
    assert blocked.status_code == 201, blocked.text
    assert [actor for _, actor, _ in _notifications(client, beto)] == [carla.id]
    assert client.get(NOTIFICATIONS, headers=beto.headers).json()["unread"] == 1
    assert _notifications(client, ana) == []
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 0

    unblocked = client.delete(f"{BLOCKS}/{ana.id}", headers=beto.headers)
    assert unblocked.status_code == 204, unblocked.text
    assert [actor for _, actor, _ in _notifications(client, beto)] == [carla.id, ana.id]


# Blocks


def test_a_block_ends_the_connection_and_cancels_invitations_both_ways(
    client: TestClient, database: Database
) -> None:
    """A block removes the connection, withdraws the blocker's invitation and silently ignores the
    other's."""
    ana, beto, carla, dani = _people(client, "Ana", "Beto", "Carla", "Dani")
    _connect(client, ana, beto)
    to_carla = _invite(client, ana, carla)
    from_dani = _invite(client, dani, ana)
    for other in (beto, carla, dani):
        blocked = client.post(BLOCKS, json={"member": other.id}, headers=ana.headers)
        assert blocked.status_code == 201, blocked.text
        assert blocked.json()["member"]["id"] == other.id
        assert blocked.json()["blocked_at"]

    assert _connection_ids(client, ana) == []
    assert _connection_ids(client, beto) == []
    assert _rows(database) == (3, 0)
    # The blocker's own invitation is withdrawn; the blocked member's looks pending to them.
    assert _seen(client, ana, to_carla["id"]) == "withdrawn"
    assert _box(client, carla, "received") == []
    assert _box(client, ana, "received") == []
    assert _seen(client, dani, from_dani["id"]) == "pending"
    assert _statuses(client, dani, "sent") == [(dani.id, ana.id, "pending")]
    listed = client.get(BLOCKS, headers=ana.headers).json()["items"]
    assert sorted(item["member"]["id"] for item in listed) == [beto.id, carla.id, dani.id]
    for person in (beto, carla, dani):
        assert client.get(BLOCKS, headers=person.headers).json()["items"] == []


def test_a_block_also_cancels_an_invitation_that_was_ignored(client: TestClient) -> None:
    """The blocker's invitation that the other member had ignored still looks pending to the
    blocker: the block withdraws it like any pending one."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, ana, beto)
    assert _act(client, beto, invitation["id"], "ignore").status_code == 200
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    assert _seen(client, ana, invitation["id"]) == "withdrawn"
    assert _statuses(client, ana, "sent") == [(ana.id, beto.id, "withdrawn")]


def test_a_blocked_member_cannot_find_the_blocker(client: TestClient) -> None:
    """Neither side of a block finds or views the other: search leaves them out, and every view is a
    404."""
    ana, beto, carla = _people(client, "Ana Ruiz", "Beto Gil", "Carla Ruiz")
    _connect(client, carla, ana)
    _connect(client, carla, beto)

    def found(person: Person, query: str) -> list[int]:
        page = client.get("/api/v1/members", params={"q": query}, headers=person.headers)
        assert page.status_code == 200, page.text
        return [member["id"] for member in page.json()["items"]]

    assert found(beto, "ruiz") == [ana.id, carla.id]
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201

    assert found(beto, "ruiz") == [carla.id]
    assert found(ana, "gil") == []
    nobody = client.get(f"/api/v1/members/{MISSING}", headers=beto.headers)
    for person, other in ((beto, ana), (ana, beto)):
        for path in (
            f"/api/v1/members/{other.id}",
            f"/api/v1/members/{other.id}/connections",
            f"/api/v1/members/{other.id}/mutual-connections",
            f"/api/v1/network/path/{other.id}",
        ):
            hidden = client.get(path, headers=person.headers)
            assert problem_of(hidden, 404, slug="member-not-found") == nobody.json(), path


def test_a_block_refused_changes_nothing(client: TestClient) -> None:
    """Blocking nobody, yourself, twice, or someone who blocked you is refused and adds no block."""
    ana, beto = _people(client, "Ana", "Beto")
    problem_of(
        client.post(BLOCKS, json={"member": MISSING}, headers=ana.headers),
        404,
        slug="member-not-found",
    )
    problem_of(
        client.post(BLOCKS, json={"member": ana.id}, headers=ana.headers),
        404,
        slug="member-not-found",
    )
    for body, field in (({}, "member"), ({"member": 0}, "member"), ({"who": beto.id}, "who")):
        refused = client.post(BLOCKS, json=body, headers=ana.headers)
        assert field in fields_of(problem_of(refused, 422, slug="invalid-input"))
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []

    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    problem_of(client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers), 409)
    # Blocking someone who blocked you answers as if they did not exist.
    back = client.post(BLOCKS, json={"member": ana.id}, headers=beto.headers)
    nobody = client.post(BLOCKS, json={"member": MISSING}, headers=beto.headers)
    assert problem_of(back, 404, slug="member-not-found") == nobody.json()
    assert client.get(BLOCKS, headers=beto.headers).json()["items"] == []
    assert [
        item["member"]["id"] for item in client.get(BLOCKS, headers=ana.headers).json()["items"]
    ] == [beto.id]


def test_unblocking_shows_the_member_again(client: TestClient) -> None:
    """Only the blocker can unblock, once; the member is visible again but not reconnected."""
    ana, beto = _people(client, "Ana", "Beto")
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    problem_of(client.delete(f"{BLOCKS}/{ana.id}", headers=beto.headers), 404, slug="not-blocked")

    unblocked = client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers)
    assert unblocked.status_code == 204
    assert unblocked.content == b""
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []
    assert client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).status_code == 200
    problem_of(client.delete(f"{BLOCKS}/{beto.id}", headers=ana.headers), 404, slug="not-blocked")
    problem_of(client.delete(f"{BLOCKS}/{MISSING}", headers=ana.headers), 404, slug="not-blocked")
    # The connection does not come back by itself; an invitation may start it again.
    assert _connection_ids(client, ana) == []
    _connect(client, beto, ana)
    assert _connection_ids(client, ana) == [beto.id]


# Notifications


def test_notifications_come_newest_first_a_page_at_a_time(client: TestClient) -> None:
    """Notifications and received invitations page newest first; reading them clears the unread
    count."""
    ana, beto, carla, dani = _people(client, "Ana", "Beto", "Carla", "Dani")
    sent = [_invite(client, other, ana) for other in (beto, carla, dani)]
    first = client.get(NOTIFICATIONS, params={"limit": 2}, headers=ana.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["unread"] == 3
    assert [(item["actor"]["id"], item["invitation_id"]) for item in page["items"]] == [
        (dani.id, sent[2]["id"]),
        (carla.id, sent[1]["id"]),
    ]
    assert all(item["kind"] == "invitation_received" for item in page["items"])
    assert all(item["read"] is False for item in page["items"])
    assert page["next_cursor"]
    rest = client.get(
        NOTIFICATIONS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=ana.headers
    ).json()
    assert [item["actor"]["id"] for item in rest["items"]] == [beto.id]
    assert rest["next_cursor"] is None
    # The invitations themselves come the same way.
    page = client.get(INVITATIONS, params={"limit": 2}, headers=ana.headers).json()
    assert [item["id"] for item in page["items"]] == [sent[2]["id"], sent[1]["id"]]
    rest = client.get(
        INVITATIONS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=ana.headers
    ).json()
    assert [item["id"] for item in rest["items"]] == [sent[0]["id"]]
    assert rest["next_cursor"] is None

    read = client.post(f"{NOTIFICATIONS}/read", headers=ana.headers)
    assert read.status_code == 204
    after = client.get(NOTIFICATIONS, headers=ana.headers).json()
    assert after["unread"] == 0
    assert [item["read"] for item in after["items"]] == [True, True, True]
    # Reading is per member, and new ones arrive unread.
    assert client.get(NOTIFICATIONS, headers=beto.headers).json()["unread"] == 0
    _act(client, ana, sent[0]["id"], "accept")
    beto_page = client.get(NOTIFICATIONS, headers=beto.headers).json()
    assert beto_page["unread"] == 1
    assert [(i["kind"], i["actor"]["id"], i["read"]) for i in beto_page["items"]] == [
        ("invitation_accepted", ana.id, False)
    ]
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 0


# Pagination


def test_sent_invitations_come_newest_first_a_page_at_a_time(client: TestClient) -> None:
    """The sent box pages newest first, every invitation exactly once."""
    ana, *others = _people(client, "Ana", "Beto", "Carla", "Dani", "Eva", "Fede")
    sent = [_invite(client, ana, other)["id"] for other in others]
    seen: list[int] = []
    cursor = None
    for size in (2, 2, 1):
        params: dict[str, Any] = {"box": "sent", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(INVITATIONS, params=params, headers=ana.headers).json()
        assert len(page["items"]) == size
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == sent[::-1]


def test_connections_come_by_name_a_page_at_a_time(client: TestClient) -> None:
    """A connection list pages by name, accents and case folded."""
    ana, *others = _people(client, "Ana", "Émile", "Carla", "beto", "Dani")
    for other in others:
        _connect(client, other, ana)
    by_name = [others[2].id, others[1].id, others[3].id, others[0].id]  # beto, Carla, Dani, Émile
    path = f"/api/v1/members/{ana.id}/connections"
    first = client.get(path, params={"limit": 3}, headers=ana.headers).json()
    assert first["next_cursor"]
    rest = client.get(
        path, params={"limit": 3, "cursor": first["next_cursor"]}, headers=others[0].headers
    ).json()
    assert rest["next_cursor"] is None
    assert [item["id"] for item in first["items"] + rest["items"]] == by_name


def test_a_bad_cursor_or_limit_is_invalid_input(client: TestClient) -> None:
    """A cursor not of ours, or a limit out of range, is a 422 naming it, on every list."""
    (ana,) = _people(client, "Ana")
    paths = [
        INVITATIONS,
        f"{INVITATIONS}?box=sent",
        NOTIFICATIONS,
        f"/api/v1/members/{ana.id}/connections",
        f"/api/v1/members/{ana.id}/mutual-connections",
    ]
    cursors = ["not-a-cursor", "%%%", encode_cursor(("x", "y", "z")), encode_cursor((2**64,))]
    for path in paths:
        for cursor in cursors:
            refused = client.get(path, params={"cursor": cursor}, headers=ana.headers)
            assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["cursor"], path
        for limit in (0, 101, "ten"):
            refused = client.get(path, params={"limit": limit}, headers=ana.headers)
            assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["limit"], path
    refused = client.get(INVITATIONS, params={"box": "archived"}, headers=ana.headers)
    assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["box"]


# Authentication


def _routes(a: int, b: int, invitation: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every route of the network API with a body it takes, for members a and b and a's
    invitation from b."""
    return [
        ("POST", INVITATIONS, {"to": b}),
        ("GET", INVITATIONS, None),
        ("GET", f"{INVITATIONS}/{invitation}", None),
        ("POST", f"{INVITATIONS}/{invitation}/accept", None),
        ("POST", f"{INVITATIONS}/{invitation}/ignore", None),
        ("POST", f"{INVITATIONS}/{invitation}/withdraw", None),
        ("POST", f"{INVITATIONS}/{invitation}/report", None),
        ("GET", f"/api/v1/members/{a}/connections", None),
        ("GET", f"/api/v1/members/{a}/mutual-connections", None),
        ("GET", f"/api/v1/connections/{b}", None),
        ("PATCH", f"/api/v1/connections/{b}", {"tier": "close"}),
        ("DELETE", f"/api/v1/connections/{b}", None),
        ("GET", BLOCKS, None),
        ("POST", BLOCKS, {"member": b}),
        ("DELETE", f"{BLOCKS}/{b}", None),
        ("GET", SETTINGS, None),
        ("PATCH", SETTINGS, {"who_can_invite": "email"}),
        ("GET", NOTIFICATIONS, None),
        ("POST", f"{NOTIFICATIONS}/read", None),
    ]


def test_the_network_api_needs_a_token(client: TestClient, database: Database) -> None:
    """Without a valid bearer token every route is a 401 problem, and nothing changes."""
    ana, beto = _people(client, "Ana", "Beto")
    invitation = _invite(client, beto, ana)
    for method, path, body in _routes(ana.id, beto.id, invitation["id"]):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
            refused = client.request(method, path, json=body, headers=headers)
            problem_of(refused, 401, slug="not-authenticated")
            assert refused.headers["www-authenticate"] == "Bearer", (method, path)
    # Nothing happened.
    assert _rows(database) == (1, 0)
    assert _seen(client, ana, invitation["id"]) == "pending"
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 1
    assert client.get(BLOCKS, headers=ana.headers).json()["items"] == []
    assert client.get(SETTINGS, headers=ana.headers).json()["who_can_invite"] == "anyone"
