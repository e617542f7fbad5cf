"""Sessions and tokens end at an absolute time and remember where they were opened from; the
security event log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The sessions and tokens opened before this revision end 90 days (the default lifetime)
    # after they were opened, as those opened after it do.
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", vinculo.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("client_address", sa.String(length=64), nullable=False, server_default="")
        )
    if postgresql:
        op.execute("UPDATE auth_session SET expires_at = created_at + interval '90 days'")
    else:
        # SQLite keeps UTC times as text, 'YYYY-MM-DD HH:MM:SS.ffffff': the date moves, the
        # microseconds stay, so that the times still compare as text.
        op.execute(
            "UPDATE auth_session "
            "SET expires_at = datetime(created_at, '+90 days') || substr(created_at, 20)"
        )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=vinculo.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("user_agent", server_default=None)
        batch_op.alter_column("client_address", server_default=None)

    op.create_table(
        "security_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_security_event_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index("ix_security_event_member_id_id", ["member_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_security_event_occurred_at"), ["occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_event_occurred_at"))
        batch_op.drop_index("ix_security_event_member_id_id")
    op.drop_table("security_event")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_column("client_address")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("expires_at")
