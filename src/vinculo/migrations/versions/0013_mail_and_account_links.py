"""Email: the outbox, members' mail choices, links mailed to members, confirmed addresses.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:46:21.471793
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_link",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('confirm_email', 'reset_password', 'claim_account')",
            name=op.f("ck_account_link_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_account_link_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_link_token_hash")),
    )
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_link_member_id"), ["member_id"], unique=False)

    op.create_table(
        "mail_preference",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=12), nullable=False),
        sa.Column("updated_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('immediately', 'daily', 'never')",
            name=op.f("ck_mail_preference_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_mail_preference_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "kind", name=op.f("pk_mail_preference")),
    )
    op.create_table(
        "outbox_mail",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("unsubscribe_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("send_after", vinculo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_outbox_mail_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mail")),
    )
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_mail_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_mail_waiting",
            ["send_after"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
        )

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", vinculo.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")

    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_mail_waiting",
            sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_mail_member_id"))

    op.drop_table("outbox_mail")
    op.drop_table("mail_preference")
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_link_member_id"))

    op.drop_table("account_link")
