"""Invitation pages: My network (the invitations waiting for you and those you sent, with people
you should know and your network at a glance), answering and withdrawing, and inviting a member
from their profile.

Every change is a small form post answered with a redirect; a refusal from the service is shown
on the page it came from, with its status, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.groups import service as groups
from vinculo.introductions import service as introductions
from vinculo.invitations import service
from vinculo.invitations.links import link_between
from vinculo.invitations.models import NOTE_MAX
from vinculo.invitations.relationship import relationship_with
from vinculo.invitations.schemas import InvitationIn
from vinculo.invitations.service import InvitationView
from vinculo.network import degrees
from vinculo.network import service as network
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.privacy import service as privacy
from vinculo.schemas import Cursor, PathId
from vinculo.suggestions.pages import ON_MY_NETWORK as SUGGESTIONS_ON_MY_NETWORK
from vinculo.suggestions.pages import invite_link, suggestions_on
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

InvitationAction = Literal["accept", "ignore", "report", "withdraw"]

_ANSWERS: dict[InvitationAction, tuple[Callable[..., InvitationView], str]] = {
    "accept": (service.accept_invitation, "accepted"),
    "ignore": (service.ignore_invitation, "ignored"),
    "report": (service.report_invitation, "reported"),
    "withdraw": (service.withdraw_invitation, "withdrawn"),
}


@router.get("/network")
def my_network(page: MemberPage, cursor: Cursor = None, sent_cursor: Cursor = None) -> Response:
    return _render_network(page, cursor=cursor, sent_cursor=sent_cursor, errors={})


@router.post("/network/invitations/{invitation_id}/{action}")
def answer_invitation(
    invitation_id: PathId, action: InvitationAction, page: MemberPage, fields: FormFields
) -> Response:
    """Accept, ignore or report a received invitation, or withdraw a sent one."""
    answer, done = _ANSWERS[action]
    result = page.attempt(lambda: answer(page.db, invitation_id=invitation_id, by=page.member))
    if isinstance(result, VinculoError):
        return _render_network(
            page,
            cursor=None,
            sent_cursor=None,
            errors=errors_of(result, gettext=page.gettext),
            status_code=result.status,
        )
    if fields.get("from") == "profile":
        return page.redirect(f"/members/{result.other(page.member).member.id}?done={done}")
    return page.redirect(f"/network?done={done}")


def _render_network(
    page: Page,
    *,
    cursor: str | None,
    sent_cursor: str | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    db, me = page.db, page.member
    received = service.invitations_of(
        db, member=me, box="received", cursor=cursor, limit=DEFAULT_LIMIT
    )
    sent = service.invitations_of(
        db, member=me, box="sent", cursor=sent_cursor, limit=DEFAULT_LIMIT
    )
    introduced = [i.invitation.id for i in received.items if i.invitation.introducer_id]
    senders = {i.invitation.sender_id for i in received.items}
    return page.render(
        "invitations/index.html",
        shared_groups=groups.shared_groups(db, member=me, others=senders) if senders else {},
        introductions=(
            introductions.cards_for_invitations(db, viewer=me, invitation_ids=introduced)
            if introduced
            else {}
        ),
        status_code=status_code,
        received=received.items,
        received_next=received.next_cursor,
        sent=sent.items,
        sent_next=sent.next_cursor,
        cursor=cursor,
        counts=service.invitation_counts(db, member=me),
        suggestions=suggestions_on(page, limit=SUGGESTIONS_ON_MY_NETWORK),
        invite_link=invite_link,
        connections=network.connection_count(db, member=me),
        blocked=len(privacy.blocked_members(db, member=me)),
        done=page.request.query_params.get("done"),
        errors=errors,
    )


# Inviting from a profile


@router.get("/members/{member_id}/invite")
def invite_form(member_id: PathId, page: MemberPage, note: str = "") -> Response:
    """The invitation form; `note` fills it in (a suggestion's note that states the link)."""
    relationship = relationship_with(page.db, viewer=page.member, member_id=member_id)
    if member_id == page.member.id or relationship.state != "none":
        return page.redirect(f"/members/{member_id}")
    values = {"note": note[:NOTE_MAX]} if note else {}
    return _render_invite(page, member_id=member_id, values=values, errors={})


@router.post("/members/{member_id}/invite")
def invite(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    form: dict[str, str | int] = {
        "to": member_id,
        "note": fields.get("note", ""),
        "email": fields.get("email", ""),
    }
    invitation, errors = parse_form(
        InvitationIn, form, gettext=page.gettext, blank_is_null=("email",)
    )
    if invitation is None:
        return _render_invite(
            page, member_id=member_id, values=fields, errors=errors, status_code=422
        )
    result = page.attempt(
        lambda: service.send_invitation(
            page.db,
            sender=page.member,
            to=member_id,
            note=invitation.note,
            email=invitation.email,
        )
    )
    if isinstance(result, VinculoError):
        response = _render_invite(
            page,
            member_id=member_id,
            values=fields,
            errors=errors_of(result, gettext=page.gettext),
            status_code=result.status,
        )
        response.headers.update(result.headers)
        return response
    done = "connected" if result.status == "accepted" else "sent"
    return page.redirect(f"/members/{member_id}?done={done}")


def _render_invite(
    page: Page,
    *,
    member_id: int,
    values: Mapping[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    member = privacy.access_member(page.db, viewer=page.member, member_id=member_id)
    return page.render(
        "invitations/invite.html",
        status_code=status_code,
        person=degrees.view_of(page.db, viewer=page.member, member=member),
        link=link_between(page.db, viewer=page.member, other_id=member.id),
        shared_groups=groups.shared_groups(page.db, member=page.member, others=[member.id]).get(
            member.id, []
        ),
        values=values,
        errors=errors,
        note_max=NOTE_MAX,
    )
