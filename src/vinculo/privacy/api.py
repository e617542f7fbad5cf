"""The privacy API: blocks and privacy settings."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from vinculo.introductions import service as introductions
from vinculo.invitations import service as invitations
from vinculo.network import service as network
from vinculo.privacy import service
from vinculo.privacy.schemas import (
    BlockedOut,
    BlockedPage,
    BlockIn,
    NetworkSettingsOut,
    NetworkSettingsUpdate,
)
from vinculo.schemas import PROBLEM_RESPONSES, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["privacy"], responses=PROBLEM_RESPONSES)

# What a block ends besides itself: one entry for each area that keeps something between two
# members (privacy, below them all, does not know them). The pages block through this too.
ENDED_BY_A_BLOCK: tuple[service.EndedByBlock, ...] = (
    network.end_connection_for_block,
    invitations.close_for_block,
    introductions.close_for_block,
)


@router.get("/blocks")
def list_blocks(me: ApiMember, db: DbSession) -> BlockedPage:
    return BlockedPage(
        items=[BlockedOut.of(blocked) for blocked in service.blocked_members(db, member=me)]
    )


@router.post("/blocks", status_code=status.HTTP_201_CREATED)
def block_member(body: BlockIn, me: ApiMember, db: DbSession) -> BlockedOut:
    """Block a member: the connection ends, open invitations both ways are cancelled, and neither
    of you can find, view or invite the other."""
    blocked = service.block_member(db, blocker=me, blocked_id=body.member, ending=ENDED_BY_A_BLOCK)
    return BlockedOut.of(blocked)


@router.delete("/blocks/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def unblock_member(member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    service.unblock_member(db, blocker=me, blocked_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/network/settings")
def get_network_settings(me: ApiMember, db: DbSession) -> NetworkSettingsOut:
    return NetworkSettingsOut.model_validate(service.privacy_settings(db, member=me))


@router.patch("/network/settings")
def update_network_settings(
    body: NetworkSettingsUpdate, me: ApiMember, db: DbSession
) -> NetworkSettingsOut:
    settings = service.update_privacy_settings(
        db,
        member=me,
        who_can_invite=body.who_can_invite,
        connections_visible_to=body.connections_visible_to,
    )
    return NetworkSettingsOut.model_validate(settings)
