"""The notifications page: newest first, and marking them all read."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.notifications import service
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.schemas import Cursor
from vinculo.web.deps import MemberPage
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/notifications")
def notifications(page: MemberPage, cursor: Cursor = None) -> Response:
    """Newest first. Reading them is a GET, which writes nothing: "Mark all read" is a post."""
    found = service.notifications_of(
        page.db, member=page.member, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "notifications/index.html",
        notifications=found.page.items,
        next_cursor=found.page.next_cursor,
        unread_notifications=found.unread,
    )


@router.post("/notifications/read")
def mark_notifications_read(page: MemberPage) -> Response:
    service.mark_all_read(page.db, member=page.member)
    return page.redirect("/notifications")
