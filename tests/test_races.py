"""Network actions racing each other on real threads, each request on its own client and database
connection, on SQLite and on PostgreSQL (ADR 0005): crossing invitations, accepts racing a
withdrawal, double sends, accepts and sends racing a block, blocks both ways, removals from both
sides. Whatever the interleaving, the rows end in one state, nobody gets a 500, and the connection
change log (and the graph index that follows it) agrees with the connection table.

Every race runs for several rounds with fresh members, and the assertions are on the rows, so that
a broken invariant shows up even when only some interleavings break it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2
from fastapi import FastAPI
from sqlalchemy import and_, or_, select
from starlette.testclient import TestClient

from tests.helpers import connect, member_with_token
from vinculo.db import Database
from vinculo.invitations.models import Invitation
from vinculo.network.index import GRAPH_INDEX
from vinculo.network.models import Connection, ConnectionChange
from vinculo.privacy.models import Block

# Long enough for any honest wait on a lock (SQLite's busy timeout in the tests is 30 s); a
# deadlock or a request stuck for good fails the test instead of hanging the run.
DEADLINE_SECONDS = 45.0

Call = Callable[[TestClient], httpx2.Response]


# Racing


def race(app: FastAPI, calls: Sequence[Call]) -> list[httpx2.Response]:
    """Run every call in a thread of its own, each with its own client (and so its own request,
    unit of work and database connection), all released at once by a barrier. The responses come
    back in the order of the calls; an exception raised by the server fails the test."""
    barrier = threading.Barrier(len(calls), timeout=DEADLINE_SECONDS)
    responses: list[httpx2.Response | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(position: int, call: Call) -> None:
        # Not entered as a context manager: the app's lifespan (and its graph index) belongs to
        # the test's `client`; these clients only send requests.
        racer = TestClient(app)
        try:
            barrier.wait()
            responses[position] = call(racer)
        except Exception as error:  # noqa: BLE001 - the test thread fails with it below
            # A 500 raised through the client, or a broken barrier.
            failures.append(error)
            barrier.abort()
        finally:
            racer.close()

    threads = [
        threading.Thread(target=run, args=(position, call), daemon=True)
        for position, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"requests still running after {DEADLINE_SECONDS} s (a deadlock?): {stuck}"
    assert not failures, f"a racing request failed: {failures!r}"
    done = [response for response in responses if response is not None]
    assert len(done) == len(calls)
    for response in done:
        assert response.status_code < 500, response.text
    return done


def send(headers: dict[str, str], to: int) -> Call:
    return lambda racer: racer.post("/api/v1/invitations", json={"to": to}, headers=headers)


def act(headers: dict[str, str], invitation_id: int, action: str) -> Call:
    return lambda racer: racer.post(
        f"/api/v1/invitations/{invitation_id}/{action}", headers=headers
    )


def block(headers: dict[str, str], member_id: int) -> Call:
    return lambda racer: racer.post("/api/v1/blocks", json={"member": member_id}, headers=headers)


def remove(headers: dict[str, str], member_id: int) -> Call:
    return lambda racer: racer.delete(f"/api/v1/connections/{member_id}", headers=headers)


def slug(response: httpx2.Response) -> str:
    """The problem type of an error answer, or the status of an invitation answer."""
    if response.status_code == 204:
        return ""
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        return str(body["type"]).removeprefix("/problems/")
    return str(body.get("status", ""))


def outcomes(responses: Sequence[httpx2.Response]) -> list[tuple[int, str]]:
    return sorted((response.status_code, slug(response)) for response in responses)


# The rows


@dataclass(frozen=True)
class Pair:
    """Two fresh members and the headers that act as each."""

    a: int
    b: int
    a_headers: dict[str, str]
    b_headers: dict[str, str]


def new_pair(client: TestClient) -> Pair:
    a, a_headers = member_with_token(client, name="Ana Ruiz")
    b, b_headers = member_with_token(client, name="Bruno Sá")
    return Pair(a["id"], b["id"], a_headers, b_headers)


def invite(client: TestClient, pair: Pair) -> int:
    """A sends B an invitation; its id."""
    response = client.post("/api/v1/invitations", json={"to": pair.b}, headers=pair.a_headers)
    assert response.status_code == 201, response.text
    invitation_id: int = response.json()["id"]
    return invitation_id


@dataclass(frozen=True)
class PairRows:
    connections: int
    invitations: list[tuple[int, int, str]]  # (sender, recipient, status), in id order
    changes: list[bool]  # the pair's connection changes, in log order: True for "add"
    blocks: list[tuple[int, int]]  # (blocker, blocked)

    def statuses(self) -> list[str]:
        return [status for _, _, status in self.invitations]


def rows_of(database: Database, pair: Pair) -> PairRows:
    low, high = sorted((pair.a, pair.b))
    with database.unit_of_work(write=False) as db:
        connections = len(
            db.scalars(
                select(Connection).where(Connection.low_id == low, Connection.high_id == high)
            ).all()
        )
        invitations = [
            (row.sender_id, row.recipient_id, str(row.status))
            for row in db.scalars(
                select(Invitation)
                .where(Invitation.low_id == low, Invitation.high_id == high)
                .order_by(Invitation.id)
            )
        ]
        changes = list(
            db.scalars(
                select(ConnectionChange.connected)
                .where(ConnectionChange.low_id == low, ConnectionChange.high_id == high)
                .order_by(ConnectionChange.id)
            )
        )
        blocks = [
            (row.blocker_id, row.blocked_id)
            for row in db.scalars(
                select(Block).where(
                    or_(
                        and_(Block.blocker_id == pair.a, Block.blocked_id == pair.b),
                        and_(Block.blocker_id == pair.b, Block.blocked_id == pair.a),
                    )
                )
            )
        ]
    return PairRows(connections, invitations, changes, blocks)


def assert_log_agrees(database: Database) -> None:
    """The connection change log agrees with the connection table, pair by pair: each pair's
    changes alternate add, remove, add… starting with an add, and a pair is connected exactly
    when its last change is an add. The graph index that follows the log agrees too."""
    with database.unit_of_work(write=False) as db:
        connected = {
            (low, high) for low, high in db.execute(select(Connection.low_id, Connection.high_id))
        }
        log: dict[tuple[int, int], list[bool]] = {}
        for low, high, change in db.execute(
            select(
                ConnectionChange.low_id, ConnectionChange.high_id, ConnectionChange.connected
            ).order_by(ConnectionChange.id)
        ):
            log.setdefault((low, high), []).append(change)
    for pair, changes in log.items():
        expected = [position % 2 == 0 for position in range(len(changes))]
        assert changes == expected, (pair, changes)
    assert connected == {pair for pair, changes in log.items() if changes[-1]}

    with database.unit_of_work(write=False) as db:
        index = GRAPH_INDEX.of(db)
    assert index is not None, "the test's client should have built the index"
    index.catch_up()
    for low, high in log:
        assert index.graph.connected(low, high) == ((low, high) in connected), (low, high)


# The races


ROUNDS = 8


def test_crossing_invitations_connect_the_two_once(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """A invites B while B invites A: one of them is stored pending, the other answers it."""
    for _ in range(ROUNDS):
        pair = new_pair(client)
        responses = race(app, [send(pair.a_headers, pair.b), send(pair.b_headers, pair.a)])

        assert outcomes(responses) == [(201, "accepted"), (201, "pending")]
        rows = rows_of(database, pair)
        assert rows.connections == 1
        assert rows.changes == [True]
        # Both invitations are stored, one each way, and neither is left pending.
        assert sorted((sender, status) for sender, _, status in rows.invitations) == sorted(
            [(pair.a, "accepted"), (pair.b, "accepted")]
        )
        # The one answered "pending" came first (the lower id): the other accepted it.
        first = min(responses, key=lambda response: int(response.json()["id"]))
        assert first.json()["status"] == "pending"
    assert_log_agrees(database)


def test_accepts_racing_a_withdrawal_end_in_one_state(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """Eight accepts by the recipient (a frantic double click) race one withdrawal: exactly one
    request wins, every other gets 409 invitation-not-pending, and the rows say the same."""
    for _ in range(ROUNDS // 2):
        pair = new_pair(client)
        invitation_id = invite(client, pair)
        calls = [act(pair.b_headers, invitation_id, "accept") for _ in range(8)]
        calls.insert(4, act(pair.a_headers, invitation_id, "withdraw"))
        responses = race(app, calls)

        won = [response for response in responses if response.status_code == 200]
        assert len(won) == 1, outcomes(responses)
        # An accept is not idempotent: a second one finds the invitation answered.
        assert [slug(response) for response in responses if response.status_code != 200] == [
            "invitation-not-pending"
        ] * 8
        final = won[0].json()["status"]
        assert final in ("accepted", "withdrawn")
        rows = rows_of(database, pair)
        assert rows.statuses() == [final]
        assert rows.connections == (1 if final == "accepted" else 0)
        assert rows.changes == ([True] if final == "accepted" else [])
    assert_log_agrees(database)


def test_the_same_invitation_sent_at_once_is_stored_once(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """A double (and triple) click on "Connect": one invitation, the others 409 already-invited."""
    for _ in range(ROUNDS):
        pair = new_pair(client)
        responses = race(app, [send(pair.a_headers, pair.b) for _ in range(3)])

        assert outcomes(responses) == [
            (201, "pending"),
            (409, "already-invited"),
            (409, "already-invited"),
        ]
        rows = rows_of(database, pair)
        assert rows.invitations == [(pair.a, pair.b, "pending")]
        assert rows.connections == 0
        assert rows.changes == []
    assert_log_agrees(database)


BLOCKERS = ("recipient", "sender")


def blocking_by(pair: Pair, blocker: str) -> tuple[Call, tuple[int, int]]:
    """The block that the recipient (B) or the sender (A) of A's invitation makes, and the
    (blocker, blocked) row it leaves."""
    if blocker == "recipient":
        return block(pair.b_headers, pair.a), (pair.b, pair.a)
    return block(pair.a_headers, pair.b), (pair.a, pair.b)


def test_an_accept_racing_a_block_leaves_no_connection(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """The recipient accepts while one of the two blocks the other. The block always stands, and
    never beside a connection: an accept that came first is undone by the block; one that came
    second finds the invitation closed (409), or it and the member hidden (404)."""
    for _ in range(ROUNDS // 2):
        for blocker in BLOCKERS:
            pair = new_pair(client)
            invitation_id = invite(client, pair)
            blocking, block_row = blocking_by(pair, blocker)
            accepted, blocked = race(app, [act(pair.b_headers, invitation_id, "accept"), blocking])

            assert blocked.status_code == 201, blocked.text
            assert (accepted.status_code, slug(accepted)) in [
                (200, "accepted"),
                (409, "invitation-not-pending"),
                (404, "member-not-found"),
                (404, "invitation-not-found"),
            ]
            rows = rows_of(database, pair)
            assert rows.blocks == [block_row]
            assert rows.connections == 0
            if accepted.status_code == 200:
                assert rows.statuses() == ["accepted"]
                assert rows.changes == [True, False]
            else:
                # A block withdraws the blocker's invitation and ignores the blocked member's.
                assert rows.statuses() == ["ignored" if blocker == "recipient" else "withdrawn"]
                assert rows.changes == []
    assert_log_agrees(database)


def test_an_invitation_racing_a_block_leaves_nothing_open(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """A invites B (or, crossing, answers B's invitation by inviting back) while one of the two
    blocks the other. Afterwards the block stands, with no connection and no pending invitation
    between them: a block closes every open invitation of the pair, and a member hidden by a
    block cannot be invited, even by a request that was already waiting when the block came."""
    for _ in range(ROUNDS // 2):
        for blocker in BLOCKERS:
            for crossing in (False, True):
                pair = new_pair(client)
                if crossing:
                    theirs = client.post(
                        "/api/v1/invitations", json={"to": pair.a}, headers=pair.b_headers
                    )
                    assert theirs.status_code == 201, theirs.text
                blocking, block_row = blocking_by(pair, blocker)
                sent, blocked = race(app, [send(pair.a_headers, pair.b), blocking])

                assert blocked.status_code == 201, blocked.text
                # Sent first: "pending" ("accepted" when crossing); second: the member is hidden.
                assert (sent.status_code, slug(sent)) in [
                    (201, "accepted" if crossing else "pending"),
                    (404, "member-not-found"),
                ], (blocker, crossing)
                rows = rows_of(database, pair)
                assert rows.blocks == [block_row]
                assert rows.connections == 0
                assert "pending" not in rows.statuses(), (blocker, crossing, rows.invitations)
                connected_first = crossing and sent.status_code == 201
                assert rows.changes == ([True, False] if connected_first else [])
    assert_log_agrees(database)


def test_blocks_both_ways_at_once_leave_one_block(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """A blocks B while B blocks A: the one who came second finds the other hidden (404), as if
    they had blocked them a moment later, so that there is exactly one block between them."""
    for _ in range(ROUNDS):
        pair = new_pair(client)
        by_a, by_b = race(app, [block(pair.a_headers, pair.b), block(pair.b_headers, pair.a)])

        assert outcomes([by_a, by_b]) == [(201, ""), (404, "member-not-found")]
        rows = rows_of(database, pair)
        assert rows.blocks == [(pair.a, pair.b) if by_a.status_code == 201 else (pair.b, pair.a)]
    assert_log_agrees(database)


def test_a_connection_removed_from_both_sides_at_once_ends_once(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """Both members (twice each) remove their connection at once: one removal, 204; the others
    find no connection, 404 not-connected; one "remove" in the log."""
    for _ in range(ROUNDS):
        pair = new_pair(client)
        connect(client, pair.a_headers, to=pair.b, to_headers=pair.b_headers)
        responses = race(
            app,
            [
                remove(pair.a_headers, pair.b),
                remove(pair.b_headers, pair.a),
                remove(pair.a_headers, pair.b),
                remove(pair.b_headers, pair.a),
            ],
        )

        assert outcomes(responses) == [(204, "")] + [(404, "not-connected")] * 3
        rows = rows_of(database, pair)
        assert rows.connections == 0
        assert rows.changes == [True, False]
    assert_log_agrees(database)
