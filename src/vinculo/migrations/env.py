"""Alembic's entry point: migrate the database named by the config, one transaction for all."""

from __future__ import annotations

from alembic import context

from vinculo.db import Database
from vinculo.models import Base

config = context.config

# What the search index's engines keep beside the models (migration 0017), which the models do
# not declare: SQLite's FTS5 table and its shadow tables, PostgreSQL's generated tsvector columns
# and their GIN indexes.
_ENGINE_OWNED_TABLES = "search_fts"
_ENGINE_OWNED = {
    ("column", "document"),
    ("column", "name_vector"),
    ("index", "ix_search_document_document"),
    ("index", "ix_search_document_name_vector"),
}


def _declared(*arguments: object) -> bool:
    """Whether autogenerate compares this object (given as object, name, kind, reflected,
    compared to): not the ones the search engines own."""
    name, kind = arguments[1], arguments[2]
    if kind == "table" and isinstance(name, str) and name.startswith(_ENGINE_OWNED_TABLES):
        return False
    return (kind, name) not in _ENGINE_OWNED


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
                include_object=_declared,
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
