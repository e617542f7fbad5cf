"""Posts: a post on a profile or in a group, its comments, reactions and reports, and the post a
notification is about.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROFILE = "group_id IS NULL"
IN_GROUP = "group_id IS NOT NULL"


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, vinculo.db.UTCDateTime(timezone=True), nullable=nullable)


def _member_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["member.id"], name=op.f(f"fk_{table}_{column}_member"), ondelete="CASCADE"
    )


def _post_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["post_id"], ["post.id"], name=op.f(f"fk_{table}_post_id_post"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "post",
        sa.Column("id", _id(), nullable=False),
        sa.Column("author_id", _id(), nullable=False),
        sa.Column("group_id", _id(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        _at("created_at"),
        _at("edited_at", nullable=True),
        sa.CheckConstraint("length(text) <= 3000", name=op.f("ck_post_text_length")),
        _member_fk("post", "author_id"),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_post_group_id_community_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_post_profile_author_id",
            ["author_id", "id"],
            sqlite_where=sa.text(PROFILE),
            postgresql_where=sa.text(PROFILE),
        )
        batch_op.create_index(
            "ix_post_group_id",
            ["group_id", "id", "author_id"],
            sqlite_where=sa.text(IN_GROUP),
            postgresql_where=sa.text(IN_GROUP),
        )
        batch_op.create_index("ix_post_author_created", ["author_id", "created_at"])
    op.create_table(
        "post_comment",
        sa.Column("id", _id(), nullable=False),
        sa.Column("post_id", _id(), nullable=False),
        sa.Column("author_id", _id(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        _at("created_at"),
        _at("edited_at", nullable=True),
        sa.CheckConstraint("length(text) <= 1000", name=op.f("ck_post_comment_text_length")),
        _member_fk("post_comment", "author_id"),
        _post_fk("post_comment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_comment")),
    )
    with op.batch_alter_table("post_comment", schema=None) as batch_op:
        batch_op.create_index("ix_post_comment_post_id_id", ["post_id", "id"])
        batch_op.create_index("ix_post_comment_author_created", ["author_id", "created_at"])
    op.create_table(
        "post_reaction",
        sa.Column("post_id", _id(), nullable=False),
        sa.Column("member_id", _id(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        _at("created_at"),
        sa.CheckConstraint(
            "kind IN ('like', 'celebrate', 'insightful')", name=op.f("ck_post_reaction_kind")
        ),
        _member_fk("post_reaction", "member_id"),
        _post_fk("post_reaction"),
        sa.PrimaryKeyConstraint("post_id", "member_id", name=op.f("pk_post_reaction")),
    )
    with op.batch_alter_table("post_reaction", schema=None) as batch_op:
        batch_op.create_index("ix_post_reaction_member_created", ["member_id", "created_at"])
    op.create_table(
        "post_report",
        sa.Column("post_id", _id(), nullable=False),
        sa.Column("member_id", _id(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _at("created_at"),
        sa.CheckConstraint("length(reason) <= 300", name=op.f("ck_post_report_reason_length")),
        _member_fk("post_report", "member_id"),
        _post_fk("post_report"),
        sa.PrimaryKeyConstraint("post_id", "member_id", name=op.f("pk_post_report")),
    )
    with op.batch_alter_table("post_report", schema=None) as batch_op:
        batch_op.create_index("ix_post_report_created", ["created_at"])
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", _id(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_post_id_post"),
            "post",
            ["post_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notification_post_id_post"), type_="foreignkey")
        batch_op.drop_column("post_id")
    with op.batch_alter_table("post_report", schema=None) as batch_op:
        batch_op.drop_index("ix_post_report_created")
    op.drop_table("post_report")
    with op.batch_alter_table("post_reaction", schema=None) as batch_op:
        batch_op.drop_index("ix_post_reaction_member_created")
    op.drop_table("post_reaction")
    with op.batch_alter_table("post_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_post_comment_author_created")
        batch_op.drop_index("ix_post_comment_post_id_id")
    op.drop_table("post_comment")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_author_created")
        batch_op.drop_index(
            "ix_post_group_id", sqlite_where=sa.text(IN_GROUP), postgresql_where=sa.text(IN_GROUP)
        )
        batch_op.drop_index(
            "ix_post_profile_author_id",
            sqlite_where=sa.text(PROFILE),
            postgresql_where=sa.text(PROFILE),
        )
    op.drop_table("post")
