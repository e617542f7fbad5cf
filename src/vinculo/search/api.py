"""The search API: finding members, with filters, facets and why each was found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from vinculo.groups import service as groups
from vinculo.i18n import choose_locale
from vinculo.identity.models import Member
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.profiles import service as profiles
from vinculo.profiles.service import MemberSearch
from vinculo.schemas import PROBLEM_RESPONSES, Cursor
from vinculo.search.schemas import SearchPageOut
from vinculo.search.service import Filters
from vinculo.settings import get_settings
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["search"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
FilterText = Annotated[str | None, Query(max_length=200)]


@router.get("/members")
def search_members(
    *,
    request: Request,
    me: ApiMember,
    db: DbSession,
    q: Annotated[
        str,
        Query(
            max_length=200,
            # Documented only: the service refuses a NUL with its own message.
            json_schema_extra={"pattern": "^[^\\u0000]*$"},
            description="Words of a name, headline, title, organization, school, location or "
            "sector, in any case and with or without accents; the last word is taken as the "
            "start of a word unless a space follows it, and a word of five letters or more also "
            "finds the words one typo away.",
        ),
    ] = "",
    degree: Annotated[
        int | None, Query(ge=1, le=3, description="1, 2, or 3 for 3rd degree and beyond.")
    ] = None,
    organization: FilterText = None,
    school: FilterText = None,
    same_time: Annotated[
        bool,
        Query(
            description="Only members who were at the organization or school (at any of yours "
            "when neither is given) in years that overlap yours."
        ),
    ] = False,
    location: FilterText = None,
    sector: FilterText = None,
    facets: Annotated[bool, Query(description="Count the facets on the first page.")] = True,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> SearchPageOut:
    """Members found by what you type, best first: those matching every word by name, then
    anywhere, then through a typo; within each, your connections, those who were at your
    organizations and schools at the same time as you, your 2nd degree (most mutual
    connections first), those at your places in other years, then everyone else by name. Each
    says why it was found. An empty `q` lists everyone the filters let through."""
    found = profiles.search_members(
        db,
        viewer=me,
        query=q,
        filters=Filters(
            degree=degree,
            organization=organization,
            school=school,
            same_time=same_time,
            location=location,
            sector=sector,
        ),
        cursor=cursor,
        limit=limit,
        facets=facets,
    )
    locale = choose_locale(
        preference=me.locale,
        cookie=None,
        accept_language=request.headers.get("accept-language"),
        default=get_settings().default_locale,
    )
    return SearchPageOut.of(found, locale, shared_group_names(db, viewer=me, found=found))


def shared_group_names(
    db: DbSession, *, viewer: Member, found: MemberSearch
) -> dict[int, list[str]]:
    """For each member found, the groups the viewer shares with them, by name (one query): a
    reason they were found, which search, below groups, cannot know."""
    shared = groups.shared_groups(
        db, member=viewer, others=[item.view.member.id for item in found.items]
    )
    return {
        member_id: [group.name for group in found_groups]
        for member_id, found_groups in shared.items()
    }
