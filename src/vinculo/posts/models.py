"""The tables of posts: a post on a member's profile or in a group, its comments, each member's
reaction to it, and the reports members make of it. The text is kept as written and as the HTML
it was rendered to when it was written (`rendering.py`), which is what every page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

POST_MAX = 3000
COMMENT_MAX = 1000
REPORT_REASON_MAX = 300

ReactionKind = Literal["like", "celebrate", "insightful"]
REACTION_KINDS: tuple[ReactionKind, ...] = ("like", "celebrate", "insightful")

PROFILE = text("group_id IS NULL")
IN_GROUP = text("group_id IS NOT NULL")


class Post(Base):
    """A post: on its author's profile (no group) or in a group. Posts are ordered by id, which
    grows with the time they are written: "newest first" is the highest id first."""

    __tablename__ = "post"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_group.id", ondelete="CASCADE")
    )
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"length(text) <= {POST_MAX}", name="text_length"),
        # The feed's two sources: a connection's profile posts, a group's posts, newest first.
        Index(
            "ix_post_profile_author_id",
            "author_id",
            "id",
            sqlite_where=PROFILE,
            postgresql_where=PROFILE,
        ),
        # With the author, so that leaving out the members hidden from the viewer reads the index
        # alone.
        Index(
            "ix_post_group_id",
            "group_id",
            "id",
            "author_id",
            sqlite_where=IN_GROUP,
            postgresql_where=IN_GROUP,
        ),
        # A member's activity: everything they posted, wherever.
        Index("ix_post_author_created", "author_id", "created_at"),
    )


class Comment(Base):
    __tablename__ = "post_comment"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"length(text) <= {COMMENT_MAX}", name="text_length"),
        Index("ix_post_comment_post_id_id", "post_id", "id"),
        Index("ix_post_comment_author_created", "author_id", "created_at"),
    )


class Reaction(Base):
    """One member's reaction to one post: one per member and post, its kind changeable."""

    __tablename__ = "post_reaction"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(one_of("kind", REACTION_KINDS), name="kind"),
        Index("ix_post_reaction_member_created", "member_id", "created_at"),
    )


class PostReport(Base):
    """A member's report of a post, once per member and post, for the moderators (issue 19)."""

    __tablename__ = "post_report"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(f"length(reason) <= {REPORT_REASON_MAX}", name="reason_length"),
        Index("ix_post_report_created", "created_at"),
    )
