"""Suggestions a member dismissed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 14:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_dismissal",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "dismissed_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "member_id <> dismissed_id", name=op.f("ck_suggestion_dismissal_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_id"],
            ["member.id"],
            name=op.f("fk_suggestion_dismissal_dismissed_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_suggestion_dismissal_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "dismissed_id", name=op.f("pk_suggestion_dismissal")),
    )
    with op.batch_alter_table("suggestion_dismissal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suggestion_dismissal_dismissed_id"), ["dismissed_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestion_dismissal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_dismissal_dismissed_id"))
    op.drop_table("suggestion_dismissal")
