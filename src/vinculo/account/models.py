"""The table of account closing: the connections a closed account ended, kept for its grace
period so that logging back in restores them (ADR 0016)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base


class ClosedAccountConnection(Base):
    """A connection that ended when `member_id` closed their account, with both sides' private
    tier and note, as it was. Deleted on reopening (restored, or not when the other member has
    closed their own account or a block stands between them since), and with either member."""

    __tablename__ = "closed_account_connection"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # When the two connected, restored with the connection.
    created_at: Mapped[datetime]
    member_tier: Mapped[str] = mapped_column(String(10))
    member_note: Mapped[str] = mapped_column(Text)
    other_tier: Mapped[str] = mapped_column(String(10))
    other_note: Mapped[str] = mapped_column(Text)
