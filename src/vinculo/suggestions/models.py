"""The one table of suggestions: the members a member dismissed, so that they are not suggested
again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base


class SuggestionDismissal(Base):
    """`member_id` asked not to be suggested `dismissed_id` again."""

    __tablename__ = "suggestion_dismissal"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("member_id <> dismissed_id", name="not_self"),)
