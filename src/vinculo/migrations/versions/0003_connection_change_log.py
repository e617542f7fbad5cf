"""The connection change log that keeps every process's graph index in step.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:34:41.668927
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connection_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("low_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("high_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_change")),
    )
    with op.batch_alter_table("connection_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connection_change_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connection_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_change_created_at"))

    op.drop_table("connection_change")
