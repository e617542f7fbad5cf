"""The feed and a member's activity through the JSON API: connections' profile posts and the
groups' posts, newest first, by no one blocked and from no group the viewer may not read; close
connections' recent posts first on the first page, each once across the pages; the fast query
against the naive join and an oracle on generated communities, on both databases; the activity
counts as a viewer may see them; and benchmarks/feed.py's code, small."""

from __future__ import annotations

import importlib.util
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from tests.helpers import BLOCKS, Person, connect_people, people, problem_of, serving_database
from tests.posts_helpers import items, make_group, posted
from tests.test_round_trips import statements
from vinculo import clock
from vinculo.db import Database
from vinculo.groups.models import Group, GroupMember
from vinculo.identity.models import Member
from vinculo.network.models import Connection
from vinculo.posts import repository
from vinculo.posts.models import Post

FEED = "/api/v1/feed"


def feed_ids(client: TestClient, person: Person, **params: Any) -> list[int]:
    return [item["id"] for item in items(client, person, FEED, **params)]


def all_pages(client: TestClient, person: Person, *, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = client.get(FEED, params=params, headers=person.headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_the_feed_holds_connections_and_groups_posts_newest_first(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla, dani, eva = people(
        client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dani Paz", "Eva Ortiz"
    )
    connect_people(client, ana, beto)
    connect_people(client, ana, eva)
    mine = make_group(database, owner=carla.id, policy="private", members=[ana.id])
    not_mine = make_group(database, owner=dani.id, policy="open", name="Otro")
    secret = make_group(database, owner=beto.id, policy="private", name="Secreto")
    from_beto = posted(client, beto, "beto on his profile")
    posted(client, carla, "carla on her profile: not a connection")
    in_mine = posted(client, carla, "carla in ana's group", group=mine)
    posted(client, dani, "in a group ana is not in", group=not_mine)
    posted(client, beto, "beto in a private group ana is not in", group=secret)
    from_eva = posted(client, eva, "eva")
    listed = client.get(FEED, headers=ana.headers).json()
    assert [item["id"] for item in listed["items"]] == [from_eva, in_mine, from_beto]
    by_id = {item["id"]: item for item in listed["items"]}
    assert by_id[from_beto]["group"] is None
    assert by_id[from_beto]["author"]["degree"] == 1
    assert by_id[in_mine]["group"] == {"id": mine, "name": "Puertos del Mediterráneo"}
    assert by_id[in_mine]["author"]["name"] == "Carla Sanz"
    # A block, either way, and the member is gone from the feed, their group posts too.
    assert client.post(BLOCKS, json={"member": carla.id}, headers=ana.headers).status_code == 201
    assert client.post(BLOCKS, json={"member": ana.id}, headers=eva.headers).status_code == 201
    assert feed_ids(client, ana) == [from_beto]


def test_close_connections_recent_posts_come_first_once(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    connect_people(client, ana, beto)
    connect_people(client, ana, carla)
    changed = client.patch(
        f"/api/v1/connections/{carla.id}", json={"tier": "close"}, headers=ana.headers
    )
    assert changed.status_code == 200, changed.text
    start = datetime.now(UTC)
    with clock.frozen(start - timedelta(days=10)) as frozen:
        old_close = posted(client, carla, "carla, ten days ago")
        frozen.advance(timedelta(days=8))
        recent_close = posted(client, carla, "carla, two days ago")
        frozen.advance(timedelta(hours=1))
        chatter = [posted(client, beto, f"beto {n}") for n in range(7)]
    page = client.get(FEED, params={"limit": 3}, headers=ana.headers).json()
    first = [item["id"] for item in page["items"]]
    # Carla's recent post leads, ahead of Beto's newer ones; her older one waits its turn.
    assert first == [recent_close, chatter[6], chatter[5]]
    everything = all_pages(client, ana, limit=3)
    assert sorted(everything) == sorted([old_close, recent_close, *chatter])
    assert len(everything) == len(set(everything))
    assert everything[3:] == [*reversed(chatter[:5]), old_close]
    # A post written after the first page does not disturb the pages that follow it.
    rest = client.get(
        FEED, params={"limit": 3, "cursor": page["next_cursor"]}, headers=ana.headers
    ).json()
    posted(client, carla, "carla, now")
    assert [i["id"] for i in rest["items"]] == list(reversed(chatter[2:5]))
    problem_of(client.get(FEED, params={"cursor": "nonsense"}, headers=ana.headers), 422)


def _community(database: Database, rng: random.Random) -> list[int]:
    """A random small community written straight into the tables; its members' ids."""
    now = clock.now()
    with database.unit_of_work() as db:
        members = [
            Member(
                email=f"feed{n}-{rng.random()}@vinculo.example",
                password_hash="!",
                name=f"Member {n}",
                name_key=f"member {n}",
                created_at=now,
                updated_at=now,
            )
            for n in range(14)
        ]
        db.add_all(members)
        db.flush()
        ids = [m.id for m in members]
        pairs = {tuple(sorted(rng.sample(ids, 2))) for _ in range(30)}
        for low, high in pairs:
            db.add(
                Connection(
                    low_id=low,
                    high_id=high,
                    created_at=now,
                    low_tier=rng.choice(("close", "regular")),
                    high_tier="regular",
                )
            )
        groups = []
        for n in range(4):
            group = Group(
                name=f"G{n}",
                name_key=f"g{n}",
                policy=("open", "request", "private")[n % 3],
                created_at=now,
            )
            db.add(group)
            db.flush()
            groups.append(group.id)
            for member_id in rng.sample(ids, 5):
                db.add(
                    GroupMember(
                        group_id=group.id,
                        member_id=member_id,
                        role="member",
                        standing=rng.choice(("member", "member", "banned", "invited")),
                        created_at=now,
                        changed_at=now,
                    )
                )
        for n in range(160):
            db.add(
                Post(
                    author_id=rng.choice(ids),
                    group_id=rng.choice([None, None, *groups]),
                    text="x",
                    html="<p>x</p>",
                    created_at=now - timedelta(hours=160 - n),
                )
            )
        db.flush()
    return ids


def _oracle(database: Database, viewer: int) -> list[int]:
    """The feed by its definition, in Python over every row."""
    with database.unit_of_work(write=False) as db:
        connections = {
            c.high_id if c.low_id == viewer else c.low_id
            for c in db.scalars(select(Connection))
            if viewer in (c.low_id, c.high_id)
        }
        groups = {
            g.group_id
            for g in db.scalars(select(GroupMember))
            if g.member_id == viewer and g.standing == "member"
        }
        posts = list(db.scalars(select(Post)))
    return sorted(
        (
            p.id
            for p in posts
            if (p.group_id is None and p.author_id in connections) or p.group_id in groups
        ),
        reverse=True,
    )


def test_the_fast_feed_query_answers_as_the_naive_join_and_the_oracle(
    database: Database,
) -> None:
    rng = random.Random(17)
    ids = _community(database, rng)
    for viewer in ids:
        expected = _oracle(database, viewer)
        with database.unit_of_work(write=False) as db:
            for limit in (1, 5, 200):
                fast = repository.feed_ids(
                    db, viewer_id=viewer, after=None, exclude=(), limit=limit
                )
                naive = repository.feed_ids_naive(
                    db, viewer_id=viewer, after=None, exclude=(), limit=limit
                )
                assert fast == naive == expected[:limit], (viewer, limit)
            # Page after page, with some posts left out, as the cursor has it.
            exclude = set(expected[1::7])
            shown: list[int] = []
            after = None
            while True:
                page = repository.feed_ids(
                    db, viewer_id=viewer, after=after, exclude=exclude, limit=4
                )
                assert page == repository.feed_ids_naive(
                    db, viewer_id=viewer, after=after, exclude=exclude, limit=4
                )
                shown += page
                if len(page) < 4:
                    break
                after = page[-1]
            assert shown == [i for i in expected if i not in exclude]


# Activity


def test_activity_counts_what_the_viewer_may_read(client: TestClient, database: Database) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    private = make_group(database, owner=ana.id, policy="private", members=[beto.id])
    open_group = make_group(
        database, owner=carla.id, policy="open", name="Abierto", members=[ana.id]
    )
    profile_post = posted(client, ana, "on my profile")
    secret = posted(client, ana, "in the private group", group=private)
    posted(client, ana, "in the open group", group=open_group)
    client.post(f"/api/v1/posts/{secret}/comments", json={"text": "secret"}, headers=ana.headers)
    client.post(f"/api/v1/posts/{profile_post}/comments", json={"text": "hi"}, headers=ana.headers)
    client.put(f"/api/v1/posts/{secret}/reaction", json={"kind": "like"}, headers=ana.headers)
    client.put(f"/api/v1/posts/{profile_post}/reaction", json={"kind": "like"}, headers=ana.headers)

    def activity(viewer: Person) -> dict[str, Any]:
        response = client.get(f"/api/v1/members/{ana.id}/activity", headers=viewer.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    as_beto, as_carla = activity(beto), activity(carla)
    assert as_beto["counts"] == {"days": 90, "posts": 3, "comments": 2, "reactions": 2}
    assert as_carla["counts"] == {"days": 90, "posts": 2, "comments": 1, "reactions": 1}
    assert secret in [p["id"] for p in as_beto["posts"]]
    assert secret not in [p["id"] for p in as_carla["posts"]]
    assert {g["id"] for g in as_beto["groups"]} == {private, open_group}
    assert [g["id"] for g in as_carla["groups"]] == [open_group]
    # Activity older than 90 days is not counted.
    with database.unit_of_work() as db:
        db.execute(
            update(Post)
            .where(Post.id == profile_post)
            .values(created_at=clock.now() - timedelta(days=91))
        )
    assert activity(carla)["counts"]["posts"] == 1
    assert client.post(BLOCKS, json={"member": ana.id}, headers=carla.headers).status_code == 201
    problem_of(client.get(f"/api/v1/members/{ana.id}/activity", headers=carla.headers), 404)


# The benchmark's code, small


def _benchmark() -> Any:
    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "feed.py")
    spec = importlib.util.spec_from_file_location("feed_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_generates_a_consistent_community() -> None:
    import numpy as np

    bench = _benchmark()
    rng = np.random.default_rng(3)
    low, high = bench.connections(rng, 500)
    assert (low < high).all()
    assert len({(a, b) for a, b in zip(low.tolist(), high.tolist(), strict=True)}) == low.size
    groups = bench.memberships(rng, 500)
    authors, in_group = bench.posts(rng, 500, 2000, groups)
    member_of = set(zip(groups[0].tolist(), groups[1].tolist(), strict=True))
    assert all(
        (g, a) in member_of for a, g in zip(authors.tolist(), in_group.tolist(), strict=True) if g
    )
    assert 0.6 < float((in_group > 0).mean()) < 0.8


@pytest.mark.slow
def test_the_benchmark_runs_small_on_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    server = os.environ.get("VINCULO_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("the benchmark runs on PostgreSQL: set VINCULO_TEST_POSTGRES_URL")
    bench = _benchmark()
    bench.DATABASE = f"vinculo_feed_smoke_{os.getpid()}"
    bench.main(["--database-url", server, "--members", "300", "--posts", "3000", "--viewers", "20"])
    out = capsys.readouterr().out
    assert "| naive join |" in out
    assert "| vínculo, ids (LATERAL per source) |" in out


def test_the_feed_makes_as_many_round_trips_however_long_it_is(
    client: TestClient, database: Database
) -> None:
    """Posts from connections and from two groups, with reactions and comments: a page of 2 and
    a page of 12 send the same statements, and few of them."""
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    connect_people(client, ana, beto)
    first = make_group(database, owner=carla.id, policy="open", members=[ana.id, beto.id])
    second = make_group(database, owner=beto.id, policy="request", members=[ana.id], name="Otro")
    for number in range(6):
        author = beto if number % 2 else carla
        post_id = posted(client, author, f"Post {number}", group=(first, second)[number % 2])
        client.put(f"/api/v1/posts/{post_id}/reaction", json={"kind": "like"}, headers=ana.headers)
        client.post(f"/api/v1/posts/{post_id}/comments", json={"text": "Sí"}, headers=beto.headers)
        posted(client, beto, f"Perfil {number}")
    counts = []
    for limit in (2, 12):
        with statements(serving_database(client, database)) as sent:
            assert len(feed_ids(client, ana, limit=limit)) == limit
        counts.append(len(sent))
    assert counts[0] == counts[1]
    assert counts[0] <= 9, counts
