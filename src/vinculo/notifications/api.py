"""The notifications API: your notifications, and marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vinculo.notifications import service
from vinculo.notifications.schemas import NotificationPage
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["notifications"], responses=PROBLEM_RESPONSES)


@router.get("/notifications")
def list_notifications(
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> NotificationPage:
    """Your notifications, newest first, with how many are unread."""
    return NotificationPage.of(service.notifications_of(db, member=me, cursor=cursor, limit=limit))


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_notifications_read(me: ApiMember, db: DbSession) -> Response:
    service.mark_all_read(db, member=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
