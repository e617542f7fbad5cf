"""The profiles API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PlainValidator, StringConstraints, WithJsonSchema

from vinculo.identity.models import (
    ABOUT_MAX,
    HEADLINE_MAX,
    LOCATION_MAX,
    SECTOR_MAX,
)
from vinculo.identity.schemas import Locale, PersonName
from vinculo.network.degrees import MemberView
from vinculo.network.schemas import MemberSummary
from vinculo.periods import YearMonth
from vinculo.profiles.models import DEGREE_MAX, ORGANIZATION_NAME_MAX, SCHOOL_NAME_MAX, TITLE_MAX
from vinculo.profiles.service import ProfileView
from vinculo.schemas import Input, LineText, Output, Patch


def _year_month(value: Any) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("Use a year, or a year and month: 2019 or 2019-03.")  # noqa: TRY004
    return YearMonth.parse(value)


YearMonthText = Annotated[
    YearMonth,
    PlainValidator(_year_month),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            # A year from 1900 to 2100, a month, and a day any month has.
            "pattern": r"^(19\d\d|20\d\d|2100)(-(0[1-9]|1[0-2])(-(0[1-9]|1\d|2[0-8]))?)?$",
            "examples": ["2019", "2019-03"],
        }
    ),
]


def _text(max_length: int, *, min_length: int = 0) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


class ProfileUpdate(Patch):
    """Profile fields to change; the ones left out keep their value. A null locale follows the
    browser's language."""

    nullable = frozenset({"locale"})

    name: PersonName | None = None
    headline: Annotated[str, LineText(HEADLINE_MAX)] | None = None
    location: Annotated[str, LineText(LOCATION_MAX)] | None = None
    sector: Annotated[str, LineText(SECTOR_MAX)] | None = None
    about: Annotated[str, _text(ABOUT_MAX)] | None = None
    locale: Locale | None = None


class CareerEntryIn(Input):
    """What a new position and a new education entry both have: when."""

    start: YearMonthText
    end: YearMonthText | None = Field(default=None, description="Leave out while it is current.")


class PositionIn(CareerEntryIn):
    organization: Annotated[str, LineText(ORGANIZATION_NAME_MAX, required=True)]
    title: Annotated[str, LineText(TITLE_MAX, required=True)]


class PositionUpdate(Patch):
    nullable = frozenset({"end"})

    organization: Annotated[str, LineText(ORGANIZATION_NAME_MAX, required=True)] | None = None
    title: Annotated[str, LineText(TITLE_MAX, required=True)] | None = None
    start: YearMonthText | None = None
    end: YearMonthText | None = Field(default=None, description="null makes it current.")


class EducationIn(CareerEntryIn):
    school: Annotated[str, LineText(SCHOOL_NAME_MAX, required=True)]
    degree: Annotated[str, LineText(DEGREE_MAX)] = ""


class EducationUpdate(Patch):
    nullable = frozenset({"end"})

    school: Annotated[str, LineText(SCHOOL_NAME_MAX, required=True)] | None = None
    degree: Annotated[str, LineText(DEGREE_MAX)] | None = None
    start: YearMonthText | None = None
    end: YearMonthText | None = None


class PlaceOut(Output):
    id: int
    name: str


class PositionOut(Output):
    id: int
    organization: PlaceOut
    title: str
    start: str
    end: str | None
    current: bool


class EducationOut(Output):
    id: int
    school: PlaceOut
    degree: str
    start: str
    end: str | None
    current: bool


class MutualConnectionsOut(Output):
    count: int
    sample: list[MemberSummary]


class MemberOut(MemberSummary):
    sector: str
    about: str
    positions: list[PositionOut]
    education: list[EducationOut]
    mutual_connections: MutualConnectionsOut
    member_since: datetime

    @classmethod
    def of_profile(cls, profile: ProfileView) -> MemberOut:
        return cls(**cls._profile_fields(profile))

    @staticmethod
    def _profile_fields(profile: ProfileView) -> dict[str, Any]:
        member = profile.member
        return {
            **MemberSummary.of(MemberView(member, profile.degree)).model_dump(),
            "sector": member.sector,
            "about": member.about,
            "positions": [position_out(position) for position in profile.positions],
            "education": [education_out(entry) for entry in profile.education],
            "mutual_connections": MutualConnectionsOut(
                count=profile.mutual_connections.count,
                sample=[MemberSummary.of(view) for view in profile.mutual_connections.sample],
            ),
            "member_since": member.created_at,
        }


class MyProfile(MemberOut):
    """Your own profile: everything others see, and your email and language."""

    email: str
    email_confirmed: bool = Field(
        description="Whether you followed the link mailed to your address (a mark, shown to the "
        "members you invite)."
    )
    locale: Locale | None

    @classmethod
    def of_own(cls, profile: ProfileView) -> MyProfile:
        return cls(
            **cls._profile_fields(profile),
            email=profile.member.email,
            email_confirmed=profile.member.email_confirmed_at is not None,
            locale=profile.member.locale,
        )


def position_out(position: Any) -> PositionOut:
    period = position.period
    return PositionOut(
        id=position.id,
        organization=PlaceOut(id=position.organization.id, name=position.organization.name),
        title=position.title,
        start=str(period.start),
        end=str(period.end) if period.end else None,
        current=period.is_current,
    )


def education_out(entry: Any) -> EducationOut:
    period = entry.period
    return EducationOut(
        id=entry.id,
        school=PlaceOut(id=entry.school.id, name=entry.school.name),
        degree=entry.degree,
        start=str(period.start),
        end=str(period.end) if period.end else None,
        current=period.is_current,
    )
