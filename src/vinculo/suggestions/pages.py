"""Suggestions on the pages: "People you should know" (its own page, and the first few on My
network), with Connect, which opens the invitation form with a note that states the link, and
Dismiss, a small form post."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.network.degrees import GraphIndexLoading
from vinculo.schemas import PathId
from vinculo.suggestions import service
from vinculo.suggestions.reasons import Words
from vinculo.suggestions.service import SuggestionView
from vinculo.web.deps import MemberPage, Page
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

ON_MY_NETWORK = 4
ON_THEIR_PAGE = 20


def suggestions_on(page: Page, *, limit: int) -> list[SuggestionView]:
    """The viewer's suggestions for a page; none while the network index is still loading."""
    try:
        return service.suggestions_for(
            page.db, member=page.member, limit=limit, words=Words.of(page.locale)
        )
    except GraphIndexLoading:
        return []


def invite_link(view: SuggestionView) -> str:
    link = f"/members/{view.member.member.id}/invite"
    return f"{link}?note={quote(view.note)}" if view.note else link


@router.get("/network/suggestions")
def people_you_should_know(page: MemberPage) -> Response:
    return page.render(
        "suggestions/index.html",
        suggestions=suggestions_on(page, limit=ON_THEIR_PAGE),
        invite_link=invite_link,
        done=page.request.query_params.get("done"),
    )


@router.post("/network/suggestions/{member_id}/dismiss")
def dismiss(member_id: PathId, page: MemberPage) -> Response:
    # Nobody to dismiss (gone, or hidden by a block): the list is simply shown again.
    page.attempt(lambda: service.dismiss(page.db, member=page.member, dismissed_id=member_id))
    if page.request.query_params.get("from") == "network":
        return page.redirect("/network?done=dismissed")
    return page.redirect("/network/suggestions?done=dismissed")
