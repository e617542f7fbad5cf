"""The groups API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from vinculo.groups.models import DESCRIPTION_MAX, NAME_MAX, SECTOR_MAX, GroupRef, Policy
from vinculo.groups.service import GroupAccess, GroupView, PlaceView
from vinculo.network.schemas import MemberSummary
from vinculo.schemas import BodyId, Input, LineText, Output

Standing = Literal["member", "requested", "invited", "banned"]
Role = Literal["owner", "admin", "member"]


class GroupIn(Input):
    name: Annotated[str, LineText(NAME_MAX, required=True)]
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX)
    ] = ""
    sector: Annotated[str, LineText(SECTOR_MAX)] = ""
    policy: Policy = Field(
        default="open",
        description="open: anyone joins at once; request: an admin approves each request "
        "(requests expire after 14 days); private: by invitation only, and hidden from everyone "
        "else.",
    )


class MemberIn(Input):
    # Required, but asked for by the service after the group is found: a request about a group
    # the caller may not know of gets its 404 whatever its body.
    member: BodyId | None = Field(default=None, description="Required: the member's id.")


class GroupOut(Output):
    id: int
    name: str
    description: str
    sector: str
    policy: Policy
    created_at: datetime
    member_count: int
    my_standing: Standing | None = Field(
        description="Your place in the group: member, requested (waiting for an admin), "
        "invited (waiting for your answer), banned, or null."
    )
    my_role: Role | None = Field(description="Your role, when you are a member.")
    waiting_until: datetime | None = Field(
        description="When your request or your invitation expires, while it waits."
    )

    @classmethod
    def of(cls, view: GroupView) -> GroupOut:
        return cls.of_access(view.access, member_count=view.member_count)

    @classmethod
    def of_access(cls, access: GroupAccess, *, member_count: int) -> GroupOut:
        group, place = access.group, access.place
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            sector=group.sector,
            policy=group.policy,
            created_at=group.created_at,
            member_count=member_count,
            my_standing=access.standing,
            my_role=access.role,
            waiting_until=place.expires_at if place is not None else None,
        )


class GroupPage(Output):
    items: list[GroupOut]
    next_cursor: str | None


class JoinOut(Output):
    status: Literal["member", "requested"] = Field(
        description="member: you are in; requested: an admin will answer your request."
    )
    group: GroupOut


class GroupMemberOut(MemberSummary):
    role: Role
    standing: Standing
    since: datetime = Field(description="When they joined, asked, were invited or banned.")
    expires_at: datetime | None = Field(description="For a request or an invitation.")

    @classmethod
    def of_place(cls, view: PlaceView) -> GroupMemberOut:
        place = view.place
        return cls(
            **MemberSummary.of(view.member).model_dump(),
            role=place.role,
            standing=place.standing,
            since=place.changed_at,
            expires_at=place.expires_at,
        )


class GroupMemberPage(Output):
    items: list[GroupMemberOut]
    next_cursor: str | None


class GroupRefOut(Output):
    """A group two members share, to link to."""

    id: int
    name: str

    @classmethod
    def of(cls, ref: GroupRef) -> GroupRefOut:
        return cls(id=ref.id, name=ref.name)
