"""How fast a process is ready, and what each more web process costs (`make bench`).

Times the graph index's load from the database: Cornell5 of Facebook100 (18,660 members, 790,777
connections) from SQLite and from PostgreSQL, and a generated community of a million members and
about 25 million connections from PostgreSQL. Then serves that community with
`vinculo serve --workers 2` and measures each web process's private memory against the same
command serving an empty community: the difference is what each process holds of the index
beyond the snapshot they all map (`VINCULO_GRAPH_SNAPSHOT_DIR`). Prints a markdown table for
docs/benchmarks.md.

    .venv/bin/python benchmarks/startup.py [--members 1000000] [--skip-scale]
        [--database-url postgresql+psycopg://…/postgres]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the module path, where benchmarks/http.py
# would stand in for the standard library's `http`: take the folder off.
# ruff: noqa: E402
HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)

import argparse
import importlib.util
import os
import platform
import re
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx2
import numpy as np
import psycopg
import sqlalchemy as sa

from vinculo import migrations
from vinculo.db import Database
from vinculo.network.index import NetworkIndex

SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = "2026-01-01 00:00:00+00"
# Microseconds from PostgreSQL's epoch (2000-01-01) to NOW, for the binary COPY.
NOW_MICROSECONDS = (1_767_225_600 - 946_684_800) * 1_000_000
VENV = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--mean-connections", type=int, default=50)
    parser.add_argument("--database-url", default=ADMIN_URL)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    try:
        psycopg.connect(_libpq(args.database_url), connect_timeout=3).close()
    except psycopg.OperationalError:
        print(f"PostgreSQL does not answer at {args.database_url}: no start-up table.")
        return
    rows: list[tuple[str, str, str, str]] = []
    edges = SHARED_DATA / "facebook100" / "Cornell5.edges.txt"
    if edges.exists():
        low, high = _pairs_of(np.loadtxt(edges, dtype=np.int64))
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite:///{folder}/cornell5.db"
            _fill_sqlite(sqlite_url, low, high)
            seconds = _load_seconds(sqlite_url)
            rows.append(_row("Cornell5 from SQLite: index loaded", seconds, 3.0))
        with _scratch(args.database_url) as url:
            _fill_postgresql(url, low, high)
            rows.append(_row("Cornell5 from PostgreSQL: index loaded", _load_seconds(url), None))
    else:
        print(f"(Cornell5 is not in {SHARED_DATA}: its lines are left out.)")
    if not args.skip_scale:
        rows.extend(_scale(args))
    print(f"\n### Start-up — graph index loads, and memory per web process\n\n{_machine()}\n")
    print("| what | measured | target |")
    print("|---|---:|---|")
    for what, measured, target, verdict in rows:
        print(f"| {what} | {measured} | {target}{verdict} |")


def _scale(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    spec = importlib.util.spec_from_file_location("graph_benchmark", HERE / "graph.py")
    assert spec is not None
    assert spec.loader is not None
    graph_benchmark = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = graph_benchmark
    spec.loader.exec_module(graph_benchmark)
    generated_network = graph_benchmark.generated_network

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    a, b = generated_network(args.members, args.mean_connections, rng)
    low, high = _pairs_of(np.column_stack((a, b)))
    print(
        f"generated {len(low):,} connections in {time.perf_counter() - started:.0f} s", flush=True
    )
    rows = []
    with _scratch(args.database_url) as url, _scratch(args.database_url) as empty_url:
        started = time.perf_counter()
        _fill_postgresql(url, low, high)
        print(f"copied into PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
        seconds = _load_seconds(url, repeats=1)
        rows.append(_row(f"{len(low) / 1e6:.1f} million connections from PostgreSQL", seconds, 30))
        migrations.upgrade(empty_url)
        empty = _private_per_worker(empty_url)
        full = _private_per_worker(url)
        index_mb = (len(low) * 8 + (args.members + 2) * 8) / 1e6
        added = [(f - e) / 1e6 for f, e in zip(full, empty, strict=True)]
        share = max(added) / index_mb
        rows.append(
            ("the index (the snapshot every web process maps)", f"{index_mb:.0f} MB", "", "")
        )
        rows.append(
            (
                "private memory of each web process beyond an empty community's",
                " · ".join(f"{mb:.0f} MB" for mb in added),
                "< 10% of the index: ",
                "met" if share < 0.1 else "MISSED",
            )
        )
        rows.append(("— as a share of the index", f"{100 * share:.1f}%", "", ""))
    return rows


def _row(what: str, seconds: float, target: float | None) -> tuple[str, str, str, str]:
    print(f"{what}: {seconds:.2f} s", flush=True)
    if target is None:
        return (what, f"{seconds:.2f} s", "", "")
    return (what, f"{seconds:.2f} s", f"≤ {target:g} s: ", "met" if seconds <= target else "MISSED")


def _pairs_of(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct connections as (low, high) member ids, the ids starting at 1."""
    low = np.minimum(edges[:, 0], edges[:, 1]) + 1
    high = np.maximum(edges[:, 0], edges[:, 1]) + 1
    keep = low != high
    pairs = np.unique(np.column_stack((low[keep], high[keep])), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _load_seconds(url: str, *, repeats: int = 3) -> float:
    """The best of `repeats` loads of the graph index from the database, as a process starts."""
    best = float("inf")
    database = Database(url)
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            NetworkIndex(database).load()
            best = min(best, time.perf_counter() - started)
    finally:
        database.dispose()
    return best


@contextmanager
def _scratch(admin_url: str) -> Iterator[str]:
    """A database of its own for the run, dropped at the end."""
    name = f"vinculo_startup_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _fill_sqlite(url: str, low: np.ndarray, high: np.ndarray) -> None:
    migrations.upgrade(url)
    members = int(high.max()) if len(high) else 0
    connection = sqlite3.connect(sa.make_url(url).database or "")
    connection.executemany(
        "INSERT INTO member (id, email, password_hash, name, name_key, headline, location, "
        "sector, about, search_text, created_at, updated_at) "
        "VALUES (?, ?, '!', ?, ?, '', '', '', '', '', ?, ?)",
        (
            (i, f"m{i}@bench.invalid", f"Member {i}", f"member {i}", NOW, NOW)
            for i in range(1, members + 1)
        ),
    )
    connection.executemany(
        "INSERT INTO connection (low_id, high_id, created_at, low_tier, high_tier, low_note, "
        "high_note) VALUES (?, ?, ?, 'regular', 'regular', '', '')",
        ((a, b, NOW) for a, b in zip(low.tolist(), high.tolist(), strict=True)),
    )
    connection.commit()
    connection.close()


# One connection row in PostgreSQL's binary COPY: its 7 fields, each with its length.
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("low_size", ">i4"),
        ("low", ">i8"),
        ("high_size", ">i4"),
        ("high", ">i8"),
        ("at_size", ">i4"),
        ("at", ">i8"),
        ("low_tier_size", ">i4"),
        ("low_tier", "S7"),
        ("high_tier_size", ">i4"),
        ("high_tier", "S7"),
        ("low_note_size", ">i4"),
        ("high_note_size", ">i4"),
    ]
)


def _fill_postgresql(url: str, low: np.ndarray, high: np.ndarray) -> None:
    """The schema, the members and the connections, copied in fast: in binary, and with the
    foreign keys' triggers off for this session (the ids are known to be right)."""
    migrations.upgrade(url)
    members = int(high.max()) if len(high) else 0
    with psycopg.connect(_libpq(url)) as connection:
        connection.execute("SET session_replication_role = replica")
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY member (id, email, password_hash, name, name_key, headline, location, "
                "sector, about, search_text, created_at, updated_at) FROM STDIN"
            ) as copy:
                for start in range(1, members + 1, 100_000):
                    copy.write(
                        "".join(
                            f"{i}\tm{i}@bench.invalid\t!\tMember {i}\tmember {i}\t\t\t\t\t\t{NOW}"
                            f"\t{NOW}\n"
                            for i in range(start, min(start + 100_000, members + 1))
                        )
                    )
            with cursor.copy(
                "COPY connection (low_id, high_id, created_at, low_tier, high_tier, low_note, "
                "high_note) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8)
                for start in range(0, len(low), 2_000_000):
                    rows = np.zeros(len(low[start : start + 2_000_000]), _ROW)
                    rows["fields"] = 7
                    rows["low_size"] = rows["high_size"] = rows["at_size"] = 8
                    rows["low"] = low[start : start + 2_000_000]
                    rows["high"] = high[start : start + 2_000_000]
                    rows["at"] = NOW_MICROSECONDS
                    rows["low_tier_size"] = rows["high_tier_size"] = 7
                    rows["low_tier"] = rows["high_tier"] = b"regular"
                    copy.write(rows.tobytes())
                copy.write(b"\xff\xff")
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('member', 'id'), %s)", [max(members, 1)]
        )
        connection.execute("ANALYZE connection")


def _private_per_worker(url: str) -> list[int]:
    """Serve the community with two web processes; once both are ready and have answered a few
    requests, each one's private memory (bytes), smallest first."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "VINCULO_DATABASE_URL": url,
        "VINCULO_SERVE_JOBS": "false",
        "VINCULO_RATE_LIMIT": "100000/second",
    }
    with tempfile.TemporaryFile() as output:
        server = subprocess.Popen(
            [str(VENV / "vinculo"), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=output,
        )
        try:
            _wait_ready(port, output)
            _exercise(port)
            return sorted(_private_bytes(pid) for pid in _children(server.pid))
        finally:
            server.terminate()
            with suppress(subprocess.TimeoutExpired):
                server.wait(timeout=60)


def _wait_ready(port: int, output: object, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    ready = 0
    while time.monotonic() < deadline:
        output.seek(0)  # type: ignore[attr-defined]
        text = output.read().decode(errors="replace")  # type: ignore[attr-defined]
        ready = len(re.findall(r"Application startup complete", text))
        if ready >= 2:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the server did not start: {ready} of 2 web processes ready")


def _exercise(port: int) -> None:
    """A member, a token, and degrees asked, so that the searches' scratch space is in use."""
    base = f"http://127.0.0.1:{port}/api/v1"
    email = f"bench-{uuid.uuid4().hex[:8]}@vinculo.example"
    _call(f"{base}/auth/register", {"email": email, "password": "bench password 1", "name": "B"})
    token = _call(f"{base}/auth/token", {"email": email, "password": "bench password 1"})
    for member in range(1, 200):
        # The empty community has only the new member: the others are not found there.
        _call(f"{base}/members/{member}", None, token["access_token"], missing_is_fine=True)


def _call(
    url: str,
    body: dict[str, str] | None,
    token: str | None = None,
    *,
    missing_is_fine: bool = False,
) -> dict[str, str]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if body is None:
        answer = httpx2.get(url, headers=headers, timeout=30)
    else:
        answer = httpx2.post(url, json=body, headers=headers, timeout=30)
    if missing_is_fine and answer.status_code == 404:
        return {}
    answer.raise_for_status()
    found: dict[str, str] = answer.json()
    return found


def _children(parent: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with suppress(OSError):
            if f"\nPPid:\t{parent}\n" in status.read_text():
                found.append(int(status.parent.name))
    return found


def _private_bytes(pid: int) -> int:
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    )
    return sum(int(fields[name].split()[0]) * 1024 for name in ("Private_Clean", "Private_Dirty"))


def _machine() -> str:
    return (
        f"Run on {time.strftime('%Y-%m-%d')}; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs."
    )


if __name__ == "__main__":
    main()
