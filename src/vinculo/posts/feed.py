"""The feed and a member's activity. The feed: the viewer's connections' profile posts and their
groups' posts, newest first, by no member hidden from them; on its first page, the posts of the
last few days by the connections they filed as close come first, so that those are never
buried (ADR 0020). Activity: what a member posted, commented and joined, and their counts of the
last 90 days, as one viewer may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import ID_MAX
from vinculo.errors import N_, InvalidInput
from vinculo.groups import service as groups
from vinculo.groups.models import Group
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.pagination import Page, decode_cursor, encode_cursor
from vinculo.posts import repository
from vinculo.posts.models import Comment, Post
from vinculo.posts.service import PostView, post_views
from vinculo.privacy import service as privacy

# A close connection's post of the last CLOSE_DAYS days comes first on the first page; at most
# CLOSE_FIRST of them, so that a talkative circle does not fill the page.
CLOSE_DAYS = 3
CLOSE_FIRST = 5
ACTIVITY_DAYS = 90
ACTIVITY_SHOWN = 5


def _read_cursor(cursor: str) -> tuple[int, list[int]]:
    """The id the next page starts below, and the posts the first page put first."""
    after, first = decode_cursor(cursor, shape=(int, str))
    try:
        shown = [int(part) for part in str(first).split(".") if part]
    except ValueError:
        shown = None
    if shown is None or len(shown) > CLOSE_FIRST:
        raise InvalidInput.for_field("cursor", N_("This cursor is not valid."))
    return int(after), shown


def feed_of(db: Session, *, viewer: Member, cursor: str | None, limit: int) -> Page[PostView]:
    """The viewer's feed, a page of `limit` posts. The cursor carries where the next page starts
    and which posts the first page put first, so that none of them shows twice and none is
    skipped, however much is posted meanwhile."""
    if cursor:
        after, first = _read_cursor(cursor)
    else:
        since = clock.now() - timedelta(days=CLOSE_DAYS)
        after = None
        first = repository.close_post_ids(
            db, viewer_id=viewer.id, since=since, limit=min(CLOSE_FIRST, limit)
        )
    wanted = limit - (0 if cursor else len(first))
    rest = repository.feed_ids(
        db, viewer_id=viewer.id, after=after, exclude=first, limit=wanted + 1
    )
    more = len(rest) > wanted
    rest = rest[:wanted]
    ids = rest if cursor else first + rest
    rows = repository.posts_with_authors(db, ids)
    next_cursor = None
    if more:
        start = rest[-1] if rest else (after if after is not None else ID_MAX)
        next_cursor = encode_cursor((start, ".".join(str(i) for i in first)))
    return Page(post_views(db, viewer=viewer, rows=rows), next_cursor)


# Activity


@dataclass(frozen=True)
class CommentActivity:
    comment: Comment
    post: Post


@dataclass(frozen=True)
class Activity:
    """A member's recent activity as the viewer may see it."""

    member: MemberView
    posts: list[PostView]
    comments: list[CommentActivity]
    groups: list[Group]
    days: int
    post_count: int
    comment_count: int
    reaction_count: int


def activity_of(db: Session, *, viewer: Member, member_id: int) -> Activity:
    """What the member posted and commented lately and the groups they are in, and how much
    they posted, commented and reacted in the last 90 days, counting only what the viewer may
    read (a private group's posts count for its members only)."""
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    rows = repository.recent_posts_by(
        db, viewer_id=viewer.id, author_id=member.id, limit=ACTIVITY_SHOWN
    )
    comments = repository.recent_comments_by(
        db, viewer_id=viewer.id, author_id=member.id, limit=ACTIVITY_SHOWN
    )
    shown_groups = repository.visible_groups_of(
        db, viewer_id=viewer.id, member_id=member.id, limit=20
    )
    since = clock.now() - timedelta(days=ACTIVITY_DAYS)
    posts, commented, reacted = repository.activity_counts(
        db, viewer_id=viewer.id, member_id=member.id, since=since
    )
    return Activity(
        member=degrees.view_of(db, viewer=viewer, member=member),
        posts=post_views(
            db,
            viewer=viewer,
            rows=rows,
            member_groups=set(groups.group_ids_of(db, member=viewer)),
        ),
        comments=[CommentActivity(comment, post) for comment, post in comments],
        groups=shown_groups,
        days=ACTIVITY_DAYS,
        post_count=posts,
        comment_count=commented,
        reaction_count=reacted,
    )
