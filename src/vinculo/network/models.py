"""Tables of the network: connections, with each side's private tier and note, and the change log
every process's graph index follows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

CONNECTION_NOTE_MAX = 2000

Tier = Literal["close", "regular", "occasional"]
TIERS: tuple[Tier, ...] = ("close", "regular", "occasional")


class Connection(Base):
    """Two connected members: one row per pair, stored in order (low_id < high_id). Each side keeps
    a private tier and a private note about the other."""

    __tablename__ = "connection"

    low_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    high_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]
    low_tier: Mapped[str] = mapped_column(String(10), default="regular")
    high_tier: Mapped[str] = mapped_column(String(10), default="regular")
    low_note: Mapped[str] = mapped_column(Text, default="")
    high_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("low_id < high_id", name="pair_ordered"),
        CheckConstraint(one_of("low_tier", TIERS), name="low_tier"),
        CheckConstraint(one_of("high_tier", TIERS), name="high_tier"),
        CheckConstraint(f"length(low_note) <= {CONNECTION_NOTE_MAX}", name="low_note_length"),
        CheckConstraint(f"length(high_note) <= {CONNECTION_NOTE_MAX}", name="high_note_length"),
    )

    def side_of(self, member_id: int) -> tuple[str, str]:
        """The member's own private tier and note about the other."""
        if self.low_id == member_id:
            return self.low_tier, self.low_note
        return self.high_tier, self.high_note


class ConnectionChange(Base):
    """The change log of connections, written in the transaction that connects or disconnects.
    Every process keeps its in-memory graph index in step by reading it (ADR 0009): on
    PostgreSQL by the transaction that wrote each change (`xid`, which the database fills in),
    on SQLite, whose writers take turns, by `id`."""

    __tablename__ = "connection_change"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    low_id: Mapped[int] = mapped_column(Id)
    high_id: Mapped[int] = mapped_column(Id)
    connected: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(index=True)
    xid: Mapped[int | None] = mapped_column(BigInteger, index=True)
