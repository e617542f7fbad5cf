"""The database: engine set-up for SQLite and PostgreSQL, the declarative base, the unit of work.

One request or job is one unit of work: one transaction, committed once by the unit of work and
never by a service. Effects that leave the process run after the commit (see `on_commit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from vinculo.errors import VinculoError

log = logging.getLogger(__name__)

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
_WRITE_OPTION = "vinculo_write"
_CONSISTENT_OPTION = "vinculo_consistent"


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


def on_commit(db: Session, effect: Callable[[], object]) -> None:
    """Run `effect` once this unit of work has committed; never if it rolls back."""
    db.info.setdefault(_EFFECTS_KEY, []).append(effect)


class Database:
    """An engine and its sessions, configured for the backend the URL names."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if self.url.database in (None, "", ":memory:"):
                raise ValueError("Vínculo needs a SQLite file, not an in-memory database")
            self.engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": busy_timeout},
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            _configure_sqlite(self.engine, busy_timeout=busy_timeout)
        else:
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            _configure_postgresql(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Process-wide services a unit of work hands to the code it runs (the graph index).
        self.services: dict[str, Any] = {}

    @contextmanager
    def unit_of_work(self, *, write: bool = True, consistent: bool = False) -> Iterator[Session]:
        """One transaction. Read-only units are enforced read-only by the database itself.

        On SQLite a writing unit takes the write lock when it begins, so two writers queue up
        instead of one failing halfway through. A `consistent` unit sees one snapshot for all its
        statements (REPEATABLE READ on PostgreSQL; every SQLite transaction already does).
        """
        session = self._sessions(info=dict(self.services))
        effects: list[Callable[[], object]] = []
        try:
            session.connection(
                execution_options={_WRITE_OPTION: write, _CONSISTENT_OPTION: consistent}
            )
            yield session
            effects = session.info.pop(_EFFECTS_KEY, [])
            session.commit()
        except VinculoError as error:
            if error.keeps_writes:
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

    def dispose(self) -> None:
        self.engine.dispose()


def ping(db: Session) -> None:
    """Fail unless the database answers."""
    db.execute(text("SELECT 1"))


def _run_effect(effect: Callable[[], object]) -> None:
    try:
        effect()
    except Exception:
        # The transaction is committed; a failed side effect must not turn it into an error.
        log.exception("after-commit effect %r failed", effect)


def _wants_write(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(_WRITE_OPTION, True))


def _configure_sqlite(engine: Engine, *, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, so that we choose its kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if _wants_write(conn):
            conn.exec_driver_sql("PRAGMA query_only=0")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("PRAGMA query_only=1")
            conn.exec_driver_sql("BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        modes = []
        if conn.get_execution_options().get(_CONSISTENT_OPTION):
            modes.append("ISOLATION LEVEL REPEATABLE READ")
        if not _wants_write(conn):
            modes.append("READ ONLY")
        if modes:
            conn.exec_driver_sql(f"SET TRANSACTION {', '.join(modes)}")
