"""The time-dependent rules of invitations, on a frozen clock: expiry (on read, and written down by
the sweep), the day-7 reminder, the 21-day cooldown, the weekly caps, restricted senders and the
connection cap. See PRODUCT.md (policies) and ADR 0005.

Every test runs inside `clock.frozen`, so that a day passes by `advance`, never by waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, bearer, connect, new_email, problem_of, register, token_for
from vinculo import clock
from vinculo.db import Database
from vinculo.identity import service as identity
from vinculo.invitations.models import Invitation
from vinculo.invitations.sweep import SweepResult, sweep_once
from vinculo.settings import get_settings

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
INVITATIONS = "/api/v1/invitations"

SetPolicy = Callable[..., None]


class Person(NamedTuple):
    id: int
    headers: dict[str, str]
    email: str


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The clock every rule reads, stopped at START; ask for it before `client`."""
    with clock.frozen(START) as frozen_clock:
        yield frozen_clock


@pytest.fixture(autouse=True)
def policy() -> Iterator[SetPolicy]:
    """Change settings for one test: `policy(max_connections=2)`.

    The services read `get_settings()` at every call, so the cache is cleared after each change,
    and once more after the environment is restored. API tokens are kept from going idle while
    the tests skip weeks ahead (sessions idle out after 14 days by default), and from reaching
    their lifetime when they skip months (90 days by default)."""
    with pytest.MonkeyPatch.context() as patch:

        def set_policy(**values: object) -> None:
            for name, value in values.items():
                patch.setenv(f"VINCULO_{name.upper()}", str(value))
            get_settings.cache_clear()

        set_policy(session_idle_days=3650, token_lifetime_days=3650)
        yield set_policy
    get_settings.cache_clear()


# Helpers


def _person(client: TestClient, name: str) -> Person:
    """A member registered through the API, with a bearer token."""
    email = new_email()
    member = register(client, name=name, email=email)
    return Person(member["id"], bearer(token_for(client, email)), email)


def _crowd(database: Database, count: int, *, name: str = "Crowd") -> list[Person]:
    """Many members with API tokens at once, through the identity service (faster than HTTP)."""
    people = []
    with database.unit_of_work() as db:
        for number in range(count):
            email = new_email("crowd")
            member = identity.register_member(
                db, email=email, password=PASSWORD, name=f"{name} {number}"
            )
            token = identity.open_session(db, member=member, kind="api")
            people.append(Person(member.id, bearer(token), email))
    return people


def _invite(client: TestClient, sender: Person, to: Person, **body: Any) -> Any:
    return client.post(INVITATIONS, json={"to": to.id, **body}, headers=sender.headers)


def _sent(client: TestClient, sender: Person, to: Person, **body: Any) -> int:
    """Invite, expecting a new pending invitation; its id."""
    response = _invite(client, sender, to, **body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    invitation_id: int = response.json()["id"]
    return invitation_id


def _act(client: TestClient, by: Person, invitation_id: int, action: str) -> Any:
    return client.post(f"{INVITATIONS}/{invitation_id}/{action}", headers=by.headers)


def _done(client: TestClient, by: Person, invitation_id: int, action: str) -> dict[str, Any]:
    response = _act(client, by, invitation_id, action)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _status(client: TestClient, viewer: Person, invitation_id: int) -> str:
    response = client.get(f"{INVITATIONS}/{invitation_id}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def _box(client: TestClient, member: Person, box: str) -> dict[int, str]:
    """A member's received or sent invitations: id → status as they see it."""
    response = client.get(INVITATIONS, params={"box": box, "limit": 100}, headers=member.headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item["status"] for item in response.json()["items"]}


def _reminders(client: TestClient, member: Person) -> list[tuple[int, int]]:
    """The member's reminder notifications: (invitation id, actor id), oldest first."""
    response = client.get("/api/v1/notifications", params={"limit": 100}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [
        (item["invitation_id"], item["actor"]["id"])
        for item in reversed(response.json()["items"])
        if item["kind"] == "invitation_reminder"
    ]


def _row(database: Database, invitation_id: int) -> Invitation:
    with database.unit_of_work(write=False) as db:
        return db.get_one(Invitation, invitation_id)


def _sweep(database: Database) -> SweepResult:
    """One pass of the periodic sweep, as `vinculo worker --once` runs it."""
    return sweep_once(database)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _connected(client: TestClient, a: Person, b: Person) -> bool:
    response = client.get(f"/api/v1/connections/{b.id}", headers=a.headers)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


# Expiry


def test_expiry_applies_on_read_and_the_sweep_writes_it_down(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana, beto, carla = (_person(client, name) for name in ("Ana", "Beto", "Carla"))
    stale = _sent(client, ana, beto)
    response = client.get(f"{INVITATIONS}/{stale}", headers=ana.headers).json()
    assert _at(response["created_at"]) == START
    assert _at(response["expires_at"]) == START + 14 * DAY
    fresh = _sent(client, carla, beto)

    # One second before the end it is still pending for both, and can be accepted.
    frozen.advance(14 * DAY - SECOND)
    assert _status(client, ana, stale) == "pending"
    assert _status(client, beto, stale) == "pending"
    assert set(_box(client, beto, "received")) == {stale, fresh}
    assert _done(client, beto, fresh, "accept")["status"] == "accepted"
    assert _connected(client, beto, carla)

    # At 14 days it has expired, for both members, with no sweep having run.
    frozen.advance(SECOND)
    assert _status(client, ana, stale) == "expired"
    assert _status(client, beto, stale) == "expired"
    assert _box(client, ana, "sent") == {stale: "expired"}
    assert _box(client, beto, "received") == {}
    for by, action in ((beto, "accept"), (beto, "ignore"), (beto, "report"), (ana, "withdraw")):
        problem_of(_act(client, by, stale, action), 409, slug="invitation-not-pending")
    assert not _connected(client, ana, beto)
    assert _row(database, stale).status == "pending"  # not written down yet

    # The sweep writes it down, closed at its expiry time; it sends no reminder for it.
    frozen.advance(HOUR)
    assert _sweep(database) == SweepResult(expired=1, reminded=0)
    row = _row(database, stale)
    assert row.status == "expired"
    assert row.closed_at == START + 14 * DAY
    assert row.reminded_at is None
    assert _reminders(client, beto) == []
    assert _status(client, ana, stale) == "expired"
    assert _status(client, beto, stale) == "expired"
    assert _row(database, fresh).status == "accepted"
    assert _sweep(database) == SweepResult(expired=0, reminded=0)


def test_an_ignored_invitation_looks_pending_to_its_sender_until_it_expires(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    invitation = _sent(client, ana, beto)
    frozen.advance(DAY)
    assert _done(client, beto, invitation, "ignore")["status"] == "ignored"

    frozen.advance(13 * DAY - SECOND)
    assert _status(client, ana, invitation) == "pending"
    assert _status(client, beto, invitation) == "ignored"
    frozen.advance(SECOND)
    assert _status(client, ana, invitation) == "expired"
    assert _box(client, ana, "sent") == {invitation: "expired"}
    problem_of(_act(client, ana, invitation, "withdraw"), 409, slug="invitation-not-pending")
    # The sweep leaves the recipient's answer as it is.
    assert _sweep(database).expired == 0
    assert _row(database, invitation).status == "ignored"
    assert _status(client, ana, invitation) == "expired"


def test_an_invitation_crossing_one_answers_it_only_until_it_expires(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana, beto, carla = (_person(client, name) for name in ("Ana", "Beto", "Carla"))
    from_beto = _sent(client, beto, ana)
    from_carla = _sent(client, carla, ana)

    frozen.advance(14 * DAY - SECOND)
    response = _invite(client, ana, carla)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "accepted"
    assert _status(client, carla, from_carla) == "accepted"
    assert _connected(client, ana, carla)

    # Expired (not yet swept): inviting back is a new invitation, and nobody is connected.
    frozen.advance(SECOND)
    mine = _sent(client, ana, beto)
    assert not _connected(client, ana, beto)
    row = _row(database, from_beto)
    assert (row.status, row.closed_at) == ("expired", START + 14 * DAY)
    assert _box(client, beto, "received") == {mine: "pending"}
    assert _done(client, beto, mine, "accept")["status"] == "accepted"


# The day-7 reminder


def test_one_reminder_at_day_seven(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    beto = _person(client, "Beto")
    ana, carla, dani, eva, fede = (
        _person(client, name) for name in ("Ana", "Carla", "Dani", "Eva", "Fede")
    )
    waiting = _sent(client, ana, beto)
    accepted = _sent(client, carla, beto)
    withdrawn = _sent(client, dani, beto)
    ignored = _sent(client, eva, beto)
    frozen.advance(DAY)
    later = _sent(client, fede, beto)  # due a day after the others

    frozen.advance(2 * DAY)
    _done(client, beto, accepted, "accept")
    frozen.advance(2 * DAY)
    _done(client, dani, withdrawn, "withdraw")
    frozen.advance(DAY)
    _done(client, beto, ignored, "ignore")

    frozen.advance(timedelta(days=6.9) - 6 * DAY)
    assert clock.now() == START + timedelta(days=6.9)
    assert _sweep(database) == SweepResult(expired=0, reminded=0)
    assert _reminders(client, beto) == []

    frozen.advance(timedelta(days=0.1))
    assert clock.now() == START + 7 * DAY
    assert _sweep(database) == SweepResult(expired=0, reminded=1)
    assert _reminders(client, beto) == [(waiting, ana.id)]
    assert _row(database, waiting).reminded_at == START + 7 * DAY
    assert _sweep(database) == SweepResult(expired=0, reminded=0)

    frozen.advance(DAY)
    assert _sweep(database) == SweepResult(expired=0, reminded=1)
    assert _reminders(client, beto) == [(waiting, ana.id), (later, fede.id)]
    frozen.advance(DAY)
    assert _sweep(database) == SweepResult(expired=0, reminded=0)
    assert _reminders(client, beto) == [(waiting, ana.id), (later, fede.id)]
    # The reminder goes to the recipient only.
    for sender in (ana, carla, dani, eva, fede):
        assert _reminders(client, sender) == []
    # Still pending, and still answerable after the reminder.
    assert _status(client, beto, waiting) == "pending"
    assert _done(client, beto, waiting, "accept")["status"] == "accepted"


# The 21-day cooldown


def _cooldown(response: Any, until: datetime) -> None:
    problem = problem_of(response, 409, slug="invitation-cooldown")
    assert until.date().isoformat() in problem["detail"]


def test_cooldown_after_a_withdrawal_counts_from_the_withdrawal(
    frozen: clock.FrozenClock, client: TestClient
) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    invitation = _sent(client, ana, beto)
    frozen.advance(3 * DAY + HOUR)
    assert _done(client, ana, invitation, "withdraw")["status"] == "withdrawn"
    withdrawn_at = clock.now()
    assert _status(client, beto, invitation) == "withdrawn"

    _cooldown(_invite(client, ana, beto), withdrawn_at + 21 * DAY)
    frozen.advance(21 * DAY - SECOND)
    _cooldown(_invite(client, ana, beto), withdrawn_at + 21 * DAY)
    frozen.advance(SECOND)
    _sent(client, ana, beto)


@pytest.mark.parametrize("answer", ["ignore", "report"])
def test_cooldown_after_an_ignore_or_a_report_counts_from_the_expiry(
    frozen: clock.FrozenClock, client: TestClient, answer: str
) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    invitation = _sent(client, ana, beto)
    frozen.advance(2 * DAY)
    assert _done(client, beto, invitation, answer)["status"] == "ignored"

    # During the invitation's 14 days the sender gets the answer of a pending invitation.
    problem_of(_invite(client, ana, beto), 409, slug="already-invited")
    frozen.advance(12 * DAY - SECOND)
    problem_of(_invite(client, ana, beto), 409, slug="already-invited")
    assert _status(client, ana, invitation) == "pending"

    # Then, 21 days from the expiry.
    frozen.advance(SECOND)
    assert clock.now() == START + 14 * DAY
    _cooldown(_invite(client, ana, beto), START + 35 * DAY)
    frozen.advance(21 * DAY - SECOND)
    _cooldown(_invite(client, ana, beto), START + 35 * DAY)
    frozen.advance(SECOND)
    _sent(client, ana, beto)


@pytest.mark.parametrize("swept", [False, True], ids=["on-read", "swept"])
def test_cooldown_after_an_expiry_counts_from_the_expiry(
    frozen: clock.FrozenClock, client: TestClient, database: Database, swept: bool
) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    _sent(client, ana, beto)
    frozen.advance(14 * DAY - SECOND)
    problem_of(_invite(client, ana, beto), 409, slug="already-invited")
    frozen.advance(SECOND)
    if swept:
        assert _sweep(database).expired == 1
    _cooldown(_invite(client, ana, beto), START + 35 * DAY)
    frozen.advance(21 * DAY - SECOND)
    _cooldown(_invite(client, ana, beto), START + 35 * DAY)
    frozen.advance(SECOND)
    _sent(client, ana, beto)


def test_withdrawing_an_ignored_invitation_starts_the_cooldown_at_the_withdrawal(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    invitation = _sent(client, ana, beto)
    frozen.advance(DAY)
    _done(client, beto, invitation, "ignore")
    frozen.advance(3 * DAY)
    # The sender cannot tell it was ignored: it withdraws like a pending one.
    assert _done(client, ana, invitation, "withdraw")["status"] == "withdrawn"
    row = _row(database, invitation)
    assert row.status == "withdrawn"
    assert row.ignored_at == START + DAY
    assert row.closed_at == START + 4 * DAY

    frozen.advance(21 * DAY - SECOND)
    _cooldown(_invite(client, ana, beto), START + 25 * DAY)
    frozen.advance(SECOND)
    _sent(client, ana, beto)


def test_cooldown_binds_only_the_sender(frozen: clock.FrozenClock, client: TestClient) -> None:
    ana, beto = _person(client, "Ana"), _person(client, "Beto")
    invitation = _sent(client, ana, beto)
    frozen.advance(DAY)
    _done(client, ana, invitation, "withdraw")
    frozen.advance(DAY)
    _cooldown(_invite(client, ana, beto), START + 22 * DAY)

    # The recipient may invite the sender during the sender's cooldown...
    theirs = _sent(client, beto, ana)
    # ...and the sender's invitation back then answers theirs: they connect at once.
    response = _invite(client, ana, beto)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "accepted"
    assert _status(client, beto, theirs) == "accepted"
    assert _connected(client, ana, beto)


# The weekly caps


def test_weekly_cap_of_100_on_a_rolling_week(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana = _person(client, "Ana")
    crowd = _crowd(database, 102)
    first = _sent(client, ana, crowd[0])
    frozen.advance(HOUR)
    sent = [first] + [_sent(client, ana, member) for member in crowd[1:100]]

    refused = _invite(client, ana, crowd[100])
    problem_of(refused, 429, slug="weekly-invitation-limit")
    # Until the oldest invitation, sent an hour before the others, leaves the window.
    wait = int((WEEK - HOUR).total_seconds()) + 1
    assert refused.headers["Retry-After"] == str(wait)
    # Withdrawing does not give the invitation back.
    _done(client, ana, sent[50], "withdraw")
    problem_of(_invite(client, ana, crowd[100]), 429, slug="weekly-invitation-limit")

    frozen.advance(timedelta(seconds=wait - 1))
    assert clock.now() == START + WEEK
    refused = _invite(client, ana, crowd[100])
    problem_of(refused, 429, slug="weekly-invitation-limit")
    assert refused.headers["Retry-After"] == "1"

    frozen.advance(SECOND)
    _sent(client, ana, crowd[100])
    # The window holds 100 again: the next one waits for the hour-later batch to leave it.
    refused = _invite(client, ana, crowd[101])
    problem_of(refused, 429, slug="weekly-invitation-limit")
    assert refused.headers["Retry-After"] == str(int((HOUR - SECOND).total_seconds()) + 1)


class History(NamedTuple):
    """How the recipients answered the sender's earlier invitations."""

    accepted: int = 0
    ignored: int = 0
    reported: int = 0
    ignored_then_withdrawn: int = 0  # ignored, and later withdrawn by the sender
    withdrawn: int = 0  # withdrawn before any answer
    expired: int = 0  # never answered


@pytest.mark.parametrize(
    ("history", "cap"),
    [
        # 20 answered (reports are answers), 5 of them accepted: 25%.
        pytest.param(History(accepted=5, ignored=12, reported=3), 20, id="25pct-of-20"),
        # Exactly 30% is not under 30%.
        pytest.param(History(accepted=6, ignored=11, reported=3), 100, id="30pct-of-20"),
        # Withdrawn and expired invitations nobody answered are not answers: 19 answered.
        pytest.param(History(ignored=19, withdrawn=2, expired=2), 100, id="19-answered"),
        # An ignore stays an answer when the sender withdraws the invitation afterwards.
        pytest.param(History(ignored=19, ignored_then_withdrawn=1), 20, id="ignored-withdrawn"),
    ],
)
def test_low_acceptance_cap(
    frozen: clock.FrozenClock,
    client: TestClient,
    database: Database,
    history: History,
    cap: int,
) -> None:
    ana = _person(client, "Ana")
    actions = (
        ["accept"] * history.accepted
        + ["ignore"] * history.ignored
        + ["report"] * history.reported
        + ["ignore-withdraw"] * history.ignored_then_withdrawn
        + ["withdraw"] * history.withdrawn
        + [""] * history.expired
    )
    earlier = _crowd(database, len(actions), name="Earlier")
    fresh = _crowd(database, 21, name="Fresh")
    for member, action in zip(earlier, actions, strict=True):
        invitation = _sent(client, ana, member)
        if action in ("accept", "ignore", "report"):
            _done(client, member, invitation, action)
        elif action == "ignore-withdraw":
            _done(client, member, invitation, "ignore")
            _done(client, ana, invitation, "withdraw")
        elif action == "withdraw":
            _done(client, ana, invitation, "withdraw")

    # Weeks later (every earlier invitation ended, none in the window), 20 go out...
    frozen.advance(3 * WEEK)
    for member in fresh[:20]:
        _sent(client, ana, member)
    # ...and the 21st only when the sender keeps the full cap.
    response = _invite(client, ana, fresh[20])
    if cap == 20:
        problem_of(response, 429, slug="weekly-invitation-limit")
        assert response.headers["Retry-After"] == str(int(WEEK.total_seconds()) + 1)
    else:
        assert response.status_code == 201, response.text


# Restricted senders


def _report_five(client: TestClient, database: Database, sender: Person) -> list[int]:
    """Five members report the sender's invitations ("I don't know this person"), now."""
    reported = []
    for member in _crowd(database, 5, name="Reporter"):
        invitation = _sent(client, sender, member)
        _done(client, member, invitation, "report")
        reported.append(invitation)
    return reported


def _add(
    client: TestClient, member: Person, *, kind: str, place: str, start: str, end: str
) -> None:
    if kind == "organization":
        path, body = "positions", {"organization": place, "title": "Engineer"}
    else:
        path, body = "education", {"school": place}
    response = client.post(
        f"/api/v1/members/me/{path}",
        json={**body, "start": start, "end": end},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text


def test_five_reports_restrict_the_sender_to_linked_members_or_known_emails(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana = _person(client, "Ana")
    friend, friends_friend = _person(client, "Fran"), _person(client, "Gil")
    connect(client, ana.headers, to=friend.id, to_headers=friend.headers)
    connect(client, friend.headers, to=friends_friend.id, to_headers=friends_friend.headers)
    colleague, former, classmate = (_person(client, n) for n in ("Coral", "Fermín", "Clara"))
    _add(client, ana, kind="organization", place="Acme", start="2015", end="2020")
    _add(client, colleague, kind="organization", place="Acme", start="2019-06", end="2024")
    # Fermín joined Acme after Ana left it: no overlap.
    _add(client, former, kind="organization", place="Acme", start="2021", end="2023")
    _add(client, ana, kind="school", place="Universidad de Sevilla", start="2009", end="2014")
    _add(client, classmate, kind="school", place="Universidad de Sevilla", start="2013", end="2017")
    strangers = _crowd(database, 4, name="Stranger")

    _report_five(client, database, ana)
    frozen.advance(HOUR)
    problem_of(_invite(client, ana, strangers[0]), 403, slug="restricted-sender")
    problem_of(_invite(client, ana, former), 403, slug="restricted-sender")
    problem_of(
        _invite(client, ana, strangers[0], email="someone.else@vinculo.example"),
        403,
        slug="restricted-sender",
    )
    # A link (a mutual connection, the same organization or school in overlapping years) or the
    # member's email, typed, still lets the invitation through.
    for linked in (friends_friend, colleague, classmate):
        _sent(client, ana, linked)
    _sent(client, ana, strangers[0], email=f"  {strangers[0].email.upper()} ")


def test_four_reports_do_not_restrict(
    frozen: clock.FrozenClock, client: TestClient, database: Database
) -> None:
    ana = _person(client, "Ana")
    for member in _crowd(database, 4, name="Reporter"):
        _done(client, member, _sent(client, ana, member), "report")
    _sent(client, ana, _crowd(database, 1, name="Stranger")[0])


@pytest.mark.parametrize("withdrawn_later", [False, True], ids=["reported", "then-withdrawn"])
def test_reports_older_than_90_days_do_not_count(
    frozen: clock.FrozenClock, client: TestClient, database: Database, withdrawn_later: bool
) -> None:
    ana = _person(client, "Ana")
    reported = _report_five(client, database, ana)
    reported_at = clock.now()
    strangers = _crowd(database, 2, name="Stranger")
    if withdrawn_later:
        # The sender, who sees the reported invitations as pending, withdraws them: the reports
        # still date from when they were made.
        frozen.advance(10 * DAY)
        for invitation in reported:
            assert _done(client, ana, invitation, "withdraw")["status"] == "withdrawn"

    frozen.advance(reported_at + 90 * DAY - SECOND - clock.now())
    problem_of(_invite(client, ana, strangers[0]), 403, slug="restricted-sender")
    frozen.advance(2 * SECOND)
    _sent(client, ana, strangers[0])


# The connection cap


def test_connection_cap(frozen: clock.FrozenClock, client: TestClient, policy: SetPolicy) -> None:
    policy(max_connections=2)
    assert get_settings().max_connections == 2
    ana, beto, carla, dani, eva, fede = (
        _person(client, name) for name in ("Ana", "Beto", "Carla", "Dani", "Eva", "Fede")
    )
    connect(client, ana.headers, to=beto.id, to_headers=beto.headers)
    connect(client, carla.headers, to=ana.id, to_headers=ana.headers)  # Ana is at the cap

    # Inviting a member at the cap is allowed (they may make room); accepting is not.
    from_dani = _sent(client, dani, ana)
    problem_of(_act(client, ana, from_dani, "accept"), 409, slug="connection-limit")
    assert not _connected(client, ana, dani)
    assert _status(client, ana, from_dani) == "pending"
    # Nor does inviting back (which would connect at once) get round it; nothing is written.
    sent_before = _box(client, ana, "sent")
    problem_of(_invite(client, ana, dani), 409, slug="connection-limit")
    assert not _connected(client, ana, dani)
    assert _box(client, ana, "sent") == sent_before
    assert _status(client, dani, from_dani) == "pending"

    # The cap holds for the sender's side too.
    from_ana = _sent(client, ana, eva)
    problem_of(_act(client, eva, from_ana, "accept"), 409, slug="connection-limit")
    assert not _connected(client, eva, ana)
    # A member under the cap connects as usual.
    connect(client, eva.headers, to=fede.id, to_headers=fede.headers)

    # Once Ana makes room, the waiting invitation can be accepted.
    assert client.delete(f"/api/v1/connections/{beto.id}", headers=ana.headers).status_code == 204
    assert _done(client, ana, from_dani, "accept")["status"] == "accepted"
    assert _connected(client, ana, dani)
    problem_of(_act(client, eva, from_ana, "accept"), 409, slug="connection-limit")
