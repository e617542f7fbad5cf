"""The posts API: posts on a profile or in a group, comments, reactions, reports, the feed and a
member's activity. A post the caller may not read is a 404, wherever it is asked for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vinculo.network import degrees
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from vinculo.posts import feed, service
from vinculo.posts.models import Comment
from vinculo.posts.schemas import (
    ActivityOut,
    CommentIn,
    CommentOut,
    CommentPage,
    PostIn,
    PostOut,
    PostPage,
    ReactionIn,
    ReportIn,
)
from vinculo.posts.service import CommentView, PostView
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["posts"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _page(page: Page[PostView]) -> PostPage:
    return PostPage(items=[PostOut.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/feed")
def get_feed(
    me: ApiMember, db: DbSession, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> PostPage:
    """Your connections' posts and your groups' posts, newest first; on the first page, the
    posts of the last few days by the connections you filed as close come first."""
    return _page(feed.feed_of(db, viewer=me, cursor=cursor, limit=limit))


@router.post("/posts", status_code=status.HTTP_201_CREATED)
def write_profile_post(body: PostIn, me: ApiMember, db: DbSession) -> PostOut:
    """A post on your profile: every member who may see you may read it."""
    access = service.write_post(db, author=me, text=body.text)
    return PostOut.of(service.post_of(db, viewer=me, post_id=access.post.id))


@router.post("/groups/{group_id}/posts", status_code=status.HTTP_201_CREATED)
def write_group_post(group_id: PathId, body: PostIn, me: ApiMember, db: DbSession) -> PostOut:
    """A post in a group you are a member of."""
    access = service.write_post(db, author=me, text=body.text, group_id=group_id)
    return PostOut.of(service.post_of(db, viewer=me, post_id=access.post.id))


@router.get("/groups/{group_id}/posts")
def list_group_posts(
    group_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PostPage:
    """A group's posts, newest first (an open group's for everyone, the others' for members)."""
    return _page(service.group_posts(db, viewer=me, group_id=group_id, cursor=cursor, limit=limit))


@router.get("/members/{member_id}/posts")
def list_profile_posts(
    member_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PostPage:
    """A member's profile posts, newest first."""
    return _page(
        service.profile_posts(db, viewer=me, member_id=member_id, cursor=cursor, limit=limit)
    )


@router.get("/members/{member_id}/activity")
def member_activity(member_id: PathId, me: ApiMember, db: DbSession) -> ActivityOut:
    """A member's latest posts and comments and their groups, as you may see them, and how much
    they posted, commented and reacted in the last 90 days."""
    return ActivityOut.of(feed.activity_of(db, viewer=me, member_id=member_id))


@router.get("/posts/{post_id}")
def get_post(post_id: PathId, me: ApiMember, db: DbSession) -> PostOut:
    return PostOut.of(service.post_of(db, viewer=me, post_id=post_id))


@router.patch("/posts/{post_id}")
def edit_post(post_id: PathId, body: PostIn, me: ApiMember, db: DbSession) -> PostOut:
    """Change your post's text (it is marked edited)."""
    service.edit_post(db, post_id=post_id, by=me, text=body.text)
    return PostOut.of(service.post_of(db, viewer=me, post_id=post_id))


@router.delete("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_post(post_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """Delete your post; a group's admins remove any post in their group."""
    service.delete_post(db, post_id=post_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/posts/{post_id}/report", status_code=status.HTTP_204_NO_CONTENT)
def report_post(
    post_id: PathId, me: ApiMember, db: DbSession, body: ReportIn | None = None
) -> Response:
    """Report a post to the moderators, once."""
    service.report_post(db, post_id=post_id, by=me, reason=body.reason if body else "")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/posts/{post_id}/reaction")
def react(post_id: PathId, body: ReactionIn, me: ApiMember, db: DbSession) -> PostOut:
    """Your reaction to a post (one per post: this replaces the one you had)."""
    service.react(db, post_id=post_id, by=me, kind=body.kind)
    return PostOut.of(service.post_of(db, viewer=me, post_id=post_id))


@router.delete("/posts/{post_id}/reaction", status_code=status.HTTP_204_NO_CONTENT)
def unreact(post_id: PathId, me: ApiMember, db: DbSession) -> Response:
    service.unreact(db, post_id=post_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/posts/{post_id}/comments")
def list_comments(
    post_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> CommentPage:
    """A post's comments, oldest first."""
    page = service.comments_of(db, viewer=me, post_id=post_id, cursor=cursor, limit=limit)
    return CommentPage(items=[CommentOut.of(c) for c in page.items], next_cursor=page.next_cursor)


def _comment_out(db: DbSession, me: ApiMember, comment: Comment) -> CommentOut:
    return CommentOut.of(CommentView(comment, degrees.view_of(db, viewer=me, member=me)))


@router.post("/posts/{post_id}/comments", status_code=status.HTTP_201_CREATED)
def comment_on(post_id: PathId, body: CommentIn, me: ApiMember, db: DbSession) -> CommentOut:
    """Comment on a post (in a group, as one of its members); its author is told."""
    return _comment_out(db, me, service.comment_on(db, post_id=post_id, by=me, text=body.text))


@router.patch("/comments/{comment_id}")
def edit_comment(comment_id: PathId, body: CommentIn, me: ApiMember, db: DbSession) -> CommentOut:
    return _comment_out(
        db, me, service.edit_comment(db, comment_id=comment_id, by=me, text=body.text)
    )


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_comment(comment_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """Delete your comment; a group's admins remove any comment in their group."""
    service.delete_comment(db, comment_id=comment_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
