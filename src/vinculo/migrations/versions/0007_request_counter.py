"""Request counters that the processes share, for the rate limits that must hold across them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_counter",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_end", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_counter")),
    )
    with op.batch_alter_table("request_counter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_counter_window_end"), ["window_end"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_counter_window_end"))
    op.drop_table("request_counter")
