"""Invitations, connections and blocks as a state machine, checked against a pure model.

Hypothesis drives invite, accept, ignore, report, withdraw, remove, block, unblock and the passing
of days through the JSON API, for four fresh members per example, with the right actors and the
wrong ones (the other party, a third member, an invitation that does not exist) and in every
state (pending, answered, ignored, withdrawn, expired, blocked). After every step each member's
connections, received and sent invitations (with the status that member sees; none across a
block) and blocks must equal what the model below says.

The model is written from PRODUCT.md, the contract and ADR 0005, not from the code: a few
dicts and sets, with expiry, cooldowns and the report window read from the (frozen) clock. A
few scenarios written by hand drive the same machine along paths it reaches only now and then.
Breaking a rule of the model on purpose (when a cooldown starts, the silent ignore, what a block
closes, the report window, who may act, expiry at exactly 14 days...) makes a test here fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from starlette.testclient import TestClient

from tests.helpers import bearer, new_email, problem_of, register, token_for
from vinculo import clock

# The policies, from PRODUCT.md (the defaults of the settings).
EXPIRY = timedelta(days=14)
COOLDOWN = timedelta(days=21)
REPORT_WINDOW = timedelta(days=90)
REPORTS_TO_RESTRICT = 5

# About 20 s a backend; VINCULO_TEST_MODEL_EXAMPLES=300 hunts longer.
EXAMPLES = int(os.environ.get("VINCULO_TEST_MODEL_EXAMPLES", "12"))
# In name order, so that a connection list (sorted by name) is sorted by index too.
NAMES = ("Ana Alba", "Beto Bravo", "Carla Cruz", "Dani Duarte")
START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
# An invitation id no example ever reaches: acting on it is acting as a stranger.
MISSING = 2**62
# What a member sees. A step changes only some views of its parties; after it those are read,
# and every few steps all four members' views are read too.
View = Literal["connections", "received", "sent", "blocks"]
VIEWS: tuple[View, ...] = ("connections", "received", "sent", "blocks")
INVITATION_VIEWS: tuple[View, ...] = ("connections", "received", "sent")
FULL_CHECK_EVERY = 4
# Ordered pairs of different members, by index.
PAIRS = [(a, b) for a in range(len(NAMES)) for b in range(len(NAMES)) if a != b]
StepKind = Literal["invite", "answer", "someone else", "remove", "block", "unblock", "days pass"]
# How often each kind of step comes (Hypothesis also shrinks towards the first).
STEP_KINDS: tuple[StepKind, ...] = (
    *("invite",) * 3,
    *("answer",) * 3,
    "someone else",
    "remove",
    "block",
    "unblock",
    "days pass",
)
Who = Literal["other side", "third", "stranger"]
WHO: tuple[Who, ...] = ("other side", "third", "stranger")
# Around the 14 days of expiry and the 21 of cooldown, so that sums land on them exactly.
DAYS = (1, 7, 13, 14, 21)

Action = Literal["accept", "ignore", "report", "withdraw"]
ACTIONS: tuple[Action, ...] = ("accept", "ignore", "report", "withdraw")


# The model


@dataclass
class Invitation:
    id: int
    sender: int
    recipient: int
    # "pending", "accepted", "ignored" (a report too) or "withdrawn". Expiry is not a state here:
    # a pending or ignored invitation past `expires_at` is expired, whatever is stored.
    status: str
    expires_at: datetime
    closed_at: datetime | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True)
class Expected:
    status: int
    slug: str | None = None  # the problem type of an error
    seen: str | None = None  # the invitation's status in the answer, as the caller sees it


@dataclass
class Model:
    now: datetime
    connections: set[frozenset[int]] = field(default_factory=set)
    blocks: set[tuple[int, int]] = field(default_factory=set)  # (blocker, blocked)
    invitations: dict[int, Invitation] = field(default_factory=dict)

    # Reading

    def expired(self, invitation: Invitation) -> bool:
        return invitation.expires_at <= self.now

    def waiting(self, invitation: Invitation) -> bool:
        """Waiting for the recipient's answer."""
        return invitation.status == "pending" and not self.expired(invitation)

    def open_to_sender(self, invitation: Invitation) -> bool:
        """Pending as its sender sees it: an ignored invitation looks pending until it expires."""
        return invitation.status in ("pending", "ignored") and not self.expired(invitation)

    def seen_by(self, invitation: Invitation, viewer: int) -> str:
        if invitation.status in ("pending", "ignored") and self.expired(invitation):
            return "expired"
        if invitation.status == "ignored" and viewer == invitation.sender:
            return "pending"
        return invitation.status

    def sent_from(self, sender: int, recipient: int) -> list[Invitation]:
        return [
            invitation
            for invitation in self.invitations.values()
            if invitation.sender == sender and invitation.recipient == recipient
        ]

    def connected(self, a: int, b: int) -> bool:
        return frozenset((a, b)) in self.connections

    def blocked_either_way(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def neighbours(self, member: int) -> set[int]:
        return {other for pair in self.connections if member in pair for other in pair - {member}}

    def cooldown_until(self, sender: int, recipient: int) -> datetime | None:
        """21 days after the sender's last unsuccessful invitation to the recipient ended, as the
        sender saw it end: a withdrawal when it happened; an ignore, a report or no answer at
        the expiry time."""
        ends = [
            invitation.closed_at
            if invitation.status == "withdrawn" and invitation.closed_at is not None
            else invitation.expires_at
            for invitation in self.sent_from(sender, recipient)
            if invitation.status in ("withdrawn", "ignored")
            or (invitation.status == "pending" and self.expired(invitation))
        ]
        return max(ends) + COOLDOWN if ends else None

    def restricted(self, sender: int) -> bool:
        reports = [
            invitation
            for invitation in self.invitations.values()
            if invitation.sender == sender
            and invitation.reported_at is not None
            and invitation.reported_at >= self.now - REPORT_WINDOW
        ]
        return len(reports) >= REPORTS_TO_RESTRICT

    # What each member sees

    def connections_of(self, member: int) -> list[int]:
        return sorted(self.neighbours(member))

    def received(self, member: int) -> list[tuple[int, int, int, str]]:
        return sorted(
            (
                (invitation.id, invitation.sender, invitation.recipient, "pending")
                for invitation in self.invitations.values()
                if invitation.recipient == member
                and self.waiting(invitation)
                and not self.blocked_either_way(invitation.sender, member)
            ),
            reverse=True,
        )

    def sent(self, member: int) -> list[tuple[int, int, int, str]]:
        return sorted(
            (
                (
                    invitation.id,
                    invitation.sender,
                    invitation.recipient,
                    self.seen_by(invitation, member),
                )
                for invitation in self.invitations.values()
                if invitation.sender == member
                and not self.blocked_either_way(member, invitation.recipient)
            ),
            reverse=True,
        )

    def blocked_by(self, member: int) -> list[int]:
        return sorted(blocked for blocker, blocked in self.blocks if blocker == member)

    # Changing

    def _connect(self, a: int, b: int) -> None:
        """Connect; no invitation between the two stays open, either way."""
        self.connections.add(frozenset((a, b)))
        for invitation in self.sent_from(a, b) + self.sent_from(b, a):
            if self.open_to_sender(invitation):
                invitation.status = "accepted"
                invitation.closed_at = self.now

    def _add(self, new_id: int, sender: int, recipient: int, status: str) -> None:
        self.invitations[new_id] = Invitation(
            id=new_id,
            sender=sender,
            recipient=recipient,
            status=status,
            expires_at=self.now + EXPIRY,
            closed_at=self.now if status == "accepted" else None,
        )

    def invite(self, sender: int, recipient: int, *, new_id: int) -> Expected:  # noqa: PLR0911
        if self.blocked_either_way(sender, recipient):
            return Expected(404, "member-not-found")
        if self.connected(sender, recipient):
            return Expected(409, "already-connected")
        if any(map(self.open_to_sender, self.sent_from(sender, recipient))):
            # An ignored invitation gets the same answer as a pending one.
            return Expected(409, "already-invited")
        if any(map(self.open_to_sender, self.sent_from(recipient, sender))):
            # Theirs is pending as they see it: this answers it, the two connect at once.
            self._connect(sender, recipient)
            self._add(new_id, sender, recipient, "accepted")
            return Expected(201, seen="accepted")
        until = self.cooldown_until(sender, recipient)
        if until is not None and until > self.now:
            return Expected(409, "invitation-cooldown")
        if self.restricted(sender) and not self.neighbours(sender) & self.neighbours(recipient):
            return Expected(403, "restricted-sender")
        self._add(new_id, sender, recipient, "pending")
        return Expected(201, seen="pending")

    def act(self, actor: int, invitation_id: int, action: Action) -> Expected:  # noqa: PLR0911
        invitation = self.invitations.get(invitation_id)
        owner = None
        if invitation is not None:
            owner = invitation.sender if action == "withdraw" else invitation.recipient
        if invitation is None or owner != actor:
            return Expected(404, "invitation-not-found")
        if self.blocked_either_way(invitation.sender, invitation.recipient):
            # Across a block, the invitation is gone with the other member.
            return Expected(404, "invitation-not-found")
        if action == "accept":
            if not self.waiting(invitation):
                return Expected(409, "invitation-not-pending")
            self._connect(invitation.sender, invitation.recipient)
            return Expected(200, seen="accepted")
        if action == "withdraw":
            if not self.open_to_sender(invitation):
                return Expected(409, "invitation-not-pending")
            invitation.status = "withdrawn"
            invitation.closed_at = self.now
            return Expected(200, seen="withdrawn")
        if not self.waiting(invitation):
            return Expected(409, "invitation-not-pending")
        invitation.status = "ignored"
        invitation.closed_at = self.now
        if action == "report":
            invitation.reported_at = self.now
        return Expected(200, seen="ignored")

    def remove(self, member: int, other: int) -> Expected:
        if not self.connected(member, other):
            return Expected(404, "not-connected")
        self.connections.discard(frozenset((member, other)))
        return Expected(204)

    def block(self, blocker: int, blocked: int) -> Expected:
        if (blocked, blocker) in self.blocks:
            return Expected(404, "member-not-found")
        if (blocker, blocked) in self.blocks:
            return Expected(409, "conflict")
        self.blocks.add((blocker, blocked))
        self.connections.discard(frozenset((blocker, blocked)))
        # The blocker's invitation is withdrawn (one the other ignored looks pending to the
        # blocker, so it is withdrawn too); the blocked member's is ignored, silently.
        for invitation in self.sent_from(blocker, blocked):
            if self.open_to_sender(invitation):
                invitation.status = "withdrawn"
                invitation.closed_at = self.now
        for invitation in self.sent_from(blocked, blocker):
            if self.waiting(invitation):
                invitation.status = "ignored"
                invitation.closed_at = self.now
        return Expected(201)

    def unblock(self, blocker: int, blocked: int) -> Expected:
        if (blocker, blocked) not in self.blocks:
            return Expected(404, "not-blocked")
        self.blocks.discard((blocker, blocked))
        return Expected(204)


# The machine


def _check(response: Any, expected: Expected, step: str) -> None:
    if currently_in_test_context():
        # One Hypothesis event per outcome, to see which outcomes the machine reaches.
        event(f"{step.partition(' ')[0]}: {expected.status} {expected.slug or expected.seen or ''}")
    if expected.slug is not None:
        assert response.status_code == expected.status, (step, expected, response.text)
        problem_of(response, expected.status, slug=expected.slug)
        return
    assert response.status_code == expected.status, (step, expected, response.text)
    if expected.seen is not None:
        assert response.json()["status"] == expected.seen, (step, expected, response.text)


def _all_items(client: TestClient, path: str, headers: dict[str, str], **params: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def network_machine(client: TestClient, frozen: clock.FrozenClock) -> type[NetworkMachine]:
    """The state machine, over this client and clock (both live as long as the test)."""

    class Machine(NetworkMachine):
        pass

    Machine.client = client
    Machine.frozen = frozen
    return Machine


class NetworkMachine(RuleBasedStateMachine):
    """One rule, `step`, draws what happens next with fixed weights (Hypothesis favours some
    rules of a machine over others, which starved the invitations); each kind of step is a
    method of its own, so that a scenario can also be written by hand."""

    client: ClassVar[TestClient]
    frozen: ClassVar[clock.FrozenClock]

    def __init__(self) -> None:
        super().__init__()
        self.model = Model(now=self.frozen.current)
        self.ids: list[int] = []
        self.emails: list[str] = []
        self.headers: list[dict[str, str]] = []
        # Whose views the last step may have changed; every few steps, everybody's is read.
        self.touched: dict[int, set[View]] = {}
        self.steps = 0

    @initialize()
    def register_members(self) -> None:
        # Time only moves forward, across examples too: earlier members' rows stay behind.
        self.model.now = self.frozen.current
        for name in NAMES:
            email = new_email("model")
            self.ids.append(register(self.client, name=name, email=email)["id"])
            self.emails.append(email)
            self.headers.append(bearer(token_for(self.client, email)))
        self.touch(range(len(NAMES)), VIEWS)

    @rule(
        kind=st.sampled_from(STEP_KINDS),
        pair=st.sampled_from(PAIRS),
        which=st.integers(0, 63),
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(WHO),
        days=st.sampled_from(DAYS),
    )
    def step(
        self,
        *,
        kind: StepKind,
        pair: tuple[int, int],
        which: int,
        action: Action,
        who: Who,
        days: int,
    ) -> None:
        """`which` picks what to act on: an even one an open invitation, an existing connection
        or block (when there is one), an odd one any invitation, or `pair` whatever it has. For
        an invitation, `which` % 4 of 0 or 2 invites again or back along an earlier one."""
        model = self.model
        fresh = which % 2 == 0
        if kind in ("answer", "someone else"):
            invitations = sorted(model.invitations)
            open_ones = [i for i in invitations if model.open_to_sender(model.invitations[i])]
            pool = open_ones if fresh and open_ones else invitations
            chosen = pool[which // 2 % len(pool)] if pool else MISSING
            if kind == "answer" and pool:
                self.answer(chosen, action)
            else:
                self.act_as_someone_else(chosen, action, who, pick=pair[0] % 2)
        elif kind == "remove":
            connections = sorted((min(c), max(c)) for c in model.connections)
            if fresh and connections:
                pair = connections[which // 2 % len(connections)]
            self.remove(*pair)
        elif kind == "unblock":
            blocks = sorted(model.blocks)
            if fresh and blocks:
                pair = blocks[which // 2 % len(blocks)]
            self.unblock(*pair)
        elif kind == "invite":
            sent = [model.invitations[i] for i in sorted(model.invitations)]
            if which % 4 in (0, 2) and sent:
                # Again, or back: the pair of an earlier invitation, where the rules bite.
                earlier = sent[which // 4 % len(sent)]
                pair = (earlier.sender, earlier.recipient)
                if which % 4 == 2:
                    pair = pair[::-1]
            self.invite(*pair)
        elif kind == "block":
            self.block(*pair)
        else:
            self.days_pass(days)

    def touch(self, members: Iterable[int], views: Iterable[View]) -> None:
        for member in members:
            self.touched.setdefault(member, set()).update(views)

    def index_of(self, member_id: int) -> int:
        return self.ids.index(member_id)

    def invite(self, sender: int, recipient: int) -> Expected:
        self.touch((sender, recipient), INVITATION_VIEWS)
        response = self.client.post(
            "/api/v1/invitations", json={"to": self.ids[recipient]}, headers=self.headers[sender]
        )
        new_id = response.json()["id"] if response.status_code == 201 else -1
        expected = self.model.invite(sender, recipient, new_id=new_id)
        _check(response, expected, f"invite {sender} -> {recipient}")
        if expected.status == 201:
            body = response.json()
            assert (body["from"], body["to"]) == (self.ids[sender], self.ids[recipient])
            assert datetime.fromisoformat(body["created_at"]) == self.model.now
            assert datetime.fromisoformat(body["expires_at"]) == self.model.now + EXPIRY
        return expected

    def act(self, actor: int, invitation: int, action: Action) -> None:
        response = self.client.post(
            f"/api/v1/invitations/{invitation}/{action}", headers=self.headers[actor]
        )
        expected = self.model.act(actor, invitation, action)
        _check(response, expected, f"{action} {invitation} by {actor}")
        if expected.status == 200:
            assert response.json()["id"] == invitation
        known = self.model.invitations.get(invitation)
        if known is not None:
            # The invitation itself, as each side sees it (the recipient's only view of it once
            # it is no longer pending), and as a member outside it or across a block: not there.
            apart = self.model.blocked_either_way(known.sender, known.recipient)
            for member in range(len(NAMES)):
                seen = self.client.get(
                    f"/api/v1/invitations/{invitation}", headers=self.headers[member]
                )
                if member in (known.sender, known.recipient) and not apart:
                    assert seen.status_code == 200, seen.text
                    assert seen.json()["status"] == self.model.seen_by(known, member), (
                        f"invitation {invitation} as {member} sees it"
                    )
                else:
                    problem_of(seen, 404, slug="invitation-not-found")

    def answer(self, invitation: int, action: Action) -> None:
        """By the member who may: the recipient answers, the sender withdraws (in any state)."""
        known = self.model.invitations[invitation]
        actor = known.sender if action == "withdraw" else known.recipient
        self.touch((known.sender, known.recipient), INVITATION_VIEWS)
        self.act(actor, invitation, action)

    def act_as_someone_else(self, invitation: int, action: Action, who: Who, pick: int) -> None:
        """The other side of the invitation, a member outside it, or anyone at all on an
        invitation that does not exist."""
        known = self.model.invitations.get(invitation)
        parties = (known.sender, known.recipient) if known else (0, 1)
        if who == "other side" and known is not None:
            actor = known.recipient if action == "withdraw" else known.sender
        else:
            actor = [m for m in range(len(NAMES)) if m not in parties][pick]
        if who == "stranger":
            invitation = MISSING
        self.touch({actor, *(parties if known else ())}, INVITATION_VIEWS)
        self.act(actor, invitation, action)

    def remove(self, member: int, other: int) -> None:
        self.touch((member, other), ("connections",))
        response = self.client.delete(
            f"/api/v1/connections/{self.ids[other]}", headers=self.headers[member]
        )
        _check(response, self.model.remove(member, other), f"remove {member} - {other}")

    def block(self, blocker: int, blocked: int) -> None:
        self.touch((blocker, blocked), VIEWS)
        response = self.client.post(
            "/api/v1/blocks", json={"member": self.ids[blocked]}, headers=self.headers[blocker]
        )
        expected = self.model.block(blocker, blocked)
        _check(response, expected, f"block {blocker} -> {blocked}")
        if expected.status == 201:
            assert response.json()["member"]["id"] == self.ids[blocked]

    def unblock(self, blocker: int, blocked: int) -> None:
        self.touch((blocker, blocked), VIEWS)
        response = self.client.delete(
            f"/api/v1/blocks/{self.ids[blocked]}", headers=self.headers[blocker]
        )
        _check(response, self.model.unblock(blocker, blocked), f"unblock {blocker} -> {blocked}")

    def days_pass(self, days: int) -> None:
        self.frozen.advance(timedelta(days=days))
        self.model.now = self.frozen.current
        self.touch(range(len(NAMES)), ("received", "sent"))
        # Sessions end after 14 idle days: log in again, as a member coming back would.
        self.headers = [bearer(token_for(self.client, email)) for email in self.emails]

    @invariant()
    def api_matches_model(self) -> None:
        self.steps += 1
        everybody = self.steps % FULL_CHECK_EVERY == 0
        if everybody:
            self.touch(range(len(self.ids)), VIEWS)
        touched, self.touched = self.touched, {}
        for member, views in sorted(touched.items()):
            headers = self.headers[member]
            if "connections" in views:
                connections = _all_items(
                    self.client, f"/api/v1/members/{self.ids[member]}/connections", headers
                )
                assert [self.index_of(item["id"]) for item in connections] == (
                    self.model.connections_of(member)
                ), f"connections of {member}"
            for box, expected in (
                ("received", self.model.received(member)),
                ("sent", self.model.sent(member)),
            ):
                if box not in views:
                    continue
                items = _all_items(self.client, "/api/v1/invitations", headers, box=box)
                seen = [
                    (
                        item["id"],
                        self.index_of(item["from"]),
                        self.index_of(item["to"]),
                        item["status"],
                    )
                    for item in items
                ]
                assert seen == expected, f"{box} invitations of {member}"
            if "blocks" in views:
                blocks = _all_items(self.client, "/api/v1/blocks", headers)
                assert [self.index_of(item["member"]["id"]) for item in blocks] == (
                    self.model.blocked_by(member)
                ), f"blocks of {member}"


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    with clock.frozen(START) as frozen:
        yield frozen


def test_invitations_connections_and_blocks_follow_the_model(
    client: TestClient, frozen_clock: clock.FrozenClock
) -> None:
    run_state_machine_as_test(
        network_machine(client, frozen_clock),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# Scenarios: steps written by hand, checked against the model after each as in the machine. They
# pin down paths the machine reaches only now and then, and say what the model expects there.


class Scenario:
    def __init__(self, client: TestClient, frozen: clock.FrozenClock) -> None:
        self.machine = network_machine(client, frozen)()
        self.machine.register_members()
        self.check()

    def check(self) -> None:
        """What the last step touched, and every few steps everything, as in the machine."""
        self.machine.api_matches_model()

    @property
    def model(self) -> Model:
        return self.machine.model

    def last_invitation(self) -> int:
        return max(self.model.invitations)

    def invite(self, sender: int, recipient: int) -> int:
        self.machine.invite(sender, recipient)
        self.check()
        return self.last_invitation()

    def answer(self, invitation: int, action: Action) -> None:
        self.machine.answer(invitation, action)
        self.check()

    def block(self, blocker: int, blocked: int) -> None:
        self.machine.block(blocker, blocked)
        self.check()

    def unblock(self, blocker: int, blocked: int) -> None:
        self.machine.unblock(blocker, blocked)
        self.check()

    def days_pass(self, days: int) -> None:
        self.machine.days_pass(days)
        self.check()

    def outcome(self, sender: int, recipient: int) -> str:
        """What an invitation gets now: its status, or the problem's slug."""
        expected = self.machine.invite(sender, recipient)
        self.check()
        assert expected.slug or expected.seen
        return expected.slug or expected.seen or ""


def test_inviting_back_after_ignoring_connects_at_once(
    client: TestClient, frozen_clock: clock.FrozenClock
) -> None:
    """Ana's ignored invitation still looks pending to her; when Beto invites her after all, it
    is answered like a pending one, rather than showing Ana an invitation from Beto next to her
    "pending" one (which would tell her of the ignore)."""
    scenario = Scenario(client, frozen_clock)
    theirs = scenario.invite(0, 1)
    scenario.answer(theirs, "ignore")
    assert scenario.outcome(1, 0) == "accepted"
    assert scenario.model.connected(0, 1)
    assert scenario.model.invitations[theirs].status == "accepted"
    # The same when the ignore came from a block, lifted since.
    theirs = scenario.invite(2, 3)
    scenario.block(3, 2)
    scenario.unblock(3, 2)
    assert scenario.outcome(3, 2) == "accepted"
    assert scenario.model.connected(2, 3)


def test_blocking_withdraws_even_an_ignored_invitation_but_not_an_expired_one(
    client: TestClient, frozen_clock: clock.FrozenClock
) -> None:
    scenario = Scenario(client, frozen_clock)
    ignored = scenario.invite(0, 1)
    scenario.answer(ignored, "ignore")
    expired = scenario.invite(0, 2)
    scenario.days_pass(7)
    scenario.block(0, 1)
    assert scenario.model.seen_by(scenario.model.invitations[ignored], 0) == "withdrawn"
    scenario.days_pass(7)
    scenario.block(0, 2)
    assert scenario.model.seen_by(scenario.model.invitations[expired], 0) == "expired"
    scenario.unblock(0, 1)
    scenario.unblock(0, 2)
    # The cooldowns: from the block (day 7) for the withdrawn one, from the expiry (day 14) for
    # the other; now is day 14.
    scenario.days_pass(13)
    assert scenario.outcome(0, 1) == "invitation-cooldown"
    assert scenario.outcome(0, 2) == "invitation-cooldown"
    scenario.days_pass(1)
    assert scenario.outcome(0, 1) == "pending"
    assert scenario.outcome(0, 2) == "invitation-cooldown"
    scenario.days_pass(7)
    assert scenario.outcome(0, 2) == "pending"


def test_five_reports_in_90_days_restrict_the_sender_counted_from_each_report(
    client: TestClient, frozen_clock: clock.FrozenClock
) -> None:
    """Ana's invitations to Beto, Carla and Dani are reported on day 0, and withdrawn by her on
    day 13 (they look pending to her); on day 35, after the cooldown, her new ones to Beto and
    Carla are reported too: five reports, she may invite only members she has a link with. The
    first three drop out of the 90 days after day 90, from when they were made: the withdrawal
    does not move them."""
    scenario = Scenario(client, frozen_clock)
    first = [scenario.invite(0, recipient) for recipient in (1, 2, 3)]
    for invitation in first:
        scenario.answer(invitation, "report")
    scenario.days_pass(13)
    for invitation in first:
        scenario.answer(invitation, "withdraw")
    scenario.days_pass(21)
    scenario.days_pass(1)  # day 35
    second = [scenario.invite(0, recipient) for recipient in (1, 2)]
    for invitation in second:
        scenario.answer(invitation, "report")
    assert scenario.outcome(0, 3) == "restricted-sender"
    scenario.days_pass(13)  # day 48
    for invitation in second:
        scenario.answer(invitation, "withdraw")
    scenario.days_pass(21)
    scenario.days_pass(21)  # day 90: the first reports are 90 days old, still in
    assert scenario.outcome(0, 3) == "restricted-sender"
    scenario.days_pass(1)
    assert scenario.outcome(0, 3) == "pending"


def test_cooldowns_count_from_a_withdrawal_or_else_from_the_expiry(
    client: TestClient, frozen_clock: clock.FrozenClock
) -> None:
    """On day 1 Ana withdraws her invitation to Beto, Carla ignores hers and Dani reports hers;
    Dani's own to Carla goes unanswered. Ana may invite Beto again from day 22, and the other
    three from day 35: 14 days to the expiry, then 21."""
    scenario = Scenario(client, frozen_clock)
    withdrawn, ignored, reported = (scenario.invite(0, recipient) for recipient in (1, 2, 3))
    scenario.invite(3, 2)
    scenario.days_pass(1)
    scenario.answer(withdrawn, "withdraw")
    scenario.answer(ignored, "ignore")
    scenario.answer(reported, "report")
    scenario.days_pass(20)
    assert scenario.outcome(0, 1) == "invitation-cooldown"
    scenario.days_pass(1)
    assert scenario.outcome(0, 1) == "pending"
    scenario.days_pass(12)
    for sender, recipient in ((0, 2), (0, 3), (3, 2)):
        assert scenario.outcome(sender, recipient) == "invitation-cooldown"
    scenario.days_pass(1)
    for sender, recipient in ((0, 2), (0, 3), (3, 2)):
        assert scenario.outcome(sender, recipient) == "pending"
