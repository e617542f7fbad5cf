"""Tables of suggestions: the members a member dismissed, so that they are not suggested again;
and the rerankers the worker fitted on the community's connections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id


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


class SuggestionReranker(Base):
    """A reranker fitted by the worker (`vinculo worker`) on the community's own connections:
    the serving processes load the latest, and never fit one themselves. Its id is its version."""

    __tablename__ = "suggestion_reranker"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    fitted_at: Mapped[datetime]
    # `Reranker.to_json`: each column's name, mean, scale and weight.
    model: Mapped[str] = mapped_column(Text)
