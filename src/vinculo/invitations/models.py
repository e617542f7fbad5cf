"""The table of invitations, and their statuses with the groups of them the rules speak of."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Dialect, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from vinculo.db import Base, Id, one_of

NOTE_MAX = 300


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    IGNORED = "ignored"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# Waiting for the recipient's answer.
AWAITING_ANSWER = (InvitationStatus.PENDING,)
# Still open as its sender sees it: an ignored invitation looks pending to its sender until it
# expires, so withdrawing it, a block or a connection closes it too.
OPEN_TO_SENDER = (InvitationStatus.PENDING, InvitationStatus.IGNORED)
# Ended without a connection: the sender must wait before inviting the same member again.
UNSUCCESSFUL = (InvitationStatus.WITHDRAWN, InvitationStatus.IGNORED, InvitationStatus.EXPIRED)


class _Status(TypeDecorator[InvitationStatus]):
    """A status stored as its name and read back as an `InvitationStatus`."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else InvitationStatus(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> InvitationStatus | None:
        return None if value is None else InvitationStatus(value)


class Invitation(Base):
    """One member asking another to connect. Every change of status is one conditional update of
    an open row, so of two racing actions exactly one wins."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # The pair in order, so that "one pending invitation per pair, either way" is one index.
    low_id: Mapped[int] = mapped_column(Id)
    high_id: Mapped[int] = mapped_column(Id)
    note: Mapped[str] = mapped_column(Text, default="")
    # The member who forwarded it, when it comes from an introduction (`vinculo.introductions`):
    # told when it is accepted, and named to its recipient as the one who introduced the sender.
    introducer_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    status: Mapped[InvitationStatus] = mapped_column(_Status(), default=InvitationStatus.PENDING)
    # Reported "I don't know this person": ignored, and counted against the sender.
    reported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    # When it stopped being pending: answered, withdrawn, or (for expiry) its expiry time.
    closed_at: Mapped[datetime | None]
    # When the recipient ignored (or reported) it. Kept when the sender, who cannot tell an
    # ignored invitation from a pending one, withdraws it: it still counts as answered.
    ignored_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(one_of("status", InvitationStatus), name="status"),
        CheckConstraint("sender_id <> recipient_id", name="not_to_self"),
        CheckConstraint("low_id < high_id", name="pair_ordered"),
        CheckConstraint(f"length(note) <= {NOTE_MAX}", name="note_length"),
        Index(
            "uq_invitation_pending_pair",
            "low_id",
            "high_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_invitation_recipient_status", "recipient_id", "status", "created_at"),
        Index("ix_invitation_sender_created", "sender_id", "created_at"),
        Index("ix_invitation_pending_expiry", "status", "expires_at"),
    )
