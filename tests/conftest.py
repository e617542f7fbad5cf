"""Fixtures shared by the whole suite.

Every test that takes `database` (or `client`) runs once on SQLite and, when
VINCULO_TEST_POSTGRES_URL is set, once more on PostgreSQL. Each test gets an empty, migrated
database: on SQLite a copy of a file migrated once per worker, on PostgreSQL one database per worker
whose tables are emptied before each test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Settings are read from the environment once per process: set the test ones before any import.
os.environ["VINCULO_ENVIRONMENT"] = "test"
os.environ["VINCULO_SECRET_KEY"] = "test-secret-key-that-is-long-enough-0123456789"
# Cheap hashes: the suite checks behaviour, not the cost of argon2.
os.environ["VINCULO_ARGON2_TIME_COST"] = "1"
os.environ["VINCULO_ARGON2_MEMORY_KIB"] = "64"
os.environ["VINCULO_ARGON2_PARALLELISM"] = "1"
# Tests run the scheduled jobs themselves, at the moments they choose: the servers they start
# run none beside them.
os.environ["VINCULO_SERVE_JOBS"] = "false"
# Suggestions see a profile edit at once, not within the minute a serving process allows itself.
os.environ["VINCULO_SUGGESTION_PROFILES_MAX_AGE_SECONDS"] = "0"
# Fair use is tested on its own (test_fair_use.py): elsewhere members act as fast as tests do.
os.environ["VINCULO_RATE_LIMIT"] = "1000000/second"
os.environ["VINCULO_REGISTRATION_RATE_LIMIT"] = "1000000/second"
os.environ["VINCULO_REGISTRATION_NETWORK_RATE_LIMIT"] = "1000000/second"
os.environ["VINCULO_LOGIN_RATE_LIMIT"] = "1000000/second"
os.environ["VINCULO_REQUESTS_AT_ONCE"] = "64"
# Mail that a test does not send to its own SMTP server (`mailbox`) lands here, not in ./mail.
os.environ["VINCULO_MAIL_DIR"] = tempfile.mkdtemp(prefix="vinculo-test-mail-")
# One BLAS thread: the test workers already use every core, and BLAS threads fighting them make
# a reranker's fit tens of times slower (set before numpy is first imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import Browser
from tests.smtp_server import Mailbox, start_mailbox
from vinculo import migrations
from vinculo.app import create_app
from vinculo.db import Base, Database
from vinculo.settings import get_settings

POSTGRES_URL = os.environ.get("VINCULO_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this worker's own on the test PostgreSQL server, migrated to head."""
    if not POSTGRES_URL:
        pytest.skip("VINCULO_TEST_POSTGRES_URL is not set")
    name = f"vinculo_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "vinculo.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    yield url


def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, busy_timeout=30.0, pool_size=8)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def app(database: Database) -> FastAPI:
    return create_app(get_settings(), database=database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser or API client on the same app, with cookies of its own."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def ana(client: TestClient) -> Browser:
    """Ana Ruiz, registered and logged in on `client`."""
    return Browser(client, name="Ana Ruiz")


@pytest.fixture
def beto(other_client: TestClient) -> Browser:
    """Beto Gil, registered and logged in on `other_client`."""
    return Browser(other_client, name="Beto Gil")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback, for this test alone."""
    box, controller = start_mailbox()
    try:
        yield box
    finally:
        controller.stop()
