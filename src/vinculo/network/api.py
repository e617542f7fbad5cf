"""The network API: connections and your private tier and note for each, mutual connections,
the 2nd-degree network and paths. Routes and statuses follow the interface contract."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vinculo.network import degrees, service
from vinculo.network.models import Tier
from vinculo.network.schemas import (
    ConnectionOut,
    ConnectionPage,
    ConnectionUpdate,
    MutualConnectionsPage,
    PathOut,
    SecondDegreePage,
)
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["network"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/members/{member_id}/connections")
def list_connections(
    member_id: PathId,
    me: ApiMember,
    db: DbSession,
    tier: Tier | None = Query(
        default=None, description="Only in your own list: connections of this tier."
    ),
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ConnectionPage:
    """A member's connections, by name; 403 when they keep the list to themselves."""
    page = service.connections_of(
        db, viewer=me, member_id=member_id, tier=tier, cursor=cursor, limit=limit
    )
    return ConnectionPage(
        items=[ConnectionOut.of_connection(view) for view in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/members/{member_id}/mutual-connections")
def list_mutual_connections(
    member_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> MutualConnectionsPage:
    found = degrees.mutual_connections(
        db, viewer=me, member_id=member_id, cursor=cursor, limit=limit
    )
    return MutualConnectionsPage.of(found)


@router.get("/connections/{member_id}")
def get_connection(member_id: PathId, me: ApiMember, db: DbSession) -> ConnectionOut:
    """Your connection with a member, with your private tier and note."""
    return ConnectionOut.of_connection(service.connection_with(db, member=me, other_id=member_id))


@router.patch("/connections/{member_id}")
def update_connection(
    member_id: PathId, body: ConnectionUpdate, me: ApiMember, db: DbSession
) -> ConnectionOut:
    """Set your private tier (close, regular, occasional) and note for a connection."""
    view = service.update_connection(
        db, member=me, other_id=member_id, tier=body.tier, note=body.note
    )
    return ConnectionOut.of_connection(view)


@router.delete("/connections/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_connection(member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """End a connection, silently."""
    service.remove_connection(db, member=me, other_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/network/path/{member_id}")
def path_to_member(member_id: PathId, me: ApiMember, db: DbSession) -> PathOut:
    """How you reach a member: the degree and one shortest chain of connections from you to them
    (at most 6 steps; empty beyond)."""
    return PathOut.of(degrees.path_to(db, viewer=me, member_id=member_id))


@router.get("/network/second-degree")
def second_degree_network(
    me: ApiMember, db: DbSession, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> SecondDegreePage:
    """Your 2nd-degree network: members connected to your connections but not to you, those
    sharing the most connections with you first."""
    found = degrees.second_degree_network(db, viewer=me, cursor=cursor, limit=limit)
    return SecondDegreePage.of(found)
