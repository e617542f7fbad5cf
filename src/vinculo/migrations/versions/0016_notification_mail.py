"""Notifications by email: which notifications wait for the daily digest, and when each was
mailed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "for_digest AND mailed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        # The notifications made before are not mailed: they were never meant to be.
        batch_op.add_column(
            sa.Column("for_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("mailed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("for_digest", server_default=None)
        batch_op.create_index(
            "ix_notification_digest_waiting",
            ["member_id", "created_at"],
            unique=False,
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notification_digest_waiting",
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )
        batch_op.drop_column("mailed_at")
        batch_op.drop_column("for_digest")
