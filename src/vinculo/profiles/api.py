"""The profiles API: your profile, other members' profiles, positions, education, search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vinculo.pagination import MAX_LIMIT
from vinculo.profiles import service
from vinculo.profiles.schemas import (
    EducationIn,
    EducationOut,
    EducationUpdate,
    MemberOut,
    MyProfile,
    PositionIn,
    PositionOut,
    PositionUpdate,
    ProfileUpdate,
    education_out,
    position_out,
)
from vinculo.schemas import PROBLEM_RESPONSES, PathId
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["profiles"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/members/me")
def my_profile(me: ApiMember, db: DbSession) -> MyProfile:
    return MyProfile.of_own(service.view_profile(db, viewer=me, member_id=me.id))


@router.patch("/members/me")
def update_my_profile(body: ProfileUpdate, me: ApiMember, db: DbSession) -> MyProfile:
    """Change profile fields; the ones left out keep their value."""
    service.update_profile(db, member=me, changes=body.changes())
    return MyProfile.of_own(service.view_profile(db, viewer=me, member_id=me.id))


@router.get("/members/{member_id}")
def member_profile(member_id: PathId, me: ApiMember, db: DbSession) -> MemberOut:
    """A member's profile as you see it, with the degree between you and your mutual connections."""
    return MemberOut.of_profile(service.view_profile(db, viewer=me, member_id=member_id))


@router.get("/members/me/positions")
def my_positions(me: ApiMember, db: DbSession) -> list[PositionOut]:
    """Your positions, current ones first."""
    return [position_out(entry) for entry in service.entries_of(db, member=me, kind="positions")]


@router.post("/members/me/positions", status_code=status.HTTP_201_CREATED)
def add_position(body: PositionIn, me: ApiMember, db: DbSession) -> PositionOut:
    """Add a position; leave `end` out while it is current."""
    position = service.add_entry(
        db,
        member=me,
        kind="positions",
        place=body.organization,
        label=body.title,
        start=body.start,
        end=body.end,
    )
    return position_out(position)


@router.patch("/members/me/positions/{position_id}")
def update_position(
    position_id: PathId, body: PositionUpdate, me: ApiMember, db: DbSession
) -> PositionOut:
    changes = body.changes()
    entry = service.update_entry(
        db, member=me, kind="positions", entry_id=position_id, changes=changes
    )
    return position_out(entry)


@router.delete("/members/me/positions/{position_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_position(position_id: PathId, me: ApiMember, db: DbSession) -> Response:
    service.remove_entry(db, member=me, kind="positions", entry_id=position_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/members/me/education")
def my_education(me: ApiMember, db: DbSession) -> list[EducationOut]:
    """Your education, current studies first."""
    return [education_out(entry) for entry in service.entries_of(db, member=me, kind="education")]


@router.post("/members/me/education", status_code=status.HTTP_201_CREATED)
def add_education(body: EducationIn, me: ApiMember, db: DbSession) -> EducationOut:
    entry = service.add_entry(
        db,
        member=me,
        kind="education",
        place=body.school,
        label=body.degree,
        start=body.start,
        end=body.end,
    )
    return education_out(entry)


@router.patch("/members/me/education/{education_id}")
def update_education(
    education_id: PathId, body: EducationUpdate, me: ApiMember, db: DbSession
) -> EducationOut:
    changes = body.changes()
    entry = service.update_entry(
        db, member=me, kind="education", entry_id=education_id, changes=changes
    )
    return education_out(entry)


@router.delete("/members/me/education/{education_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_education(education_id: PathId, me: ApiMember, db: DbSession) -> Response:
    service.remove_entry(db, member=me, kind="education", entry_id=education_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
