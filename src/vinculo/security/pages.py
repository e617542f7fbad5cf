"""The security log page: what happened to your account, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.pagination import DEFAULT_LIMIT
from vinculo.schemas import Cursor
from vinculo.security import service
from vinculo.web.deps import MemberPage
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/settings/security-log")
def security_log(page: MemberPage, cursor: Cursor = None) -> Response:
    found = service.security_events(
        page.db, member_id=page.member.id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render("security/events.html", events=found.items, next_cursor=found.next_cursor)
