"""The invitations API: send, list, answer and withdraw invitations. Routes and statuses follow
the interface contract."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from vinculo.invitations import service
from vinculo.invitations.schemas import InvitationIn, InvitationOut, InvitationPage
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["invitations"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
def send_invitation(body: InvitationIn, me: ApiMember, db: DbSession) -> InvitationOut:
    """Invite a member to connect. When they had already invited you, you connect at once and
    the invitation comes back "accepted"."""
    view = service.send_invitation(db, sender=me, to=body.to, note=body.note, email=body.email)
    return InvitationOut.of(view)


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
        items=[InvitationOut.of(view) for view in page.items], next_cursor=page.next_cursor
    )


@router.get("/invitations/{invitation_id}")
def get_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return InvitationOut.of(service.invitation_of(db, invitation_id=invitation_id, viewer=me))


@router.post("/invitations/{invitation_id}/accept")
def accept_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return InvitationOut.of(service.accept_invitation(db, invitation_id=invitation_id, by=me))


@router.post("/invitations/{invitation_id}/ignore")
def ignore_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """Decline silently: the sender keeps seeing "pending" until the invitation expires."""
    return InvitationOut.of(service.ignore_invitation(db, invitation_id=invitation_id, by=me))


@router.post("/invitations/{invitation_id}/withdraw")
def withdraw_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return InvitationOut.of(service.withdraw_invitation(db, invitation_id=invitation_id, by=me))


@router.post("/invitations/{invitation_id}/report")
def report_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """ "I don't know this person": ignores the invitation and counts against the sender."""
    return InvitationOut.of(service.report_invitation(db, invitation_id=invitation_id, by=me))
