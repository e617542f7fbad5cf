"""Network pages: invitations to answer and those you sent, your connections with their private
tiers and notes, others' connections and the ones you share, inviting and blocking from a
profile, blocked members, network privacy, notifications.

Every change is a small form post answered with a redirect; a refusal from the service is shown
on the page it came from, with its status, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.network import service
from vinculo.network.models import CONNECTION_NOTE_MAX, NOTE_MAX
from vinculo.network.schemas import ConnectionUpdate, InvitationIn, NetworkSettingsUpdate
from vinculo.network.service import InvitationView, Link
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.profiles import service as profiles
from vinculo.profiles.service import MemberView
from vinculo.schemas import PathId
from vinculo.suggestions.pages import ON_MY_NETWORK as SUGGESTIONS_ON_MY_NETWORK
from vinculo.suggestions.pages import invite_link, suggestions_on
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.security import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

T = TypeVar("T")
InvitationAction = Literal["accept", "ignore", "report", "withdraw"]
TierFilter = Literal["all", "close", "regular", "occasional"]

_ANSWERS: dict[InvitationAction, tuple[Callable[..., InvitationView], str]] = {
    "accept": (service.accept_invitation, "accepted"),
    "ignore": (service.ignore_invitation, "ignored"),
    "report": (service.report_invitation, "reported"),
    "withdraw": (service.withdraw_invitation, "withdrawn"),
}


def _attempt(page: Page, action: Callable[[], T]) -> T | VinculoError:
    """Run a service call in a savepoint: when it refuses, whatever it wrote is undone and the
    refusal comes back to be shown on the page."""
    try:
        with page.db.begin_nested():
            return action()
    except VinculoError as error:
        return error


# My network: invitations


@dataclass(frozen=True)
class ReceivedInvitation:
    view: InvitationView
    sender: MemberView
    link: Link


@dataclass(frozen=True)
class SentInvitation:
    view: InvitationView
    recipient: MemberView


@router.get("/network")
def my_network(
    page: MemberPage, cursor: str | None = None, sent_cursor: str | None = None
) -> Response:
    return _render_network(page, cursor=cursor, sent_cursor=sent_cursor, errors={})


@router.post("/network/invitations/{invitation_id}/{action}")
def answer_invitation(
    invitation_id: PathId, action: InvitationAction, page: MemberPage, fields: FormFields
) -> Response:
    """Accept, ignore or report a received invitation, or withdraw a sent one."""
    answer, done = _ANSWERS[action]
    result = _attempt(page, lambda: answer(page.db, invitation_id=invitation_id, by=page.member))
    if isinstance(result, VinculoError):
        return _render_network(
            page,
            cursor=None,
            sent_cursor=None,
            errors=errors_of(result, gettext=page.gettext),
            status_code=result.status,
        )
    if fields.get("from") == "profile":
        other = result.sender if result.recipient.id == page.member.id else result.recipient
        return page.redirect(f"/members/{other.id}?done={done}")
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
    found = service.degrees(db, viewer=me, member_ids=[view.sender.id for view in received.items])
    return page.render(
        "network/index.html",
        status_code=status_code,
        received=[
            ReceivedInvitation(
                view,
                MemberView(view.sender, found[view.sender.id]),
                service.link_between(db, a=me.id, b=view.sender.id),
            )
            for view in received.items
        ],
        received_next=received.next_cursor,
        sent=[
            SentInvitation(view, recipient)
            for view, recipient in zip(
                sent.items,
                profiles.views_of(db, viewer=me, members=[view.recipient for view in sent.items]),
                strict=True,
            )
        ],
        sent_next=sent.next_cursor,
        cursor=cursor,
        counts=service.invitation_counts(db, member=me),
        suggestions=suggestions_on(page, limit=SUGGESTIONS_ON_MY_NETWORK),
        invite_link=invite_link,
        connections=service.connection_count(db, member_id=me.id),
        blocked=len(service.blocked_members(db, member=me)),
        done=page.request.query_params.get("done"),
        errors=errors,
    )


# My connections


@router.get("/network/connections")
def my_connections(
    page: MemberPage, tier: TierFilter = "all", cursor: str | None = None
) -> Response:
    connections = service.connections_of(
        page.db,
        viewer=page.member,
        member_id=page.member.id,
        tier=None if tier == "all" else tier,
        cursor=cursor,
        limit=DEFAULT_LIMIT,
    )
    return page.render(
        "network/connections.html",
        connections=connections,
        tier=tier,
        cursor=cursor,
        total=service.connection_count(page.db, member_id=page.member.id),
        note_max=CONNECTION_NOTE_MAX,
        done=page.request.query_params.get("done"),
    )


@router.get("/network/connections/{member_id}")
def connection_page(member_id: PathId, page: MemberPage) -> Response:
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    return _render_connection(page, view=view, values={}, errors={})


@router.post("/network/connections/{member_id}")
def update_connection(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    """Save your private tier or note for a connection, then go back to where you were."""
    update, errors = parse_form(
        ConnectionUpdate, fields, gettext=page.gettext, only=("tier", "note")
    )
    if update is not None:
        service.update_connection(
            page.db, member=page.member, other_id=member_id, tier=update.tier, note=update.note
        )
        return page.redirect(_back_to_list(fields, anchor=member_id))
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    return _render_connection(page, view=view, values=fields, errors=errors, status_code=422)


def _back_to_list(fields: Mapping[str, str], *, anchor: int) -> str:
    """The list the form was on: its tier filter and page, kept through hidden fields."""
    query: dict[str, str] = {"done": "saved"}
    if fields.get("filter") in ("close", "regular", "occasional"):
        query["tier"] = fields["filter"]
    if fields.get("cursor"):
        query["cursor"] = fields["cursor"]
    return f"/network/connections?{urlencode(query)}#connection-{anchor}"


def _render_connection(
    page: Page,
    *,
    view: service.ConnectionView,
    values: Mapping[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return page.render(
        "network/connection.html",
        status_code=status_code,
        view=view,
        values=values,
        errors=errors,
        note_max=CONNECTION_NOTE_MAX,
    )


@router.get("/network/connections/{member_id}/remove")
def remove_connection_form(member_id: PathId, page: MemberPage) -> Response:
    view = service.connection_with(page.db, member=page.member, other_id=member_id)
    came_from = "profile" if page.request.query_params.get("from") == "profile" else "list"
    return page.render("network/remove.html", view=view, came_from=came_from)


@router.post("/network/connections/{member_id}/remove")
def remove_connection(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    service.remove_connection(page.db, member=page.member, other_id=member_id)
    if fields.get("from") == "profile":
        return page.redirect(f"/members/{member_id}?done=removed")
    return page.redirect("/network/connections?done=removed")


# Another member's connections, and the ones you share


@router.get("/members/{member_id}/connections")
def member_connections(member_id: PathId, page: MemberPage, cursor: str | None = None) -> Response:
    if member_id == page.member.id:
        return page.redirect("/network/connections")
    member = profiles.access_member(page.db, viewer=page.member, member_id=member_id)
    connections = service.connections_of(
        page.db, viewer=page.member, member_id=member.id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "network/member_connections.html",
        member=member,
        connections=connections,
        total=service.connection_count(page.db, member_id=member.id),
    )


@router.get("/members/{member_id}/mutual")
def mutual_connections(member_id: PathId, page: MemberPage, cursor: str | None = None) -> Response:
    if member_id == page.member.id:
        return page.redirect("/network/connections")
    member = profiles.access_member(page.db, viewer=page.member, member_id=member_id)
    count, mutual = service.mutual_connections(
        page.db, viewer=page.member, member_id=member.id, cursor=cursor, limit=DEFAULT_LIMIT
    )
    return page.render(
        "network/mutual.html",
        member=member,
        count=count,
        mutual=[MemberView(other, 1) for other in mutual.items],
        next_cursor=mutual.next_cursor,
    )


# The wider network


@router.get("/network/second-degree")
def second_degree(page: MemberPage, cursor: str | None = None) -> Response:
    """Members your connections know and you do not yet, those you share the most with first,
    with a few of the connections you share by name."""
    count, members = service.second_degree_network(
        page.db, viewer=page.member, cursor=cursor, limit=DEFAULT_LIMIT
    )
    samples = service.mutual_samples(
        page.db,
        viewer_id=page.member.id,
        member_ids=[row.member.id for row in members.items],
        sample=2,
    )
    rows = [
        (MemberView(row.member, 2), row.mutual_count, samples[row.member.id])
        for row in members.items
    ]
    return page.render(
        "network/second_degree.html", count=count, rows=rows, next_cursor=members.next_cursor
    )


# Inviting from a profile


@router.get("/members/{member_id}/invite")
def invite_form(member_id: PathId, page: MemberPage, note: str = "") -> Response:
    """The invitation form; `note` fills it in (a suggestion's note that states the link)."""
    relationship = service.relationship_with(page.db, viewer=page.member, member_id=member_id)
    if member_id == page.member.id or relationship.state != "none":
        return page.redirect(f"/members/{member_id}")
    values = {"note": note[:NOTE_MAX]} if note else {}
    return _render_invite(page, member_id=member_id, values=values, errors={})


@router.post("/members/{member_id}/invite")
def invite(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    form = {"to": str(member_id), "note": fields.get("note", ""), "email": fields.get("email", "")}
    invitation, errors = parse_form(
        InvitationIn, form, gettext=page.gettext, blank_is_null=("email",)
    )
    if invitation is None:
        return _render_invite(
            page, member_id=member_id, values=fields, errors=errors, status_code=422
        )
    result = _attempt(
        page,
        lambda: service.send_invitation(
            page.db,
            sender=page.member,
            to=member_id,
            note=invitation.note,
            email=invitation.email,
        ),
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
    member = profiles.access_member(page.db, viewer=page.member, member_id=member_id)
    degree = service.degrees(page.db, viewer=page.member, member_ids=[member.id])[member.id]
    return page.render(
        "network/invite.html",
        status_code=status_code,
        person=MemberView(member, degree),
        link=service.link_between(page.db, a=page.member.id, b=member.id),
        values=values,
        errors=errors,
        note_max=NOTE_MAX,
    )


# Blocking


@router.get("/members/{member_id}/block")
def block_form(member_id: PathId, page: MemberPage) -> Response:
    if member_id == page.member.id:
        return page.redirect(f"/members/{member_id}")
    member = profiles.access_member(page.db, viewer=page.member, member_id=member_id)
    return page.render("network/block.html", member=member)


@router.post("/members/{member_id}/block")
def block(member_id: PathId, page: MemberPage) -> Response:
    service.block_member(page.db, blocker=page.member, blocked_id=member_id)
    return page.redirect("/network/blocked?done=blocked")


@router.get("/network/blocked")
def blocked_members(page: MemberPage) -> Response:
    return page.render(
        "network/blocked.html",
        blocked=service.blocked_members(page.db, member=page.member),
        done=page.request.query_params.get("done"),
    )


@router.post("/network/blocked/{member_id}/unblock")
def unblock(member_id: PathId, page: MemberPage) -> Response:
    service.unblock_member(page.db, blocker=page.member, blocked_id=member_id)
    return page.redirect("/network/blocked?done=unblocked")


# Privacy


@router.get("/settings/privacy")
def privacy_form(page: MemberPage) -> Response:
    settings = service.network_settings(page.db, member=page.member)
    values = {
        "who_can_invite": settings.who_can_invite,
        "connections_visible_to": settings.connections_visible_to,
    }
    return page.render(
        "network/privacy.html",
        values=values,
        errors={},
        saved=page.request.query_params.get("saved") == "1",
    )


@router.post("/settings/privacy")
def save_privacy(page: MemberPage, fields: FormFields) -> Response:
    update, errors = parse_form(
        NetworkSettingsUpdate,
        fields,
        gettext=page.gettext,
        only=("who_can_invite", "connections_visible_to"),
    )
    if update is not None:
        service.update_network_settings(
            page.db,
            member=page.member,
            who_can_invite=update.who_can_invite,
            connections_visible_to=update.connections_visible_to,
        )
        return page.redirect("/settings/privacy?saved=1")
    return page.render(
        "network/privacy.html", status_code=422, values=fields, errors=errors, saved=False
    )


# Notifications


@router.get("/notifications")
def notifications(page: MemberPage, cursor: str | None = None) -> Response:
    """Newest first. Reading them is a GET, which writes nothing: "Mark all read" is a post."""
    found = service.notifications_of(
        page.db, member=page.member, cursor=cursor, limit=DEFAULT_LIMIT
    )
    actors = profiles.views_of(
        page.db, viewer=page.member, members=[view.actor for view in found.items]
    )
    return page.render(
        "network/notifications.html",
        notifications=list(zip(found.items, actors, strict=True)),
        next_cursor=found.next_cursor,
    )


@router.post("/notifications/read")
def mark_notifications_read(page: MemberPage) -> Response:
    service.mark_notifications_read(page.db, member=page.member)
    return page.redirect("/notifications")
