"""The security event log API: a member reads their own account's log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor
from vinculo.security import service
from vinculo.security.schemas import SecurityEventPage
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["security"], responses=PROBLEM_RESPONSES)


@router.get("/members/me/security-events")
def list_security_events(
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SecurityEventPage:
    """What happened to your account, newest first: logins and failed ones, lockouts, password
    changes, revoked sessions and tokens, blocks. Times are UTC."""
    return SecurityEventPage.of(
        service.security_events(db, member_id=me.id, cursor=cursor, limit=limit)
    )
