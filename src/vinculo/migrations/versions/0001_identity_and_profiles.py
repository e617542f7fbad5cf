"""Identity and profiles: members, sessions, login failures, organizations, schools, careers.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 02:11:39.286071
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failure_client_address_failed_at",
            ["client_address", "failed_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_login_failure_email_failed_at", ["email", "failed_at"], unique=False
        )

    op.create_table(
        "member",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("headline", sa.String(length=220), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("sector", sa.String(length=100), nullable=False),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "locale IS NULL OR locale IN ('es', 'en')", name=op.f("ck_member_locale")
        ),
        sa.CheckConstraint("length(about) <= 2600", name=op.f("ck_member_about_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("email", name=op.f("uq_member_email")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_name_key"), ["name_key"], unique=False)

    op.create_table(
        "organization",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name_key", name=op.f("uq_organization_name_key")),
    )
    op.create_table(
        "school",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("name_key", name=op.f("uq_school_name_key")),
    )
    op.create_table(
        "auth_session",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('web', 'api')", name=op.f("ck_auth_session_kind")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_auth_session_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_session_token_hash")),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_session_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auth_session_member_id"), ["member_id"], unique=False)

    op.create_table(
        "education",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "school_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("degree", sa.String(length=120), nullable=False),
        sa.Column("start_year", sa.SmallInteger(), nullable=False),
        sa.Column("start_month", sa.SmallInteger(), nullable=True),
        sa.Column("end_year", sa.SmallInteger(), nullable=True),
        sa.Column("end_month", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_month IS NULL OR end_month BETWEEN 1 AND 12", name=op.f("ck_education_end_month")
        ),
        sa.CheckConstraint(
            "end_year IS NOT NULL OR end_month IS NULL",
            name=op.f("ck_education_end_month_needs_year"),
        ),
        sa.CheckConstraint(
            "end_year IS NULL OR end_year >= start_year",
            name=op.f("ck_education_end_not_before_start"),
        ),
        sa.CheckConstraint(
            "start_month IS NULL OR start_month BETWEEN 1 AND 12",
            name=op.f("ck_education_start_month"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_education_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_education_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education")),
    )
    with op.batch_alter_table("education", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_school_id"), ["school_id"], unique=False)

    op.create_table(
        "position",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("start_year", sa.SmallInteger(), nullable=False),
        sa.Column("start_month", sa.SmallInteger(), nullable=True),
        sa.Column("end_year", sa.SmallInteger(), nullable=True),
        sa.Column("end_month", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_month IS NULL OR end_month BETWEEN 1 AND 12", name=op.f("ck_position_end_month")
        ),
        sa.CheckConstraint(
            "end_year IS NOT NULL OR end_month IS NULL",
            name=op.f("ck_position_end_month_needs_year"),
        ),
        sa.CheckConstraint(
            "end_year IS NULL OR end_year >= start_year",
            name=op.f("ck_position_end_not_before_start"),
        ),
        sa.CheckConstraint(
            "start_month IS NULL OR start_month BETWEEN 1 AND 12",
            name=op.f("ck_position_start_month"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_position_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_position_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position")),
    )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_position_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_position_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_organization_id"))
        batch_op.drop_index(batch_op.f("ix_position_member_id"))

    op.drop_table("position")
    with op.batch_alter_table("education", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_school_id"))
        batch_op.drop_index(batch_op.f("ix_education_member_id"))

    op.drop_table("education")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_member_id"))
        batch_op.drop_index(batch_op.f("ix_auth_session_last_seen_at"))

    op.drop_table("auth_session")
    op.drop_table("school")
    op.drop_table("organization")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_name_key"))

    op.drop_table("member")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_email_failed_at")
        batch_op.drop_index("ix_login_failure_client_address_failed_at")

    op.drop_table("login_failure")
