"""The database: engine set-up for SQLite and PostgreSQL, the declarative base, the unit of work.

One request or job is one unit of work: one transaction, committed once by the unit of work and
never by a service. Effects that leave the process run after the commit (see `on_commit`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, TypeVar

import anyio.to_thread
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet

from vinculo.errors import Unavailable, VinculoError
from vinculo.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit identifiers on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
Id = BigInteger().with_variant(Integer(), "sqlite")
# The largest integer either database holds: a larger one sent to SQL is an error, not a miss.
ID_MAX = 2**63 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always gives back an aware datetime, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use vinculo.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute


_EFFECTS_KEY = "vinculo_after_commit"
_SERVICES_KEY = "vinculo_services"
_DATABASE_KEY = "vinculo_database"
_MODE_OPTION = "vinculo_mode"
# A unit of work's mode. Writing units take the writers' connections; reading ones the readers',
# which the database keeps from writing. A "read" unit sends its statements on their own, with no
# BEGIN or COMMIT (each sees what was committed when it runs, as statements do in a READ
# COMMITTED transaction); a consistent one sees one snapshot for all of them.
_MODES = ("write", "write-consistent", "read", "read-consistent")


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's condition: the column holds one of these values."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Abandoned(Unavailable):
    """The request's answer was no longer awaited (its deadline passed): nothing is kept."""


def ordered_pair(a: int, b: int) -> tuple[int, int]:
    """Two members as a pair stored once (connections, invitations): the lower id first."""
    return (a, b) if a < b else (b, a)


def lock_members(db: Session, member_ids: Iterable[int]) -> None:
    """Make changes between these members (invitations, connections, blocks) take turns.

    On SQLite the unit of work already holds the write lock. On PostgreSQL, transaction-scoped
    advisory locks, always taken in ascending order so that two transactions cannot deadlock."""
    if db.get_bind().dialect.name != "postgresql":
        return
    # A key is a 32-bit integer: larger ids wrap around (two members sharing a lock only wait).
    # One statement; PostgreSQL takes the locks of its select list in order.
    keys = sorted({member_id % 2**31 for member_id in member_ids})
    calls = ", ".join(f"pg_advisory_xact_lock(1, CAST(:k{n} AS integer))" for n in range(len(keys)))
    db.execute(text(f"SELECT {calls}"), {f"k{n}": key for n, key in enumerate(keys)})


def insert_new(db: Session, model: type[Base], key: Sequence[str], **values: Any) -> bool:
    """Insert one row unless a row with the same `key` columns exists; whether it was added.

    One statement on both databases (`ON CONFLICT DO NOTHING`), so two racing inserts leave one
    row and exactly one of them is told it added it."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = db.execute(
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        # Without it an INSERT's rowcount is -1 on psycopg: "added" even when it was not.
        .execution_options(preserve_rowcount=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def copy_rows(db: Session, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY into a table: the fastest way in for bulk loads, through the session's
    own connection (so inside its transaction)."""
    connection = db.connection().connection.driver_connection
    if connection is None:
        raise RuntimeError("the session has no database connection")
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def unbounded_statements(db: Session) -> None:
    """Lift the statement timeout for the rest of this unit's transaction (a consistent one): for
    the bulk reads of start-up and of the worker, the whole connection table or every profile,
    which no request waits for and which grow with the community."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL statement_timeout = 0"))


def on_commit(db: Session, effect: Callable[[], object]) -> None:
    """Run `effect` once this unit of work has committed; never if it rolls back."""
    db.info.setdefault(_EFFECTS_KEY, []).append(effect)


class ServiceSlot(Generic[T]):
    """A typed place for one of the process's long-lived services (the graph index, the
    suggestion engine). The area that owns a service declares its slot beside it; the process
    fills the slot at start-up (`Database.provide`); every unit of work hands the services to the
    code it runs, which asks its slot (`slot.of(db)`): None in a process that has not provided
    one, such as a command line tool."""

    def __init__(self, name: str) -> None:
        self.name = name

    def of(self, db: Session) -> T | None:
        services: Mapping[ServiceSlot[Any], Any] = db.info.get(_SERVICES_KEY, {})
        found: T | None = services.get(self)
        return found

    def __repr__(self) -> str:
        return f"ServiceSlot({self.name!r})"


class Database:
    """An engine and its sessions, configured for the backend the URL names.

    Every wait is bounded: a connection from the pool (`pool_timeout`), a statement and a lock on
    PostgreSQL (`statement_timeout`, `lock_timeout`), the write lock on SQLite (`busy_timeout`). A
    wait that runs out is an error the web layer answers with 503 and `Retry-After`. No connection
    is pinged before use: one the server dropped fails its request (503) and is replaced."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout: float = 30.0,
        pool_size: int = 10,
        pool_timeout: float = 30.0,
        statement_timeout: float = 0.0,
        lock_timeout: float = 0.0,
        connect_timeout: float = 10.0,
        on_the_loop: bool = False,
    ) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._settings: dict[str, Any] = {
            "busy_timeout": busy_timeout,
            "pool_size": pool_size,
            "pool_timeout": pool_timeout,
            "statement_timeout": statement_timeout,
            "lock_timeout": lock_timeout,
            "connect_timeout": connect_timeout,
        }
        # Whether its statements run on the event loop (async psycopg, driven from greenlets:
        # see `run`), rather than blocking the thread that sends them.
        self.on_the_loop = on_the_loop and not self.is_sqlite
        pool = {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": pool_timeout}
        if self.is_sqlite:
            if self.url.database in (None, "", ":memory:"):
                raise ValueError("Vínculo needs a SQLite file, not an in-memory database")
            connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": busy_timeout}
            self.engine = create_engine(self.url, connect_args=connect_args, **pool)
            self.reader = create_engine(self.url, connect_args=connect_args, **pool)
            _configure_sqlite(self.engine, busy_timeout=busy_timeout, read_only=False)
            _configure_sqlite(self.reader, busy_timeout=busy_timeout, read_only=True)
        else:
            timeouts = [
                f"-c {name}={int(seconds * 1000)}"
                for name, seconds in (
                    ("statement_timeout", statement_timeout),
                    ("lock_timeout", lock_timeout),
                )
                if seconds > 0
            ]
            # No JIT compiling: a request's statements run in milliseconds, and compiling one
            # that the planner thinks costly (a search over a million members) takes 100 ms
            # and more.
            timeouts.append("-c jit=off")
            connect_args = {"connect_timeout": max(1, round(connect_timeout))}
            engine = _async_engine if self.on_the_loop else create_engine
            self.engine = engine(
                self.url, connect_args={**connect_args, "options": " ".join(timeouts)}, **pool
            )
            # The database refuses any write on the readers' connections.
            read_only = " ".join([*timeouts, "-c default_transaction_read_only=on"])
            self.reader = engine(
                self.url, connect_args={**connect_args, "options": read_only}, **pool
            )
            _configure_postgresql(self.engine)
            _configure_postgresql(self.reader)
        self._binds = {
            mode: (self.engine if mode.startswith("write") else self.reader).execution_options(
                **{_MODE_OPTION: mode}
            )
            for mode in _MODES
        }
        self._services: dict[ServiceSlot[Any], Any] = {}
        self._twins: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Database] = (
            weakref.WeakKeyDictionary()
        )
        self._twins_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int | None = None) -> Database:
        return cls(
            settings.database_url,
            busy_timeout=settings.sqlite_busy_timeout,
            pool_size=pool_size or settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout,
            statement_timeout=settings.database_statement_timeout,
            lock_timeout=settings.database_lock_timeout,
            connect_timeout=settings.database_connect_timeout,
        )

    def provide(self, slot: ServiceSlot[T], service: T) -> None:
        """Hand `service` to every unit of work from now on."""
        self._services[slot] = service

    def withdraw(self, slot: ServiceSlot[Any]) -> None:
        self._services.pop(slot, None)

    def provided(self, slot: ServiceSlot[T]) -> T | None:
        """The service in this slot, if the process provided one."""
        found: T | None = self._services.get(slot)
        return found

    def serve_requests_here(self) -> None:
        """Called by the web app as it starts, on the event loop that will serve its requests:
        on PostgreSQL, make the twin of this database those requests use, whose statements go
        through async psycopg and wait on the loop (see `for_requests`). It lives until the app
        stops (`dispose_for_requests`)."""
        if self.is_sqlite or self.on_the_loop:
            return
        loop = asyncio.get_running_loop()
        with self._twins_lock:
            if loop not in self._twins:
                url = self.url.render_as_string(hide_password=False)
                twin = Database(url, **self._settings, on_the_loop=True)
                twin._services = self._services
                self._twins[loop] = twin

    def for_requests(self) -> Database:
        """The database as the web requests on this event loop use it: on PostgreSQL, once the
        app serves from this loop (`serve_requests_here`), the same database through async
        psycopg, whose statements wait on the loop (no thread hop, and a request whose deadline
        passed is not stuck in a thread); else this one, whose statements run in threads. One
        twin per serving loop (a process has one; tests may start several apps or clients), each
        sharing this one's services; commands, jobs and the process's own threads keep using
        this one."""
        if self.is_sqlite or self.on_the_loop:
            return self
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self
        return self._twins.get(loop, self)

    async def dispose_for_requests(self) -> None:
        """Close the connections of this event loop's requests (at the end of serving)."""
        twin = self._twins.pop(asyncio.get_running_loop(), None)
        if twin is not None:
            await twin.run(twin.dispose)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run synchronous database work from async code: in a greenlet on the event loop when
        this database's statements run there (its I/O awaited, nothing else blocked), else in a
        worker thread. The same service code serves both."""
        if self.on_the_loop:
            return await greenlet_spawn(work, *args)
        return await anyio.to_thread.run_sync(partial(work, *args))

    def _session(self, mode: str) -> Session:
        return Session(
            self._binds[mode],
            expire_on_commit=False,
            info={_SERVICES_KEY: dict(self._services), _DATABASE_KEY: self},
        )

    @contextmanager
    def unit_of_work(
        self,
        *,
        write: bool = True,
        consistent: bool = False,
        may_commit: Callable[[], bool] = lambda: True,
    ) -> Iterator[Session]:
        """One transaction. Read-only units are enforced read-only by the database itself.

        The transaction begins with the unit's first statement, in one round trip that says its
        mode, so work done before it (checking a password) holds no lock. On SQLite a writing
        unit takes the write lock when it begins, so two writers queue up instead of one failing
        halfway through. A `consistent` unit sees one snapshot for all its statements
        (REPEATABLE READ on PostgreSQL; every SQLite transaction already does). When `may_commit`
        says no (nobody waits for the answer any more), it rolls back instead of committing.
        """
        mode = ("write" if write else "read") + ("-consistent" if consistent else "")
        session = self._session(mode)
        effects: list[Callable[[], object]] = []
        try:
            yield session
            effects = session.info.pop(_EFFECTS_KEY, [])
            _commit(session, may_commit)
        except VinculoError as error:
            if error.keeps_writes and may_commit():
                effects = session.info.pop(_EFFECTS_KEY, [])
                session.commit()
            else:
                session.rollback()
                effects = []
            raise
        except BaseException:
            session.rollback()
            effects = []
            raise
        finally:
            session.close()
            for effect in effects:
                _run_effect(effect)

    @contextmanager
    def statements(self) -> Iterator[Session]:
        """Reads outside any transaction, each statement on its own: for what must not wait for
        a unit of work or hold one open (who a bearer token belongs to, a password's hash)."""
        session = self._session("read")
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        for twin in list(self._twins.values()):
            twin.dispose()
        # Connections of async psycopg close from a greenlet (`run(database.dispose)`); anywhere
        # else they are only let go, and end with their event loop.
        close = not self.on_the_loop or in_greenlet()
        self.engine.dispose(close=close)
        self.reader.dispose(close=close)


def off_the_loop(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound work that releases the GIL (hashing a password) in a worker thread when
    called from a greenlet on the event loop, so other requests go on meanwhile; directly
    anywhere else (a worker thread already, a command)."""
    if in_greenlet():
        return await_(anyio.to_thread.run_sync(partial(work, *args)))
    return work(*args)


def _async_engine(url: URL, **options: Any) -> Engine:
    """An engine on the async driver, used synchronously from greenlets (see `Database.run`)."""
    return create_async_engine(url, **options).sync_engine


@contextmanager
def outside_the_unit(db: Session) -> Iterator[Session]:
    """Reads, each statement on its own, from the database of a unit of work but outside its
    transaction: what a service reads before the slow part of its work (checking a password),
    so that the unit's transaction, which begins with its first statement, begins after it."""
    database: Database = db.info[_DATABASE_KEY]
    with database.statements() as reader:
        yield reader


def _commit(session: Session, may_commit: Callable[[], bool]) -> None:
    if not may_commit():
        raise Abandoned()
    session.commit()


def ping(database: Database) -> None:
    """Fail unless the database answers."""
    with database.statements() as db:
        db.execute(text("SELECT 1"))


def _run_effect(effect: Callable[[], object]) -> None:
    try:
        effect()
    except Exception:
        # The transaction is committed; a failed side effect must not turn it into an error.
        log.exception("after-commit effect %r failed", effect)


def _mode(conn: Connection) -> str:
    return str(conn.get_execution_options().get(_MODE_OPTION, "write"))


def _configure_sqlite(engine: Engine, *, busy_timeout: float, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, so that we choose its kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute(f"PRAGMA query_only={1 if read_only else 0}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = _mode(conn)
        if mode.startswith("write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif mode == "read-consistent":
            conn.exec_driver_sql("BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver begins nothing by itself: the "begin" event below sends one BEGIN that says
        # the transaction's mode, a round trip instead of two, or none for a plain read.
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = _mode(conn)
        if mode == "read":
            return
        begin = "BEGIN"
        if mode.endswith("-consistent"):
            begin += " ISOLATION LEVEL REPEATABLE READ"
        conn.exec_driver_sql(begin)
