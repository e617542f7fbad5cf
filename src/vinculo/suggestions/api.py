"""Suggestions in the JSON API: people you should know, and dismissing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from vinculo.i18n import choose_locale
from vinculo.identity.models import Member
from vinculo.schemas import PROBLEM_RESPONSES, PathId
from vinculo.settings import get_settings
from vinculo.suggestions import service
from vinculo.suggestions.reasons import Words
from vinculo.suggestions.schemas import SuggestionOut, SuggestionPage
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["suggestions"], responses=PROBLEM_RESPONSES)


def words_for(request: Request, member: Member) -> Words:
    """The member's language: their preference, else the request's Accept-Language."""
    return Words.of(
        choose_locale(
            preference=member.locale,
            cookie=None,
            accept_language=request.headers.get("accept-language"),
            default=get_settings().default_locale,
        )
    )


@router.get("/network/suggestions")
def list_suggestions(
    request: Request,
    me: ApiMember,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=service.MAX_SUGGESTIONS)] = 20,
) -> SuggestionPage:
    """People you should know, best first, each with its two strongest reasons and a suggested
    invitation note. Left out: you, your connections, members with an open invitation either
    way or a block either way, those you dismissed, and those whose invitation from you ended
    within the re-invitation cooldown."""
    views = service.suggestions_for(db, member=me, limit=limit, words=words_for(request, me))
    return SuggestionPage(items=[SuggestionOut.of(view) for view in views])


@router.put("/network/suggestions/dismissed/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def dismiss_suggestion(member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """Do not suggest this member again. Repeating it changes nothing."""
    service.dismiss(db, member=me, dismissed_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/network/suggestions/dismissed/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def undo_dismissal(member_id: PathId, me: ApiMember, db: DbSession) -> Response:
    """Let this member be suggested again."""
    service.undismiss(db, member=me, dismissed_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
