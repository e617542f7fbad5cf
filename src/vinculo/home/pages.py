"""The home page: for a visitor, what Vínculo is; for a member, their feed with a box to write a
post, their profile's checklist, the places they share with others, the invitations waiting for
them and who joined last."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.invitations import service as invitations
from vinculo.network import service as network
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.posts import feed
from vinculo.posts.models import POST_MAX, REACTION_KINDS
from vinculo.profiles import service as profiles
from vinculo.schemas import Cursor
from vinculo.web.deps import AnyPage
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/")
def home(page: AnyPage, cursor: Cursor = None) -> Response:
    if page.viewer is None:
        return page.render("home/visitor.html")
    member = page.viewer
    positions = profiles.entries_of(page.db, member=member, kind="positions")
    education = profiles.entries_of(page.db, member=member, kind="education")
    return page.render(
        "home/member.html",
        positions=positions,
        checklist=profiles.profile_completeness(
            member, has_position=bool(positions), has_education=bool(education)
        ),
        shared_places=profiles.places_of(page.db, member=member),
        newest=profiles.newest_members(page.db, viewer=member),
        connections=network.connection_count(page.db, member=member),
        feed=feed.feed_of(page.db, viewer=member, cursor=cursor, limit=DEFAULT_LIMIT),
        post_max=POST_MAX,
        reaction_kinds=REACTION_KINDS,
        invitations=invitations.invitations_of(
            page.db, member=member, box="received", cursor=None, limit=3, links=False
        ),
    )
