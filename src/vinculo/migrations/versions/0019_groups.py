"""Groups: each group with its policy for joining, and each member's place in it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 07:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = "role = 'owner'"
KINDS_BEFORE = (
    "invitation_received",
    "invitation_accepted",
    "invitation_reminder",
    "password_changed",
    "introduction_requested",
    "introduction_forwarded",
    "introduction_not_forwarded",
    "introduction_connected",
)
KINDS_AFTER = (
    *KINDS_BEFORE,
    "group_join_requested",
    "group_request_approved",
    "group_invited",
    "mentioned",
    "post_commented",
)


def _kinds(kinds: Sequence[str]) -> str:
    return f"kind IN ({', '.join(repr(kind) for kind in kinds)})"


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "community_group",
        sa.Column("id", _id(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(length=100), nullable=False),
        sa.Column("sector_key", sa.String(length=100), nullable=False),
        sa.Column("policy", sa.String(length=8), nullable=False),
        sa.Column("created_by_id", _id(), nullable=True),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "policy IN ('open', 'request', 'private')", name=op.f("ck_community_group_policy")
        ),
        sa.CheckConstraint(
            "length(description) <= 2000", name=op.f("ck_community_group_description_length")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["member.id"],
            name=op.f("fk_community_group_created_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_group")),
    )
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_group_name_key"), ["name_key"])
    op.create_table(
        "group_member",
        sa.Column("group_id", _id(), nullable=False),
        sa.Column("member_id", _id(), nullable=False),
        sa.Column("role", sa.String(length=6), nullable=False),
        sa.Column("standing", sa.String(length=9), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("by_id", _id(), nullable=True),
        sa.CheckConstraint(
            "role = 'member' OR standing = 'member'", name=op.f("ck_group_member_roles_for_members")
        ),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member')", name=op.f("ck_group_member_role")
        ),
        sa.CheckConstraint(
            "standing IN ('member', 'requested', 'invited', 'banned')",
            name=op.f("ck_group_member_standing"),
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["member.id"], name=op.f("fk_group_member_by_id_member"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_group_member_group_id_community_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_group_member_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_group_member")),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_member_group_standing", ["group_id", "standing", "changed_at"]
        )
        batch_op.create_index("ix_group_member_member_standing", ["member_id", "standing"])
        batch_op.create_index(
            "uq_group_member_owner",
            ["group_id"],
            unique=True,
            sqlite_where=sa.text(OWNER),
            postgresql_where=sa.text(OWNER),
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", _id(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_group_id_community_group"),
            "community_group",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_AFTER))


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification WHERE kind IN "
        "('group_join_requested', 'group_request_approved', 'group_invited', 'mentioned', "
        "'post_commented')"
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_BEFORE))
        batch_op.drop_constraint(
            batch_op.f("fk_notification_group_id_community_group"), type_="foreignkey"
        )
        batch_op.drop_column("group_id")
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_group_member_owner", sqlite_where=sa.text(OWNER), postgresql_where=sa.text(OWNER)
        )
        batch_op.drop_index("ix_group_member_member_standing")
        batch_op.drop_index("ix_group_member_group_standing")
    op.drop_table("group_member")
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_group_name_key"))
    op.drop_table("community_group")
