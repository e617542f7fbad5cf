"""Posts: writing one on your profile or in a group, editing and deleting your own, a group's
admins removing posts and comments in their group, comments, reactions, reports, mentions; and
the one way to reach a post (`access_post`): a post in a group whose posts the viewer may not
read, or by a member hidden from them, does not exist for them (404).

Every change is one conditional statement (an update or delete of the row as it must be, an
insert unless there is one): of two racing changes exactly one takes effect, and the other is
told the post or comment is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from vinculo.groups import service as groups
from vinculo.groups.models import Group
from vinculo.groups.service import GroupAccess, GroupNotFound
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.notifications import service as notifications
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.posts import rendering, repository
from vinculo.posts.models import (
    COMMENT_MAX,
    POST_MAX,
    REACTION_KINDS,
    REPORT_REASON_MAX,
    Comment,
    Post,
)
from vinculo.privacy import service as privacy
from vinculo.security.service import record_security_event

# The latest comments shown under each post of a list.
COMMENTS_SHOWN = 3


class PostNotFound(NotFound):
    slug = "post-not-found"
    title = N_("Post not found")
    default_detail = N_("There is no such post, or it is not visible to you.")


class CommentNotFound(NotFound):
    slug = "comment-not-found"
    title = N_("Comment not found")
    default_detail = N_("There is no such comment, or it is not visible to you.")


class NotGroupMember(Forbidden):
    slug = "not-group-member"
    title = N_("Not a member of the group")
    default_detail = N_("Join the group to post, comment and react in it.")


class NotYours(Forbidden):
    slug = "not-your-post"
    title = N_("Not yours")
    default_detail = N_("Only its author may change this, and a group's admins may remove it.")


class AlreadyReported(Conflict):
    slug = "post-already-reported"
    title = N_("Already reported")
    default_detail = N_("You have already reported this post.")


@dataclass(frozen=True)
class PostAccess:
    """A post as one viewer may reach it: its group (None on a profile) with the viewer's place
    in it."""

    post: Post
    group: GroupAccess | None

    def may_take_part(self, viewer: Member) -> bool:
        """Comment and react: anyone who may read a profile post; a group's members in it."""
        return self.group is None or self.group.is_member

    def may_remove(self, viewer: Member) -> bool:
        return self.post.author_id == viewer.id or (self.group is not None and self.group.is_admin)


def access_post(db: Session, *, viewer: Member, post_id: int) -> PostAccess:
    """The one way to reach a post: 404 when there is none, when a block, either way, hides its
    author from the viewer, or when it is in a group whose posts the viewer may not read."""
    post = repository.post_by_id(db, post_id)
    if post is None or privacy.is_hidden(db, viewer=viewer, member_id=post.author_id):
        raise PostNotFound()
    if post.group_id is None:
        return PostAccess(post, None)
    try:
        group = groups.access_group(db, viewer=viewer, group_id=post.group_id)
    except GroupNotFound:
        raise PostNotFound() from None
    if not group.may_read_posts:
        raise PostNotFound()
    return PostAccess(post, group)


def _readable_group(db: Session, *, viewer: Member, group_id: int) -> GroupAccess:
    group = groups.access_group(db, viewer=viewer, group_id=group_id)
    if not group.may_read_posts:
        raise GroupNotFound()
    return group


# Text


def _checked(text: str | None, *, most: int) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput.for_field("text", N_("Write something first."))
    if len(text) > most:
        raise InvalidInput.for_field(
            "text", N_("At most %(max_length)s characters."), max_length=most
        )
    return text


def _rendered(db: Session, *, writer: Member, text: str) -> tuple[str, list[Member]]:
    """The HTML of a text, and the members it mentions that the writer may see."""
    mentioned = [
        member
        for member in repository.visible_members(
            db, viewer_id=writer.id, member_ids=rendering.mentioned_ids(text)
        )
        if member.id != writer.id
    ]
    html = rendering.render(text, members={member.id: member.name for member in mentioned})
    return html, mentioned


def _tell_mentioned(
    db: Session, *, access: PostAccess, writer: Member, mentioned: Sequence[Member], before: str
) -> None:
    """Notify the members a text mentions (newly, when it was edited) who may read the post."""
    already = set(rendering.mentioned_ids(before))
    for member in mentioned:
        if member.id in already:
            continue
        try:
            access_post(db, viewer=member, post_id=access.post.id)
        except PostNotFound:
            continue
        notifications.notify(
            db, member_id=member.id, kind="mentioned", actor_id=writer.id, post_id=access.post.id
        )


# Posts


def write_post(
    db: Session, *, author: Member, text: str | None, group_id: int | None = None
) -> PostAccess:
    """A new post on the author's profile, or in a group they are a member of."""
    group = None
    if group_id is not None:
        group = _readable_group(db, viewer=author, group_id=group_id)
        if not group.is_member:
            raise NotGroupMember()
    text = _checked(text, most=POST_MAX)
    html, mentioned = _rendered(db, writer=author, text=text)
    post = Post(
        author_id=author.id,
        group_id=group_id,
        text=text,
        html=html,
        created_at=clock.now(),
        edited_at=None,
    )
    repository.add(db, post)
    access = PostAccess(post, group)
    _tell_mentioned(db, access=access, writer=author, mentioned=mentioned, before="")
    return access


def edit_post(db: Session, *, post_id: int, by: Member, text: str | None) -> PostAccess:
    access = access_post(db, viewer=by, post_id=post_id)
    if access.post.author_id != by.id:
        raise NotYours()
    text = _checked(text, most=POST_MAX)
    before = access.post.text
    html, mentioned = _rendered(db, writer=by, text=text)
    if not repository.change_text(
        db, Post, row_id=post_id, author_id=by.id, text=text, html=html, now=clock.now()
    ):
        raise PostNotFound()
    access = access_post(db, viewer=by, post_id=post_id)
    _tell_mentioned(db, access=access, writer=by, mentioned=mentioned, before=before)
    return access


def delete_post(db: Session, *, post_id: int, by: Member) -> None:
    """Delete your own post, or, as an admin of its group, remove it."""
    access = access_post(db, viewer=by, post_id=post_id)
    if not access.may_remove(by):
        raise NotYours()
    if not repository.remove(db, Post, row_id=post_id):
        raise PostNotFound()


def report_post(db: Session, *, post_id: int, by: Member, reason: str = "") -> PostAccess:
    """Report a post to the moderators, once (and keep it in the reporter's security log)."""
    access = access_post(db, viewer=by, post_id=post_id)
    reason = reason.strip()
    if len(reason) > REPORT_REASON_MAX:
        raise InvalidInput.for_field(
            "reason", N_("At most %(max_length)s characters."), max_length=REPORT_REASON_MAX
        )
    if not repository.add_report(
        db, post_id=post_id, member_id=by.id, reason=reason, now=clock.now()
    ):
        raise AlreadyReported()
    record_security_event(db, member_id=by.id, kind="report_sent", detail=f"post #{post_id}")
    return access


# Comments


def comment_on(db: Session, *, post_id: int, by: Member, text: str | None) -> Comment:
    """Comment on a post; its author is told."""
    access = access_post(db, viewer=by, post_id=post_id)
    if not access.may_take_part(by):
        raise NotGroupMember()
    text = _checked(text, most=COMMENT_MAX)
    html, mentioned = _rendered(db, writer=by, text=text)
    comment = Comment(
        post_id=post_id, author_id=by.id, text=text, html=html, created_at=clock.now()
    )
    repository.add(db, comment)
    author_id = access.post.author_id
    if author_id != by.id:
        notifications.notify(
            db, member_id=author_id, kind="post_commented", actor_id=by.id, post_id=post_id
        )
    _tell_mentioned(
        db,
        access=access,
        writer=by,
        mentioned=[m for m in mentioned if m.id != author_id],
        before="",
    )
    return comment


def _access_comment(db: Session, *, viewer: Member, comment_id: int) -> tuple[Comment, PostAccess]:
    comment = repository.comment_by_id(db, comment_id)
    if comment is None or privacy.is_hidden(db, viewer=viewer, member_id=comment.author_id):
        raise CommentNotFound()
    try:
        return comment, access_post(db, viewer=viewer, post_id=comment.post_id)
    except PostNotFound:
        raise CommentNotFound() from None


def edit_comment(db: Session, *, comment_id: int, by: Member, text: str | None) -> Comment:
    comment, access = _access_comment(db, viewer=by, comment_id=comment_id)
    if comment.author_id != by.id:
        raise NotYours()
    text = _checked(text, most=COMMENT_MAX)
    before = comment.text
    html, mentioned = _rendered(db, writer=by, text=text)
    if not repository.change_text(
        db, Comment, row_id=comment_id, author_id=by.id, text=text, html=html, now=clock.now()
    ):
        raise CommentNotFound()
    _tell_mentioned(db, access=access, writer=by, mentioned=mentioned, before=before)
    found = repository.comment_by_id(db, comment_id)
    if found is None:
        raise CommentNotFound()
    return found


def delete_comment(db: Session, *, comment_id: int, by: Member) -> int:
    """Delete your own comment, or, as an admin of the post's group, remove it; the post's id."""
    comment, access = _access_comment(db, viewer=by, comment_id=comment_id)
    admin = access.group is not None and access.group.is_admin
    if comment.author_id != by.id and not admin:
        raise NotYours()
    if not repository.remove(db, Comment, row_id=comment_id):
        raise CommentNotFound()
    return access.post.id


# Reactions


def react(db: Session, *, post_id: int, by: Member, kind: str | None) -> PostAccess:
    """Your reaction to a post, one per post: added, or changed to `kind`."""
    access = access_post(db, viewer=by, post_id=post_id)
    if not access.may_take_part(by):
        raise NotGroupMember()
    if kind not in REACTION_KINDS:
        raise InvalidInput.for_field("kind", N_("Choose like, celebrate or insightful."))
    repository.set_reaction(db, post_id=post_id, member_id=by.id, kind=kind, now=clock.now())
    return access


def unreact(db: Session, *, post_id: int, by: Member) -> None:
    """Take your reaction back (nothing to take back is no error)."""
    access_post(db, viewer=by, post_id=post_id)
    repository.remove_reaction(db, post_id=post_id, member_id=by.id)


# What a list shows of each post


@dataclass(frozen=True)
class CommentView:
    comment: Comment
    author: MemberView


@dataclass(frozen=True)
class PostView:
    post: Post
    author: MemberView
    group: Group | None
    reactions: dict[str, int]
    my_reaction: str | None
    comment_count: int
    comments: list[CommentView] = field(default_factory=list)
    may_remove: bool = False
    may_take_part: bool = True


def post_views(
    db: Session,
    *,
    viewer: Member,
    rows: Sequence[tuple[Post, Member]],
    member_groups: set[int] | None = None,
) -> list[PostView]:
    """Posts as the viewer sees them in a list, with their reactions, their comment counts and
    latest comments: a fixed number of queries, whatever the number of posts."""
    if not rows:
        return []
    ids = [post.id for post, _ in rows]
    group_ids = {post.group_id for post, _ in rows if post.group_id is not None}
    accesses = groups.accesses_of(db, viewer=viewer, group_ids=group_ids)
    found_groups = {group_id: access.group for group_id, access in accesses.items()}
    if member_groups is None:
        member_groups = {group_id for group_id, access in accesses.items() if access.is_member}
    admin_of = {group_id for group_id, access in accesses.items() if access.is_admin}
    tallies = repository.tallies(db, viewer_id=viewer.id, post_ids=ids)
    latest = repository.latest_comments(
        db, viewer_id=viewer.id, post_ids=ids, per_post=COMMENTS_SHOWN
    )
    people = {member.id: member for _, member in rows} | {m.id: m for _, m in latest}
    seen = {
        view.member.id: view
        for view in degrees.views_of(
            db, viewer=viewer, members=list(people.values()), with_mutual_count=False
        )
    }
    comments: dict[int, list[CommentView]] = {}
    for comment, member in latest:
        comments.setdefault(comment.post_id, []).append(CommentView(comment, seen[member.id]))
    return [
        PostView(
            post=post,
            author=seen[author.id],
            group=found_groups.get(post.group_id) if post.group_id is not None else None,
            reactions=tallies.reactions.get(post.id, {}),
            my_reaction=tallies.mine.get(post.id),
            comment_count=tallies.comments.get(post.id, 0),
            comments=comments.get(post.id, []),
            may_remove=post.author_id == viewer.id or post.group_id in admin_of,
            may_take_part=post.group_id is None or post.group_id in member_groups,
        )
        for post, author in rows
    ]


def post_of(db: Session, *, viewer: Member, post_id: int) -> PostView:
    access = access_post(db, viewer=viewer, post_id=post_id)
    author = privacy.access_member(db, viewer=viewer, member_id=access.post.author_id)
    return post_views(db, viewer=viewer, rows=[(access.post, author)])[0]


def _after(cursor: str | None) -> int | None:
    return int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None


def _page_of(
    db: Session, *, viewer: Member, rows: list[tuple[Post, Member]], limit: int
) -> Page[PostView]:
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].id,))
    return Page(post_views(db, viewer=viewer, rows=page.items), page.next_cursor)


def group_posts(
    db: Session, *, viewer: Member, group_id: int, cursor: str | None, limit: int
) -> Page[PostView]:
    """A group's posts, newest first: for those who may read them (else 404)."""
    _readable_group(db, viewer=viewer, group_id=group_id)
    rows = repository.group_posts(
        db, viewer_id=viewer.id, group_id=group_id, after=_after(cursor), limit=limit
    )
    return _page_of(db, viewer=viewer, rows=rows, limit=limit)


def profile_posts(
    db: Session, *, viewer: Member, member_id: int, cursor: str | None, limit: int
) -> Page[PostView]:
    """A member's profile posts, newest first: for every member who may see them."""
    author = privacy.access_member(db, viewer=viewer, member_id=member_id)
    rows = repository.profile_posts(db, author_id=author.id, after=_after(cursor), limit=limit)
    return _page_of(db, viewer=viewer, rows=rows, limit=limit)


def comments_of(
    db: Session, *, viewer: Member, post_id: int, cursor: str | None, limit: int
) -> Page[CommentView]:
    """A post's comments, oldest first."""
    access_post(db, viewer=viewer, post_id=post_id)
    rows = repository.comments_of(
        db, viewer_id=viewer.id, post_id=post_id, after=_after(cursor), limit=limit
    )
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].id,))
    members = [member for _, member in page.items]
    views = degrees.views_of(db, viewer=viewer, members=members, with_mutual_count=False)
    return Page(
        [CommentView(c, v) for (c, _), v in zip(page.items, views, strict=True)], page.next_cursor
    )
