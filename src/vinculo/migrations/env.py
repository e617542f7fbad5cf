"""Alembic's entry point: migrate the database named by the config, one transaction for all."""

from __future__ import annotations

from alembic import context

from vinculo.db import Database
from vinculo.models import Base

config = context.config


def run_migrations() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    database = Database(url, pool_size=1)
    try:
        with database.engine.connect() as connection:
            if database.is_sqlite:
                # Batch mode rebuilds tables; foreign keys must be off meanwhile, which SQLite
                # only allows outside a transaction. They are checked and turned on again after.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=database.is_sqlite,
                compare_type=True,
                transaction_per_migration=False,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
            if database.is_sqlite:
                raw = connection.connection.driver_connection
                problems = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
                raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
                if problems:
                    raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    finally:
        database.dispose()


if context.is_offline_mode():
    raise RuntimeError("Vínculo migrations run against a database, not as SQL scripts")
run_migrations()
