"""Benchmark of the graph engine (`make bench`).

Loads a Facebook100 school (Cornell5 by default: 18,660 members, 790,777 connections) into a fresh
database through `vinculo import`, builds the graph index from it, and times, over random queries,
the answers of the index and of networkx, igraph, networkit and SQL on the same database: degree
of a pair, badges for a page of 50 members, mutual connections, 2nd-degree count, shortest path.
Every system must give the same answers. It prints a markdown table for docs/benchmarks.md.

    .venv/bin/python benchmarks/graph.py [--school Cornell5] [--queries 1000]
        [--database-url postgresql+psycopg://…]   (default: a SQLite file in a temporary folder)
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import igraph as ig
import networkit as nk
import networkx as nx
import numpy as np
import sqlalchemy as sa

from vinculo import migrations
from vinculo.db import Database
from vinculo.graph import Snapshot
from vinculo.network.index import NetworkIndex

SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
PAGE = 50
MAX_DEGREE = 3


@dataclass
class Timing:
    system: str
    samples: list[float] = field(default_factory=list)  # seconds

    def p(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Operation:
    name: str
    timings: dict[str, Timing] = field(default_factory=dict)


def timed(
    operation: Operation,
    system: str,
    queries: Sequence[Any],
    run: Callable[[Any], Any],
) -> list[Any]:
    timing = operation.timings.setdefault(system, Timing(system))
    answers = []
    for query in queries:
        started = time.perf_counter()
        answer = run(query)
        timing.samples.append(time.perf_counter() - started)
        answers.append(answer)
    return answers


def capped(distance: float | None) -> int | None:
    if distance is None or distance == float("inf") or distance > MAX_DEGREE or distance < 0:
        return None
    return int(distance)


def write_csvs(school: str, folder: Path) -> tuple[Path, Path]:
    edges = SHARED_DATA / "facebook100" / f"{school}.edges.txt"
    info = SHARED_DATA / "facebook100" / f"{school}.local_info.txt"
    if not edges.exists():
        sys.exit(f"{edges} is not here: the shared data folder is needed for this benchmark")
    members = folder / "members.csv"
    connections = folder / "connections.csv"
    with info.open() as lines, members.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "name", "email", "headline", "location", "sector"])
        for number, _ in enumerate(lines):
            writer.writerow([number, f"Member {number}", "", "", "", ""])
    with edges.open() as lines, connections.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["a", "b", "connected_on"])
        for line in lines:
            a, b = line.split()
            writer.writerow([a, b, ""])
    return members, connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="Cornell5")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--scale-postgres-url",
        default=os.environ.get("VINCULO_BENCH_POSTGRES_URL"),
        help="a PostgreSQL database to build the generated network in (it is emptied)",
    )
    parser.add_argument("--scale-members", type=int, default=1_000_000)
    parser.add_argument(
        "--slow-queries",
        type=int,
        default=100,
        help="queries for the peers that take up to seconds each (networkx, SQL)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="vinculo-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    members_csv, connections_csv = write_csvs(args.school, folder)
    if args.database_url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "DROP TABLE IF EXISTS connection_change, connection, notification, invitation, "
                "block, network_settings, position, education, organization, school, "
                "auth_session, login_failure, member, alembic_version CASCADE"
            )
        engine.dispose()
    migrations.upgrade(url)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "vinculo",
            "import",
            "--members",
            str(members_csv),
            "--connections",
            str(connections_csv),
        ],
        env={**os.environ, "VINCULO_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    import_seconds = time.perf_counter() - started

    database = Database(url)
    # SQL gets what a careful schema would give it: both directions of every connection in one
    # table, indexed by member.
    with database.unit_of_work() as db:
        db.execute(sa.text("DROP TABLE IF EXISTS bench_neighbour"))
        db.execute(
            sa.text(
                "CREATE TABLE bench_neighbour AS SELECT low_id AS m, high_id AS x FROM connection "
                "UNION ALL SELECT high_id, low_id FROM connection"
            )
        )
        db.execute(sa.text("CREATE INDEX bench_neighbour_m_x ON bench_neighbour (m, x)"))
        db.execute(sa.text("CREATE INDEX bench_neighbour_x_m ON bench_neighbour (x, m)"))
    started = time.perf_counter()
    index = NetworkIndex(database)
    index.load()
    build_seconds = time.perf_counter() - started
    graph = index.graph
    stats = graph.stats()
    with database.unit_of_work(write=False) as db:
        pairs: np.ndarray = np.array(
            db.execute(sa.text("SELECT low_id, high_id FROM connection")).all()
        )
        ids: np.ndarray = np.array(db.scalars(sa.text("SELECT id FROM member")).all())
    size = int(ids.max()) + 1

    reference = nx.Graph()
    reference.add_nodes_from(ids.tolist())
    reference.add_edges_from(pairs.tolist())
    igraph = ig.Graph(n=size, edges=pairs.tolist())
    networkit = nk.Graph(size)
    for a, b in pairs.tolist():
        networkit.addEdge(a, b)

    rng = np.random.default_rng(args.seed)
    n = args.queries
    pair_queries = [tuple(map(int, rng.choice(ids, 2, replace=False))) for _ in range(n)]
    page_queries = [
        (int(rng.choice(ids)), [int(m) for m in rng.choice(ids, PAGE, replace=False)])
        for _ in range(n)
    ]
    single_queries = [int(m) for m in rng.choice(ids, n)]
    slow = args.slow_queries
    operations: list[Operation] = []
    mismatches: list[str] = []

    def agree(operation: Operation, answers: dict[str, list[Any]]) -> None:
        expected = answers["vínculo"]
        for system, found in answers.items():
            if found != expected[: len(found)]:
                wrong = sum(1 for x, y in zip(found, expected, strict=False) if x != y)
                mismatches.append(f"{operation.name}: {system} differs on {wrong} queries")

    # Degree of one pair.
    operation = Operation("degree of one pair")
    operations.append(operation)

    def nx_degree(q: tuple[int, int]) -> int | None:
        try:
            return capped(nx.shortest_path_length(reference, q[0], q[1]))
        except nx.NetworkXNoPath:
            return None

    def nk_degree(q: tuple[int, int]) -> int | None:
        search = nk.distance.BidirectionalBFS(networkit, q[0], q[1], storePred=False)
        search.run()
        return capped(search.getDistance())

    with database.unit_of_work(write=False) as db:
        sql = _SqlQueries(db)
        answers = {
            "vínculo": timed(operation, "vínculo", pair_queries, lambda q: graph.degree(*q)),
            "networkit": timed(operation, "networkit", pair_queries, nk_degree),
            "igraph": timed(
                operation,
                "igraph",
                pair_queries,
                lambda q: capped(igraph.distances(source=q[0], target=[q[1]])[0][0]),
            ),
            "networkx": timed(operation, "networkx", pair_queries[:slow], nx_degree),
            "SQL": timed(operation, "SQL", pair_queries[:slow], lambda q: sql.degree(*q)),
        }
        agree(operation, answers)

        # Badges for a page of 50 members, from one viewer.
        operation = Operation(f"badges for a page of {PAGE}")
        operations.append(operation)

        def nx_badges(q: tuple[int, list[int]]) -> list[int | None]:
            lengths = nx.single_source_shortest_path_length(reference, q[0], cutoff=MAX_DEGREE)
            return [capped(lengths.get(m)) for m in q[1]]

        def nk_badges(q: tuple[int, list[int]]) -> list[int | None]:
            return [nk_degree((q[0], m)) for m in q[1]]

        answers = {
            "vínculo": timed(
                operation,
                "vínculo",
                page_queries,
                lambda q: list(graph.degrees(q[0], q[1]).values()),
            ),
            "networkit": timed(operation, "networkit", page_queries, nk_badges),
            "igraph": timed(
                operation,
                "igraph",
                page_queries,
                lambda q: [capped(d) for d in igraph.distances(source=q[0], target=q[1])[0]],
            ),
            "networkx": timed(operation, "networkx", page_queries[:slow], nx_badges),
        }
        agree(operation, answers)

        # Mutual connections.
        operation = Operation("mutual connections")
        operations.append(operation)
        answers = {
            "vínculo": timed(
                operation, "vínculo", pair_queries, lambda q: graph.mutual_connections(*q).tolist()
            ),
            "networkit": timed(
                operation,
                "networkit",
                pair_queries,
                lambda q: sorted(
                    set(networkit.iterNeighbors(q[0])) & set(networkit.iterNeighbors(q[1]))
                ),
            ),
            "igraph": timed(
                operation,
                "igraph",
                pair_queries,
                lambda q: sorted(set(igraph.neighbors(q[0])) & set(igraph.neighbors(q[1]))),
            ),
            "networkx": timed(
                operation,
                "networkx",
                pair_queries[:slow],
                lambda q: sorted(nx.common_neighbors(reference, q[0], q[1])),
            ),
            "SQL": timed(operation, "SQL", pair_queries[:slow], lambda q: sql.mutual(*q)),
        }
        agree(operation, answers)

        # 2nd-degree count.
        operation = Operation("2nd-degree count")
        operations.append(operation)

        def nx_second(member: int) -> int:
            lengths = nx.single_source_shortest_path_length(reference, member, cutoff=2)
            return sum(1 for d in lengths.values() if d == 2)

        answers = {
            "vínculo": timed(operation, "vínculo", single_queries, graph.second_degree_count),
            "igraph": timed(
                operation,
                "igraph",
                single_queries,
                lambda m: len(igraph.neighborhood(m, order=2, mindist=2)),
            ),
            "networkx": timed(operation, "networkx", single_queries[:slow], nx_second),
            "SQL": timed(operation, "SQL", single_queries[:slow], sql.second_degree_count),
        }
        agree(operation, answers)

    # Shortest path: the lengths must agree; each system may pick another path of that length.
    operation = Operation("shortest path (≤ 6 steps)")
    operations.append(operation)

    def path_length(path: Sequence[int] | None) -> int | None:
        return None if not path else len(path) - 1

    def nk_path(q: tuple[int, int]) -> int | None:
        search = nk.distance.BidirectionalBFS(networkit, q[0], q[1], storePred=True)
        search.run()
        hops = search.getDistance()
        return None if hops > 6 else len(search.getPath()) + 1

    def nx_path(q: tuple[int, int]) -> int | None:
        try:
            return path_length(nx.bidirectional_shortest_path(reference, q[0], q[1]))
        except nx.NetworkXNoPath:
            return None

    answers = {
        "vínculo": timed(
            operation, "vínculo", pair_queries, lambda q: path_length(graph.shortest_path(*q))
        ),
        "networkit": timed(operation, "networkit", pair_queries, nk_path),
        "igraph": timed(
            operation,
            "igraph",
            pair_queries,
            lambda q: path_length(igraph.get_shortest_paths(q[0], to=q[1], output="vpath")[0]),
        ),
        "networkx": timed(operation, "networkx", pair_queries[:slow], nx_path),
    }
    agree(operation, answers)
    database.dispose()

    print_report(
        args=args,
        url=url,
        stats=stats,
        import_seconds=import_seconds,
        build_seconds=build_seconds,
        operations=operations,
        mismatches=mismatches,
    )
    print()
    if args.scale_postgres_url:
        scale_run(
            args.scale_postgres_url,
            members=args.scale_members,
            queries=args.queries,
            seed=args.seed,
        )
    else:
        print(
            "(The run at scale needs PostgreSQL: set VINCULO_BENCH_POSTGRES_URL or pass "
            "--scale-postgres-url.)"
        )


class _SqlQueries:
    """The same answers from SQL on the same database, as a page would ask without the index."""

    NEIGHBOURS = "bench_neighbour"

    def __init__(self, db: Any) -> None:
        self.db = db
        n = self.NEIGHBOURS
        self._connected = sa.text(
            "SELECT 1 FROM connection WHERE low_id = :low AND high_id = :high"
        )
        self._mutual = sa.text(
            f"SELECT a.x FROM {n} a JOIN {n} b ON a.x = b.x WHERE a.m = :a AND b.m = :b "  # noqa: S608
            "ORDER BY a.x"
        )
        self._third = sa.text(
            f"SELECT 1 FROM {n} a JOIN {n} c ON c.m = a.x JOIN {n} b ON b.x = c.x "  # noqa: S608
            "WHERE a.m = :a AND b.m = :b LIMIT 1"
        )
        self._second = sa.text(
            f"SELECT count(DISTINCT c.x) FROM {n} a JOIN {n} c ON c.m = a.x "  # noqa: S608
            f"WHERE a.m = :a AND c.x <> :a AND c.x NOT IN (SELECT x FROM {n} f WHERE f.m = :a)"
        )

    def degree(self, a: int, b: int) -> int | None:
        low, high = min(a, b), max(a, b)
        if self.db.execute(self._connected, {"low": low, "high": high}).first():
            return 1
        if self.mutual(a, b):
            return 2
        if self.db.execute(self._third, {"a": a, "b": b}).first():
            return 3
        return None

    def mutual(self, a: int, b: int) -> list[int]:
        return [int(x) for x in self.db.scalars(self._mutual, {"a": a, "b": b})]

    def second_degree_count(self, a: int) -> int:
        return int(self.db.scalar(self._second, {"a": a}))


TARGETS: dict[str, list[tuple[str, float]]] = {
    "badges for a page of 50": [("networkx", 100.0), ("networkit", 3.0)],
    "degree of one pair": [("networkit", 1.0), ("networkx", 20.0)],
    "shortest path (≤ 6 steps)": [("networkit", 1.0), ("networkx", 20.0)],
    "mutual connections": [("networkx", 10.0)],
    "2nd-degree count": [("igraph", 1.5), ("SQL", 20.0)],
}


def print_report(
    *,
    args: argparse.Namespace,
    url: str,
    stats: Any,
    import_seconds: float,
    build_seconds: float,
    operations: list[Operation],
    mismatches: list[str],
) -> None:
    backend = sa.make_url(url).get_backend_name()
    bytes_per = stats.index_bytes / max(stats.connections, 1)
    print(
        f"## Graph engine — {args.school}, {args.queries} random queries per operation "
        f"({args.slow_queries} for networkx and SQL)\n"
    )
    print(
        f"{stats.members:,} members, {stats.connections:,} connections, on {backend}; "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs.\n"
    )
    print(
        f"- `vinculo import`: {import_seconds:.1f} s; index built from the database in "
        f"{build_seconds:.2f} s"
    )
    memory_verdict = "met" if bytes_per <= 16 else "MISSED"
    print(
        f"- index memory: {stats.index_bytes / 1e6:.1f} MB, {bytes_per:.1f} bytes per "
        f"connection (target ≤ 16: {memory_verdict})"
    )
    print(f"- answers agree across systems: {'yes' if not mismatches else 'NO'}")
    for mismatch in mismatches:
        print(f"  - {mismatch}")
    print()
    print("| operation | system | p50 µs | p99 µs | p50 ratio to vínculo | target |")
    print("|---|---|---:|---:|---:|---|")
    for operation in operations:
        ours = operation.timings["vínculo"].p(0.5)
        goals = dict(TARGETS.get(operation.name, []))
        for system, timing in operation.timings.items():
            ratio = timing.p(0.5) / ours if ours else float("nan")
            goal = goals.get(system)
            verdict = ""
            if goal is not None:
                verdict = f"≥ {goal:g}×: {'met' if ratio >= goal else 'MISSED'}"
            print(
                f"| {operation.name} | {system} | {timing.p(0.5) * 1e6:,.0f} | "
                f"{timing.p(0.99) * 1e6:,.0f} | {ratio:,.1f}× | {verdict} |"
            )


def generated_network(
    members: int, mean_connections: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A community-like network: members belong to organizations of heavy-tailed sizes, have
    heavy-tailed numbers of connections, mostly inside their organization, some across it to
    popular members, and friends of friends who connect."""
    sizes = np.minimum(rng.zipf(1.8, members // 50 + 1) * 20, members // 10)
    organization = np.repeat(np.arange(len(sizes)), sizes)[:members]
    if len(organization) < members:
        organization = np.concatenate(
            (organization, rng.integers(0, len(sizes), members - len(organization)))
        )
    rng.shuffle(organization)
    wanted = np.minimum(rng.lognormal(np.log(mean_connections) - 0.5, 1.0, members), 5000)
    half = np.maximum(1, (wanted / 2).astype(np.int64))
    source = np.repeat(np.arange(members), half)
    # Inside the organization: a random colleague.
    order = np.argsort(organization, kind="stable")
    starts = np.searchsorted(organization[order], np.arange(len(sizes)))
    counts = np.bincount(organization, minlength=len(sizes))
    own = organization[source]
    inside = order[starts[own] + (rng.random(len(source)) * counts[own]).astype(np.int64)]
    # Across organizations: someone popular, chosen in proportion to how connected they are.
    popular = rng.choice(members, size=len(source), p=wanted / wanted.sum())
    across = rng.random(len(source)) < 0.25
    target = np.where(across, popular, inside)
    first = (source, target)
    # Friends of friends: a tenth more connections, each closing a triangle.
    adjacency = Snapshot.from_pairs(*first, size=members)
    some = rng.choice(members, size=len(source) // 10)
    degree_of = np.diff(adjacency.offsets)
    some = some[degree_of[some] > 0]
    middle = adjacency.targets[
        adjacency.offsets[some] + (rng.random(len(some)) * degree_of[some]).astype(np.int64)
    ]
    middle_degree = degree_of[middle]
    far = adjacency.targets[
        adjacency.offsets[middle] + (rng.random(len(middle)) * middle_degree).astype(np.int64)
    ]
    return np.concatenate((source, some)), np.concatenate((target, far))


def scale_run(url: str, *, members: int, queries: int, seed: int) -> None:
    """Build a generated network of `members` in PostgreSQL, load the index from it, time it."""
    import io

    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    a, b = generated_network(members, 50, rng)
    snapshot = Snapshot.from_pairs(a + 1, b + 1, size=members + 1)  # member ids start at 1
    low, high = snapshot.pairs()
    generated = time.perf_counter() - started
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TABLE IF EXISTS connection_change, connection, notification, invitation, block, "
            "network_settings, position, education, organization, school, auth_session, "
            "login_failure, member, alembic_version, bench_neighbour CASCADE"
        )
    engine.dispose()
    migrations.upgrade(url)
    started = time.perf_counter()
    raw = sa.create_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        now = "2026-01-01 00:00:00+00"
        lines = io.StringIO()
        for member in range(1, members + 1):
            lines.write(
                f"{member}\tm{member}@bench.invalid\t!\tMember {member}\tmember {member}"
                f"\t\t\t\t\t\\N\t\t{now}\t{now}\n"
            )
        with cursor.copy(
            "COPY member (id, email, password_hash, name, name_key, headline, location, sector, "
            "about, locale, search_text, created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write(lines.getvalue())
        block = 2_000_000
        for begin in range(0, len(low), block):
            chunk = np.column_stack((low[begin : begin + block], high[begin : begin + block]))
            text = io.StringIO()
            np.savetxt(text, chunk, fmt="%d", delimiter="\t")
            body = text.getvalue().replace("\n", f"\t{now}\tregular\tregular\t\t\n")
            with cursor.copy(
                "COPY connection (low_id, high_id, created_at, low_tier, high_tier, low_note, "
                "high_note) FROM STDIN"
            ) as copy:
                copy.write(body)
        raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter() - started

    database = Database(url)
    started = time.perf_counter()
    index = NetworkIndex(database)
    index.load()
    built = time.perf_counter() - started
    graph = index.graph
    stats = graph.stats()
    ids = np.arange(1, members + 1)
    pair_queries = [tuple(map(int, rng.choice(ids, 2, replace=False))) for _ in range(queries)]
    page_queries = [
        (int(rng.choice(ids)), [int(m) for m in rng.choice(ids, PAGE, replace=False)])
        for _ in range(queries)
    ]
    single_queries = [int(m) for m in rng.choice(ids, queries)]
    operations = []
    for name, queries_of, run in (
        ("degree of one pair", pair_queries, lambda q: graph.degree(*q)),
        (f"badges for a page of {PAGE}", page_queries, lambda q: graph.degrees(q[0], q[1])),
        ("mutual connections", pair_queries, lambda q: graph.mutual_connections(*q)),
        ("2nd-degree count", single_queries, graph.second_degree_count),
        ("shortest path (≤ 6 steps)", pair_queries, lambda q: graph.shortest_path(*q)),
    ):
        operation = Operation(name)
        timed(operation, "vínculo", queries_of, run)
        operations.append(operation)
    database.dispose()
    print(f"## Graph engine at scale — {members:,} generated members, {queries} queries each\n")
    print(
        f"{stats.connections:,} connections (mean {stats.mean_connections:.1f}, "
        f"max {stats.max_connections:,}), in PostgreSQL.\n"
    )
    print(f"- generated in {generated:.1f} s; loaded with COPY in {loaded:.1f} s")
    print(
        f"- index built from PostgreSQL in {built:.1f} s; "
        f"{stats.index_bytes / max(stats.connections, 1):.1f} bytes per connection"
    )
    print()
    print("| operation | p50 µs | p99 µs |")
    print("|---|---:|---:|")
    for operation in operations:
        timing = operation.timings["vínculo"]
        print(f"| {operation.name} | {timing.p(0.5) * 1e6:,.0f} | {timing.p(0.99) * 1e6:,.0f} |")


if __name__ == "__main__":
    main()
