"""Post pages: writing a post (on the home page, or in a group), a post with its comments,
reacting, commenting, editing, deleting and reporting; and a group's posts
(`posts/group_posts.html`, which the group's page includes).

Every change is a small form post answered with a redirect; a refusal from the service is shown
on the page it came from, with its status, and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import NotFound, VinculoError
from vinculo.groups import service as groups
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.posts import service
from vinculo.posts.models import COMMENT_MAX, POST_MAX, REACTION_KINDS, REPORT_REASON_MAX
from vinculo.schemas import Cursor, PathId
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

# A page of this site to come back to: a path, never another site's address.
_LOCAL_PATH = re.compile(r"/(?![/\\])[!-~]*")


def _back(fields: Mapping[str, str], default: str) -> str:
    target = fields.get("next", "")
    return target if _LOCAL_PATH.fullmatch(target) and "\\" not in target else default


def _refused(
    error: VinculoError, show: Callable[[dict[str, str], int], Response], page: Page
) -> Response:
    """A refusal shown on its form; a post or comment that is gone is the 404 page."""
    if isinstance(error, NotFound):
        raise error
    response = show(errors_of(error, gettext=page.gettext), error.status)
    response.headers.update(error.headers)
    return response


# Writing a post


@router.post("/posts")
def write_post(page: MemberPage, fields: FormFields) -> Response:
    """A new post: on the writer's profile, or in the group the form names."""
    group = fields.get("group", "")
    group_id = int(group) if group.isdigit() and len(group) < 19 else None
    result = page.attempt(
        lambda: service.write_post(
            page.db, author=page.member, text=fields.get("text"), group_id=group_id
        )
    )
    if isinstance(result, VinculoError):
        return _refused(
            result,
            lambda errors, status: page.render(
                "posts/compose.html",
                status_code=status,
                errors=errors,
                values=fields,
                group_id=group_id,
                post_max=POST_MAX,
            ),
            page,
        )
    default = f"/groups/{group_id}/posts" if group_id else "/"
    return page.redirect(_back(fields, default))


# One post


@router.get("/posts/{post_id}")
def post_page(post_id: PathId, page: MemberPage) -> Response:
    return _render_post(page, post_id=post_id, errors={}, values={})


def _render_post(
    page: Page,
    *,
    post_id: int,
    errors: dict[str, str],
    values: Mapping[str, str],
    status_code: int = 200,
    editing: bool = False,
) -> Response:
    view = service.post_of(page.db, viewer=page.member, post_id=post_id)
    comments = service.comments_of(
        page.db, viewer=page.member, post_id=post_id, cursor=None, limit=100
    )
    return page.render(
        "posts/post.html",
        status_code=status_code,
        view=view,
        comments=comments.items,
        more_comments=comments.next_cursor is not None,
        errors=errors,
        values=values,
        editing=editing,
        done=page.request.query_params.get("done"),
        post_max=POST_MAX,
        comment_max=COMMENT_MAX,
        reason_max=REPORT_REASON_MAX,
        reaction_kinds=REACTION_KINDS,
    )


@router.get("/posts/{post_id}/edit")
def edit_form(post_id: PathId, page: MemberPage) -> Response:
    return _render_post(page, post_id=post_id, errors={}, values={}, editing=True)


def _act(
    page: Page,
    *,
    post_id: int,
    action: Callable[[], object],
    fields: Mapping[str, str],
    done: str,
    editing: bool = False,
) -> Response:
    result = page.attempt(action)
    if isinstance(result, VinculoError):
        return _refused(
            result,
            lambda errors, status: _render_post(
                page,
                post_id=post_id,
                errors=errors,
                values=fields,
                status_code=status,
                editing=editing,
            ),
            page,
        )
    return page.redirect(_back(fields, f"/posts/{post_id}?done={done}"))


@router.post("/posts/{post_id}/edit")
def edit_post(post_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    return _act(
        page,
        post_id=post_id,
        action=lambda: service.edit_post(
            page.db, post_id=post_id, by=page.member, text=fields.get("text")
        ),
        fields=fields,
        done="edited",
        editing=True,
    )


@router.post("/posts/{post_id}/delete")
def delete_post(post_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    result = page.attempt(lambda: service.delete_post(page.db, post_id=post_id, by=page.member))
    if isinstance(result, VinculoError):
        return _refused(
            result,
            lambda errors, status: _render_post(
                page, post_id=post_id, errors=errors, values={}, status_code=status
            ),
            page,
        )
    back = _back(fields, "/")
    return page.redirect("/" if back.startswith(f"/posts/{post_id}") else back)


@router.post("/posts/{post_id}/comments")
def comment_on(post_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    return _act(
        page,
        post_id=post_id,
        action=lambda: service.comment_on(
            page.db, post_id=post_id, by=page.member, text=fields.get("text")
        ),
        fields=fields,
        done="commented",
    )


@router.post("/posts/{post_id}/react")
def react(post_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    """React (like, celebrate, insightful), or take your reaction back (`none`)."""
    kind = fields.get("kind", "")

    def change() -> object:
        if kind == "none":
            service.unreact(page.db, post_id=post_id, by=page.member)
            return None
        return service.react(page.db, post_id=post_id, by=page.member, kind=kind)

    return _act(page, post_id=post_id, action=change, fields=fields, done="reacted")


@router.post("/posts/{post_id}/report")
def report(post_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    return _act(
        page,
        post_id=post_id,
        action=lambda: service.report_post(
            page.db, post_id=post_id, by=page.member, reason=fields.get("reason", "")
        ),
        fields=fields,
        done="reported",
    )


@router.post("/comments/{comment_id}/delete")
def delete_comment(comment_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    result = page.attempt(
        lambda: service.delete_comment(page.db, comment_id=comment_id, by=page.member)
    )
    if isinstance(result, VinculoError):
        raise result
    return page.redirect(_back(fields, f"/posts/{result}?done=comment_deleted"))


# A group's posts


@router.get("/groups/{group_id}/posts")
def group_posts(group_id: PathId, page: MemberPage, cursor: Cursor = None) -> Response:
    """A group's posts on a page of their own; the group's page includes the same panel."""
    return page.render("posts/group.html", **group_posts_context(page, group_id, cursor))


def group_posts_context(page: Page, group_id: int, cursor: str | None) -> dict[str, Any]:
    """What `posts/group_posts.html` needs, for any page that includes it (no posts for a
    viewer who may not read them)."""
    access = groups.access_group(page.db, viewer=page.member, group_id=group_id)
    posts = (
        service.group_posts(
            page.db, viewer=page.member, group_id=group_id, cursor=cursor, limit=DEFAULT_LIMIT
        )
        if access.may_read_posts
        else None
    )
    return {
        "posts_group": access,
        "posts_page": posts,
        "post_max": POST_MAX,
        "reaction_kinds": REACTION_KINDS,
    }


@router.get("/members/{member_id}/posts")
def member_posts(member_id: PathId, page: MemberPage, cursor: Cursor = None) -> Response:
    """A member's profile posts, newest first."""
    posts = service.profile_posts(
        page.db, viewer=page.member, member_id=member_id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "posts/member_posts.html",
        member_id=member_id,
        posts_page=posts,
        reaction_kinds=REACTION_KINDS,
    )
