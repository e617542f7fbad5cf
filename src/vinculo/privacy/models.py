"""Tables of privacy: blocks between members, and each member's privacy settings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, one_of

InvitePolicy = Literal["anyone", "link", "email"]
ConnectionsVisibleTo = Literal["connections", "only_me"]
INVITE_POLICIES: tuple[InvitePolicy, ...] = ("anyone", "link", "email")
CONNECTION_VISIBILITIES: tuple[ConnectionsVisibleTo, ...] = ("connections", "only_me")


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


class PrivacySettings(Base):
    """A member's privacy choices; a member without a row has the defaults. (The table kept the
    name it had before privacy became an area of its own.)"""

    __tablename__ = "network_settings"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    who_can_invite: Mapped[str] = mapped_column(String(10), default="anyone")
    connections_visible_to: Mapped[str] = mapped_column(String(12), default="connections")

    __table_args__ = (
        CheckConstraint(one_of("who_can_invite", INVITE_POLICIES), name="who_can_invite"),
        CheckConstraint(
            one_of("connections_visible_to", CONNECTION_VISIBILITIES),
            name="connections_visible_to",
        ),
    )
