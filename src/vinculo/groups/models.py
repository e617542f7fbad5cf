"""The tables of groups: a group (open, by request, or private) and each member's place in it
(their role, and whether they are in, asked to join, invited, or banned)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

NAME_MAX = 100
DESCRIPTION_MAX = 2000
SECTOR_MAX = 100

Policy = Literal["open", "request", "private"]
POLICIES: tuple[Policy, ...] = ("open", "request", "private")
Role = Literal["owner", "admin", "member"]
ROLES: tuple[Role, ...] = ("owner", "admin", "member")
# A member's place in a group: in it; asked to join (a "request" group, until an admin answers or
# it expires); invited (until they accept or it expires); banned (out, and may not come back).
Standing = Literal["member", "requested", "invited", "banned"]
STANDINGS: tuple[Standing, ...] = ("member", "requested", "invited", "banned")


class Group(Base):
    """A professional group: a name, a description, a sector and a policy for joining.

    Its existence, members and posts are visible to everyone but for a private group, which only
    its members (and the members invited to it) know of."""

    __tablename__ = "community_group"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The name folded (case and accents), for sorting and finding.
    name_key: Mapped[str] = mapped_column(String(NAME_MAX), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(SECTOR_MAX), default="")
    sector_key: Mapped[str] = mapped_column(String(SECTOR_MAX), default="")
    policy: Mapped[str] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(one_of("policy", POLICIES), name="policy"),
        CheckConstraint(f"length(description) <= {DESCRIPTION_MAX}", name="description_length"),
    )


class GroupMember(Base):
    """One member's place in one group. Every change is a conditional update of the row in the
    standing it must be in, so of two racing answers exactly one wins."""

    __tablename__ = "group_member"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("community_group.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(6), default="member")
    standing: Mapped[str] = mapped_column(String(9))
    created_at: Mapped[datetime]
    # When the standing last changed (joined, asked, invited, banned).
    changed_at: Mapped[datetime]
    # A request or an invitation ends unanswered at this time.
    expires_at: Mapped[datetime | None]
    # Who invited them, or who answered their request, or who banned them.
    by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint(one_of("standing", STANDINGS), name="standing"),
        CheckConstraint("role = 'member' OR standing = 'member'", name="roles_for_members"),
        # One owner per group.
        Index(
            "uq_group_member_owner",
            "group_id",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
        Index("ix_group_member_member_standing", "member_id", "standing"),
        Index("ix_group_member_group_standing", "group_id", "standing", "changed_at"),
    )


class GroupRef(NamedTuple):
    """A group named where it links somewhere: the groups two members share."""

    id: int
    name: str
