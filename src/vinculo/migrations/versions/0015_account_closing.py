"""Closing an account: when a member closed theirs, and the connections it ended, kept during the
grace period so that logging back in restores them (ADR 0016).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_member_closed_at"), ["closed_at"], unique=False)
    op.create_table(
        "closed_account_connection",
        sa.Column("member_id", _id(), nullable=False),
        sa.Column("other_id", _id(), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("member_tier", sa.String(length=10), nullable=False),
        sa.Column("member_note", sa.Text(), nullable=False),
        sa.Column("other_tier", sa.String(length=10), nullable=False),
        sa.Column("other_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_closed_account_connection_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["member.id"],
            name=op.f("fk_closed_account_connection_other_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "other_id", name=op.f("pk_closed_account_connection")),
    )
    with op.batch_alter_table("closed_account_connection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_closed_account_connection_other_id"), ["other_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("closed_account_connection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_account_connection_other_id"))
    op.drop_table("closed_account_connection")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_closed_at"))
        batch_op.drop_column("closed_at")
