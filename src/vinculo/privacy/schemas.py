"""The privacy API's input and output: blocks and privacy settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from vinculo.network.degrees import MemberView
from vinculo.network.schemas import MemberSummary
from vinculo.privacy.models import ConnectionsVisibleTo, InvitePolicy
from vinculo.privacy.service import BlockedMember
from vinculo.schemas import BodyId, Input, Output, Patch


class BlockIn(Input):
    member: BodyId = Field(description="The id of the member to block.")


class BlockedOut(Output):
    member: MemberSummary = Field(
        description="With no degree: a block hides how the two are connected."
    )
    blocked_at: datetime

    @classmethod
    def of(cls, blocked: BlockedMember) -> BlockedOut:
        return cls(
            member=MemberSummary.of(MemberView(blocked.member, degree=None)),
            blocked_at=blocked.blocked_at,
        )


class BlockedPage(Output):
    items: list[BlockedOut]
    next_cursor: str | None = None


class NetworkSettingsOut(Output):
    who_can_invite: InvitePolicy
    connections_visible_to: ConnectionsVisibleTo


class NetworkSettingsUpdate(Patch):
    who_can_invite: InvitePolicy | None = Field(
        default=None,
        description="anyone · members with a link (mutual connections, the same organization "
        "or school at the same time) · only members who know my email",
    )
    connections_visible_to: ConnectionsVisibleTo | None = Field(
        default=None, description="Who sees your list of connections: your connections, or you."
    )
