"""The schema comes from Alembic alone, and the migrations match the models both ways."""

from __future__ import annotations

import sqlalchemy as sa

from vinculo import migrations
from vinculo.db import Base, Database


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    # `alembic check`: autogenerate finds nothing to add, drop or alter.
    migrations.check(database_url)


def test_every_model_table_exists_after_upgrade(database: Database) -> None:
    tables = set(sa.inspect(database.engine).get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    assert migrations.is_up_to_date(database)


def test_downgrade_to_base_and_upgrade_again(database_url: str, database: Database) -> None:
    migrations.downgrade(database_url, "base")
    remaining = set(sa.inspect(database.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    migrations.upgrade(database_url)
    assert migrations.is_up_to_date(database)
    migrations.check(database_url)
