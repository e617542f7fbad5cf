"""The invitation life cycle through the JSON API: sending, who may invite whom, accepting,
ignoring, withdrawing, reporting and paging; every refusal an RFC 9457 problem writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    MISSING,
    NOTIFICATIONS,
    act,
    change_settings,
    connect_people,
    connection_ids,
    fields_of,
    invitations_in,
    invite,
    nothing_between,
    notifications,
    people,
    problem_of,
    row_counts,
    seen_status,
    statuses,
)
from vinculo.db import Database
from vinculo.invitations.models import NOTE_MAX, Invitation
from vinculo.pagination import encode_cursor

# Sending


def test_an_invitation_with_a_note_is_sent(client: TestClient) -> None:
    """The invitation comes back with its fields; both members find it, the recipient with what they
    share and a notification."""
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
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
    assert invitations_in(client, ana, "sent") == [invitation]
    received = invitations_in(client, beto, "received")
    assert [item["id"] for item in received] == [invitation["id"]]
    assert received[0]["status"] == "pending"
    assert received[0]["note"] == "Trabajamos juntos en Acme."
    assert received[0]["link"] == {
        "mutual_connections": 0,
        "mutual_sample": [],
        "shared_places": [],
        "shared_groups": [],
    }
    assert invitations_in(client, beto, "sent") == []
    assert invitations_in(client, ana, "received") == []
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert seen_status(client, beto, invitation["id"]) == "pending"
    assert notifications(client, beto) == [("invitation_received", ana.id, invitation["id"])]
    assert notifications(client, ana) == []

    # A note may be left out, or as long as the limit, which counts characters, not bytes.
    carla, dani = people(client, "Carla", "Dani")
    assert invite(client, ana, to=carla)["note"] == ""
    assert invite(client, ana, to=dani, note="ñ" * NOTE_MAX)["note"] == "ñ" * NOTE_MAX


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
    ana, beto = people(client, "Ana", "Beto")
    for body, field in BAD_INVITATIONS:
        refused = client.post(INVITATIONS, json={"to": beto.id, **body}, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field], body
    nothing_between(client, ana, beto)
    assert row_counts(database) == (0, 0)


def test_spaces_around_a_note_do_not_count_towards_its_length(client: TestClient) -> None:
    """A note is trimmed before its length is checked, so a full note pasted with a newline
    after it is taken; the same holds for a connection's private note."""
    ana, beto = people(client, "Ana", "Beto")
    note = "x" * 300
    invitation = invite(client, ana, to=beto, note=f"  {note}\n")
    assert invitation["note"] == note
    accepted = act(client, beto, invitation["id"], "accept")
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
    (ana,) = people(client, "Ana")
    missing = client.post(INVITATIONS, json={"note": "Hola"}, headers=ana.headers)
    assert fields_of(problem_of(missing, 422, slug="invalid-input")) == ["to"]
    yourself = client.post(INVITATIONS, json={"to": ana.id}, headers=ana.headers)
    assert fields_of(problem_of(yourself, 422, slug="invalid-input")) == ["to"]
    for member_id in (MISSING, 2**63 - 1):
        refused = client.post(INVITATIONS, json={"to": member_id}, headers=ana.headers)
        problem_of(refused, 404, slug="member-not-found")
    assert invitations_in(client, ana, "sent") == []
    assert invitations_in(client, ana, "received") == []
    assert notifications(client, ana) == []
    assert row_counts(database) == (0, 0)


def test_inviting_a_connection_is_a_conflict_either_way(
    client: TestClient, database: Database
) -> None:
    """Connected members cannot invite each other again, in either direction."""
    ana, beto = people(client, "Ana", "Beto")
    connect_people(client, ana, beto)
    before = row_counts(database)
    for sender, to in ((ana, beto), (beto, ana)):
        refused = client.post(INVITATIONS, json={"to": to.id}, headers=sender.headers)
        problem_of(refused, 409, slug="already-connected")
    assert row_counts(database) == before == (1, 1)
    assert statuses(client, ana, "sent") == [(ana.id, beto.id, "accepted")]
    assert statuses(client, beto, "sent") == []
    assert invitations_in(client, beto, "received") == []


def test_a_second_invitation_to_the_same_member_is_a_conflict(
    client: TestClient, database: Database
) -> None:
    """While an invitation is pending, the same sender cannot send another."""
    ana, beto = people(client, "Ana", "Beto")
    first = invite(client, ana, to=beto, note="Hola")
    refused = client.post(
        INVITATIONS, json={"to": beto.id, "note": "Otra vez"}, headers=ana.headers
    )
    problem_of(refused, 409, slug="already-invited")
    assert invitations_in(client, ana, "sent") == [first]
    assert [item["id"] for item in invitations_in(client, beto, "received")] == [first["id"]]
    assert notifications(client, beto) == [("invitation_received", ana.id, first["id"])]
    assert row_counts(database) == (1, 0)


@pytest.mark.parametrize("blocker", ["sender", "recipient"])
def test_a_block_either_way_makes_an_invitation_look_like_one_to_nobody(
    client: TestClient, database: Database, blocker: str
) -> None:
    """Inviting across a block gets the very 404 of a member who does not exist."""
    ana, beto = people(client, "Ana", "Beto")
    by, of = (ana, beto) if blocker == "sender" else (beto, ana)
    assert client.post(BLOCKS, json={"member": of.id}, headers=by.headers).status_code == 201

    refused = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    nobody = client.post(INVITATIONS, json={"to": MISSING}, headers=ana.headers)
    assert problem_of(refused, 404, slug="member-not-found") == problem_of(nobody, 404)
    assert refused.headers["content-type"] == nobody.headers["content-type"]
    nothing_between(client, ana, beto)
    assert row_counts(database) == (0, 0)


# Who can invite me


def test_members_with_a_link_only_refuse_strangers(client: TestClient) -> None:
    """With "members with a link", a mutual connection or the same organization in overlapping
    years passes; a stranger gets a 403 unless they type the email."""
    ana, beto, carla, dani, eva = people(client, "Ana", "Beto", "Carla", "Dani", "Eva")
    change_settings(client, ana, who_can_invite="link")
    refused = client.post(INVITATIONS, json={"to": ana.id}, headers=beto.headers)
    problem_of(refused, 403, slug="not-invitable")
    nothing_between(client, ana, beto)

    # A mutual connection is a link.
    connect_people(client, ana, carla)
    connect_people(client, carla, beto)
    assert invite(client, beto, to=ana)["status"] == "pending"

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
    from_dani = invite(client, dani, to=ana)
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
    assert invite(client, eva, to=ana, email=ana.email)["status"] == "pending"


def test_members_who_want_their_email_refuse_everyone_without_it(
    client: TestClient, database: Database
) -> None:
    """With "only members who know my email", nothing but the right email passes, in any case
    and spacing."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    change_settings(client, ana, who_can_invite="email")
    # Even a member with a link needs the email.
    connect_people(client, ana, carla)
    connect_people(client, carla, beto)
    before = row_counts(database)
    for body in ({}, {"email": beto.email}, {"email": "ana@elsewhere.example"}, {"email": ""}):
        refused = client.post(INVITATIONS, json={"to": ana.id, **body}, headers=beto.headers)
        problem_of(refused, 403, slug="not-invitable")
    assert row_counts(database) == before
    nothing_between(client, ana, beto)

    typed = f"  {ana.email.upper()} "
    invitation = invite(client, beto, to=ana, email=typed, note="Carla me habló de ti")
    assert invitation["status"] == "pending"
    assert "email" not in invitation
    assert [item["id"] for item in invitations_in(client, ana, "received")] == [invitation["id"]]


def test_a_sender_reported_five_times_may_invite_only_members_with_a_link(
    client: TestClient, database: Database
) -> None:
    """Five "I don't know this person" reports restrict the sender to linked members or typed
    emails."""
    ana, beto, carla, dani, *others = people(
        client, "Ana", "Beto", "Carla", "Dani", "E", "F", "G", "H", "I"
    )
    for other in others:
        invitation = invite(client, ana, to=other)
        reported = act(client, other, invitation["id"], "report")
        assert reported.status_code == 200, reported.text
    before = row_counts(database)
    refused = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    problem_of(refused, 403, slug="restricted-sender")
    nothing_between(client, ana, beto)
    assert row_counts(database) == before
    # Typing the member's email passes the restriction; so does a mutual connection.
    assert invite(client, ana, to=beto, email=beto.email)["status"] == "pending"
    connect_people(client, carla, ana)
    connect_people(client, carla, dani)
    assert invite(client, ana, to=dani)["status"] == "pending"


# Accepting


def test_accepting_connects_both_and_tells_the_sender(client: TestClient) -> None:
    """Accepting connects the two at once, for both, and notifies the sender."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    connect_people(client, carla, ana)
    invitation = invite(client, ana, to=beto, note="Hola")
    accepted = act(client, beto, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["id"], body["from"], body["to"]) == (invitation["id"], ana.id, beto.id)
    assert body["status"] == "accepted"
    # As the recipient sees them now: connected.
    assert (body["sender"]["degree"], body["recipient"]["degree"]) == (1, 0)

    assert connection_ids(client, ana) == [beto.id, carla.id]
    assert connection_ids(client, beto) == [ana.id]
    connection = client.get(f"/api/v1/connections/{ana.id}", headers=beto.headers)
    assert connection.status_code == 200, connection.text
    assert (connection.json()["id"], connection.json()["degree"]) == (ana.id, 1)
    assert (connection.json()["tier"], connection.json()["note"]) == ("regular", "")
    assert client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).json()["degree"] == 1
    mutual = client.get(f"/api/v1/members/{beto.id}/mutual-connections", headers=carla.headers)
    assert mutual.json()["count"] == 1
    assert [member["id"] for member in mutual.json()["items"]] == [ana.id]
    assert client.get(f"/api/v1/members/{beto.id}", headers=carla.headers).json()["degree"] == 2

    assert seen_status(client, ana, invitation["id"]) == "accepted"
    assert seen_status(client, beto, invitation["id"]) == "accepted"
    assert invitations_in(client, beto, "received") == []
    assert notifications(client, ana)[0] == ("invitation_accepted", beto.id, invitation["id"])
    assert notifications(client, beto) == [("invitation_received", ana.id, invitation["id"])]


def test_an_invitation_is_accepted_once(client: TestClient, database: Database) -> None:
    """Once accepted, every further action is a 409 and nothing is doubled."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, ana, to=beto)
    assert act(client, beto, invitation["id"], "accept").status_code == 200
    for action in ("accept", "ignore", "report"):
        again = act(client, beto, invitation["id"], action)
        problem_of(again, 409, slug="invitation-not-pending")
    problem_of(act(client, ana, invitation["id"], "withdraw"), 409, slug="invitation-not-pending")
    assert row_counts(database) == (1, 1)
    assert notifications(client, ana) == [("invitation_accepted", beto.id, invitation["id"])]
    assert seen_status(client, ana, invitation["id"]) == "accepted"


def test_the_sender_cannot_accept_their_own_invitation(
    client: TestClient, database: Database
) -> None:
    """Only the recipient answers: the sender's answer is a 404 and changes nothing."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, ana, to=beto)
    for action in ("accept", "ignore", "report"):
        refused = act(client, ana, invitation["id"], action)
        problem_of(refused, 404, slug="invitation-not-found")
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert seen_status(client, beto, invitation["id"]) == "pending"
    assert connection_ids(client, ana) == []
    assert row_counts(database) == (1, 0)


def test_crossing_invitations_connect_at_once(client: TestClient, database: Database) -> None:
    """Inviting a member whose invitation to you is pending connects you both, once."""
    ana, beto = people(client, "Ana", "Beto")
    theirs = invite(client, ana, to=beto, note="¿Conectamos?")
    crossing = client.post(
        INVITATIONS, json={"to": ana.id, "note": "¡Claro!"}, headers=beto.headers
    )
    assert crossing.status_code == 201, crossing.text
    ours = crossing.json()
    assert (ours["from"], ours["to"], ours["status"]) == (beto.id, ana.id, "accepted")
    assert ours["note"] == "¡Claro!"
    assert (ours["sender"]["degree"], ours["recipient"]["degree"]) == (0, 1)
    assert ours["id"] != theirs["id"]

    assert row_counts(database) == (2, 1)
    assert connection_ids(client, ana) == [beto.id]
    assert connection_ids(client, beto) == [ana.id]
    assert seen_status(client, ana, theirs["id"]) == "accepted"
    assert seen_status(client, beto, ours["id"]) == "accepted"
    assert invitations_in(client, ana, "received") == []
    assert invitations_in(client, beto, "received") == []
    assert notifications(client, ana) == [("invitation_accepted", beto.id, theirs["id"])]
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
    ana, beto, carla, dani = people(client, "Ana", "Beto", "Carla", "Dani")
    invitation = invite(client, ana, to=beto)
    ignored = act(client, beto, invitation["id"], "ignore")
    assert ignored.status_code == 200, ignored.text
    assert ignored.json()["status"] == "ignored"
    assert seen_status(client, beto, invitation["id"]) == "ignored"
    assert invitations_in(client, beto, "received") == []

    # The sender sees it pending, everywhere.
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert statuses(client, ana, "sent") == [(ana.id, beto.id, "pending")]
    assert notifications(client, ana) == []
    ignored_again = act(client, beto, invitation["id"], "ignore")
    problem_of(ignored_again, 409, slug="invitation-not-pending")
    problem_of(act(client, beto, invitation["id"], "accept"), 409, slug="invitation-not-pending")

    # Inviting again is refused exactly as while it is pending.
    invite(client, carla, to=dani)
    pending = client.post(INVITATIONS, json={"to": dani.id}, headers=carla.headers)
    again = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    assert problem_of(again, 409, slug="already-invited") == problem_of(pending, 409)
    assert row_counts(database) == (2, 0)

    # And it can be withdrawn like a pending one; then the cooldown starts.
    withdrawn = act(client, ana, invitation["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert seen_status(client, beto, invitation["id"]) == "withdrawn"
    cooldown = client.post(INVITATIONS, json={"to": beto.id}, headers=ana.headers)
    problem = problem_of(cooldown, 409, slug="invitation-cooldown")
    sent_on = datetime.fromisoformat(withdrawn.json()["created_at"])
    days = {(moment + timedelta(days=21)).date() for moment in (sent_on, datetime.now(UTC))}
    assert any(day.isoformat() in problem["detail"] for day in days), problem["detail"]
    assert row_counts(database) == (2, 0)


def test_only_the_sender_may_withdraw(client: TestClient, database: Database) -> None:
    """The recipient's withdraw is a 404; once withdrawn, nobody can act on it."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, ana, to=beto)
    problem_of(act(client, beto, invitation["id"], "withdraw"), 404, slug="invitation-not-found")
    assert seen_status(client, beto, invitation["id"]) == "pending"

    withdrawn = act(client, ana, invitation["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert statuses(client, ana, "sent") == [(ana.id, beto.id, "withdrawn")]
    assert invitations_in(client, beto, "received") == []
    assert seen_status(client, beto, invitation["id"]) == "withdrawn"

    for person, action in ((ana, "withdraw"), (beto, "accept"), (beto, "ignore")):
        refused = act(client, person, invitation["id"], action)
        problem_of(refused, 409, slug="invitation-not-pending")
    assert connection_ids(client, beto) == []
    assert row_counts(database) == (1, 0)
    # The recipient may still invite the sender: the cooldown binds only the sender.
    assert invite(client, beto, to=ana)["status"] == "pending"


def test_a_stranger_sees_and_does_nothing_with_an_invitation(client: TestClient) -> None:
    """To a third member an invitation does not exist, whatever they try."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    invitation = invite(client, ana, to=beto)
    for missing in (invitation["id"], MISSING):
        problem_of(
            client.get(f"{INVITATIONS}/{missing}", headers=carla.headers),
            404,
            slug="invitation-not-found",
        )
        for action in ("accept", "ignore", "withdraw", "report"):
            refused = act(client, carla, missing, action)
            problem_of(refused, 404, slug="invitation-not-found")
    # A stranger's 404 is the one for an invitation that does not exist.
    seen = client.get(f"{INVITATIONS}/{invitation['id']}", headers=carla.headers)
    assert seen.json() == client.get(f"{INVITATIONS}/{MISSING}", headers=carla.headers).json()
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert seen_status(client, beto, invitation["id"]) == "pending"
    assert connection_ids(client, carla) == []


def test_a_report_ignores_the_invitation_silently(client: TestClient, database: Database) -> None:
    """A report is an ignore that the sender cannot see, and only the recipient may make it."""
    ana, beto = people(client, "Ana", "Beto")
    invitation = invite(client, ana, to=beto)
    problem_of(act(client, ana, invitation["id"], "report"), 404, slug="invitation-not-found")
    reported = act(client, beto, invitation["id"], "report")
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "ignored"
    assert invitations_in(client, beto, "received") == []
    assert seen_status(client, ana, invitation["id"]) == "pending"
    assert statuses(client, ana, "sent") == [(ana.id, beto.id, "pending")]
    assert notifications(client, ana) == []
    problem_of(act(client, beto, invitation["id"], "report"), 409, slug="invitation-not-pending")
    with database.unit_of_work(write=False) as db:
        row = db.get_one(Invitation, invitation["id"])
        assert (row.status, row.reported) == ("ignored", True)


def test_an_invitation_id_must_be_a_positive_64_bit_number(client: TestClient) -> None:
    """An invitation id that no database could hold is invalid input, named."""
    (ana,) = people(client, "Ana")
    for invitation_id in ("0", "-1", "uno", str(2**63)):
        refused = client.get(f"{INVITATIONS}/{invitation_id}", headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["invitation_id"]
        for action in ("accept", "ignore", "withdraw", "report"):
            acted = act(client, ana, invitation_id, action)
            assert fields_of(problem_of(acted, 422, slug="invalid-input")) == ["invitation_id"]


# Pagination


def test_sent_invitations_come_newest_first_a_page_at_a_time(client: TestClient) -> None:
    """The sent box pages newest first, every invitation exactly once."""
    ana, *others = people(client, "Ana", "Beto", "Carla", "Dani", "Eva", "Fede")
    sent = [invite(client, ana, to=other)["id"] for other in others]
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


def test_a_bad_cursor_or_limit_is_invalid_input(client: TestClient) -> None:
    """A cursor not of ours, or a limit out of range, is a 422 naming it, on every list."""
    (ana,) = people(client, "Ana")
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
