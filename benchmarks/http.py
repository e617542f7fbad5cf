"""The product's speed as a member feels it, over HTTP (`make bench`).

Makes a fresh PostgreSQL database, migrates it and seeds the demo community, then serves it with
`vinculo serve --workers 2` and, beside it, the floor (`benchmarks/apps/floor.py`: a bare
FastAPI + SQLAlchemy app answering one primary-key SELECT on the same database). It times the
first requests after start; loads each endpoint in turn with wrk (2 threads, 16 connections)
through a Lua script that sends requests prepared here, rotating over members' tokens and ids
(each invitation to a pair with nothing between them yet), once the server is idle again;
counts the database round trips of one request of each endpoint in this process, on the app
driven by Starlette's TestClient; sends two bursts of 200 simultaneous requests while another
member keeps reading; and prints one markdown table for docs/benchmarks.md, with each target of
the issue MET or MISSED. The server runs with the product's default settings but for the weekly
cap on invitations, the login rate and the sweep (see SERVER_SETTINGS); its worker mails every
invitation, to .eml files in the run's folder. The database is dropped
at the end. Without PostgreSQL or wrk (`./scripts/ensure-wrk`) it says so and prints no table.

    .venv/bin/python benchmarks/http.py [--database-url postgresql+psycopg://…/postgres]
        [--members 2000] [--duration 10] [--connections 16] [--seed 7] [--logs FOLDER]
"""

# The issue names this file; run as a script it never shadows the standard library's `http`:
# ruff: noqa: A005

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the module path, and its name is the
# standard library's `http`, which uvicorn, httpx2 and this module import: take the folder off.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import contextlib
import http.client
import importlib
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple, cast
from urllib.parse import quote

import httpx2
import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from starlette.testclient import TestClient

from vinculo.app import create_app
from vinculo.db import Database, ordered_pair
from vinculo.demo.community import DEMO_PASSWORD
from vinculo.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"
VINCULO = Path(sys.executable).with_name("vinculo")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
WORKERS = 2
THREADS = 2  # wrk's
HOLDERS = 64  # members logged in through the API: the readers, the senders and the accepters
BROWSERS = 16  # of them, members logged in through the login page as well
INVITED_EACH = 3  # invitations every holder has waiting from other holders before the loads
READS = 2000  # requests prepared per reading endpoint; wrk goes round them again
INVITATIONS_PER_SECOND = 2000  # fresh pairs prepared per second of "send an invitation"
MIX_MARGIN = 1.5  # invitations prepared for the mix's accepts, over what its estimated rate uses
BURST = 200
READ_EVERY = 0.1  # seconds between the reads of the member who is not part of a burst
NOTE = "We worked together; I would like to stay in touch."
# The weekly cap would turn "send an invitation" into 429s, and a sweep would run in the middle;
# the run logs its members in from one address within seconds. Every other setting, fair use
# included, is the product's default.
SERVER_SETTINGS = {
    "VINCULO_INVITATIONS_PER_WEEK": "1000000",
    "VINCULO_INVITATIONS_PER_WEEK_LOW_ACCEPTANCE": "1000000",
    "VINCULO_SWEEP_INTERVAL_SECONDS": "0",
    "VINCULO_LOGIN_RATE_LIMIT": "1000000/minute",
}
TODAY_MIX = 95  # the mix's requests/s when the issue was written

# wrk sends the requests of a file written by `load`, one a line: round, method, path,
# one header ("Name: value" or nothing), body (or nothing). Thread k of n sends the rounds r with
# r % n == k, in order, and starts again at the end, counting it in `wrapped` (an invitation sent
# twice is refused). `done` prints exact percentiles in microseconds and the statuses that were
# not 2xx, as one JSON line.
LUA = r"""
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(args[2])
  requests, position, wrapped, statuses = {}, 0, 0, {}
  for line in io.lines(args[1]) do
    local round, method, path, header, body =
      line:match("^(%d+)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if tonumber(round) % count == id then
      local headers = {}
      local name, value = header:match("^([^:]+): (.*)$")
      if name then headers[name] = value end
      if body == "" then body = nil else headers["Content-Type"] = "application/json" end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
end

function request()
  position = position + 1
  if position > #requests then
    position, wrapped = 1, wrapped + 1
  end
  return requests[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local failures, wrapped = {}, 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + thread:get("wrapped")
    for status, count in pairs(thread:get("statuses")) do
      local key = tostring(status)
      failures[key] = (failures[key] or 0) + count
    end
  end
  local errors = summary.errors
  failures["socket"] = errors.connect + errors.read + errors.write
  failures["timeout"] = errors.timeout
  local parts = {}
  for key, count in pairs(failures) do
    if count > 0 then parts[#parts + 1] = string.format('"%s": %d', key, count) end
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, ' ..
    '"failures": {%s}, "wrapped": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", "), wrapped))
end
"""


class Request(NamedTuple):
    """One HTTP request, as wrk, the TestClient and the bursts all send it."""

    method: str
    path: str
    header: str = ""  # "Authorization: Bearer …" or "Cookie: vinculo_session=…"
    body: str = ""

    def headers(self) -> dict[str, str]:
        headers = dict([self.header.split(": ", 1)]) if self.header else {}
        if self.body:
            headers["Content-Type"] = "application/json"
        return headers


def bearer(token: str) -> str:
    return f"Authorization: Bearer {token}"


@dataclass
class Community:
    """What the run knows of the seeded community and of the members it logged in."""

    members: list[int]
    emails: dict[int, str]
    holders: list[int]  # members with connections, who get a token
    words: list[str]  # a word of each organization's and school's name, to search for
    taken: set[tuple[int, int]]  # pairs connected or with an invitation between them
    rng: random.Random
    tokens: dict[int, str] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)  # page sessions, the cookie's value
    # Invitations between holders waiting to be accepted by the mix: (invitation id, recipient).
    waiting: list[tuple[int, int]] = field(default_factory=list)

    def holder(self, i: int) -> int:
        return self.holders[i % len(self.holders)]

    def token(self, i: int) -> str:
        return bearer(self.tokens[self.holder(i)])

    def other(self, i: int, viewer: int) -> int:
        """A member other than `viewer`, a different one for each `i`."""
        other = self.members[(i * 7919 + 17) % len(self.members)]
        return other if other != viewer else self.members[(i * 7919 + 18) % len(self.members)]

    def strangers(
        self, senders: Sequence[int], recipients: Sequence[int], count: int
    ) -> list[tuple[int, int]]:
        """Up to `count` (sender, recipient) pairs with nothing between them yet (no connection,
        no invitation ever), the senders taking turns; each pair is handed out once, so that
        every invitation the run sends does the whole work of one."""
        walks = {sender: iter(self.rng.sample(recipients, len(recipients))) for sender in senders}
        pairs: list[tuple[int, int]] = []
        while walks and len(pairs) < count:
            for sender in list(walks):
                recipient = next((r for r in walks[sender] if self._take(sender, r)), None)
                if recipient is None:
                    del walks[sender]
                    continue
                pairs.append((sender, recipient))
                if len(pairs) == count:
                    break
        return pairs

    def _take(self, a: int, b: int) -> bool:
        pair = ordered_pair(a, b)
        if a == b or pair in self.taken:
            return False
        self.taken.add(pair)
        return True


# What each endpoint sends for its i-th request.


def my_profile(c: Community, i: int) -> Request:
    return Request("GET", "/api/v1/members/me", c.token(i))


def member_profile(c: Community, i: int) -> Request:
    viewer = c.holder(i)
    return Request("GET", f"/api/v1/members/{c.other(i, viewer)}", bearer(c.tokens[viewer]))


def search(c: Community, i: int) -> Request:
    word = quote(c.words[i % len(c.words)])
    return Request("GET", f"/api/v1/members?q={word}", c.token(i + 1))


def received_invitations(c: Community, i: int) -> Request:
    return Request("GET", "/api/v1/invitations?box=received", c.token(i + 2))


def suggestions(c: Community, i: int) -> Request:
    return Request("GET", "/api/v1/network/suggestions", c.token(i + 3))


def home_page(c: Community, i: int) -> Request:
    return Request("GET", "/", f"Cookie: vinculo_session={c.sessions[i % len(c.sessions)]}")


def network_page(c: Community, i: int) -> Request:
    return Request("GET", "/network", home_page(c, i).header)


def profile_page(c: Community, i: int) -> Request:
    return Request("GET", f"/members/{c.other(i, -1)}", home_page(c, i).header)


def invitation(c: Community, sender: int, recipient: int) -> Request:
    body = json.dumps({"to": recipient, "note": NOTE})
    return Request("POST", "/api/v1/invitations", bearer(c.tokens[sender]), body)


def acceptance(c: Community, invitation_id: int, recipient: int) -> Request:
    path = f"/api/v1/invitations/{invitation_id}/accept"
    return Request("POST", path, bearer(c.tokens[recipient]))


@dataclass
class Endpoint:
    name: str
    request: Callable[[Community, int], Request]


READ_ENDPOINTS = [
    Endpoint("`GET /api/v1/members/me`", my_profile),
    Endpoint("`GET /api/v1/members/{id}`", member_profile),
    Endpoint("`GET /api/v1/members?q=…` (search)", search),
    Endpoint("`GET /api/v1/invitations?box=received`", received_invitations),
    Endpoint("`GET /api/v1/network/suggestions`", suggestions),
]
PAGE_ENDPOINTS = [
    Endpoint("page `GET /` (home)", home_page),
    Endpoint("page `GET /network`", network_page),
    Endpoint("page `GET /members/{id}` (profile)", profile_page),
]
FLOOR = "floor: `GET /floor/{id}`, one primary-key SELECT"
INVITE = "`POST /api/v1/invitations` (send an invitation)"
MIX = "the mix: profile, search, received, suggestions, invite, accept"
MIX_ENDPOINTS = READ_ENDPOINTS[1:5]  # a profile, a search, the received invitations, suggestions


@dataclass
class Load:
    """What wrk measured for one endpoint."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: dict[str, int]  # a status that was not 2xx, "socket" or "timeout": how many
    wrapped: int  # times a wrk thread started its requests again


@dataclass
class Burst:
    """200 simultaneous requests, and the reads of another member meanwhile."""

    name: str
    slowest: float  # seconds, of the burst's answers
    statuses: Counter[int]  # 0 for no answer
    slowest_read: float
    reads_failed: int

    def met(self) -> bool:
        answered = 0 not in self.statuses and self.slowest <= 5.0
        no_5xx = not any(status >= 500 for status in self.statuses)
        return answered and no_5xx and self.slowest_read < 1.0 and not self.reads_failed


# The database and the community.


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database `vinculo_bench_<random>` on the server of `admin_url`, dropped on leaving,
    whatever happened."""
    name = f"vinculo_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def postgresql_version(url: str) -> str | None:
    """The server's version, or None when it does not answer."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar_one())
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def seed(environment: dict[str, str], members: int) -> str:
    """Migrate and seed through the operator's commands; what `vinculo demo` said of it."""
    for command in (["db", "upgrade"], ["demo", "--members", str(members)]):
        done = subprocess.run(
            [str(VINCULO), *command], env=environment, check=True, capture_output=True, text=True
        )
    return done.stdout.splitlines()[0].rstrip(".")


def read_community(url: str, *, seed: int) -> Community:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        emails: dict[int, str] = dict(
            connection.exec_driver_sql("SELECT id, email FROM member").all()
        )
        connected = list(connection.exec_driver_sql("SELECT low_id, high_id FROM connection"))
        invited = list(connection.exec_driver_sql("SELECT low_id, high_id FROM invitation"))
        places = connection.exec_driver_sql(
            "SELECT name FROM organization UNION ALL SELECT name FROM school"
        ).scalars()
        words = [max(str(name).split(), key=len) for name in places]
    engine.dispose()
    rng = random.Random(seed)
    with_connections = sorted({member for pair in connected for member in pair})
    return Community(
        members=sorted(emails),
        emails=emails,
        holders=rng.sample(with_connections, HOLDERS),
        words=words,
        taken={ordered_pair(a, b) for a, b in [*connected, *invited]},
        rng=rng,
    )


# Logging in, and invitations sent through the API before a load.


def log_in(client: httpx2.Client, email: str) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in_page(client: httpx2.Client, email: str) -> str:
    """A page session, the way a browser gets one: the login form sets the CSRF cookie and holds
    its token, the form posted sets the session cookie. The client keeps no cookie after."""
    form = client.get("/login")
    form.raise_for_status()
    token = CSRF_INPUT.search(form.text)
    if token is None:
        raise RuntimeError("the login page has no CSRF token")
    fields = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token[1], "next": "/"}
    response = client.post("/login", data=fields, follow_redirects=False)
    session = response.cookies.get("vinculo_session")
    client.cookies.clear()
    if response.status_code != 303 or not session:
        raise RuntimeError(f"logging in through the page answered {response.status_code}")
    return str(session)


def send(client: httpx2.Client, request: Request) -> httpx2.Response:
    return client.request(
        request.method, request.path, headers=request.headers(), content=request.body or None
    )


def invite_all(
    client: httpx2.Client, c: Community, pairs: Sequence[tuple[int, int]], *, parallel: int = 1
) -> list[tuple[int, int]]:
    """Send these invitations through the API; (invitation id, recipient) of each one sent."""

    def one(pair: tuple[int, int]) -> tuple[int, int] | None:
        response = send(client, invitation(c, *pair))
        return (int(response.json()["id"]), pair[1]) if response.status_code == 201 else None

    with ThreadPoolExecutor(parallel) as pool:
        sent = [found for found in pool.map(one, pairs) if found is not None]
    if len(sent) < len(pairs):
        print(f"  ! {len(pairs) - len(sent)} of {len(pairs)} invitations were refused")
    return sent


# Round trips, counted in this process.


def count_round_trips(engines: Sequence[Engine], request: Callable[[], object]) -> int:
    """The database round trips of one call of `request`: every statement the engines run (BEGIN
    too, when the unit of work sends it itself), and every commit and rollback that ends an open
    transaction; not those of the process's background threads (`vinculo-…`), which run on their
    own schedule. On PostgreSQL: it asks psycopg whether a transaction is open."""
    count = 0

    def counts() -> bool:
        return not threading.current_thread().name.startswith("vinculo-")

    def statement(conn: Connection, *_: object) -> None:
        nonlocal count
        if counts():
            # Unless in autocommit, psycopg sends a BEGIN of its own before a first statement.
            count += 1 + (not driver(conn).autocommit and not in_transaction(conn))

    def ending(conn: Connection) -> None:
        nonlocal count
        if counts() and in_transaction(conn):  # with none open, psycopg sends nothing
            count += 1

    listeners = [
        (engine, name, listener)
        for engine in engines
        for name, listener in (
            ("before_cursor_execute", statement),
            ("commit", ending),
            ("rollback", ending),
        )
    ]
    for engine, name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        request()
    finally:
        for engine, name, listener in listeners:
            event.remove(engine, name, listener)
    return count


def driver(conn: Connection) -> psycopg.Connection[object]:
    """psycopg's own connection (an async one for requests: it has the same two attributes)."""
    return cast("psycopg.Connection[object]", conn.connection.driver_connection)


def in_transaction(conn: Connection) -> bool:
    return driver(conn).info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def round_trips_of(
    client: TestClient, engines: Sequence[Engine], warm_up: Request, counted: Request
) -> int:
    """The round trips of `counted`, sent after `warm_up` (the same endpoint for another member),
    so that what a process does once is not counted."""
    if not send(client, warm_up).is_success:
        print(f"  ! {warm_up.method} {warm_up.path} failed")
    status = 0

    def counted_request() -> None:
        nonlocal status
        status = send(client, counted).status_code

    trips = count_round_trips(engines, counted_request)
    if not 200 <= status < 300:
        print(f"  ! {counted.method} {counted.path} answered {status}")
    return trips


def serving_engines(client: TestClient, database: Database) -> tuple[Engine, ...]:
    """The engines the client's requests use (on PostgreSQL, those of the database's twin on the
    client's event loop: `Database.for_requests`), and the process's own."""

    async def twin() -> Database:
        return database.for_requests()

    assert client.portal is not None
    serving = client.portal.call(twin)
    return tuple({database.engine, database.reader, serving.engine, serving.reader})


def prepare_in_process(url: str, c: Community) -> dict[str, float]:
    """Before the servers start, in this process: the holders' tokens and a page session, the
    invitations every holder has waiting, then the round trips of one request of each endpoint
    (and of the floor's)."""
    round_trips: dict[str, float] = {}
    database = Database(url)
    with TestClient(create_app(get_settings(), database=database)) as client:
        engines = serving_engines(client, database)
        for member in c.holders:
            c.tokens[member] = log_in(client, c.emails[member])
        c.sessions = [log_in_page(client, c.emails[c.holders[0]])]
        waiting = c.strangers(c.holders, c.holders, INVITED_EACH * len(c.holders))
        c.waiting = invite_all(client, c, waiting)
        for endpoint in [*READ_ENDPOINTS, *PAGE_ENDPOINTS]:
            round_trips[endpoint.name] = round_trips_of(
                client,
                engines,
                endpoint.request(c, 0),
                endpoint.request(c, 1),
            )
        invites = [invitation(c, *pair) for pair in c.strangers(c.holders, c.members, 2)]
        round_trips[INVITE] = round_trips_of(client, engines, *invites)
        accepts = [acceptance(c, *pending) for pending in c.waiting[:2]]
        accepting = round_trips_of(client, engines, *accepts)
        c.waiting = c.waiting[2:]
    mix = [*(round_trips[read.name] for read in MIX_ENDPOINTS), round_trips[INVITE], accepting]
    round_trips[MIX] = sum(mix) / len(mix)
    round_trips["accept"] = accepting
    # The app's background threads end with it; a reranker being fitted may take a while.
    for thread in threading.enumerate():
        if thread.name.startswith("vinculo-"):
            thread.join(timeout=60)

    sys.path.insert(0, str(APPS))
    floor = importlib.import_module("floor").create_app()
    with TestClient(floor) as client:
        warm_up, counted = (Request("GET", f"/floor/{member}") for member in c.members[:2])
        round_trips[FLOOR] = round_trips_of(client, (floor.state.engine,), warm_up, counted)
    floor.state.engine.dispose()
    return round_trips


# The servers.


@dataclass
class Server:
    """A server process of the run, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def answers(self, path: str) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            return exchange(connection, Request("GET", path)) == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def workers_started(self) -> bool:
        return self.log.read_text(errors="replace").count("startup complete") >= WORKERS

    def settle(self, *, timeout: float = 120) -> None:
        """Wait until the server's processes are nearly idle (under a tenth of a core for half a
        second): after its first suggestions each worker fits a reranker in the background,
        which would otherwise take a core from the load that follows."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = cpu_seconds(self.process.pid)
            time.sleep(0.5)
            if cpu_seconds(self.process.pid) - before < 0.05:
                return

    def wait(self, ready: Callable[[], bool], *, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace").splitlines()[-30:]
                raise RuntimeError(f"{self.name} did not start:\n" + "\n".join(tail))
            time.sleep(0.01)


class Process(NamedTuple):
    parent: int
    name: str
    cpu_seconds: float  # used so far


def processes() -> dict[int, Process]:
    """Every process of the machine, from Linux's /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            name, rest = text[text.index("(") + 1 :].rsplit(")", 1)
            fields = rest.split()  # from the state on: the parent, …, user and system time
            ticks = int(fields[11]) + int(fields[12])
            found[int(stat.parent.name)] = Process(
                int(fields[1]), name, ticks / os.sysconf("SC_CLK_TCK")
            )
    return found


def cpu_seconds(parent: int) -> float:
    """The CPU time a process and its children have used so far."""
    return sum(p.cpu_seconds for pid, p in processes().items() if parent in (pid, p.parent))


def others_cpu_seconds(before: dict[int, Process], after: dict[int, Process]) -> float:
    """The CPU time used between two snapshots by processes other than this run's and the
    database's: how busy the machine was with something else while we measured it."""
    ours = {os.getpid()}
    while grown := {pid for pid, p in after.items() if p.parent in ours} - ours:
        ours |= grown
    return sum(
        p.cpu_seconds - (before[pid].cpu_seconds if pid in before else 0.0)
        for pid, p in after.items()
        if pid not in ours and p.name != "postgres"
    )


@contextlib.contextmanager
def serving(
    name: str, command: list[str], environment: dict[str, str], folder: Path
) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--host", HOST, "--port", str(port), "--workers", str(WORKERS)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Server(name, process, port, log)
    finally:
        process.terminate()  # uvicorn's supervisor stops its workers and waits for them
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def exchange(connection: http.client.HTTPConnection, request: Request) -> int:
    """Send one request on a connection of the standard library's client; the status."""
    body = request.body.encode() if request.body else None
    connection.request(request.method, request.path, body=body, headers=request.headers())
    response = connection.getresponse()
    response.read()
    return response.status


def first_requests(server: Server, c: Community, count: int = 10) -> list[float]:
    """Seconds of the first `count` requests once /healthz answers, each of another member, each
    on a new connection: suggestions, the request that used to wait for the compiler."""
    seconds = []
    for i in range(count):
        connection = http.client.HTTPConnection(HOST, server.port, timeout=60)
        started = time.perf_counter()
        status = exchange(connection, suggestions(c, i))
        seconds.append(time.perf_counter() - started)
        connection.close()
        if status != 200:
            print(f"  ! a first request answered {status}")
    return seconds


# Loads, with wrk.


def load(
    name: str,
    server: Server,
    rounds: Sequence[Sequence[Request]],
    folder: Path,
    *,
    duration: int,
    connections: int,
) -> Load:
    """wrk's measure of `server` sent these requests, round after round, for `duration` s."""
    requests = folder / "requests.tsv"
    with requests.open("w") as out:
        for number, round_ in enumerate(rounds):
            for r in round_:
                out.write(f"{number}\t{r.method}\t{r.path}\t{r.header}\t{r.body}\n")
    script = folder / "requests.lua"
    script.write_text(LUA)
    command = [
        *("wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration}s", "--latency"),
        *("--timeout", "10s", "-s", str(script), server.url, "--", str(requests), str(THREADS)),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    load = Load(
        name,
        requests_per_second=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        failures=result["failures"],
        wrapped=result["wrapped"],
    )
    print(f"  {name}: {load.requests_per_second:,.0f} requests/s, p99 {load.p99_ms:.1f} ms")
    return load


def warm_up(server: Server, c: Community, folder: Path, *, connections: int) -> None:
    """Two seconds of every reading endpoint and page at once, unmeasured: the workers open
    their database connections, prepare their statements and compile their templates."""
    endpoints = [*READ_ENDPOINTS, *PAGE_ENDPOINTS]
    rounds = [[e.request(c, i) for e in endpoints] for i in range(READS // len(endpoints))]
    load("warm-up", server, rounds, folder, duration=2, connections=connections)


def each(c: Community, request: Callable[[Community, int], Request]) -> list[list[Request]]:
    return [[request(c, i)] for i in range(READS)]


def estimated_mix_rate(loads: dict[str, Load]) -> float:
    """The mix's requests/s if each of its requests took as long as alone (accepting an
    invitation as long as sending one)."""
    names = [*(read.name for read in MIX_ENDPOINTS), INVITE, INVITE]
    return len(names) / sum(1 / loads[name].requests_per_second for name in names)


def mix_rounds(
    c: Community, pairs: Sequence[tuple[int, int]], waiting: Sequence[tuple[int, int]]
) -> list[list[Request]]:
    """One round of the mix: a profile, a search, the received invitations, the suggestions,
    an invitation sent and one accepted, each by a member of its own."""
    return [
        [
            *(read.request(c, i) for read in MIX_ENDPOINTS),
            invitation(c, *pair),
            acceptance(c, *accept),
        ]
        for i, (pair, accept) in enumerate(zip(pairs, waiting, strict=False))
    ]


# Bursts.


def burst(server: Server, name: str, requests: Sequence[Request], reader: Request) -> Burst:
    """Send `requests` at once, each on its own connection opened beforehand, while `reader`
    is sent every READ_EVERY s on a connection of its own."""
    barrier = threading.Barrier(len(requests) + 1)
    answers: list[tuple[int, float]] = [(0, math.inf)] * len(requests)

    def one(k: int) -> None:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        with contextlib.suppress(OSError):
            connection.connect()
        barrier.wait()
        started = time.perf_counter()
        try:
            status = exchange(connection, requests[k])
        except (OSError, http.client.HTTPException):
            status = 0
        answers[k] = (status, time.perf_counter() - started)
        connection.close()

    reads: list[float] = []
    failed_reads = 0
    stop = threading.Event()

    def read() -> None:
        nonlocal failed_reads
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        while not stop.is_set():
            started = time.perf_counter()
            try:
                failed_reads += exchange(connection, reader) != 200
            except (OSError, http.client.HTTPException):
                failed_reads += 1
                connection.close()
            reads.append(time.perf_counter() - started)
            stop.wait(max(0.0, READ_EVERY - reads[-1]))
        connection.close()

    reading = threading.Thread(target=read)
    reading.start()
    time.sleep(0.5)
    senders = [threading.Thread(target=one, args=(k,)) for k in range(len(requests))]
    for sender in senders:
        sender.start()
    barrier.wait()
    for sender in senders:
        sender.join()
    time.sleep(0.5)
    stop.set()
    reading.join()
    return Burst(
        name,
        slowest=max(seconds for _, seconds in answers),
        statuses=Counter(status for status, _ in answers),
        slowest_read=max(reads),
        reads_failed=failed_reads,
    )


# The run.


def run(url: str, folder: Path, args: argparse.Namespace) -> Report:
    environment = {
        **os.environ,
        **SERVER_SETTINGS,
        "VINCULO_DATABASE_URL": url,
        # Every invitation is mailed, by the worker `vinculo serve` starts, as the product does
        # by default: to .eml files in the run's own folder (no SMTP server here).
        "VINCULO_MAIL_DIR": str(folder / "mail"),
    }
    os.environ.update(environment)  # for the app this process builds to count round trips
    get_settings.cache_clear()
    print(f"Seeding {args.members:,} demo members …")
    seeded = seed(environment, args.members)
    c = read_community(url, seed=args.seed)
    print(f"Logging in {HOLDERS} members, counting round trips in this process …")
    round_trips = prepare_in_process(url, c)
    timing = {"duration": args.duration, "connections": args.connections}
    product = [str(VINCULO), "serve"]
    floor_app = [sys.executable, "-m", "uvicorn", "--app-dir", str(APPS), "--factory"]
    with serving("vinculo", product, environment, folder) as server:
        server.wait(lambda: server.answers("/healthz"))
        firsts = first_requests(server, c)
        with serving("floor", [*floor_app, "floor:create_app"], environment, folder) as floor:
            floor.wait(floor.workers_started)
            server.wait(server.workers_started)
            with httpx2.Client(base_url=server.url, timeout=60) as client:
                c.sessions = [log_in_page(client, c.emails[m]) for m in c.holders[:BROWSERS]]
            print(f"Loading each endpoint for {args.duration} s …")
            warm_up(server, c, folder, connections=args.connections)
            loads: dict[str, Load] = {}
            before, started = processes(), time.monotonic()

            def measure(name: str, on: Server, rounds: Sequence[Sequence[Request]]) -> None:
                server.settle()
                loads[name] = load(name, on, rounds, folder, **timing)

            measure(FLOOR, floor, [[Request("GET", f"/floor/{member}")] for member in c.members])
            for endpoint in READ_ENDPOINTS:
                measure(endpoint.name, server, each(c, endpoint.request))
            recipients = [member for member in c.members if member not in c.tokens]
            pairs = c.strangers(c.holders, recipients, INVITATIONS_PER_SECOND * args.duration)
            measure(INVITE, server, [[invitation(c, *pair)] for pair in pairs])
            for endpoint in PAGE_ENDPOINTS:
                measure(endpoint.name, server, each(c, endpoint.request))

            rounds = math.ceil(MIX_MARGIN * estimated_mix_rate(loads) * args.duration / 6)
            more = c.strangers(c.holders, c.holders, rounds - len(c.waiting))
            if more:
                print(f"Preparing {len(more)} more invitations for the mix to accept …")
                with httpx2.Client(base_url=server.url, timeout=60) as client:
                    c.waiting += invite_all(client, c, more, parallel=8)
            pairs = c.strangers(c.holders, recipients, len(c.waiting))
            measure(MIX, server, mix_rounds(c, pairs, c.waiting))
            others = others_cpu_seconds(before, processes())
            others /= (time.monotonic() - started) * (os.cpu_count() or 1)

            print(f"Bursts of {BURST} …")
            bogus = [
                Request("POST", "/api/v1/invitations", bearer(secrets.token_urlsafe(32)), body)
                for body in (json.dumps({"to": member}) for member in c.members[:BURST])
            ]
            sender = c.holders[0]
            by_one = [invitation(c, *pair) for pair in c.strangers([sender], recipients, BURST)]
            bursts = []
            for name, requests in [
                (f"{BURST} `POST /api/v1/invitations` with bogus tokens", bogus),
                (f"{BURST} invitations sent at once by one member", by_one),
            ]:
                server.settle()
                bursts.append(burst(server, name, requests, reader=my_profile(c, 1)))
    return Report(seeded, loads, round_trips, firsts, bursts, others)


@dataclass
class Report:
    seeded: str  # what `vinculo demo` said
    loads: dict[str, Load]
    round_trips: dict[str, float]
    first_requests: list[float]
    bursts: list[Burst]
    others: float  # the share of the machine's CPU time other processes used during the loads

    def print(self, args: argparse.Namespace, *, postgresql: str, minutes: float) -> None:
        floor = self.loads[FLOOR].requests_per_second
        print()
        print(
            f"### HTTP — {args.members:,} demo members on PostgreSQL, {WORKERS} workers, "
            f"wrk {THREADS} threads × {args.connections} connections, {args.duration} s each"
        )
        print()
        print(
            f"{self.seeded}. Run on {datetime.now(UTC):%Y-%m-%d}; Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
            f"PostgreSQL {postgresql}; vínculo at {revision()}; {minutes:.1f} minutes. Other "
            f"processes used {self.others:.0%} of the machine's CPU time during the loads."
        )
        print()
        print("| endpoint | requests/s | p50 ms | p99 ms | round trips | vs floor | not 2xx |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for name, load in self.loads.items():
            trips = self.round_trips[name]
            failures = ", ".join(f"{key}: {count}" for key, count in load.failures.items())
            print(
                f"| {name} | {load.requests_per_second:,.0f} | {load.p50_ms:,.1f} | "
                f"{load.p99_ms:,.1f} | {trips:.3g} | {load.requests_per_second / floor:.2f}× | "
                f"{failures or 0} |"
            )
        print()
        first, slowest = self.first_requests[0], max(self.first_requests)
        print(
            f"- first request after start (suggestions, as soon as `/healthz` answers): "
            f"{first * 1000:.0f} ms; slowest of the first {len(self.first_requests)}: "
            f"{slowest * 1000:.0f} ms"
        )
        for b in self.bursts:
            statuses = ", ".join(
                f"{status or 'no answer'} × {n}" for status, n in b.statuses.items()
            )
            fives = sum(n for status, n in b.statuses.items() if status >= 500)
            print(
                f"- burst of {b.name}: slowest answer {b.slowest:.2f} s ({statuses}; 5xx: "
                f"{fives}); another member's slowest read meanwhile {b.slowest_read:.2f} s"
                + (f", {b.reads_failed} reads failed" if b.reads_failed else "")
            )
        print(f"- round trips of accepting an invitation: {self.round_trips['accept']:.0f}")
        for name in (INVITE, MIX):
            if self.loads[name].wrapped:
                print(f"- {name}: ran out of prepared invitations and sent some again")
        print()
        print("| target | result |")
        print("|---|---|")
        me = self.loads[READ_ENDPOINTS[0].name].requests_per_second / floor
        member = self.loads[READ_ENDPOINTS[1].name].requests_per_second / floor
        mix = self.loads[MIX]
        targets = [
            ("`members/me` ≥ 0.7 × the floor's requests/s", f"{me:.2f}×", me >= 0.7),
            ("`members/{id}` ≥ 0.5 × the floor's requests/s", f"{member:.2f}×", member >= 0.5),
            (
                f"the mix ≥ 3 × today's {TODAY_MIX} requests/s",
                f"{mix.requests_per_second:,.0f} requests/s",
                mix.requests_per_second >= 3 * TODAY_MIX,
            ),
            (
                f"the mix's p99 < 150 ms at {args.connections} connections",
                f"{mix.p99_ms:.0f} ms",
                mix.p99_ms < 150,
            ),
            *(
                (
                    f"burst of {b.name}: all answered within 5 s, no 5xx, the other read < 1 s",
                    f"{b.slowest:.2f} s, read {b.slowest_read:.2f} s",
                    b.met(),
                )
                for b in self.bursts
            ),
            (
                "the first requests after start < 200 ms",
                f"{max(self.first_requests) * 1000:.0f} ms",
                max(self.first_requests) < 0.2,
            ),
        ]
        for target, result, met in targets:
            print(f"| {target} | {result}: {'MET' if met else 'MISSED'} |")


def revision() -> str:
    git = shutil.which("git")
    if git is None:
        return "an unknown revision"
    try:
        described = subprocess.run(
            [git, "-C", str(ROOT), "describe", "--always", "--dirty"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return described.replace("-dirty", " with uncommitted changes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="a PostgreSQL server; the run makes its own database there and drops it",
    )
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7, help="which members the run logs in")
    parser.add_argument("--logs", type=Path, help="a folder to keep the servers' output in")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (./scripts/ensure-wrk installs it): no HTTP benchmark.")
        return
    postgresql = postgresql_version(args.database_url)
    if postgresql is None:
        shown = make_url(args.database_url).render_as_string(hide_password=True)
        print(f"PostgreSQL does not answer at {shown}: no HTTP benchmark.")
        return
    started = time.monotonic()
    with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        try:
            report = run(url, Path(folder), args)
        finally:
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log in Path(folder).glob("*.log"):
                    shutil.copy(log, args.logs)
    report.print(args, postgresql=postgresql, minutes=(time.monotonic() - started) / 60)


if __name__ == "__main__":
    main()
