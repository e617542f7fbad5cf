"""The introductions API: ask a connection to introduce you, answer the requests you are asked
(forward, pass on, decline), withdraw yours, and see who could introduce you to a member. Routes
and statuses follow the interface contract: a wrong actor gets 404, a wrong state 409."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from vinculo.i18n import choose_locale
from vinculo.identity.models import Member
from vinculo.introductions import service
from vinculo.introductions.schemas import (
    ForwardIn,
    InsightOut,
    IntroducerOut,
    IntroducersPage,
    IntroductionIn,
    IntroductionOut,
    IntroductionPage,
    PassIn,
    candidates_out,
)
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, Output, PathId
from vinculo.settings import get_settings
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["introductions"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _locale(request: Request, me: Member) -> str:
    return choose_locale(
        preference=me.locale,
        cookie=None,
        accept_language=request.headers.get("accept-language"),
        default=get_settings().default_locale,
    )


@router.post("/introductions", status_code=status.HTTP_201_CREATED)
def request_introduction(body: IntroductionIn, me: ApiMember, db: DbSession) -> IntroductionOut:
    """Ask `via`, one of your connections, to introduce you to `target`. It counts towards
    your weekly invitations, and the invitation rules apply (cooldown, the target's "who can
    invite me")."""
    view = service.request_introduction(
        db, requester=me, target_id=body.target, via=body.via, message=body.message
    )
    return IntroductionOut.of(view)


@router.get("/introductions")
def list_introductions(
    me: ApiMember,
    db: DbSession,
    box: Literal["sent", "to_forward", "handled"] = "sent",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> IntroductionPage:
    """The introductions you asked for (sent), those waiting for your answer (to_forward), or
    those you answered (handled), newest first."""
    page = service.introductions_of(db, member=me, box=box, cursor=cursor, limit=limit)
    return IntroductionPage(
        items=[IntroductionOut.of(view) for view in page.items], next_cursor=page.next_cursor
    )


@router.get("/introductions/insight")
def introductions_insight(me: ApiMember, db: DbSession) -> InsightOut:
    """How many introductions were asked, forwarded and ended connected: yours as requester
    and as introducer, and the community's."""
    return InsightOut.of(service.insight(db, member=me))


@router.get("/introductions/{introduction_id}")
def get_introduction(introduction_id: PathId, me: ApiMember, db: DbSession) -> IntroductionOut:
    return IntroductionOut.of(
        service.introduction_of(db, introduction_id=introduction_id, viewer=me)
    )


@router.post("/introductions/{introduction_id}/forward")
def forward_introduction(
    introduction_id: PathId, me: ApiMember, db: DbSession, body: ForwardIn | None = None
) -> IntroductionOut:
    """Forward the request to its target with your note (the body may be left out): they
    receive an invitation from the requester, introduced by you."""
    note = body.note if body is not None else ""
    view = service.forward_introduction(db, introduction_id=introduction_id, by=me, note=note)
    return IntroductionOut.of(view)


@router.post("/introductions/{introduction_id}/pass")
def pass_introduction(
    introduction_id: PathId, body: PassIn, me: ApiMember, db: DbSession
) -> IntroductionOut:
    """Not connected to the target yourself: pass the request on, once, to one of your
    connections who is."""
    view = service.pass_introduction(
        db, introduction_id=introduction_id, by=me, to=body.to, note=body.note
    )
    return IntroductionOut.of(view)


class PassCandidatesOut(Output):
    items: list[IntroducerOut]


@router.get("/introductions/{introduction_id}/pass-candidates")
def pass_candidates(
    introduction_id: PathId, request: Request, me: ApiMember, db: DbSession
) -> PassCandidatesOut:
    """For the introducer: your connections who know the target, best first."""
    view = service.introduction_of(db, introduction_id=introduction_id, viewer=me)
    found = service.pass_candidates(db, introduction_id=introduction_id, viewer=me)
    return PassCandidatesOut(
        items=candidates_out(
            found, target_name=view.target.member.name, locale=_locale(request, me)
        )
    )


@router.post("/introductions/{introduction_id}/decline")
def decline_introduction(introduction_id: PathId, me: ApiMember, db: DbSession) -> IntroductionOut:
    """Decline to forward it: the requester is told it was not forwarded, without a reason."""
    return IntroductionOut.of(
        service.decline_introduction(db, introduction_id=introduction_id, by=me)
    )


@router.post("/introductions/{introduction_id}/withdraw")
def withdraw_introduction(introduction_id: PathId, me: ApiMember, db: DbSession) -> IntroductionOut:
    """Withdraw your request; once forwarded, this withdraws its invitation."""
    return IntroductionOut.of(
        service.withdraw_introduction(db, introduction_id=introduction_id, by=me)
    )


@router.get("/members/{member_id}/introducers")
def introducers_of(
    member_id: PathId, request: Request, me: ApiMember, db: DbSession
) -> IntroducersPage:
    """Who could introduce you to this member, best first: for a 2nd-degree member, the
    connections you share, ranked by how well they know both of you; for a 3rd-degree member,
    your connections whose network reaches them. Empty otherwise."""
    choice = service.introducers_for(db, viewer=me, member_id=member_id)
    return IntroducersPage.of(choice, locale=_locale(request, me))
