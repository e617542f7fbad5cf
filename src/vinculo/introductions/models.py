"""The table of introductions: a member (the requester) asking a connection (the introducer) to
introduce them to someone the introducer knows (the target); or, for a target one step further,
the introducer passing the request once more to one of their connections who knows the target
(the second introducer). Forwarded, it becomes an invitation from the requester to the target,
which the introduction points at: from then on the introduction's outcome is the invitation's."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import CheckConstraint, Dialect, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from vinculo.db import Base, Id, one_of

MESSAGE_MAX = 500  # the requester's message to the introducer: why they want to meet the target
NOTE_MAX = 300  # the introducer's note to the target (or to the second introducer)


class IntroductionStatus(StrEnum):
    """What members see. Stored: requested, forwarded, declined, withdrawn, expired; `connected`
    is read from the invitation a forwarded introduction became (as are its withdrawal and
    expiry after it was forwarded)."""

    REQUESTED = "requested"
    FORWARDED = "forwarded"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CONNECTED = "connected"
    EXPIRED = "expired"


# Waiting for an introducer's answer, unless past its expiry.
WAITING = IntroductionStatus.REQUESTED
# Ended without a connection: the requester waits before asking for the same member again.
UNSUCCESSFUL = (
    IntroductionStatus.DECLINED,
    IntroductionStatus.WITHDRAWN,
    IntroductionStatus.EXPIRED,
)


class _Status(TypeDecorator[IntroductionStatus]):
    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else IntroductionStatus(value).value

    def process_result_value(
        self, value: str | None, dialect: Dialect
    ) -> IntroductionStatus | None:
        return None if value is None else IntroductionStatus(value)


class Introduction(Base):
    """One request for an introduction. Every change of status is one conditional update of a
    waiting row, so of two racing actions (the introducer forwards while the requester
    withdraws) exactly one wins."""

    __tablename__ = "introduction"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    introducer_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # The second introducer, when the first passed the request on (a two-hop introduction).
    via_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    pass_note: Mapped[str] = mapped_column(Text, default="")  # the introducer's, to `via`
    note: Mapped[str] = mapped_column(Text, default="")  # the forwarder's, to the target
    status: Mapped[IntroductionStatus] = mapped_column(
        _Status(), default=IntroductionStatus.REQUESTED
    )
    created_at: Mapped[datetime]
    passed_at: Mapped[datetime | None]
    # The end of the step waiting now (each step has its own 14 days).
    expires_at: Mapped[datetime]
    # When it was forwarded, declined or withdrawn (or, for expiry, its expiry time).
    closed_at: Mapped[datetime | None]
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )

    __table_args__ = (
        CheckConstraint(
            one_of("status", [s for s in IntroductionStatus if s != "connected"]), name="status"
        ),
        CheckConstraint(
            "requester_id <> target_id AND requester_id <> introducer_id "
            "AND introducer_id <> target_id",
            name="three_members",
        ),
        CheckConstraint(
            "via_id IS NULL OR (via_id <> requester_id AND via_id <> introducer_id "
            "AND via_id <> target_id)",
            name="via_apart",
        ),
        CheckConstraint(f"length(message) <= {MESSAGE_MAX}", name="message_length"),
        CheckConstraint(f"length(note) <= {NOTE_MAX}", name="note_length"),
        CheckConstraint(f"length(pass_note) <= {NOTE_MAX}", name="pass_note_length"),
        # One waiting introduction per requester and target.
        Index(
            "uq_introduction_waiting_pair",
            "requester_id",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
        Index("ix_introduction_requester_created", "requester_id", "created_at"),
        Index("ix_introduction_introducer_status", "introducer_id", "status"),
        Index("ix_introduction_via_status", "via_id", "status"),
        Index("ix_introduction_status_expiry", "status", "expires_at"),
    )

    @property
    def holder_id(self) -> int:
        """Who is asked to act now: the second introducer once passed on, else the first."""
        return self.via_id if self.via_id is not None else self.introducer_id


class Counts(NamedTuple):
    """How introductions fared: asked for, forwarded to their target, ended connected."""

    asked: int
    forwarded: int
    connected: int
