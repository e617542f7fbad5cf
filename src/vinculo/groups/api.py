"""The groups API: create a group, find groups and list yours, join (or ask to, or accept an
invitation), leave; for admins, the requests, invitations, removals and bans; for the owner, the
admins and handing the group over. Routes and statuses follow the interface contract: a group
the caller may not know of is 404 (a private group to a non-member); an admin's action asked for
by a member who is not one, or not allowed by their role, is 403; a wrong state is 409."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vinculo.groups import service
from vinculo.groups.schemas import (
    GroupIn,
    GroupMemberOut,
    GroupMemberPage,
    GroupOut,
    GroupPage,
    JoinOut,
    MemberIn,
)
from vinculo.groups.service import GroupsBox, PlacesBox
from vinculo.identity.models import Member
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["groups"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
# Documented only: the service refuses a NUL with its own message.
SearchText = Annotated[str, Query(max_length=200, json_schema_extra={"pattern": "^[^\\u0000]*$"})]


@router.post("/groups", status_code=status.HTTP_201_CREATED)
def create_group(body: GroupIn, me: ApiMember, db: DbSession) -> GroupOut:
    """Create a group; you are its owner."""
    access = service.create_group(
        db,
        creator=me,
        name=body.name,
        description=body.description,
        sector=body.sector,
        policy=body.policy,
    )
    return GroupOut.of_access(access, member_count=1)


@router.get("/groups")
def list_groups(
    *,
    me: ApiMember,
    db: DbSession,
    q: SearchText = "",
    sector: SearchText = "",
    mine: Annotated[bool, Query(description="Only the groups you are in.")] = False,
    standing: Annotated[
        GroupsBox | None,
        Query(
            description="Only the groups where you are a member, where your request waits, or "
            "whose invitation waits for your answer."
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupPage:
    """Groups by name: those whose name and sector hold these words (in any case, with or
    without accents), private groups only for their members and those invited; each with its
    number of members and your place in it."""
    page = service.groups_for(
        db,
        viewer=me,
        q=q,
        sector=sector,
        standing="member" if mine else standing,
        cursor=cursor,
        limit=limit,
    )
    return GroupPage(items=[GroupOut.of(view) for view in page.items], next_cursor=page.next_cursor)


@router.get("/groups/{group_id}")
def get_group(group_id: PathId, me: ApiMember, db: DbSession) -> GroupOut:
    """A group, with your place in it. A private group is 404 to all but its members and the
    members invited to it."""
    return GroupOut.of(service.group_of(db, group_id=group_id, viewer=me))


@router.post("/groups/{group_id}/join")
def join_group(group_id: PathId, me: ApiMember, db: DbSession) -> JoinOut:
    """Join an open group, ask to join a group by request (its admins answer), or accept your
    invitation to any group. Joining again changes nothing; a banned member gets 403."""
    access = service.join_group(db, group_id=group_id, by=me)
    view = service.group_of(db, group_id=access.group.id, viewer=me)
    return JoinOut(status="member" if access.is_member else "requested", group=GroupOut.of(view))


@router.post("/groups/{group_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
def leave_group(group_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """Leave the group, withdraw your request, or decline your invitation. The owner hands the
    group over first (409)."""
    service.leave_group(db, group_id=group_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _places(
    db: DbSession,
    me: Member,
    group_id: int,
    standing: PlacesBox,
    cursor: str | None,
    limit: int,
) -> GroupMemberPage:
    page = service.places_in(
        db, group_id=group_id, viewer=me, standing=standing, cursor=cursor, limit=limit
    )
    return GroupMemberPage(
        items=[GroupMemberOut.of_place(view) for view in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/groups/{group_id}/members")
def list_members(
    group_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupMemberPage:
    """The group's members: the owner, the admins, then everyone by name, each with their degree
    from you and the connections you share."""
    return _places(db, me, group_id, "member", cursor, limit)


@router.delete("/groups/{group_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(group_id: PathId, member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """(Admins) Remove a member, who may join again. Only the owner removes an admin."""
    service.remove_member(db, group_id=group_id, member_id=member_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/groups/{group_id}/requests")
def list_requests(
    group_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupMemberPage:
    """(Admins) The requests to join waiting for an answer."""
    return _places(db, me, group_id, "requested", cursor, limit)


@router.post("/groups/{group_id}/requests/{member_id}/approve")
def approve_request(
    group_id: PathId, member_id: PathId, me: ApiMember, db: DbSession
) -> GroupMemberOut:
    """(Admins) Let the member in; they are told."""
    view = service.approve_request(db, group_id=group_id, member_id=member_id, by=me)
    return GroupMemberOut.of_place(view)


@router.post(
    "/groups/{group_id}/requests/{member_id}/decline", status_code=status.HTTP_204_NO_CONTENT
)
def decline_request(group_id: PathId, member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """(Admins) Turn the request down, silently; the member may ask again."""
    service.decline_request(db, group_id=group_id, member_id=member_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/groups/{group_id}/invitations")
def list_invitations(
    group_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupMemberPage:
    """(Admins) The invitations waiting for an answer."""
    return _places(db, me, group_id, "invited", cursor, limit)


@router.post("/groups/{group_id}/invitations", status_code=status.HTTP_201_CREATED)
def invite_member(group_id: PathId, body: MemberIn, me: ApiMember, db: DbSession) -> GroupMemberOut:
    """(Admins) Invite a member; they are told, and join or decline. A member whose request was
    waiting is let in at once; a banned member cannot be invited (409)."""
    view = service.invite_to_group(db, group_id=group_id, member_id=body.member, by=me)
    return GroupMemberOut.of_place(view)


@router.get("/groups/{group_id}/bans")
def list_bans(
    group_id: PathId,
    me: ApiMember,
    db: DbSession,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupMemberPage:
    """(Admins) The members banned from the group."""
    return _places(db, me, group_id, "banned", cursor, limit)


@router.post("/groups/{group_id}/bans", status_code=status.HTTP_201_CREATED)
def ban_member(group_id: PathId, body: MemberIn, me: ApiMember, db: DbSession) -> GroupMemberOut:
    """(Admins) Ban a member: out of the group, and unable to join or be invited again until
    unbanned. Only the owner bans an admin; the owner cannot be banned."""
    view = service.ban_member(db, group_id=group_id, member_id=body.member, by=me)
    return GroupMemberOut.of_place(view)


@router.delete("/groups/{group_id}/bans/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def unban_member(group_id: PathId, member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """(Admins) Lift a ban."""
    service.unban_member(db, group_id=group_id, member_id=member_id, by=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/groups/{group_id}/admins")
def make_admin(group_id: PathId, body: MemberIn, me: ApiMember, db: DbSession) -> GroupMemberOut:
    """(Owner) Make a member an admin."""
    view = service.set_admin(db, group_id=group_id, member_id=body.member, by=me, admin=True)
    return GroupMemberOut.of_place(view)


@router.delete("/groups/{group_id}/admins/{member_id}")
def unmake_admin(
    group_id: PathId, member_id: PathId, me: ApiMember, db: DbSession
) -> GroupMemberOut:
    """(Owner) Make an admin a plain member again."""
    view = service.set_admin(db, group_id=group_id, member_id=member_id, by=me, admin=False)
    return GroupMemberOut.of_place(view)


@router.post("/groups/{group_id}/transfer")
def transfer_ownership(group_id: PathId, body: MemberIn, me: ApiMember, db: DbSession) -> GroupOut:
    """(Owner) Hand the group over to one of its members, who becomes its owner; you stay on as
    an admin."""
    service.transfer_ownership(db, group_id=group_id, member_id=body.member, by=me)
    return GroupOut.of(service.group_of(db, group_id=group_id, viewer=me))
