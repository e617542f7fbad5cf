"""Tables of profiles: organizations and schools as shared records, positions and education; and
what two members' careers share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vinculo.db import Base, Id
from vinculo.periods import Period, period_of

ORGANIZATION_NAME_MAX = 120
SCHOOL_NAME_MAX = 120
TITLE_MAX = 100
DEGREE_MAX = 120
POSITIONS_PER_MEMBER = 100
EDUCATION_PER_MEMBER = 50


def _period_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("start_month IS NULL OR start_month BETWEEN 1 AND 12", name="start_month"),
        CheckConstraint("end_month IS NULL OR end_month BETWEEN 1 AND 12", name="end_month"),
        CheckConstraint("end_year IS NOT NULL OR end_month IS NULL", name="end_month_needs_year"),
        CheckConstraint("end_year IS NULL OR end_year >= start_year", name="end_not_before_start"),
    )


class Organization(Base):
    """An employer. One record per name, compared case- and accent-insensitively, so that members
    who write "Telefónica" and "TELEFONICA" worked at the same place."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(ORGANIZATION_NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(ORGANIZATION_NAME_MAX), unique=True)
    created_at: Mapped[datetime]


class School(Base):
    """A place of study, shared the same way as organizations."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(SCHOOL_NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(SCHOOL_NAME_MAX), unique=True)
    created_at: Mapped[datetime]


class Position(Base):
    """A title at an organization from a year (and month) to another, or to now when open."""

    __tablename__ = "position"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    start_year: Mapped[int] = mapped_column(SmallInteger)
    start_month: Mapped[int | None] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)
    end_month: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = _period_checks()

    @property
    def period(self) -> Period:
        return period_of(self.start_year, self.start_month, self.end_year, self.end_month)


class Education(Base):
    """Studies at a school: a degree or field, from a year to another (open while studying)."""

    __tablename__ = "education"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    degree: Mapped[str] = mapped_column(String(DEGREE_MAX), default="")
    start_year: Mapped[int] = mapped_column(SmallInteger)
    start_month: Mapped[int | None] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)
    end_month: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]

    __table_args__ = _period_checks()

    school: Mapped[School] = relationship(lazy="joined", innerjoin=True)

    @property
    def period(self) -> Period:
        return period_of(self.start_year, self.start_month, self.end_year, self.end_month)


class SharedPlace(NamedTuple):
    """An organization or school two members were at during overlapping years, with each one's
    years there (`start_year`… for the first member, `other_start_year`… for the other)."""

    kind: str  # "organization" or "school"
    name: str
    start_year: int
    end_year: int | None
    other_start_year: int
    other_end_year: int | None


@dataclass(frozen=True)
class Place:
    """An organization or a school, as a profile shows it."""

    id: int
    name: str


@dataclass(frozen=True)
class CareerEntryView:
    """A position or a study as a profile shows it: read, never edited (editing goes through
    the `Position` and `Education` rows)."""

    id: int
    place: Place
    label: str  # a position's title, a study's degree
    start_year: int
    start_month: int | None
    end_year: int | None
    end_month: int | None

    @property
    def period(self) -> Period:
        return period_of(self.start_year, self.start_month, self.end_year, self.end_month)


@dataclass(frozen=True)
class PositionView(CareerEntryView):
    @property
    def organization(self) -> Place:
        return self.place

    @property
    def title(self) -> str:
        return self.label


@dataclass(frozen=True)
class StudyView(CareerEntryView):
    @property
    def school(self) -> Place:
        return self.place

    @property
    def degree(self) -> str:
        return self.label
