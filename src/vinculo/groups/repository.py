"""All SQL of groups."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vinculo.groups.models import Group, GroupMember


def add_group(db: Session, group: Group) -> Group:
    db.add(group)
    db.flush()
    return group


def add_member(db: Session, row: GroupMember) -> GroupMember:
    db.add(row)
    db.flush()
    return row


def group_by_id(db: Session, group_id: int) -> Group | None:
    return db.get(Group, group_id)


def place_of(db: Session, *, group_id: int, member_id: int) -> GroupMember | None:
    return db.get(GroupMember, (group_id, member_id), populate_existing=True)


def group_ids_of(db: Session, *, member_id: int) -> list[int]:
    """The groups the member is in, ascending."""
    return list(
        db.scalars(
            select(GroupMember.group_id)
            .where(GroupMember.member_id == member_id, GroupMember.standing == "member")
            .order_by(GroupMember.group_id)
        )
    )


def shared_group_counts(db: Session, *, member_id: int, others: Collection[int]) -> dict[int, int]:
    """How many groups the member shares with each of `others` (both in them), in one query."""
    if not others:
        return {}
    mine = (
        select(GroupMember.group_id)
        .where(GroupMember.member_id == member_id, GroupMember.standing == "member")
        .scalar_subquery()
    )
    rows = db.execute(
        select(GroupMember.member_id, func.count())
        .where(
            GroupMember.member_id.in_(sorted(others)),
            GroupMember.standing == "member",
            GroupMember.group_id.in_(mine),
        )
        .group_by(GroupMember.member_id)
    )
    return {other: int(count) for other, count in rows}


def count_members(db: Session, *, group_id: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(GroupMember)
            .where(GroupMember.group_id == group_id, GroupMember.standing == "member")
        )
        or 0
    )


def admin_group_ids(db: Session, *, member_id: int, among: Collection[int]) -> set[int]:
    """Of these groups, those the member is an owner or an admin of, in one query."""
    if not among:
        return set()
    return set(
        db.scalars(
            select(GroupMember.group_id).where(
                GroupMember.member_id == member_id,
                GroupMember.group_id.in_(sorted(among)),
                GroupMember.standing == "member",
                GroupMember.role.in_(("owner", "admin")),
            )
        )
    )
