"""The table of the security event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id

KIND_MAX = 32
DETAIL_MAX = 200
CLIENT_ADDRESS_MAX = 64


class SecurityEvent(Base):
    """One thing that happened to a member's account, at a UTC time, from an address if known.

    The kind is checked by the service rather than by a constraint, so that an area adding a kind
    needs no migration."""

    __tablename__ = "security_event"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    client_address: Mapped[str] = mapped_column(String(CLIENT_ADDRESS_MAX), default="")
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")

    # A member's log is read newest first, by id.
    __table_args__ = (Index("ix_security_event_member_id_id", "member_id", "id"),)
