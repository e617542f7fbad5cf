"""All SQL of posts: writing, the conditional changes, the lists (a group's, a profile's, the
comments of a post) with what each post shows (reactions, comments), the feed's two queries, and
a member's activity as a viewer may see it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from vinculo.db import insert_new
from vinculo.groups.models import Group, GroupMember
from vinculo.identity.models import Member
from vinculo.network.models import Connection
from vinculo.posts.models import Comment, Post, PostReport, Reaction
from vinculo.privacy.repository import blocked_either_way

# Writing


def add(db: Session, row: Post | Comment) -> None:
    db.add(row)
    db.flush()


def post_by_id(db: Session, post_id: int) -> Post | None:
    return db.get(Post, post_id, populate_existing=True)


def comment_by_id(db: Session, comment_id: int) -> Comment | None:
    return db.get(Comment, comment_id, populate_existing=True)


def change_text(
    db: Session,
    model: type[Post] | type[Comment],
    *,
    row_id: int,
    author_id: int,
    text: str,
    html: str,
    now: datetime,
) -> bool:
    """Change the text of the author's own post or comment; False when it is gone (or never was
    theirs)."""
    result = db.execute(
        update(model)
        .where(model.id == row_id, model.author_id == author_id)
        .values(text=text, html=html, edited_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def remove(db: Session, model: type[Post] | type[Comment], *, row_id: int) -> bool:
    """Delete a post (with its comments, reactions and reports) or a comment; False when it
    was gone already: of two racing removals exactly one removes."""
    result = db.execute(
        delete(model).where(model.id == row_id).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_reaction(db: Session, *, post_id: int, member_id: int, kind: str, now: datetime) -> None:
    """The member's reaction to the post is `kind` now: added, or its kind changed."""
    if insert_new(
        db,
        Reaction,
        ("post_id", "member_id"),
        post_id=post_id,
        member_id=member_id,
        kind=kind,
        created_at=now,
    ):
        return
    db.execute(
        update(Reaction)
        .where(Reaction.post_id == post_id, Reaction.member_id == member_id)
        .values(kind=kind)
        .execution_options(synchronize_session=False)
    )


def remove_reaction(db: Session, *, post_id: int, member_id: int) -> bool:
    result = db.execute(
        delete(Reaction)
        .where(Reaction.post_id == post_id, Reaction.member_id == member_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_report(db: Session, *, post_id: int, member_id: int, reason: str, now: datetime) -> bool:
    """A member's report of a post, once: False when they had reported it already."""
    return insert_new(
        db,
        PostReport,
        ("post_id", "member_id"),
        post_id=post_id,
        member_id=member_id,
        reason=reason,
        created_at=now,
    )


def visible_members(db: Session, *, viewer_id: int, member_ids: Collection[int]) -> list[Member]:
    """Of these members, those the viewer may see (not hidden by a block, either way)."""
    if not member_ids:
        return []
    return list(
        db.scalars(
            select(Member).where(
                Member.id.in_(sorted(member_ids)), ~blocked_either_way(viewer_id, Member.id)
            )
        )
    )


# Who may read what


def _groups_readable_by(viewer_id: int) -> Select[int]:
    """The groups whose posts the viewer may read: theirs, and every open group that did not
    ban them (the rule of `groups.service.GroupAccess.may_read_posts`, in SQL)."""
    mine = select(GroupMember.group_id).where(
        GroupMember.member_id == viewer_id, GroupMember.standing == "member"
    )
    banned = select(GroupMember.group_id).where(
        GroupMember.member_id == viewer_id, GroupMember.standing == "banned"
    )
    return select(Group.id).where(
        or_(Group.id.in_(mine), and_(Group.policy == "open", Group.id.not_in(banned)))
    )


def _readable(viewer_id: int) -> ColumnElement[bool]:
    """Posts the viewer may read: on a profile, or in a group they may read; never by a member
    hidden from them."""
    return and_(
        or_(Post.group_id.is_(None), Post.group_id.in_(_groups_readable_by(viewer_id))),
        ~blocked_either_way(viewer_id, Post.author_id),
    )


# Lists


def _page(statement: Any, *, after: int | None, limit: int) -> Any:
    if after is not None:
        statement = statement.where(Post.id < after)
    return statement.order_by(Post.id.desc()).limit(limit + 1)


def group_posts(
    db: Session, *, viewer_id: int, group_id: int, after: int | None, limit: int
) -> list[tuple[Post, Member]]:
    """A group's posts, newest first, but those by members hidden from the viewer."""
    statement = (
        select(Post, Member)
        .join(Member, Member.id == Post.author_id)
        .where(Post.group_id == group_id, ~blocked_either_way(viewer_id, Post.author_id))
    )
    return [(p, m) for p, m in db.execute(_page(statement, after=after, limit=limit))]


def profile_posts(
    db: Session, *, author_id: int, after: int | None, limit: int
) -> list[tuple[Post, Member]]:
    statement = (
        select(Post, Member)
        .join(Member, Member.id == Post.author_id)
        .where(Post.author_id == author_id, Post.group_id.is_(None))
    )
    return [(p, m) for p, m in db.execute(_page(statement, after=after, limit=limit))]


def posts_with_authors(db: Session, post_ids: Sequence[int]) -> list[tuple[Post, Member]]:
    """These posts with their authors, in the order given (those still there)."""
    if not post_ids:
        return []
    found = {
        post.id: (post, member)
        for post, member in db.execute(
            select(Post, Member)
            .join(Member, Member.id == Post.author_id)
            .where(Post.id.in_(list(post_ids)))
        )
    }
    return [found[post_id] for post_id in post_ids if post_id in found]


class Tallies(NamedTuple):
    """What a list of posts shows beside each post."""

    reactions: dict[int, dict[str, int]]  # each post's count of each kind of reaction
    mine: dict[int, str]  # the viewer's reaction to each post they reacted to
    comments: dict[int, int]  # each post's comments the viewer may see


def tallies(db: Session, *, viewer_id: int, post_ids: Collection[int]) -> Tallies:
    """The reactions of each kind, the viewer's own, and the comments of each post, in one
    statement whatever the number of posts."""
    found = Tallies({}, {}, {})
    if not post_ids:
        return found
    wanted = sorted(post_ids)
    counted = (
        select(
            literal("reactions").label("what"),
            Reaction.post_id,
            Reaction.kind,
            func.count().label("n"),
        )
        .where(Reaction.post_id.in_(wanted))
        .group_by(Reaction.post_id, Reaction.kind)
    )
    mine = select(literal("mine"), Reaction.post_id, Reaction.kind, literal(1)).where(
        Reaction.member_id == viewer_id, Reaction.post_id.in_(wanted)
    )
    comments = (
        select(literal("comments"), Comment.post_id, literal(""), func.count())
        .where(Comment.post_id.in_(wanted), ~blocked_either_way(viewer_id, Comment.author_id))
        .group_by(Comment.post_id)
    )
    for what, post_id, kind, count in db.execute(union_all(counted, mine, comments)):
        if what == "reactions":
            found.reactions.setdefault(post_id, {})[kind] = int(count)
        elif what == "mine":
            found.mine[int(post_id)] = str(kind)
        else:
            found.comments[post_id] = int(count)
    return found


def latest_comments(
    db: Session, *, viewer_id: int, post_ids: Collection[int], per_post: int
) -> list[tuple[Comment, Member]]:
    """The latest `per_post` comments of each post (oldest of them first), in one query."""
    if not post_ids:
        return []
    ranked = (
        select(
            Comment.id,
            func.row_number()
            .over(partition_by=Comment.post_id, order_by=Comment.id.desc())
            .label("rank"),
        )
        .where(
            Comment.post_id.in_(sorted(post_ids)),
            ~blocked_either_way(viewer_id, Comment.author_id),
        )
        .subquery()
    )
    rows = db.execute(
        select(Comment, Member)
        .join(Member, Member.id == Comment.author_id)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= per_post)
        .order_by(Comment.id)
    )
    return [(c, m) for c, m in rows]


def comments_of(
    db: Session, *, viewer_id: int, post_id: int, after: int | None, limit: int
) -> list[tuple[Comment, Member]]:
    """A post's comments, oldest first, but those by members hidden from the viewer."""
    statement = (
        select(Comment, Member)
        .join(Member, Member.id == Comment.author_id)
        .where(Comment.post_id == post_id, ~blocked_either_way(viewer_id, Comment.author_id))
    )
    if after is not None:
        statement = statement.where(Comment.id > after)
    return [(c, m) for c, m in db.execute(statement.order_by(Comment.id).limit(limit + 1))]


# The feed


def _connections_of(viewer_id: int, *, close_only: bool = False) -> Select[int]:
    """The viewer's connections (or only those they filed as close), as one column `id`."""
    low = select(Connection.high_id.label("id")).where(Connection.low_id == viewer_id)
    high = select(Connection.low_id.label("id")).where(Connection.high_id == viewer_id)
    if close_only:
        low = low.where(Connection.low_tier == "close")
        high = high.where(Connection.high_tier == "close")
    return union_all(low, high)  # type: ignore[return-value]


def _groups_of(viewer_id: int) -> Select[int]:
    return select(GroupMember.group_id.label("id")).where(
        GroupMember.member_id == viewer_id, GroupMember.standing == "member"
    )


def _feed_condition(
    viewer_id: int, *, after: int | None, exclude: Collection[int]
) -> list[ColumnElement[bool]]:
    conditions = [~blocked_either_way(viewer_id, Post.author_id)]
    if after is not None:
        conditions.append(Post.id < after)
    if exclude:
        conditions.append(Post.id.not_in(sorted(exclude)))
    return conditions


def feed_ids(
    db: Session, *, viewer_id: int, after: int | None, exclude: Collection[int], limit: int
) -> list[int]:
    """The ids of the viewer's feed, newest first, `limit` at most: their connections' profile
    posts and their groups' posts, by no member hidden from them.

    On PostgreSQL, each source (a connection, a group) gives its own newest `limit` through its
    index, side by side (LATERAL), and only those are merged: the work grows with the number of
    sources, never with the number of posts. SQLite has no LATERAL; there the one statement
    below, its indexes and the limit suffice for the communities one machine holds."""
    if db.get_bind().dialect.name != "postgresql":
        return feed_ids_naive(db, viewer_id=viewer_id, after=after, exclude=exclude, limit=limit)
    condition = _feed_condition(viewer_id, after=after, exclude=exclude)
    people = _connections_of(viewer_id).subquery("people")
    by_person = (
        select(Post.id)
        .where(Post.author_id == people.c.id, Post.group_id.is_(None), *condition)
        .order_by(Post.id.desc())
        .limit(limit)
        .lateral("by_person")
    )
    groups = _groups_of(viewer_id).subquery("groups")
    by_group = (
        select(Post.id)
        .where(Post.group_id == groups.c.id, *condition)
        .order_by(Post.id.desc())
        .limit(limit)
        .lateral("by_group")
    )
    merged = union_all(
        select(by_person.c.id).select_from(people).join(by_person, true()),
        select(by_group.c.id).select_from(groups).join(by_group, true()),
    ).subquery("merged")
    return list(db.scalars(select(merged.c.id).order_by(merged.c.id.desc()).limit(limit)))


def feed_ids_naive(
    db: Session, *, viewer_id: int, after: int | None, exclude: Collection[int], limit: int
) -> list[int]:
    """The same feed as one join over every post of the viewer's connections and groups: the
    reference `feed_ids` is compared with (tests, `benchmarks/feed.py`)."""
    statement = (
        select(Post.id)
        .where(
            or_(
                and_(Post.group_id.is_(None), Post.author_id.in_(_connections_of(viewer_id))),
                Post.group_id.in_(_groups_of(viewer_id)),
            ),
            *_feed_condition(viewer_id, after=after, exclude=exclude),
        )
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(db.scalars(statement))


def close_post_ids(db: Session, *, viewer_id: int, since: datetime, limit: int) -> list[int]:
    """The newest posts of the feed by connections the viewer filed as close, written since
    `since`: their profile posts and their posts in the viewer's groups."""
    close = _connections_of(viewer_id, close_only=True)
    statement = (
        select(Post.id)
        .where(
            Post.author_id.in_(close),
            or_(Post.group_id.is_(None), Post.group_id.in_(_groups_of(viewer_id))),
            Post.created_at >= since,
            ~blocked_either_way(viewer_id, Post.author_id),
        )
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return list(db.scalars(statement))


# Activity


def recent_posts_by(
    db: Session, *, viewer_id: int, author_id: int, limit: int
) -> list[tuple[Post, Member]]:
    """The author's newest posts the viewer may read, on their profile or in groups."""
    statement = (
        select(Post, Member)
        .join(Member, Member.id == Post.author_id)
        .where(Post.author_id == author_id, _readable(viewer_id))
        .order_by(Post.id.desc())
        .limit(limit)
    )
    return [(p, m) for p, m in db.execute(statement)]


def recent_comments_by(
    db: Session, *, viewer_id: int, author_id: int, limit: int
) -> list[tuple[Comment, Post]]:
    """The author's newest comments on posts the viewer may read."""
    statement = (
        select(Comment, Post)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == author_id, _readable(viewer_id))
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [(c, p) for c, p in db.execute(statement)]


def visible_groups_of(db: Session, *, viewer_id: int, member_id: int, limit: int) -> list[Group]:
    """The groups the member is in that the viewer may know of: all but private groups, and a
    private group the viewer is in or invited to (the rule of `groups.service.access_group`)."""
    known = select(GroupMember.group_id).where(
        GroupMember.member_id == viewer_id, GroupMember.standing.in_(("member", "invited"))
    )
    statement = (
        select(Group)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(
            GroupMember.member_id == member_id,
            GroupMember.standing == "member",
            or_(Group.policy != "private", Group.id.in_(known)),
        )
        .order_by(Group.name_key, Group.id)
        .limit(limit)
    )
    return list(db.scalars(statement))


def activity_counts(
    db: Session, *, viewer_id: int, member_id: int, since: datetime
) -> tuple[int, int, int]:
    """Posts, comments and reactions the member wrote or gave since `since`, of those the
    viewer may read; one query."""
    posts = (
        select(func.count())
        .select_from(Post)
        .where(Post.author_id == member_id, Post.created_at >= since, _readable(viewer_id))
        .scalar_subquery()
    )
    comments = (
        select(func.count())
        .select_from(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == member_id, Comment.created_at >= since, _readable(viewer_id))
        .scalar_subquery()
    )
    reactions = (
        select(func.count())
        .select_from(Reaction)
        .join(Post, Post.id == Reaction.post_id)
        .where(Reaction.member_id == member_id, Reaction.created_at >= since, _readable(viewer_id))
        .scalar_subquery()
    )
    row = db.execute(select(posts, comments, reactions)).one()
    return int(row[0]), int(row[1]), int(row[2])
