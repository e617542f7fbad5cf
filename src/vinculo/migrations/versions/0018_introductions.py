"""Introductions: the table of requests for an introduction, the introducer an invitation came
through, and the notifications of introductions.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "status = 'requested'"
KINDS_BEFORE = (
    "invitation_received",
    "invitation_accepted",
    "invitation_reminder",
    "password_changed",
)
KINDS_AFTER = (
    *KINDS_BEFORE,
    "introduction_requested",
    "introduction_forwarded",
    "introduction_not_forwarded",
    "introduction_connected",
)


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _kinds(kinds: Sequence[str]) -> str:
    return f"kind IN ({', '.join(repr(kind) for kind in kinds)})"


def _member(column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["member.id"],
        name=op.f(f"fk_introduction_{column}_member"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "introduction",
        sa.Column("id", _id(), nullable=False),
        sa.Column("requester_id", _id(), nullable=False),
        sa.Column("introducer_id", _id(), nullable=False),
        sa.Column("target_id", _id(), nullable=False),
        sa.Column("via_id", _id(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("pass_note", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("passed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("invitation_id", _id(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'forwarded', 'declined', 'withdrawn', 'expired')",
            name=op.f("ck_introduction_status"),
        ),
        sa.CheckConstraint("length(message) <= 500", name=op.f("ck_introduction_message_length")),
        sa.CheckConstraint("length(note) <= 300", name=op.f("ck_introduction_note_length")),
        sa.CheckConstraint(
            "length(pass_note) <= 300", name=op.f("ck_introduction_pass_note_length")
        ),
        sa.CheckConstraint(
            "requester_id <> target_id AND requester_id <> introducer_id "
            "AND introducer_id <> target_id",
            name=op.f("ck_introduction_three_members"),
        ),
        sa.CheckConstraint(
            "via_id IS NULL OR (via_id <> requester_id AND via_id <> introducer_id "
            "AND via_id <> target_id)",
            name=op.f("ck_introduction_via_apart"),
        ),
        _member("introducer_id"),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_introduction_invitation_id_invitation"),
            ondelete="SET NULL",
        ),
        _member("requester_id"),
        _member("target_id"),
        _member("via_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introduction")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_introduction_invitation_id")),
    )
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.create_index("ix_introduction_introducer_status", ["introducer_id", "status"])
        batch_op.create_index("ix_introduction_requester_created", ["requester_id", "created_at"])
        batch_op.create_index("ix_introduction_status_expiry", ["status", "expires_at"])
        batch_op.create_index("ix_introduction_via_status", ["via_id", "status"])
        batch_op.create_index(
            "uq_introduction_waiting_pair",
            ["requester_id", "target_id"],
            unique=True,
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("introducer_id", _id(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_introducer_id_member"),
            "member",
            ["introducer_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("introduction_id", _id(), nullable=True))
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=24),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_introduction_id_introduction"),
            "introduction",
            ["introduction_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_AFTER))


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE kind LIKE 'introduction%'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_BEFORE))
        batch_op.drop_constraint(
            batch_op.f("fk_notification_introduction_id_introduction"), type_="foreignkey"
        )
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=32),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
        batch_op.drop_column("introduction_id")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitation_introducer_id_member"), type_="foreignkey"
        )
        batch_op.drop_column("introducer_id")
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_introduction_waiting_pair",
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        )
        batch_op.drop_index("ix_introduction_via_status")
        batch_op.drop_index("ix_introduction_status_expiry")
        batch_op.drop_index("ix_introduction_requester_created")
        batch_op.drop_index("ix_introduction_introducer_status")
    op.drop_table("introduction")
