"""The network API: invitations, connections, mutual connections, blocks, privacy settings and
notifications. Routes and statuses follow the interface contract."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from vinculo.identity.models import Member
from vinculo.network import service
from vinculo.network.schemas import (
    BlockedOut,
    BlockedPage,
    BlockIn,
    ConnectionOut,
    ConnectionPage,
    ConnectionUpdate,
    InvitationIn,
    InvitationOut,
    InvitationPage,
    MutualConnectionsPage,
    NetworkSettingsOut,
    NetworkSettingsUpdate,
    NotificationOut,
    NotificationPage,
    PathOut,
    SecondDegreePage,
)
from vinculo.network.service import InvitationView
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.profiles.schemas import MemberSummary
from vinculo.profiles.service import MemberView, views_of
from vinculo.schemas import PROBLEM_RESPONSES, PathId
from vinculo.web.deps import ApiMember, DbSession

router = APIRouter(tags=["network"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _out(
    db: Session,
    me: Member,
    view: InvitationView,
    *,
    with_link: bool = False,
    just_connected: bool = False,
) -> InvitationOut:
    other = view.sender if view.recipient.id == me.id else view.recipient
    found = service.degrees(db, viewer=me, member_ids=[view.sender.id, view.recipient.id])
    if just_connected:
        # The graph index learns of the new connection when this request commits: after this.
        found[other.id] = 1
    link = service.link_between(db, a=me.id, b=other.id) if with_link else None
    return InvitationOut.of(view, degrees=found, link=link)


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
def send_invitation(body: InvitationIn, me: ApiMember, db: DbSession) -> InvitationOut:
    """Invite a member to connect. When they had already invited you, you connect at once and
    the invitation comes back "accepted"."""
    view = service.send_invitation(db, sender=me, to=body.to, note=body.note, email=body.email)
    return _out(db, me, view, just_connected=view.status == "accepted")


@router.get("/invitations")
def list_invitations(
    me: ApiMember,
    db: DbSession,
    box: Literal["received", "sent"] = "received",
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> InvitationPage:
    """Received invitations waiting for your answer (with what you share with each sender), or
    every invitation you sent, newest first."""
    page = service.invitations_of(db, member=me, box=box, cursor=cursor, limit=limit)
    return InvitationPage(
        items=[_out(db, me, view, with_link=box == "received") for view in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/invitations/{invitation_id}")
def get_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    view = service.invitation_of(db, invitation_id=invitation_id, viewer=me)
    return _out(db, me, view, with_link=view.recipient.id == me.id)


@router.post("/invitations/{invitation_id}/accept")
def accept_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    view = service.accept_invitation(db, invitation_id=invitation_id, by=me)
    return _out(db, me, view, just_connected=True)


@router.post("/invitations/{invitation_id}/ignore")
def ignore_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """Decline silently: the sender keeps seeing "pending" until the invitation expires."""
    return _out(db, me, service.ignore_invitation(db, invitation_id=invitation_id, by=me))


@router.post("/invitations/{invitation_id}/withdraw")
def withdraw_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return _out(db, me, service.withdraw_invitation(db, invitation_id=invitation_id, by=me))


@router.post("/invitations/{invitation_id}/report")
def report_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """ "I don't know this person": ignores the invitation and counts against the sender."""
    return _out(db, me, service.report_invitation(db, invitation_id=invitation_id, by=me))


@router.get("/members/{member_id}/connections")
def list_connections(
    member_id: PathId,
    me: ApiMember,
    db: DbSession,
    tier: Literal["close", "regular", "occasional"] | None = Query(
        default=None, description="Only in your own list: connections of this tier."
    ),
    cursor: str | None = None,
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
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> MutualConnectionsPage:
    count, page = service.mutual_connections(
        db, viewer=me, member_id=member_id, cursor=cursor, limit=limit
    )
    return MutualConnectionsPage(
        count=count,
        items=[MemberSummary.of(MemberView(member, 1)) for member in page.items],
        next_cursor=page.next_cursor,
    )


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


@router.get("/blocks")
def list_blocks(me: ApiMember, db: DbSession) -> BlockedPage:
    return BlockedPage(
        items=[
            BlockedOut(member=MemberSummary.of(MemberView(member, None)), blocked_at=blocked_at)
            for member, blocked_at in service.blocked_members(db, member=me)
        ]
    )


@router.post("/blocks", status_code=status.HTTP_201_CREATED)
def block_member(body: BlockIn, me: ApiMember, db: DbSession) -> BlockedOut:
    """Block a member: the connection ends, open invitations both ways are cancelled, and neither
    of you can find, view or invite the other."""
    blocked = service.block_member(db, blocker=me, blocked_id=body.member)
    blocked_at = next(
        at for member, at in service.blocked_members(db, member=me) if member.id == blocked.id
    )
    return BlockedOut(member=MemberSummary.of(MemberView(blocked, None)), blocked_at=blocked_at)


@router.delete("/blocks/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def unblock_member(member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    service.unblock_member(db, blocker=me, blocked_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/network/settings")
def get_network_settings(me: ApiMember, db: DbSession) -> NetworkSettingsOut:
    return NetworkSettingsOut.model_validate(service.network_settings(db, member=me))


@router.patch("/network/settings")
def update_network_settings(
    body: NetworkSettingsUpdate, me: ApiMember, db: DbSession
) -> NetworkSettingsOut:
    settings = service.update_network_settings(
        db,
        member=me,
        who_can_invite=body.who_can_invite,
        connections_visible_to=body.connections_visible_to,
    )
    return NetworkSettingsOut.model_validate(settings)


@router.get("/notifications")
def list_notifications(
    me: ApiMember, db: DbSession, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> NotificationPage:
    """Your notifications, newest first, with how many are unread."""
    page = service.notifications_of(db, member=me, cursor=cursor, limit=limit)
    actors = views_of(db, viewer=me, members=[view.actor for view in page.items])
    return NotificationPage(
        items=[
            NotificationOut.of(view, actor=actor)
            for view, actor in zip(page.items, actors, strict=True)
        ],
        next_cursor=page.next_cursor,
        unread=service.unread_notifications(db, member=me),
    )


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_notifications_read(me: ApiMember, db: DbSession) -> Response:
    service.mark_notifications_read(db, member=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/network/path/{member_id}")
def path_to_member(member_id: PathId, me: ApiMember, db: DbSession) -> PathOut:
    """How you reach a member: the degree and one shortest chain of connections from you to them
    (at most 6 steps; empty beyond)."""
    view = service.path_to(db, viewer=me, member_id=member_id)
    found = service.degrees(db, viewer=me, member_ids=[member.id for member in view.members])
    return PathOut(
        degree=view.degree,
        path=[MemberSummary.of(MemberView(member, found[member.id])) for member in view.members],
    )


@router.get("/network/second-degree")
def second_degree_network(
    me: ApiMember, db: DbSession, cursor: str | None = None, limit: Limit = DEFAULT_LIMIT
) -> SecondDegreePage:
    """Your 2nd-degree network: members connected to your connections but not to you, those
    sharing the most connections with you first."""
    count, page = service.second_degree_network(db, viewer=me, cursor=cursor, limit=limit)
    return SecondDegreePage(
        count=count,
        items=[MemberSummary.of(MemberView(row.member, 2, row.mutual_count)) for row in page.items],
        next_cursor=page.next_cursor,
    )
