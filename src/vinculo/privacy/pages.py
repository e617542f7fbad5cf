"""Privacy pages: blocking a member from their profile, the members you blocked, and your
privacy settings (who can invite you, who sees your connections)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.privacy import service
from vinculo.privacy.api import ENDED_BY_A_BLOCK
from vinculo.privacy.schemas import NetworkSettingsUpdate
from vinculo.schemas import PathId
from vinculo.web.deps import MemberPage
from vinculo.web.forms import FormFields, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/members/{member_id}/block")
def block_form(member_id: PathId, page: MemberPage) -> Response:
    if member_id == page.member.id:
        return page.redirect(f"/members/{member_id}")
    member = service.access_member(page.db, viewer=page.member, member_id=member_id)
    return page.render("privacy/block.html", member=member)


@router.post("/members/{member_id}/block")
def block(member_id: PathId, page: MemberPage) -> Response:
    service.block_member(
        page.db, blocker=page.member, blocked_id=member_id, ending=ENDED_BY_A_BLOCK
    )
    return page.redirect("/network/blocked?done=blocked")


@router.get("/network/blocked")
def blocked_members(page: MemberPage) -> Response:
    return page.render(
        "privacy/blocked.html",
        blocked=service.blocked_members(page.db, member=page.member),
        done=page.request.query_params.get("done"),
    )


@router.post("/network/blocked/{member_id}/unblock")
def unblock(member_id: PathId, page: MemberPage) -> Response:
    service.unblock_member(page.db, blocker=page.member, blocked_id=member_id)
    return page.redirect("/network/blocked?done=unblocked")


@router.get("/settings/privacy")
def privacy_form(page: MemberPage) -> Response:
    settings = service.privacy_settings(page.db, member=page.member)
    values = {
        "who_can_invite": settings.who_can_invite,
        "connections_visible_to": settings.connections_visible_to,
    }
    return page.render(
        "privacy/settings.html",
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
        service.update_privacy_settings(
            page.db,
            member=page.member,
            who_can_invite=update.who_can_invite,
            connections_visible_to=update.connections_visible_to,
        )
        return page.redirect("/settings/privacy?saved=1")
    return page.render(
        "privacy/settings.html", status_code=422, values=fields, errors=errors, saved=False
    )
