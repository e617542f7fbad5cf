"""The posts API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from vinculo.groups.models import Group
from vinculo.network.schemas import MemberSummary
from vinculo.posts.feed import Activity
from vinculo.posts.models import COMMENT_MAX, POST_MAX, REPORT_REASON_MAX, ReactionKind
from vinculo.posts.service import CommentView, PostView
from vinculo.schemas import Input, Output

MENTIONS = (
    " Markdown: *emphasis*, **strong**, lists, [links](https://…), `code`; addresses become "
    "links. Mention a member as @[Their Name](their member id)."
)


# The text is required, but asked for by the service once the post (or group) is found: a
# stranger's request gets its 404 whatever its body.
class PostIn(Input):
    text: Annotated[str, StringConstraints(max_length=POST_MAX)] | None = Field(
        default=None, description=f"Required: up to {POST_MAX} characters." + MENTIONS
    )


class CommentIn(Input):
    text: Annotated[str, StringConstraints(max_length=COMMENT_MAX)] | None = Field(
        default=None, description=f"Required: up to {COMMENT_MAX} characters." + MENTIONS
    )


class ReactionIn(Input):
    kind: ReactionKind | None = Field(default=None, description="Required: your reaction.")


class ReportIn(Input):
    reason: Annotated[str, StringConstraints(max_length=REPORT_REASON_MAX)] = Field(
        default="", description="What is wrong with it, for the moderators (optional)."
    )


class GroupRef(Output):
    id: int
    name: str

    @classmethod
    def of(cls, group: Group) -> GroupRef:
        return cls(id=group.id, name=group.name)


class CommentOut(Output):
    id: int
    post_id: int
    author: MemberSummary
    text: str = Field(description="As written.")
    html: str = Field(description="As shown: sanitised HTML.")
    created_at: datetime
    edited_at: datetime | None

    @classmethod
    def of(cls, view: CommentView) -> CommentOut:
        comment = view.comment
        return cls(
            id=comment.id,
            post_id=comment.post_id,
            author=MemberSummary.of(view.author),
            text=comment.text,
            html=comment.html,
            created_at=comment.created_at,
            edited_at=comment.edited_at,
        )


class PostOut(Output):
    id: int
    author: MemberSummary
    group: GroupRef | None = Field(description="The group it was posted in; null on a profile.")
    text: str = Field(description="As written.")
    html: str = Field(description="As shown: sanitised HTML, rendered when it was written.")
    created_at: datetime
    edited_at: datetime | None
    reactions: dict[str, int] = Field(description="How many reactions of each kind.")
    my_reaction: ReactionKind | None
    comment_count: int
    comments: list[CommentOut] = Field(description="The latest few comments, oldest first.")

    @classmethod
    def of(cls, view: PostView) -> PostOut:
        post = view.post
        return cls(
            id=post.id,
            author=MemberSummary.of(view.author),
            group=GroupRef.of(view.group) if view.group is not None else None,
            text=post.text,
            html=post.html,
            created_at=post.created_at,
            edited_at=post.edited_at,
            reactions=view.reactions,
            my_reaction=view.my_reaction,
            comment_count=view.comment_count,
            comments=[CommentOut.of(c) for c in view.comments],
        )


class PostPage(Output):
    items: list[PostOut]
    next_cursor: str | None


class CommentPage(Output):
    items: list[CommentOut]
    next_cursor: str | None


class CommentActivityOut(Output):
    id: int
    post_id: int
    html: str
    created_at: datetime


class ActivityCounts(Output):
    days: int
    posts: int
    comments: int
    reactions: int = Field(description="Reactions given.")


class ActivityOut(Output):
    member: MemberSummary
    posts: list[PostOut] = Field(description="Their latest posts you may read.")
    comments: list[CommentActivityOut] = Field(description="Their latest comments you may read.")
    groups: list[GroupRef] = Field(description="The groups they are in that you may know of.")
    counts: ActivityCounts = Field(description="Of what you may read.")

    @classmethod
    def of(cls, activity: Activity) -> ActivityOut:
        return cls(
            member=MemberSummary.of(activity.member),
            posts=[PostOut.of(view) for view in activity.posts],
            comments=[
                CommentActivityOut(
                    id=c.comment.id,
                    post_id=c.post.id,
                    html=c.comment.html,
                    created_at=c.comment.created_at,
                )
                for c in activity.comments
            ],
            groups=[GroupRef.of(group) for group in activity.groups],
            counts=ActivityCounts(
                days=activity.days,
                posts=activity.post_count,
                comments=activity.comment_count,
                reactions=activity.reaction_count,
            ),
        )
