"""Network pages: your connections with their private tiers and notes, another member's
connections and the ones you share, the wider network (your 2nd degree) and how you reach a
member."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.introductions import service as introductions
from vinculo.network import degrees, service
from vinculo.network.models import CONNECTION_NOTE_MAX
from vinculo.network.schemas import ConnectionUpdate
from vinculo.network.service import ConnectionView
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.schemas import Cursor, PathId
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

TierFilter = Literal["all", "close", "regular", "occasional"]


# My connections


@router.get("/network/connections")
def my_connections(page: MemberPage, tier: TierFilter = "all", cursor: Cursor = None) -> Response:
    connections = service.connections_of(
        page.db,
        viewer=page.member,
        member_id=page.member.id,
        tier=None if tier == "all" else tier,
        cursor=cursor,
        limit=DEFAULT_LIMIT,
    )
    return page.render(
        "network/connections.html",
        connections=connections,
        tier=tier,
        cursor=cursor,
        total=service.connection_count(page.db, member=page.member),
        note_max=CONNECTION_NOTE_MAX,
        done=page.request.query_params.get("done"),
    )


@router.get("/network/connections/{member_id}")
def connection_page(member_id: PathId, page: MemberPage) -> Response:
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    return _render_connection(page, view=view, values={}, errors={})


@router.post("/network/connections/{member_id}")
def update_connection(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    """Save your private tier or note for a connection, then go back to where you were."""
    update, errors = parse_form(
        ConnectionUpdate, fields, gettext=page.gettext, only=("tier", "note")
    )
    if update is not None:
        service.update_connection(
            page.db, member=page.member, other_id=member_id, tier=update.tier, note=update.note
        )
        return page.redirect(_back_to_list(fields, anchor=member_id))
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    return _render_connection(page, view=view, values=fields, errors=errors, status_code=422)


def _back_to_list(fields: Mapping[str, str], *, anchor: int) -> str:
    """The list the form was on: its tier filter and page, kept through hidden fields."""
    query: dict[str, str] = {"done": "saved"}
    if fields.get("filter") in ("close", "regular", "occasional"):
        query["tier"] = fields["filter"]
    if fields.get("cursor"):
        query["cursor"] = fields["cursor"]
    return f"/network/connections?{urlencode(query)}#connection-{anchor}"


def _render_connection(
    page: Page,
    *,
    view: ConnectionView,
    values: Mapping[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return page.render(
        "network/connection.html",
        status_code=status_code,
        view=view,
        values=values,
        errors=errors,
        note_max=CONNECTION_NOTE_MAX,
    )


@router.get("/network/connections/{member_id}/remove")
def remove_connection_form(member_id: PathId, page: MemberPage) -> Response:
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    came_from = "profile" if page.request.query_params.get("from") == "profile" else "list"
    return page.render("network/remove.html", view=view, came_from=came_from)


@router.post("/network/connections/{member_id}/remove")
def remove_connection(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    service.remove_connection(page.db, member=page.member, other_id=member_id)
    if fields.get("from") == "profile":
        return page.redirect(f"/members/{member_id}?done=removed")
    return page.redirect("/network/connections?done=removed")


# Another member's connections, and the ones you share


@router.get("/members/{member_id}/connections")
def member_connections(member_id: PathId, page: MemberPage, cursor: Cursor = None) -> Response:
    if member_id == page.member.id:
        return page.redirect("/network/connections")
    found = service.member_connections(
        page.db, viewer=page.member, member_id=member_id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "network/member_connections.html",
        member=found.member,
        connections=found.page,
        total=found.total,
    )


@router.get("/members/{member_id}/mutual")
def mutual_connections(member_id: PathId, page: MemberPage, cursor: Cursor = None) -> Response:
    if member_id == page.member.id:
        return page.redirect("/network/connections")
    found = degrees.mutual_connections(
        page.db, viewer=page.member, member_id=member_id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "network/mutual.html",
        member=found.member,
        count=found.count,
        mutual=found.page.items,
        next_cursor=found.page.next_cursor,
    )


# The wider network


@router.get("/network/second-degree")
def second_degree(page: MemberPage, cursor: Cursor = None) -> Response:
    """Members your connections know and you do not yet, those you share the most with first,
    with a few of the connections you share by name."""
    found = degrees.second_degree_network(
        page.db, viewer=page.member, cursor=cursor, limit=DEFAULT_LIMIT, sample=2
    )
    shown = [view.member.id for view in found.page.items]
    return page.render(
        "network/second_degree.html",
        introducers=introductions.best_introducer_of(page.db, viewer=page.member, member_ids=shown),
        count=found.count,
        rows=found.page.items,
        next_cursor=found.page.next_cursor,
    )


@router.get("/members/{member_id}/path")
def path_to(member_id: PathId, page: MemberPage) -> Response:
    """How you reach a member: the chain as far as you may see it, and whom to ask beyond."""
    found = degrees.path_to(page.db, viewer=page.member, member_id=member_id)
    return page.render("network/path.html", path=found, member=found.member)
