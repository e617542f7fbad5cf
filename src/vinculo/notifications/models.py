"""The table of notifications: something that happened to a member, kept until they read it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

NotificationKind = Literal[
    "invitation_received",
    "invitation_accepted",
    "invitation_reminder",
    "password_changed",
    "introduction_requested",
    "introduction_forwarded",
    "introduction_not_forwarded",
    "introduction_connected",
    "group_join_requested",
    "group_request_approved",
    "group_invited",
    "mentioned",
    "post_commented",
]
NOTIFICATION_KINDS: tuple[NotificationKind, ...] = (
    "invitation_received",
    "invitation_accepted",
    "invitation_reminder",
    # The member's own password changed (the actor is the member): if it was not them, they
    # learn it at once.
    "password_changed",
    # Introductions: asked to introduce (the actor is the member asking: the requester, or the
    # introducer who passed the request on); your request forwarded, or not (the actor is the
    # introducer); the introduction you forwarded ended connected (the actor is its target).
    "introduction_requested",
    "introduction_forwarded",
    "introduction_not_forwarded",
    "introduction_connected",
    # Groups: someone asked to join a group you run (the actor asked); your request to join was
    # approved, or you were invited to a group (the actor is the admin).
    "group_join_requested",
    "group_request_approved",
    "group_invited",
    # Posts: you were mentioned in a post or a comment; someone commented on your post.
    "mentioned",
    "post_commented",
)


class Notification(Base):
    """Something another member (the actor) did that concerns a member, stored until read."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE")
    )
    introduction_id: Mapped[int | None] = mapped_column(
        ForeignKey("introduction.id", ondelete="CASCADE")
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_group.id", ondelete="CASCADE")
    )
    # The post it is about (mentioned in it or in one of its comments, commented on); gone with it.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    # The member gets it by email in the daily digest (they chose "daily" for its kind when it
    # was made); `mailed_at` says when it was mailed, at once or in a digest, which claims it.
    for_digest: Mapped[bool] = mapped_column(default=False)
    mailed_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(one_of("kind", NOTIFICATION_KINDS), name="kind"),
        Index("ix_notification_member_id_id", "member_id", "id"),
        # The digest's one question: who has notifications waiting for it, since when.
        Index(
            "ix_notification_digest_waiting",
            "member_id",
            "created_at",
            sqlite_where=text("for_digest AND mailed_at IS NULL"),
            postgresql_where=text("for_digest AND mailed_at IS NULL"),
        ),
    )
