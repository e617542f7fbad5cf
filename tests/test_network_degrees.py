"""One answer for degrees and mutual connections: what SQL says (a process without a graph index,
or a transaction that has just changed connections) is what the graph index says, on random
communities with members out of network."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.helpers import bearer, register, token_for
from vinculo.db import Database, ordered_pair
from vinculo.graph import GraphIndex
from vinculo.identity import repository as members
from vinculo.network import degrees, repository
from vinculo.network import service as network

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _community(database: Database, *, size: int, connections: int, seed: int) -> list[int]:
    """`size` members with about `connections` random connections; their ids."""
    rng = random.Random(seed)
    with database.unit_of_work() as db:
        ids = members.insert_members(
            db,
            [
                {
                    "email": f"m{seed}-{n}@vinculo.example",
                    "password_hash": "!",
                    "name": f"Member {n}",
                    "name_key": f"member {n}",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(size)
            ],
        )
        pairs = {ordered_pair(*rng.sample(ids, 2)) for _ in range(connections)}
        network.add_connections(
            db, [{"low_id": a, "high_id": b, "created_at": NOW} for a, b in sorted(pairs)]
        )
    return ids


@pytest.mark.parametrize(
    ("size", "connections", "seed"),
    [(40, 45, 1), (40, 60, 2), (30, 90, 3), (50, 40, 4)],
    ids=["sparse", "chains", "dense", "islands"],
)
def test_sql_answers_as_the_graph_index_does(
    database: Database, size: int, connections: int, seed: int
) -> None:
    ids = _community(database, size=size, connections=connections, seed=seed)
    with database.unit_of_work(write=False) as db:
        graph = GraphIndex.from_pairs(
            pair
            for lows, highs in repository.connection_pairs(db)
            for pair in zip(lows.tolist(), highs.tolist(), strict=True)
        )
        seen_degrees: set[int | None] = set()
        for viewer in ids:
            from_sql = repository.degrees_from(db, viewer_id=viewer, member_ids=ids)
            assert from_sql == graph.degrees(viewer, ids), viewer
            seen_degrees |= set(from_sql.values())
            assert repository.mutual_counts(db, viewer_id=viewer, member_ids=ids) == (
                graph.mutual_counts(viewer, ids)
            )
            for other in ids[:8]:
                assert repository.mutual_connection_ids(db, a=viewer, b=other) == (
                    graph.mutual_connections(viewer, other).tolist()
                )
    # The communities reach every answer: oneself, 1 to 3, and out of network.
    if seed != 3:
        assert seen_degrees == {0, 1, 2, 3, None}


def test_a_process_without_an_index_answers_from_sql(database: Database) -> None:
    """A command line tool has no graph index: degrees come from SQL, 0 to 3 and None."""
    ids = _community(database, size=6, connections=0, seed=5)
    a, b, c, d, e, lone = ids
    with database.unit_of_work() as db:
        network.add_connections(
            db,
            [
                {"low_id": x, "high_id": y, "created_at": NOW}
                for x, y in sorted({ordered_pair(a, b), ordered_pair(b, c), ordered_pair(c, d)})
            ],
        )
    with database.unit_of_work(write=False) as db:
        assert degrees.degrees(db, viewer_id=a, member_ids=ids) == {
            a: 0,
            b: 1,
            c: 2,
            d: 3,
            e: None,
            lone: None,
        }
        assert degrees.mutual_counts(db, viewer_id=a, member_ids=[c, d]) == {c: 1, d: 0}


def test_a_request_that_connects_answers_with_the_new_degree(client: TestClient) -> None:
    """The graph index learns of a connection when the request that made it commits; the
    request's own answer already says degree 1, read from SQL in its transaction."""
    people = []
    for name in ("Ana", "Beto"):
        email = f"{name.lower()}-degree@vinculo.example"
        member = register(client, name=name, email=email)
        people.append((member["id"], bearer(token_for(client, email))))
    (ana, ana_headers), (beto, beto_headers) = people
    sent = client.post("/api/v1/invitations", json={"to": beto}, headers=ana_headers)
    assert sent.json()["recipient"]["degree"] is None
    # Beto invites Ana back: the crossing invitation connects them at once.
    crossed = client.post("/api/v1/invitations", json={"to": ana}, headers=beto_headers)
    assert crossed.status_code == 201, crossed.text
    body = crossed.json()
    assert body["status"] == "accepted"
    assert (body["sender"]["degree"], body["recipient"]["degree"]) == (0, 1)
    assert client.get(f"/api/v1/members/{beto}", headers=ana_headers).json()["degree"] == 1


def test_the_bulk_read_gives_every_connection_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's load reads the connection table without a row object per connection (a binary
    COPY on PostgreSQL, the driver's chunks on SQLite): in chunks of a few rows here, it gives
    exactly the table's pairs."""
    monkeypatch.setattr(repository, "LOAD_CHUNK", 7)
    monkeypatch.setattr(repository, "_CHUNK_BYTES", 64)
    _community(database, size=30, connections=80, seed=6)
    with database.unit_of_work(write=False) as db:
        chunks = list(repository.connection_pairs(db))
        expected = [
            (low, high)
            for low, high in db.execute(sa.text("SELECT low_id, high_id FROM connection"))
        ]
        expected.sort()
    assert len(chunks) > 3
    read = sorted(
        pair for lows, highs in chunks for pair in zip(lows.tolist(), highs.tolist(), strict=True)
    )
    assert read == expected
