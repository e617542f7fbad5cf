"""Notifications of a password change: a new kind of notification.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ("invitation_received", "invitation_accepted", "invitation_reminder")
KINDS_AFTER = (*KINDS_BEFORE, "password_changed")


def _kinds(kinds: Sequence[str]) -> str:
    return f"kind IN ({', '.join(repr(kind) for kind in kinds)})"


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_AFTER))


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE kind = 'password_changed'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_kind"), _kinds(KINDS_BEFORE))
