"""Tables of the network: invitations, connections with each side's private tier and note, blocks,
members' privacy settings, and the notifications the network sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id

NOTE_MAX = 300
CONNECTION_NOTE_MAX = 2000

INVITATION_STATUSES = ("pending", "accepted", "ignored", "withdrawn", "expired")
TIERS = ("close", "regular", "occasional")
INVITE_POLICIES = ("anyone", "link", "email")
CONNECTION_VISIBILITIES = ("connections", "only_me")
NOTIFICATION_KINDS = ("invitation_received", "invitation_accepted", "invitation_reminder")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Invitation(Base):
    """One member asking another to connect. Every change of status is one conditional update of
    a pending row, so of two racing actions exactly one wins."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # The pair in order, so that "one pending invitation per pair, either way" is one index.
    low_id: Mapped[int] = mapped_column(Id)
    high_id: Mapped[int] = mapped_column(Id)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
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
        CheckConstraint(_one_of("status", INVITATION_STATUSES), name="status"),
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
        CheckConstraint(_one_of("low_tier", TIERS), name="low_tier"),
        CheckConstraint(_one_of("high_tier", TIERS), name="high_tier"),
        CheckConstraint(f"length(low_note) <= {CONNECTION_NOTE_MAX}", name="low_note_length"),
        CheckConstraint(f"length(high_note) <= {CONNECTION_NOTE_MAX}", name="high_note_length"),
    )


class Block(Base):
    """`blocker_id` blocked `blocked_id`: neither can invite, find or view the other."""

    __tablename__ = "block"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)


class NetworkSettings(Base):
    """A member's network privacy choices; a member without a row has the defaults."""

    __tablename__ = "network_settings"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    who_can_invite: Mapped[str] = mapped_column(String(10), default="anyone")
    connections_visible_to: Mapped[str] = mapped_column(String(12), default="connections")

    __table_args__ = (
        CheckConstraint(_one_of("who_can_invite", INVITE_POLICIES), name="who_can_invite"),
        CheckConstraint(
            _one_of("connections_visible_to", CONNECTION_VISIBILITIES),
            name="connections_visible_to",
        ),
    )


class Notification(Base):
    """Something that happened to a member in the network, stored until they read it."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_one_of("kind", NOTIFICATION_KINDS), name="kind"),
        Index("ix_notification_member_id_id", "member_id", "id"),
    )


class ConnectionChange(Base):
    """The change log of connections, written in the transaction that connects or disconnects.
    Every process keeps its in-memory graph index in step by reading it in `id` order."""

    __tablename__ = "connection_change"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    low_id: Mapped[int] = mapped_column(Id)
    high_id: Mapped[int] = mapped_column(Id)
    connected: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(index=True)
