"""Introduction pages: asking for an introduction from a member's profile (choosing who asks,
best first), the requests waiting for you (forward with a note, pass on, decline), the ones you
asked for (withdraw), and the ones you answered.

Every change is a small form post answered with a redirect; a refusal from the service is shown
on the page it came from, with its status, and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.introductions import service
from vinculo.introductions.models import MESSAGE_MAX, NOTE_MAX
from vinculo.introductions.reasons import explain
from vinculo.introductions.schemas import ForwardIn, IntroductionIn, PassIn
from vinculo.introductions.service import Box, IntroductionView
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.schemas import Cursor, PathId
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

BOXES: tuple[Box, ...] = ("to_forward", "sent", "handled")


@router.get("/introductions")
def introductions(page: MemberPage, box: Box | None = None, cursor: Cursor = None) -> Response:
    """The requests waiting for you when there are some, else those you asked for."""
    if box is None:
        box = "to_forward" if service.waiting_count(page.db, member=page.member) else "sent"
    return _render(page, box=box, cursor=cursor, errors={})


def _render(
    page: Page,
    *,
    box: Box,
    cursor: str | None,
    errors: dict[str, str],
    status_code: int = 200,
    values: Mapping[str, str] | None = None,
) -> Response:
    db, me = page.db, page.member
    found = service.introductions_of(db, member=me, box=box, cursor=cursor, limit=DEFAULT_LIMIT)
    # For the requests the viewer cannot forward themselves: whom they may pass them on to.
    passing = {
        view.introduction.id: [
            (c, explain(c, target_name=view.target.member.name, locale=page.locale))
            for c in service.pass_candidates(db, introduction_id=view.introduction.id, viewer=me)
        ]
        for view in found.items
        if view.waits_for_viewer and view.role == "introducer" and view.target.degree != 1
    }
    return page.render(
        "introductions/index.html",
        status_code=status_code,
        box=box,
        boxes=BOXES,
        items=found.items,
        next_cursor=found.next_cursor,
        waiting=service.waiting_count(db, member=me),
        passing=passing,
        note_max=NOTE_MAX,
        done=page.request.query_params.get("done"),
        errors=errors,
        values=values or {},
    )


IntroductionAction = Literal["forward", "pass", "decline", "withdraw"]


@router.post("/introductions/{introduction_id}/{action}")
def act(
    introduction_id: PathId, action: IntroductionAction, page: MemberPage, fields: FormFields
) -> Response:
    """Forward (with a note), pass on, decline, or withdraw an introduction."""
    box: Box = "sent" if action == "withdraw" else "to_forward"
    db, me = page.db, page.member
    errors: dict[str, str] = {}
    result: IntroductionView | VinculoError | None = None
    if action == "forward":
        forward, errors = parse_form(
            ForwardIn, {"note": fields.get("note", "")}, gettext=page.gettext
        )
        if forward is not None:
            result = page.attempt(
                lambda: service.forward_introduction(
                    db, introduction_id=introduction_id, by=me, note=forward.note
                )
            )
    elif action == "pass":
        form: dict[str, str | int] = {
            "to": _as_id(fields.get("to", "")),
            "note": fields.get("note", ""),
        }
        passed, errors = parse_form(PassIn, form, gettext=page.gettext)
        if passed is not None:
            result = page.attempt(
                lambda: service.pass_introduction(
                    db, introduction_id=introduction_id, by=me, to=passed.to, note=passed.note
                )
            )
    elif action == "decline":
        result = page.attempt(
            lambda: service.decline_introduction(db, introduction_id=introduction_id, by=me)
        )
    else:
        result = page.attempt(
            lambda: service.withdraw_introduction(db, introduction_id=introduction_id, by=me)
        )
    if isinstance(result, VinculoError):
        errors = errors_of(result, gettext=page.gettext)
        response = _render(
            page, box=box, cursor=None, errors=errors, status_code=result.status, values=fields
        )
        response.headers.update(result.headers)
        return response
    if result is None:
        return _render(page, box=box, cursor=None, errors=errors, status_code=422, values=fields)
    done = {"forward": "forwarded", "pass": "passed", "decline": "declined"}.get(
        action, "withdrawn"
    )
    return page.redirect(f"/introductions?box={box}&done={done}")


def _as_id(value: str) -> str | int:
    """A form's member id: an integer when it is one, else as typed (the schema refuses it)."""
    return int(value) if value.isdigit() and len(value) < 19 else value


# Asking, from a member's profile


@router.get("/members/{member_id}/introduce")
def introduce_form(member_id: PathId, page: MemberPage, via: str = "") -> Response:
    return _render_ask(page, member_id=member_id, values={"via": via}, errors={})


@router.post("/members/{member_id}/introduce")
def introduce(member_id: PathId, page: MemberPage, fields: FormFields) -> Response:
    form: dict[str, str | int] = {
        "target": member_id,
        "via": _as_id(fields.get("via", "")),
        "message": fields.get("message", ""),
    }
    asked, errors = parse_form(IntroductionIn, form, gettext=page.gettext)
    if asked is None:
        return _render_ask(page, member_id=member_id, values=fields, errors=errors, status=422)
    result = page.attempt(
        lambda: service.request_introduction(
            page.db,
            requester=page.member,
            target_id=member_id,
            via=asked.via,
            message=asked.message,
        )
    )
    if isinstance(result, VinculoError):
        response = _render_ask(
            page,
            member_id=member_id,
            values=fields,
            errors=errors_of(result, gettext=page.gettext),
            status=result.status,
        )
        response.headers.update(result.headers)
        return response
    return page.redirect("/introductions?box=sent&done=requested")


def _render_ask(
    page: Page,
    *,
    member_id: int,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    choice = service.introducers_for(page.db, viewer=page.member, member_id=member_id)
    name = choice.target.member.name
    candidates = [(c, explain(c, target_name=name, locale=page.locale)) for c in choice.candidates]
    chosen = values.get("via") or (str(candidates[0][0].member.id) if candidates else "")
    return page.render(
        "introductions/ask.html",
        status_code=status,
        person=choice.target,
        candidates=candidates,
        two_hops=choice.two_hops,
        chosen=chosen,
        values=values,
        errors=errors,
        message_max=MESSAGE_MAX,
    )
