"""Speed of the feed's first page on a generated community (issue 17; `make bench` with
PostgreSQL): 100,000 members and 5,000,000 posts by default.

Generates from a seed: members with about 20 connections each (a tenth of them filed as close),
a group for every hundred members, each member in a few groups of heavy-tailed sizes, and posts
over a year, most in groups and the rest on profiles, by authors of heavy-tailed activity.
Loads it with COPY (indexes built after the load), then times, in the same run and for the same
few hundred members:

- vínculo, ids: `posts.repository.feed_ids`, each source's newest posts through its index
  (LATERAL) and only those merged;
- naive join: the same feed as one statement over every post of the member's connections and
  groups (`feed_ids_naive`), newest first, limit 20;
- vínculo, page: `posts.feed.feed_of`, the whole first page as the home page asks for it
  (close connections' posts first, the posts, their authors, reactions, comments and degrees).

    .venv/bin/python benchmarks/feed.py [--members 100000] [--posts 5000000] [--viewers 300]
        [--seed 17] [--keep] [--database-url postgresql+psycopg://…/postgres]

The database `vinculo_feed_bench` is created on the server of --database-url (default
$VINCULO_BENCH_POSTGRES_URL) and dropped at the end, unless `--keep`, which also reuses it when
it already holds the community of the same size and seed. Without a server it says so and skips.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402
HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)

import argparse
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from vinculo import migrations
from vinculo.db import Database
from vinculo.identity.models import Member
from vinculo.network.index import GRAPH_INDEX, NetworkIndex
from vinculo.posts import feed, repository

DATABASE = "vinculo_feed_bench"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LIMIT = 20
COPY_BATCH = 200_000
GROUP_SHARE = 0.7  # of posts, those written in a group
POST_INDEXES = ("ix_post_profile_author_id", "ix_post_group_id", "ix_post_author_created")
POST_INDEX_DEFINITIONS = (
    "CREATE INDEX ix_post_profile_author_id ON post (author_id, id) WHERE group_id IS NULL",
    "CREATE INDEX ix_post_group_id ON post (group_id, id, author_id) WHERE group_id IS NOT NULL",
    "CREATE INDEX ix_post_author_created ON post (author_id, created_at)",
)


def _copy(
    cursor: Any, table: str, columns: Sequence[str], rows: Iterator[Sequence[object]]
) -> None:
    """COPY rows into a table in batches; the generated values need no escaping."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        batch = io.StringIO()
        for number, row in enumerate(rows, 1):
            batch.write("\t".join("\\N" if value is None else str(value) for value in row))
            batch.write("\n")
            if number % COPY_BATCH == 0:
                copy.write(batch.getvalue())
                batch = io.StringIO()
        copy.write(batch.getvalue())


def connections(rng: np.random.Generator, members: int) -> tuple[np.ndarray, np.ndarray]:
    """About 20 connections per member, as ordered pairs (low < high), each once."""
    a = np.repeat(np.arange(1, members + 1), 10)
    b = rng.integers(1, members + 1, a.size)
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    pairs = np.unique(np.stack([low[keep], high[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def memberships(rng: np.random.Generator, members: int) -> tuple[np.ndarray, np.ndarray]:
    """(group, member) pairs: a group per hundred members, 1–5 groups per member, the groups'
    sizes heavy-tailed."""
    groups = max(1, members // 100)
    weights = 1.0 / np.arange(1, groups + 1) ** 0.8
    weights /= weights.sum()
    per_member = rng.integers(1, 6, members)
    member = np.repeat(np.arange(1, members + 1), per_member)
    group = rng.choice(groups, member.size, p=weights) + 1
    pairs = np.unique(np.stack([group, member], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def posts(
    rng: np.random.Generator, members: int, count: int, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Authors and groups (0: a profile post) of `count` posts in the order they were written;
    a group post's author is one of the group's members."""
    activity = 1.0 / np.arange(1, members + 1) ** 0.7
    activity /= activity.sum()
    in_group = rng.random(count) < GROUP_SHARE
    author = rng.choice(members, count, p=activity) + 1
    group = np.zeros(count, dtype=np.int64)
    # A group post: a membership drawn at random, its member the author.
    drawn = rng.integers(0, groups[0].size, int(in_group.sum()))
    group[in_group] = groups[0][drawn]
    author[in_group] = groups[1][drawn]
    return author, group


def load(url: str, *, members: int, post_count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    low, high = connections(rng, members)
    group_of, member_of = memberships(rng, members)
    author, group = posts(rng, members, post_count, (group_of, member_of))
    close_low = rng.random(low.size) < 0.1
    close_high = rng.random(low.size) < 0.1
    span = timedelta(days=365) / max(post_count, 1)
    start = NOW - timedelta(days=365)
    stamp = NOW.isoformat()
    raw = sa.create_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET session_replication_role = replica")
        _copy(
            cursor,
            "member",
            (
                "id",
                "email",
                "password_hash",
                "name",
                "name_key",
                "headline",
                "location",
                "sector",
                "about",
                "locale",
                "created_at",
                "updated_at",
            ),
            (
                (
                    i,
                    f"m{i}@bench.invalid",
                    "!",
                    f"Member {i}",
                    f"member {i}",
                    "",
                    "",
                    "",
                    "",
                    "es",
                    stamp,
                    stamp,
                )
                for i in range(1, members + 1)
            ),
        )
        _copy(
            cursor,
            "connection",
            ("low_id", "high_id", "created_at", "low_tier", "high_tier", "low_note", "high_note"),
            (
                (lo, hi, stamp, "close" if cl else "regular", "close" if ch else "regular", "", "")
                for lo, hi, cl, ch in zip(
                    low.tolist(),
                    high.tolist(),
                    close_low.tolist(),
                    close_high.tolist(),
                    strict=True,
                )
            ),
        )
        groups = int(group_of.max()) if group_of.size else 0
        _copy(
            cursor,
            "community_group",
            (
                "id",
                "name",
                "name_key",
                "description",
                "sector",
                "sector_key",
                "policy",
                "created_at",
            ),
            (
                (
                    g,
                    f"Group {g}",
                    f"group {g}",
                    "",
                    "",
                    "",
                    ("open", "request", "private")[g % 3],
                    stamp,
                )
                for g in range(1, groups + 1)
            ),
        )
        _copy(
            cursor,
            "group_member",
            ("group_id", "member_id", "role", "standing", "created_at", "changed_at"),
            (
                (g, m, "member", "member", stamp, stamp)
                for g, m in zip(group_of.tolist(), member_of.tolist(), strict=True)
            ),
        )
        for index in POST_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
        _copy(
            cursor,
            "post",
            ("id", "author_id", "group_id", "text", "html", "created_at"),
            (
                (i, a, g or None, "x", "<p>x</p>", (start + span * i).isoformat())
                for i, (a, g) in enumerate(zip(author.tolist(), group.tolist(), strict=True), 1)
            ),
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("member", "community_group", "post"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()
    # The post indexes the migration makes, dropped for the load and built once after it.
    started = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in POST_INDEX_DEFINITIONS:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(
            f"CREATE TABLE bench_run AS SELECT {members} AS members, {post_count} AS posts, "
            f"{seed} AS seed"
        )
    engine.dispose()
    # As autovacuum leaves a table that has settled: statistics, and the visibility map that lets
    # the feed read its indexes alone.
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(f"indexes and statistics: {time.perf_counter() - started:.1f} s", flush=True)


def loaded(url: str, *, members: int, post_count: int, seed: int) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("bench_run"):
                return False
            row = connection.exec_driver_sql("SELECT members, posts, seed FROM bench_run").first()
            return row is not None and tuple(row) == (members, post_count, seed)
    finally:
        engine.dispose()


def _admin(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(server: str, *, fresh: bool) -> str:
    """The benchmark's own database on the server, made anew when `fresh`; its URL."""
    url = sa.make_url(server).set(database=DATABASE)
    admin = _admin(server)
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
        )
        if exists and fresh:
            connection.exec_driver_sql(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
        if fresh or not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    admin.dispose()
    return url.render_as_string(hide_password=False)


def drop_database(server: str) -> None:
    admin = _admin(server)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.dispose()


def percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in milliseconds."""
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.max())


def timed(
    database: Database, viewers: Sequence[int], ask: Callable[[Any, Member], object]
) -> list[float]:
    """One read-only unit of work per viewer, as a request has; the time of the feed's work."""
    samples = []
    for viewer_id in viewers:
        with database.unit_of_work(write=False) as db:
            viewer = db.get(Member, viewer_id)
            assert viewer is not None
            started = time.perf_counter()
            ask(db, viewer)
            samples.append(time.perf_counter() - started)
    return samples


SYSTEMS: dict[str, Callable[[Any, Member], object]] = {
    "vínculo, ids (LATERAL per source)": lambda db, me: repository.feed_ids(
        db, viewer_id=me.id, after=None, exclude=(), limit=LIMIT + 1
    ),
    "naive join": lambda db, me: repository.feed_ids_naive(
        db, viewer_id=me.id, after=None, exclude=(), limit=LIMIT + 1
    ),
    "vínculo, whole first page (feed_of)": lambda db, me: feed.feed_of(
        db, viewer=me, cursor=None, limit=LIMIT
    ),
}


def run(
    server: str, *, members: int, post_count: int, viewers: int, seed: int, keep: bool
) -> dict[str, tuple[float, float, float]]:
    """Load (unless kept from a run of the same size and seed) and time; the table's rows."""
    url = create_database(server, fresh=False)
    try:
        if not (keep and loaded(url, members=members, post_count=post_count, seed=seed)):
            url = create_database(server, fresh=True)
            migrations.upgrade(url)
            started = time.perf_counter()
            load(url, members=members, post_count=post_count, seed=seed)
            print(f"loaded in {time.perf_counter() - started:.1f} s", flush=True)
        database = Database(url)
        # As `vinculo serve` has it: degrees from the graph index, in memory.
        index = NetworkIndex(database)
        index.load()
        database.provide(GRAPH_INDEX, index)
        try:
            chosen = (
                np.random.default_rng(seed + 1)
                .choice(np.arange(1, members + 1), min(viewers, members), replace=False)
                .tolist()
            )
            # Both answer the same; then warm the caches once for each.
            for viewer_id in chosen[:20]:
                with database.unit_of_work(write=False) as db:
                    fast = repository.feed_ids(
                        db, viewer_id=viewer_id, after=None, exclude=(), limit=LIMIT
                    )
                    naive = repository.feed_ids_naive(
                        db, viewer_id=viewer_id, after=None, exclude=(), limit=LIMIT
                    )
                    assert fast == naive, (viewer_id, fast, naive)
            rows = {}
            for name, ask in SYSTEMS.items():
                timed(database, chosen[:20], ask)
                rows[name] = percentiles(timed(database, chosen, ask))
            return rows
        finally:
            database.withdraw(GRAPH_INDEX)
            index.stop()
            database.dispose()
    finally:
        if not keep:
            drop_database(server)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("VINCULO_BENCH_POSTGRES_URL"))
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=5_000_000)
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args(argv)
    if not args.database_url:
        print(
            "benchmarks/feed.py skipped: it runs on PostgreSQL; set VINCULO_BENCH_POSTGRES_URL "
            "or pass --database-url (a server: the benchmark makes a database of its own there)."
        )
        return
    if sa.make_url(args.database_url).get_backend_name() != "postgresql":
        sys.exit(f"benchmarks/feed.py runs on PostgreSQL only, not on {args.database_url}")
    rows = run(
        args.database_url,
        members=args.members,
        post_count=args.posts,
        viewers=args.viewers,
        seed=args.seed,
        keep=args.keep,
    )
    print(
        f"\nThe feed's first page ({LIMIT} posts), {args.viewers} members, "
        f"{args.members:,} members and {args.posts:,} posts on PostgreSQL:\n"
    )
    print("| query | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, (p50, p99, most) in rows.items():
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {most:.1f} |")


if __name__ == "__main__":
    main()
