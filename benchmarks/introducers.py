"""How fast the best introducer is chosen for a page of 2nd-degree members (issue 16; `make bench`).

Loads Cornell5 of Facebook100 (18,660 members, 790,777 connections, from the shared data folder)
into a fresh database through the product's bulk inserts: every connection dated at random in
the seven years before the run's clock, each side with a seeded random tier (70% regular, 15%
close, 15% occasional); the attribute columns become careers, indexed for search as the product
indexes them. With a class year, the high school is a school held in the four years before it,
the university a school ("Cornell University", the majors as the degree) held in the four years
up to it, and the dorm or house an organization ("Residence hall N") held in those same years;
without one, nothing (a place needs years); status and gender map to nothing. The graph index is
loaded as a serving process loads it.

Then, for seeded random viewers, reads their first page of 20 2nd-degree members as the
wider-network page does (`network.degrees.second_degree_network`) and, in the same read-only
unit of work, times `introductions.service.best_introducer_of` for that page, counting its
statements. In the same run and on the same pages, the naive per-candidate reference written
here: for each target, for each mutual connection, one query for each pair's connection row, one
for the member and one for their careers (the target's and the viewer's careers once), then the
same scoring. Both must choose the same introducer for every target (the whole rankings are
compared too). Prints a markdown table for docs/benchmarks.md.

    .venv/bin/python benchmarks/introducers.py [--viewers 300] [--naive-viewers 100] [--seed 7]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

By default the database is a SQLite file in a temporary folder; with `--database-url` (a
PostgreSQL server), a database of its own there, `vinculo_introducers_bench`, created for the run
and dropped after it.
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
import os
import platform
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from vinculo import clock, migrations
from vinculo.db import Database, ordered_pair
from vinculo.identity import repository as members_repository
from vinculo.identity.models import NO_PASSWORD, Member
from vinculo.introductions import introducers
from vinculo.introductions import repository as introductions_repository
from vinculo.introductions import service as introductions
from vinculo.introductions.introducers import Candidate
from vinculo.introductions.repository import ConnectionFacts
from vinculo.network import degrees
from vinculo.network import service as network
from vinculo.network.index import GRAPH_INDEX, NetworkIndex
from vinculo.network.models import TIERS
from vinculo.privacy import service as privacy
from vinculo.profiles import service as profiles
from vinculo.profiles.service import CareerKind
from vinculo.search import service as search
from vinculo.search.repository import PlaceRow
from vinculo.text import fold

SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
SCHOOL = "Cornell5"
DATABASE = "vinculo_introducers_bench"
SEED = 7
VIEWERS = 300
NAIVE_VIEWERS = 100  # the naive reference takes about a second a page: the first 100 pages
WARM_UP = 10  # viewers asked before the measured ones, by both approaches, not counted
PAGE = 20
TARGET_MS = 5.0  # p99 of best_introducer_of for a page, issue 16
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the run's clock: every date is relative to it
CONNECTED_OVER_DAYS = 7 * 365
# Each side's tier for the other, in the order of network.models.TIERS.
TIER_SHARES = {"close": 0.15, "regular": 0.7, "occasional": 0.15}
BATCH = 50_000
# The attribute columns of `<school>.local_info.txt`.
MAJOR, SECOND_MAJOR, DORM, YEAR, HIGH_SCHOOL = 2, 3, 4, 5, 6

IntArray = npt.NDArray[np.int64]


# The community


@dataclass(frozen=True)
class School:
    """A Facebook100 school as read: its connections as pairs of 0-based node numbers, and one
    row of attribute columns per node."""

    name: str
    edges: IntArray
    info: IntArray


def read_school(name: str) -> School | None:
    """The school from the shared data folder; None when its files are not there."""
    edges_path = SHARED_DATA / "facebook100" / f"{name}.edges.txt"
    info_path = SHARED_DATA / "facebook100" / f"{name}.local_info.txt"
    if not (edges_path.exists() and info_path.exists()):
        return None
    edges = np.loadtxt(edges_path, dtype=np.int64, ndmin=2)
    info = np.loadtxt(info_path, dtype=np.int64, ndmin=2)
    return School(name, edges, info)


@dataclass(frozen=True)
class Career:
    node: int
    kind: CareerKind
    place: str
    label: str
    start: int
    end: int


def careers_of(info: IntArray) -> list[Career]:
    """Facebook100's attributes as careers (see the module's docstring)."""
    found = []
    for node, (major, second, dorm, year, school) in enumerate(
        info[:, [MAJOR, SECOND_MAJOR, DORM, YEAR, HIGH_SCHOOL]].tolist()
    ):
        if year <= 0:
            continue
        if school > 0:
            found.append(Career(node, "education", f"High school {school}", "", year - 7, year - 4))
        majors = " and ".join(f"Major {m}" for m in dict.fromkeys((major, second)) if m > 0)
        found.append(Career(node, "education", "Cornell University", majors, year - 3, year))
        if dorm > 0:
            found.append(
                Career(node, "positions", f"Residence hall {dorm}", "Resident", year - 3, year)
            )
    return found


@dataclass
class Loaded:
    """What the database holds once loaded, and how long each stage took."""

    members: int = 0
    connections: int = 0
    careers: int = 0
    places: int = 0
    stages: list[tuple[str, float]] = field(default_factory=list)


def load_school(database: Database, school: School, *, seed: int) -> Loaded:
    """The school into an empty, migrated database, in one unit of work, through the product's
    bulk inserts; then its search index."""
    loaded = Loaded()
    rng = np.random.default_rng(seed)
    with clock.frozen(NOW), database.unit_of_work() as db:
        started = time.perf_counter()
        ids = members_repository.insert_members(
            db,
            [
                {
                    "email": f"m{node}@bench.invalid",
                    "password_hash": NO_PASSWORD,
                    "name": f"Member {node}",
                    "name_key": fold(f"Member {node}"),
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for node in range(len(school.info))
            ],
        )
        loaded.members = len(ids)
        loaded.stages.append(("members inserted", time.perf_counter() - started))

        started = time.perf_counter()
        careers = careers_of(school.info)
        place_ids = {
            (kind, place): profiles.place_id(db, kind=kind, name=place)
            for kind, place in sorted({(c.kind, c.place) for c in careers})
        }
        tables: tuple[tuple[CareerKind, str, str], ...] = (
            ("positions", "organization_id", "title"),
            ("education", "school_id", "degree"),
        )
        for kind, place_field, label_field in tables:
            rows = [
                {
                    "member_id": ids[c.node],
                    place_field: place_ids[(c.kind, c.place)],
                    label_field: c.label,
                    "start_year": c.start,
                    "end_year": c.end,
                    "created_at": NOW,
                }
                for c in careers
                if c.kind == kind
            ]
            for start in range(0, len(rows), BATCH):
                profiles.insert_entries(db, kind=kind, rows=rows[start : start + BATCH])
        loaded.careers, loaded.places = len(careers), len(place_ids)
        loaded.stages.append(("careers inserted", time.perf_counter() - started))

        started = time.perf_counter()
        member_ids = np.array(ids, dtype=np.int64)
        pairs = np.unique(
            np.sort(member_ids[school.edges[school.edges[:, 0] != school.edges[:, 1]]], axis=1),
            axis=0,
        )
        probabilities = [TIER_SHARES[tier] for tier in TIERS]
        low_tiers = rng.choice(len(TIERS), size=len(pairs), p=probabilities)
        high_tiers = rng.choice(len(TIERS), size=len(pairs), p=probabilities)
        ages = rng.integers(1, CONNECTED_OVER_DAYS * 24 * 3600, size=len(pairs))
        # Oldest first, as a community's connections are written: the rows lie in the order
        # they were made, not in the order of their key.
        order = np.argsort(-ages, kind="stable")
        pairs, low_tiers, high_tiers, ages = (
            pairs[order],
            low_tiers[order].tolist(),
            high_tiers[order].tolist(),
            ages[order].tolist(),
        )
        for start in range(0, len(pairs), BATCH):
            network.add_connections(
                db,
                [
                    {
                        "low_id": low,
                        "high_id": high,
                        "created_at": NOW - timedelta(seconds=ages[at]),
                        "low_tier": TIERS[low_tiers[at]],
                        "high_tier": TIERS[high_tiers[at]],
                    }
                    for at, (low, high) in enumerate(
                        pairs[start : start + BATCH].tolist(), start=start
                    )
                ],
            )
        loaded.connections = len(pairs)
        loaded.stages.append(("connections inserted", time.perf_counter() - started))

        started = time.perf_counter()
        profiles.reindex_search(db)
        loaded.stages.append(("search index built", time.perf_counter() - started))
    if not database.is_sqlite:
        started = time.perf_counter()
        engine = sa.create_engine(database.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
        loaded.stages.append(("VACUUM ANALYZE", time.perf_counter() - started))
    return loaded


def serve_graph_index(database: Database) -> NetworkIndex:
    """The graph index, loaded and handed to every unit of work, as a serving process does."""
    index = NetworkIndex(database)
    index.load()
    database.provide(GRAPH_INDEX, index)
    return index


# The naive reference


def naive_best_introducers(
    db: Session, *, viewer: Member, target_ids: Sequence[int]
) -> dict[int, list[Candidate]]:
    """The same choice as `introducers.best_introducers`, asked of the database one candidate at
    a time: for each target, for each mutual connection, the pair's connection rows, the member
    and their careers, each in a query of its own; then the same scoring."""
    hidden = privacy.hidden_from(db, member=viewer)
    now = clock.now()
    viewer_careers = _careers(db, viewer.id)
    ranked: dict[int, list[Candidate]] = {}
    for target in target_ids:
        if target == viewer.id or target in hidden:
            continue
        found = [
            b for b in degrees.mutual_connection_ids(db, a=viewer.id, b=target) if b not in hidden
        ]
        mine = {b: _facts(db, viewer.id, b) for b in found}
        tier = {b: _own_tier(mine[b], viewer.id, b) for b in found}
        if len(found) > introducers.CANDIDATES_MAX:
            found.sort(key=lambda b: -introducers.TIER_WEIGHT.get(tier[b] or "", 0.0))
            del found[introducers.CANDIDATES_MAX :]
        target_careers = _careers(db, target)
        candidates = []
        for b in found:
            member = members_repository.members_by_id(db, [b]).get(b)
            if member is None:
                continue
            theirs = _facts(db, b, target)
            careers = _careers(db, b)
            with_you = introducers.overlaps(careers, viewer_careers)
            with_target = introducers.overlaps(careers, target_careers)
            since = _since(mine[b])
            target_since = _since(theirs)
            you_side = introducers.side(
                introducers.TIER_WEIGHT.get(tier[b] or "", introducers.UNKNOWN_TIER),
                len(with_you),
                introducers.years_since(since, now),
            )
            target_side = introducers.side(
                introducers.UNKNOWN_TIER,
                len(with_target),
                introducers.years_since(target_since, now),
            )
            candidates.append(
                Candidate(
                    member=member,
                    score=introducers.score(you_side, target_side),
                    tier=tier[b],
                    connected_since=since,
                    with_you=with_you,
                    with_target=with_target,
                    target_connected_since=target_since,
                )
            )
        candidates.sort(key=lambda c: (-c.score, c.member.name_key, c.member.id))
        ranked[target] = candidates
    return ranked


def _facts(db: Session, a: int, b: int) -> ConnectionFacts | None:
    pair = ordered_pair(a, b)
    return introductions_repository.connection_facts(db, pairs={pair}).get(pair)


def _since(facts: ConnectionFacts | None) -> datetime | None:
    return None if facts is None else facts.created_at


def _own_tier(facts: ConnectionFacts | None, member_id: int, other: int) -> str | None:
    """The member's own tier for the other, when the two are connected."""
    if facts is None:
        return None
    return facts.low_tier if member_id < other else facts.high_tier


def _careers(db: Session, member_id: int) -> list[PlaceRow]:
    return search.careers_of(db, member_ids={member_id}).get(member_id, [])


# The measurement


@dataclass(frozen=True)
class Page:
    """A viewer's first page of 2nd-degree members."""

    viewer: int
    targets: list[int]


def sample_pages(database: Database, *, viewers: int, seed: int) -> list[Page]:
    """`viewers` random members (seeded) with a 2nd-degree network, each with their first page."""
    rng = np.random.default_rng(seed)
    with database.unit_of_work(write=False) as db:
        everyone = sorted(members_repository.member_ids(db))
    pages: list[Page] = []
    for member_id in rng.permutation(everyone).tolist():
        if len(pages) == viewers:
            break
        with database.unit_of_work(write=False) as db:
            _, targets = _page_of(db, member_id)
        if targets:
            pages.append(Page(member_id, targets))
    return pages


def _page_of(db: Session, viewer_id: int) -> tuple[Member, list[int]]:
    """The viewer, and their first page of 2nd-degree members as the wider-network page reads
    it (which also begins the unit's work, as on the page)."""
    viewer = members_repository.members_by_id(db, [viewer_id])[viewer_id]
    found = degrees.second_degree_network(db, viewer=viewer, cursor=None, limit=PAGE, sample=2)
    return viewer, [row.member.id for row in found.page.items]


class StatementCounter:
    """Counts the statements sent to the database while switched on."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        self.on = False
        for engine in (database.engine, database.reader):
            sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        if self.on:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self.on = 0, True
        try:
            yield
        finally:
            self.on = False


Ranked = dict[int, list[Candidate]]
Approach = Callable[[Session, Member, list[int]], Ranked]


def ours(db: Session, viewer: Member, targets: list[int]) -> Ranked:
    """What the wider-network page calls for its cards: the best introducer to each."""
    best = introductions.best_introducer_of(db, viewer=viewer, member_ids=targets)
    return {target: [candidate] for target, candidate in best.items()}


def naive(db: Session, viewer: Member, targets: list[int]) -> Ranked:
    return naive_best_introducers(db, viewer=viewer, target_ids=targets)


@dataclass
class Result:
    approach: str
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # the calling thread's
    statements: list[int] = field(default_factory=list)
    best: dict[tuple[int, int], int | None] = field(default_factory=dict)  # (viewer, target)

    def ms(self, q: float, *, cpu: bool = False) -> float:
        return float(np.quantile(self.cpu_seconds if cpu else self.seconds, q)) * 1e3


def measure(
    database: Database, counter: StatementCounter, page: Page, approach: Approach, result: Result
) -> Ranked:
    """One call of `approach` for the page, in a read-only unit of work of its own, timed alone,
    after the page was read in the same unit."""
    with database.unit_of_work(write=False) as db:
        viewer, targets = _page_of(db, page.viewer)
        assert targets == page.targets
        with counter.counting():
            started, cpu_started = time.perf_counter(), time.thread_time()
            ranked = approach(db, viewer, targets)
            result.seconds.append(time.perf_counter() - started)
            result.cpu_seconds.append(time.thread_time() - cpu_started)
        result.statements.append(counter.count)
    for target in targets:
        found = ranked.get(target)
        result.best[(page.viewer, target)] = found[0].member.id if found else None
    return ranked


def full_rankings(database: Database, page: Page) -> Ranked:
    """Every candidate of each target of the page, best first, as `best_introducers` ranks them
    (not timed: for comparing with the naive reference)."""
    with database.unit_of_work(write=False) as db:
        viewer, targets = _page_of(db, page.viewer)
        return introducers.best_introducers(db, viewer=viewer, target_ids=targets)


def same_ranking(a: list[Candidate], b: list[Candidate]) -> bool:
    """The same candidates in the same order, with the same scores and the same reasons."""
    return [_told(c) for c in a] == [_told(c) for c in b]


def _told(c: Candidate) -> tuple[object, ...]:
    return (
        c.member.id,
        c.score,
        c.tier,
        c.connected_since,
        c.with_you,
        c.with_target,
        c.target_connected_since,
    )


@dataclass
class Comparison:
    ours: Result
    naive: Result
    targets: int = 0
    with_introducer: int = 0
    same_best: int = 0
    naive_targets: int = 0
    same_ranking: int = 0
    candidates: list[int] = field(default_factory=list)  # weighed per target


def compare(
    database: Database, pages: list[Page], *, naive_pages: int, warm_up: list[Page]
) -> Comparison:
    """Time both approaches on the pages (the naive one on the first `naive_pages`), after
    asking both for the warm-up pages, and compare their choices."""
    counter = StatementCounter(database)
    with clock.frozen(NOW):
        for page in warm_up:
            measure(database, counter, page, ours, Result("warm-up"))
            measure(database, counter, page, naive, Result("warm-up"))
        comparison = Comparison(Result("ours"), Result("naive"))
        for at, page in enumerate(pages):
            measure(database, counter, page, ours, comparison.ours)
            if at >= naive_pages:
                continue
            reference = measure(database, counter, page, naive, comparison.naive)
            ranked = full_rankings(database, page)
            for target in page.targets:
                comparison.naive_targets += 1
                mine, theirs = ranked.get(target, []), reference.get(target, [])
                comparison.same_ranking += same_ranking(mine, theirs)
                comparison.candidates.append(len(theirs))
    for key, chosen in comparison.ours.best.items():
        comparison.targets += 1
        comparison.with_introducer += chosen is not None
        if key in comparison.naive.best:
            comparison.same_best += comparison.naive.best[key] == chosen
    return comparison


# The report


def machine(database: Database) -> str:
    python = f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    if database.is_sqlite:
        return f"SQLite {sqlite3.sqlite_version}, {python}"
    with database.engine.connect() as connection:
        version = connection.scalar(sa.text("SHOW server_version"))
    return f"PostgreSQL {version}, {python}"


def revision() -> str:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - git from the PATH
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def print_report(
    *,
    school: School,
    database: Database,
    loaded: Loaded,
    pages: list[Page],
    comparison: Comparison,
    seconds: float,
) -> bool:
    """Print the tables; whether the target was met."""
    backend = "SQLite" if database.is_sqlite else "PostgreSQL"
    print(
        f"\n### Introducers — {school.name}, {len(pages)} viewers' first page of "
        f"{PAGE} 2nd-degree members, on {backend}\n"
    )
    print(
        f"Run on {time.strftime('%Y-%m-%d')}; {machine(database)}; vínculo at {revision()}; "
        f"{seconds / 60:.1f} minutes.\n"
    )
    print(
        f"- the community: {loaded.members:,} members, {loaded.connections:,} connections, "
        f"{loaded.careers:,} positions and studies at {loaded.places:,} places"
    )
    print("- " + "; ".join(f"{what} in {took:.1f} s" for what, took in loaded.stages))
    targets = [len(page.targets) for page in pages]
    candidates = comparison.candidates
    print(
        f"- {sum(targets):,} targets ({np.mean(targets):.1f} a page), "
        f"{comparison.with_introducer:,} with an introducer; candidates weighed per target "
        f"(the naive pages): median {np.median(candidates):.0f}, mean {np.mean(candidates):.1f}, "
        f"max {max(candidates)}"
    )
    naive_share = comparison.same_best / len(comparison.naive.best) if comparison.naive.best else 0
    print(
        f"- the same best introducer: {comparison.same_best:,} of "
        f"{len(comparison.naive.best):,} targets ({100 * naive_share:.1f}%); the whole ranking "
        f"identical: {comparison.same_ranking:,} of {comparison.naive_targets:,}"
    )
    print()
    print("| approach | pages | p50 ms | p90 ms | p99 ms | max ms | statements per call | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    met = comparison.ours.ms(0.99) < TARGET_MS
    for result, label, verdict in (
        (
            comparison.ours,
            "vínculo: `best_introducer_of`, the page at once",
            f"p99 < {TARGET_MS:g} ms: {'MET' if met else 'MISSED'}",
        ),
        (comparison.naive, "naive per-candidate reference (one query per pair, per member)", ""),
    ):
        statements = np.array(result.statements)
        print(
            f"| {label} | {len(result.seconds)} | {result.ms(0.5):.2f} | {result.ms(0.9):.2f} | "
            f"{result.ms(0.99):.2f} | {max(result.seconds) * 1e3:.2f} | "
            f"{_statements(statements)} | {verdict} |"
        )
    print()
    ours = comparison.ours
    left_out = (
        "waits for the CPU and the disk"
        if database.is_sqlite
        else "server's work, the round trips and the waits for the CPU"
    )
    print(
        f"The calling thread's CPU time in `best_introducer_of`, without the {left_out}: "
        f"p50 {ours.ms(0.5, cpu=True):.2f} ms, p90 {ours.ms(0.9, cpu=True):.2f} ms, "
        f"p99 {ours.ms(0.99, cpu=True):.2f} ms.\n"
    )
    same_pages = np.median(comparison.ours.seconds[: len(comparison.naive.seconds)])
    ratio = np.median(comparison.naive.seconds) / same_pages
    print(
        f"On the {len(comparison.naive.seconds)} pages both were timed on, the naive reference's "
        f"median is {ratio:.0f}× ours.\n"
    )
    print(
        f"Target (issue 16: p99 < {TARGET_MS:g} ms for a page of {PAGE}): "
        f"{'MET' if met else 'MISSED'} ({comparison.ours.ms(0.99):.2f} ms)."
    )
    return met


def _statements(counts: npt.NDArray[Any]) -> str:
    if counts.min() == counts.max():
        return f"{counts.min()}"
    return f"{np.median(counts):.0f} (median; {counts.min()}–{counts.max()})"


# The run


@contextmanager
def own_database(url: str | None) -> Iterator[str]:
    """The database of the run: a SQLite file in a temporary folder, or on the PostgreSQL
    server of `url` a database of its own, dropped at the end."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/introducers.db"
        return
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    try:
        yield sa.make_url(url).set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=VIEWERS)
    parser.add_argument(
        "--naive-viewers",
        type=int,
        default=NAIVE_VIEWERS,
        help="on how many of the pages the naive reference is run too",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server, where the benchmark makes a database of its own",
    )
    args = parser.parse_args()
    if args.viewers < 1 or args.naive_viewers < 1:
        parser.error("--viewers and --naive-viewers take at least 1")
    started = time.perf_counter()
    school = read_school(SCHOOL)
    if school is None:
        print(f"### Introducers\n\nskipped: {SCHOOL}'s files are not in {SHARED_DATA}")
        return
    with own_database(args.database_url) as url:
        migrations.upgrade(url)
        database = Database(url)
        try:
            loaded = load_school(database, school, seed=args.seed)
            for what, took in loaded.stages:
                print(f"{what} in {took:.1f} s", flush=True)
            serve_graph_index(database)
            print("graph index loaded; timing the pages", flush=True)
            chosen = sample_pages(database, viewers=args.viewers + WARM_UP, seed=args.seed)
            warm_up, pages = chosen[:WARM_UP], chosen[WARM_UP:]
            comparison = compare(database, pages, naive_pages=args.naive_viewers, warm_up=warm_up)
            print_report(
                school=school,
                database=database,
                loaded=loaded,
                pages=pages,
                comparison=comparison,
                seconds=time.perf_counter() - started,
            )
        finally:
            database.dispose()
    assert comparison.same_best == len(comparison.naive.best), (
        "the naive reference chose another introducer for some targets"
    )
    assert comparison.same_ranking == comparison.naive_targets, (
        "the naive reference ranked some targets' candidates otherwise"
    )


if __name__ == "__main__":
    main()
