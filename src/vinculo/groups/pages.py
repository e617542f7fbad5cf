"""Group pages: your groups, the invitations and requests waiting, finding groups by name and
sector, creating one; a group's page (its members with their degree and the connections you
share, joining, leaving, and for its admins the requests, invitations, bans and roles); inviting
a member to a group from their profile.

Every change is a small form post answered with a redirect; a refusal from the service is shown
on the page it came from, with its status, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.groups import service
from vinculo.groups.models import DESCRIPTION_MAX, NAME_MAX, SECTOR_MAX
from vinculo.groups.schemas import GroupIn, MemberIn
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.posts.pages import group_posts_context
from vinculo.schemas import Cursor, PathId
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/groups")
def groups(page: MemberPage, q: str = "", sector: str = "", cursor: Cursor = None) -> Response:
    return _render_groups(page, q=q, sector=sector, cursor=cursor, errors={})


def _render_groups(
    page: Page,
    *,
    q: str,
    sector: str,
    cursor: str | None,
    errors: dict[str, str],
    status_code: int = 200,
    values: Mapping[str, str] | None = None,
) -> Response:
    db, me = page.db, page.member
    # A cursor is the next page of a search (of every group, when both fields are empty).
    searching = bool(q.strip() or sector.strip() or cursor)
    found = (
        service.groups_for(db, viewer=me, q=q, sector=sector, cursor=cursor, limit=DEFAULT_LIMIT)
        if searching
        else None
    )
    mine = service.groups_for(db, viewer=me, standing="member", cursor=None, limit=100)
    invited = service.groups_for(db, viewer=me, standing="invited", cursor=None, limit=100)
    requested = service.groups_for(db, viewer=me, standing="requested", cursor=None, limit=100)
    return page.render(
        "groups/index.html",
        status_code=status_code,
        q=q,
        sector=sector,
        found=found,
        mine=mine.items,
        invited=invited.items,
        requested=requested.items,
        done=page.request.query_params.get("done"),
        errors=errors,
        values=values or {"policy": "open"},
        name_max=NAME_MAX,
        sector_max=SECTOR_MAX,
        description_max=DESCRIPTION_MAX,
    )


@router.post("/groups")
def create_group(page: MemberPage, fields: FormFields) -> Response:
    form = {key: fields.get(key, "") for key in ("name", "description", "sector", "policy")}
    created, errors = parse_form(GroupIn, form, gettext=page.gettext)
    if created is None:
        return _render_groups(
            page, q="", sector="", cursor=None, errors=errors, status_code=422, values=fields
        )
    result = page.attempt(
        lambda: service.create_group(
            page.db,
            creator=page.member,
            name=created.name,
            description=created.description,
            sector=created.sector,
            policy=created.policy,
        )
    )
    if isinstance(result, VinculoError):
        response = _render_groups(
            page,
            q="",
            sector="",
            cursor=None,
            errors=errors_of(result, gettext=page.gettext),
            status_code=result.status,
            values=fields,
        )
        response.headers.update(result.headers)
        return response
    return page.redirect(f"/groups/{result.group.id}?done=created")


# A group's page


@router.get("/groups/{group_id}")
def group(group_id: PathId, page: MemberPage, cursor: Cursor = None) -> Response:
    return _render_group(page, group_id=group_id, cursor=cursor, errors={})


def _render_group(
    page: Page,
    *,
    group_id: int,
    cursor: str | None,
    errors: dict[str, str],
    status_code: int = 200,
    values: Mapping[str, str] | None = None,
) -> Response:
    db, me = page.db, page.member
    view = service.group_of(db, group_id=group_id, viewer=me)
    access = view.access
    members = (
        service.places_in(db, group_id=group_id, viewer=me, cursor=cursor, limit=DEFAULT_LIMIT)
        if access.may_see_members
        else None
    )
    waiting = {
        standing: service.places_in(
            db, group_id=group_id, viewer=me, standing=standing, cursor=None, limit=100
        ).items
        for standing in ("requested", "invited", "banned")
        if access.is_admin
    }
    return page.render(
        "groups/group.html",
        **group_posts_context(page, group_id, None),
        status_code=status_code,
        view=view,
        access=access,
        group=view.group,
        members=members,
        waiting=waiting,
        done=page.request.query_params.get("done"),
        errors=errors,
        values=values or {},
    )


GroupAction = Literal["join", "leave", "invite", "transfer", "ban"]


@router.post("/groups/{group_id}/{action}")
def act(group_id: PathId, action: GroupAction, page: MemberPage, fields: FormFields) -> Response:
    """Join (or ask to, or accept an invitation), leave (or withdraw a request, or decline an
    invitation); for admins, invite or ban a member by their id; for the owner, hand over."""
    db, me = page.db, page.member
    if action == "join":
        return _attempt(
            page,
            group_id,
            fields,
            lambda: service.join_group(db, group_id=group_id, by=me),
            "joined",
        )
    if action == "leave":
        result = page.attempt(lambda: service.leave_group(db, group_id=group_id, by=me))
        if isinstance(result, VinculoError):
            return _refused(page, group_id, result, fields)
        return page.redirect("/groups?done=left")
    chosen, errors = parse_form(
        MemberIn, {"member": _as_id(fields.get("member", ""))}, gettext=page.gettext
    )
    if chosen is None:
        return _render_group(
            page, group_id=group_id, cursor=None, errors=errors, status_code=422, values=fields
        )
    calls: dict[str, Callable[[], object]] = {
        "invite": lambda: service.invite_to_group(
            db, group_id=group_id, member_id=chosen.member, by=me
        ),
        "ban": lambda: service.ban_member(db, group_id=group_id, member_id=chosen.member, by=me),
        "transfer": lambda: service.transfer_ownership(
            db, group_id=group_id, member_id=chosen.member, by=me
        ),
    }
    done = {"invite": "invited", "ban": "banned", "transfer": "transferred"}[action]
    return _attempt(page, group_id, fields, calls[action], done)


MemberAction = Literal[
    "approve", "decline", "remove", "ban", "unban", "make-admin", "unmake-admin", "transfer"
]


@router.post("/groups/{group_id}/members/{member_id}/{action}")
def act_on_member(
    group_id: PathId, member_id: PathId, action: MemberAction, page: MemberPage, fields: FormFields
) -> Response:
    """An admin's (or the owner's) action on one member, from the group's page."""
    db, me = page.db, page.member
    calls: dict[str, Callable[[], object]] = {
        "approve": lambda: service.approve_request(
            db, group_id=group_id, member_id=member_id, by=me
        ),
        "decline": lambda: service.decline_request(
            db, group_id=group_id, member_id=member_id, by=me
        ),
        "remove": lambda: service.remove_member(db, group_id=group_id, member_id=member_id, by=me),
        "ban": lambda: service.ban_member(db, group_id=group_id, member_id=member_id, by=me),
        "unban": lambda: service.unban_member(db, group_id=group_id, member_id=member_id, by=me),
        "make-admin": lambda: service.set_admin(
            db, group_id=group_id, member_id=member_id, by=me, admin=True
        ),
        "unmake-admin": lambda: service.set_admin(
            db, group_id=group_id, member_id=member_id, by=me, admin=False
        ),
        "transfer": lambda: service.transfer_ownership(
            db, group_id=group_id, member_id=member_id, by=me
        ),
    }
    done = {
        "approve": "approved",
        "decline": "declined",
        "remove": "removed",
        "ban": "banned",
        "unban": "unbanned",
        "make-admin": "roles",
        "unmake-admin": "roles",
        "transfer": "transferred",
    }[action]
    return _attempt(page, group_id, fields, calls[action], done)


def _attempt(
    page: Page,
    group_id: int,
    fields: Mapping[str, str],
    call: Callable[[], object],
    done: str,
) -> Response:
    result = page.attempt(call)
    if isinstance(result, VinculoError):
        return _refused(page, group_id, result, fields)
    return page.redirect(f"/groups/{group_id}?done={done}")


def _refused(
    page: Page, group_id: int, refusal: VinculoError, fields: Mapping[str, str]
) -> Response:
    """The group's page again with the refusal, its status and headers; a group the member may
    not know of is the 404 page."""
    response = _render_group(
        page,
        group_id=group_id,
        cursor=None,
        errors=errors_of(refusal, gettext=page.gettext),
        status_code=refusal.status,
        values=fields,
    )
    response.headers.update(refusal.headers)
    return response


def _as_id(value: str) -> str | int:
    """A form's member id: an integer when it is one, else as typed (the schema refuses it)."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 19 else value


# From a member's profile


@router.post("/members/{member_id}/group-invitation")
def invite_from_profile(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    """Invite the member to one of the groups the viewer runs, chosen on their profile."""
    group_id = _as_id(fields.get("group", ""))
    if not isinstance(group_id, int) or group_id < 1:
        return page.redirect(f"/members/{member_id}")
    db, me = page.db, page.member
    return _attempt(
        page,
        group_id,
        fields,
        lambda: service.invite_to_group(db, group_id=group_id, member_id=member_id, by=me),
        "invited",
    )
