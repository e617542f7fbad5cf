"""The search page: one box, the filters and their facets, the results with why each was found;
and, through its filters, the colleague and classmate finder every organization and school
links to."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import InvalidInput
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.profiles import service as profiles
from vinculo.schemas import Cursor
from vinculo.search.api import shared_group_names
from vinculo.search.reasons import explain
from vinculo.search.service import Filters
from vinculo.web.deps import MemberPage
from vinculo.web.forms import errors_of
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

_TEXT_MAX = 200


@router.get("/search")
def search(
    *,
    page: MemberPage,
    q: str = "",
    degree: str = "",
    organization: str = "",
    school: str = "",
    same_time: str = "",
    location: str = "",
    sector: str = "",
    cursor: Cursor = None,
) -> Response:
    chosen = {
        "q": q[:_TEXT_MAX],
        "degree": degree if degree in {"1", "2", "3"} else "",
        "organization": organization[:_TEXT_MAX],
        "school": school[:_TEXT_MAX],
        "same_time": "1" if same_time else "",
        "location": location[:_TEXT_MAX],
        "sector": sector[:_TEXT_MAX],
    }
    filters = Filters(
        degree=int(chosen["degree"]) if chosen["degree"] else None,
        organization=chosen["organization"] or None,
        school=chosen["school"] or None,
        same_time=bool(chosen["same_time"]),
        location=chosen["location"] or None,
        sector=chosen["sector"] or None,
    )
    try:
        # A read: nothing to undo when it is refused (a tampered cursor).
        found = profiles.search_members(
            page.db,
            viewer=page.member,
            query=chosen["q"],
            filters=filters,
            cursor=cursor,
            limit=DEFAULT_LIMIT,
        )
    except InvalidInput as refused:
        return page.render(
            "search/search.html",
            status_code=422,
            chosen=chosen,
            found=None,
            reasons={},
            errors=errors_of(refused, gettext=page.gettext),
            link=_linker(chosen),
        )
    shared = shared_group_names(page.db, viewer=page.member, found=found)
    return page.render(
        "search/search.html",
        chosen=chosen,
        found=found,
        reasons={
            item.view.member.id: explain(
                item.hit, page.locale, groups=shared.get(item.view.member.id, ())
            )
            for item in found.items
        },
        errors={},
        link=_linker(chosen),
    )


def _linker(chosen: dict[str, str]) -> Callable[..., str]:
    """A function the template calls for the address of this search with some filters changed
    (an empty value removes one), from the first page."""

    def link(**changes: str) -> str:
        values = {**chosen, **changes}
        kept = {key: value for key, value in values.items() if value}
        return "/search" + ("?" + urlencode(kept) if kept else "")

    return link
