"""When an invitation was ignored, kept when its sender later withdraws it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ignored_at", vinculo.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE invitation SET ignored_at = closed_at WHERE status = 'ignored'")


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("ignored_at")
