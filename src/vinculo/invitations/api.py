"""The invitations API: send, list, answer and withdraw invitations. Routes and statuses follow
the interface contract."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from vinculo.groups import service as groups
from vinculo.identity.models import Member
from vinculo.introductions import service as introductions
from vinculo.invitations import service
from vinculo.invitations.schemas import InvitationIn, InvitationOut, InvitationPage
from vinculo.invitations.service import InvitationView
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["invitations"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _out(db: DbSession, views: list[InvitationView], *, viewer: Member) -> list[InvitationOut]:
    """The invitations, with what the introduction says of those that came from one (read only
    when there are such)."""
    introduced = [v.invitation.id for v in views if v.invitation.introducer_id is not None]
    cards = (
        introductions.cards_for_invitations(db, viewer=viewer, invitation_ids=introduced)
        if introduced
        else {}
    )
    # The groups the viewer shares with each sender of a received invitation: one query.
    senders = {v.invitation.sender_id for v in views if v.link is not None}
    shared = groups.shared_groups(db, member=viewer, others=senders) if senders else {}
    return [
        InvitationOut.of(
            view, cards.get(view.invitation.id), shared_groups=shared.get(view.invitation.sender_id)
        )
        for view in views
    ]


def _one(db: DbSession, view: InvitationView, *, viewer: Member) -> InvitationOut:
    return _out(db, [view], viewer=viewer)[0]


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
def send_invitation(body: InvitationIn, me: ApiMember, db: DbSession) -> InvitationOut:
    """Invite a member to connect. When they had already invited you, you connect at once and
    the invitation comes back "accepted"."""
    view = service.send_invitation(db, sender=me, to=body.to, note=body.note, email=body.email)
    return _one(db, view, viewer=me)


@router.get("/invitations")
def list_invitations(
    me: ApiMember,
    db: DbSession,
    box: Literal["received", "sent"] = "received",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> InvitationPage:
    """Received invitations waiting for your answer (with what you share with each sender), or
    every invitation you sent, newest first."""
    page = service.invitations_of(db, member=me, box=box, cursor=cursor, limit=limit)
    return InvitationPage(items=_out(db, list(page.items), viewer=me), next_cursor=page.next_cursor)


@router.get("/invitations/{invitation_id}")
def get_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return _one(db, service.invitation_of(db, invitation_id=invitation_id, viewer=me), viewer=me)


@router.post("/invitations/{invitation_id}/accept")
def accept_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return _one(db, service.accept_invitation(db, invitation_id=invitation_id, by=me), viewer=me)


@router.post("/invitations/{invitation_id}/ignore")
def ignore_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """Decline silently: the sender keeps seeing "pending" until the invitation expires."""
    return _one(db, service.ignore_invitation(db, invitation_id=invitation_id, by=me), viewer=me)


@router.post("/invitations/{invitation_id}/withdraw")
def withdraw_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    return _one(db, service.withdraw_invitation(db, invitation_id=invitation_id, by=me), viewer=me)


@router.post("/invitations/{invitation_id}/report")
def report_invitation(invitation_id: PathId, me: ApiMember, db: DbSession) -> InvitationOut:
    """ "I don't know this person": ignores the invitation and counts against the sender."""
    return _one(db, service.report_invitation(db, invitation_id=invitation_id, by=me), viewer=me)
