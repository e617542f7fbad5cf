"""Each connection change records the transaction that made it (PostgreSQL), so that the graph
indexes follow the log by transaction, not by id, and never skip a change that commits late.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("connection_change", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "xid",
                sa.BigInteger(),
                # The writing transaction's id, taken by the database itself (SQLite has one
                # writer at a time, and its readers follow the ids).
                server_default=(
                    sa.text("(pg_current_xact_id()::text)::bigint") if postgresql else None
                ),
                nullable=True,
            )
        )
        batch_op.create_index(batch_op.f("ix_connection_change_xid"), ["xid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connection_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_change_xid"))
        batch_op.drop_column("xid")
