"""Network: invitations, connections, blocks, network settings, notifications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:24:26.844327
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "block",
        sa.Column(
            "blocker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "blocked_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_block_not_self")),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["member.id"],
            name=op.f("fk_block_blocked_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["member.id"],
            name=op.f("fk_block_blocker_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_block")),
    )
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_block_blocked_id"), ["blocked_id"], unique=False)

    op.create_table(
        "connection",
        sa.Column("low_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("high_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("low_tier", sa.String(length=10), nullable=False),
        sa.Column("high_tier", sa.String(length=10), nullable=False),
        sa.Column("low_note", sa.Text(), nullable=False),
        sa.Column("high_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "high_tier IN ('close', 'regular', 'occasional')", name=op.f("ck_connection_high_tier")
        ),
        sa.CheckConstraint(
            "low_tier IN ('close', 'regular', 'occasional')", name=op.f("ck_connection_low_tier")
        ),
        sa.CheckConstraint(
            "length(high_note) <= 2000", name=op.f("ck_connection_high_note_length")
        ),
        sa.CheckConstraint("length(low_note) <= 2000", name=op.f("ck_connection_low_note_length")),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_connection_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["high_id"],
            ["member.id"],
            name=op.f("fk_connection_high_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["low_id"], ["member.id"], name=op.f("fk_connection_low_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("low_id", "high_id", name=op.f("pk_connection")),
    )
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connection_high_id"), ["high_id"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "sender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "recipient_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("low_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("high_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'ignored', 'withdrawn', 'expired')",
            name=op.f("ck_invitation_status"),
        ),
        sa.CheckConstraint("length(note) <= 300", name=op.f("ck_invitation_note_length")),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_invitation_pair_ordered")),
        sa.CheckConstraint("sender_id <> recipient_id", name=op.f("ck_invitation_not_to_self")),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["member.id"],
            name=op.f("fk_invitation_recipient_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["member.id"],
            name=op.f("fk_invitation_sender_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invitation_pending_expiry", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_invitation_recipient_status", ["recipient_id", "status", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_invitation_sender_created", ["sender_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_invitation_pending_pair",
            ["low_id", "high_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "network_settings",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("who_can_invite", sa.String(length=10), nullable=False),
        sa.Column("connections_visible_to", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "connections_visible_to IN ('connections', 'only_me')",
            name=op.f("ck_network_settings_connections_visible_to"),
        ),
        sa.CheckConstraint(
            "who_can_invite IN ('anyone', 'link', 'email')",
            name=op.f("ck_network_settings_who_can_invite"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_network_settings_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_network_settings")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "invitation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('invitation_received', 'invitation_accepted', 'invitation_reminder')",
            name=op.f("ck_notification_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["member.id"],
            name=op.f("fk_notification_actor_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_notification_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_notification_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_member_id_id", ["member_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_member_id_id")

    op.drop_table("notification")
    op.drop_table("network_settings")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invitation_pending_pair",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_invitation_sender_created")
        batch_op.drop_index("ix_invitation_recipient_status")
        batch_op.drop_index("ix_invitation_pending_expiry")

    op.drop_table("invitation")
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_high_id"))

    op.drop_table("connection")
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_blocked_id"))

    op.drop_table("block")
