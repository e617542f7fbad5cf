"""All SQL of groups: the groups and each member's place in them; the conditional changes of a
place (of two racing changes, one finds the row as it expects it); the lists of members, of
groups found or joined, and what members share."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, aliased

from vinculo.db import insert_new
from vinculo.groups.models import Group, GroupMember, GroupRef
from vinculo.identity.models import Member
from vinculo.privacy.repository import blocked_either_way

# Requests and invitations end unanswered at their expiry; past it, the row is as good as none.
WAITING = ("requested", "invited")


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


def _stale(now: datetime) -> ColumnElement[bool]:
    """A request or an invitation past its expiry: as if there were no row."""
    return and_(GroupMember.standing.in_(WAITING), GroupMember.expires_at <= now)


def _current(now: datetime) -> ColumnElement[bool]:
    return ~_stale(now)


def take_place(
    db: Session, *, group_id: int, member_id: int, now: datetime, values: dict[str, Any]
) -> bool:
    """Give a member a place where they have none (or only a request or an invitation that
    expired); False when they have one. One insert that does nothing on a conflict, then one
    conditional update of an expired row: two racing takers get one place."""
    row = {"role": "member", "created_at": now, "changed_at": now, **values}
    if insert_new(
        db, GroupMember, ("group_id", "member_id"), group_id=group_id, member_id=member_id, **row
    ):
        return True
    return _update(db, group_id=group_id, member_id=member_id, condition=_stale(now), values=row)


def change_place(
    db: Session,
    *,
    group_id: int,
    member_id: int,
    now: datetime,
    standings: Collection[str],
    roles: Collection[str] | None = None,
    values: dict[str, Any],
) -> bool:
    """Change a member's place if it is still in one of `standings` (a request or an invitation
    only before its expiry) and, when given, one of `roles`; whether it was."""
    return _update(
        db,
        group_id=group_id,
        member_id=member_id,
        condition=_condition(now, standings, roles),
        values={"changed_at": now, **values} if "standing" in values else values,
    )


def end_place(
    db: Session,
    *,
    group_id: int,
    member_id: int,
    now: datetime,
    standings: Collection[str],
    roles: Collection[str] | None = None,
) -> bool:
    """Delete a member's place if it is still in one of `standings` (and `roles`); whether it
    was."""
    result = db.execute(
        delete(GroupMember)
        .where(
            GroupMember.group_id == group_id,
            GroupMember.member_id == member_id,
            _condition(now, standings, roles),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _condition(
    now: datetime, standings: Collection[str], roles: Collection[str] | None
) -> ColumnElement[bool]:
    condition = and_(GroupMember.standing.in_(sorted(standings)), _current(now))
    if roles is not None:
        condition = and_(condition, GroupMember.role.in_(sorted(roles)))
    return condition


def _update(
    db: Session,
    *,
    group_id: int,
    member_id: int,
    condition: ColumnElement[bool],
    values: dict[str, Any],
) -> bool:
    result = db.execute(
        update(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.member_id == member_id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def admin_ids(db: Session, *, group_id: int) -> list[int]:
    """The owner and the admins of a group."""
    return list(
        db.scalars(
            select(GroupMember.member_id).where(
                GroupMember.group_id == group_id,
                GroupMember.standing == "member",
                GroupMember.role.in_(("owner", "admin")),
            )
        )
    )


# Lists


_ROLE_ORDER = case((GroupMember.role == "owner", 0), (GroupMember.role == "admin", 1), else_=2)


class PlaceRow(NamedTuple):
    place: GroupMember
    member: Member
    rank: int


def places(
    db: Session,
    *,
    group_id: int,
    standing: str,
    viewer_id: int,
    now: datetime,
    after: tuple[int, str, int] | None,
    limit: int,
) -> list[PlaceRow]:
    """The members of a group in one standing, the owner first, then the admins, then by name;
    none a block hides from the viewer (nor a closed account); `limit + 1` at most."""
    statement = (
        select(GroupMember, Member, _ROLE_ORDER)
        .join(Member, Member.id == GroupMember.member_id)
        .where(
            GroupMember.group_id == group_id,
            GroupMember.standing == standing,
            _current(now),
            ~blocked_either_way(viewer_id, GroupMember.member_id),
        )
    )
    if after is not None:
        statement = statement.where(tuple_(_ROLE_ORDER, Member.name_key, Member.id) > after)
    rows = db.execute(statement.order_by(_ROLE_ORDER, Member.name_key, Member.id).limit(limit + 1))
    return [PlaceRow(place, member, int(rank)) for place, member, rank in rows]


def _visible_to(viewer_id: int, now: datetime) -> ColumnElement[bool]:
    """Groups the viewer may know of: all but the private ones they are not in nor invited to."""
    theirs = select(GroupMember.group_id).where(
        GroupMember.member_id == viewer_id,
        or_(
            GroupMember.standing == "member",
            and_(GroupMember.standing == "invited", GroupMember.expires_at > now),
        ),
    )
    return or_(Group.policy != "private", Group.id.in_(theirs))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_groups(
    db: Session,
    *,
    viewer_id: int,
    now: datetime,
    name_key: str,
    sector_key: str,
    standing: str | None,
    after: tuple[str, int] | None,
    limit: int,
) -> list[Group]:
    """The groups the viewer may know of whose folded name and sector hold these words, or those
    where the viewer has this standing; by name; `limit + 1` at most."""
    statement = select(Group).where(_visible_to(viewer_id, now))
    if name_key:
        statement = statement.where(Group.name_key.like(f"%{_escape(name_key)}%", escape="\\"))
    if sector_key:
        statement = statement.where(Group.sector_key.like(f"%{_escape(sector_key)}%", escape="\\"))
    if standing is not None:
        statement = statement.where(
            Group.id.in_(
                select(GroupMember.group_id).where(
                    GroupMember.member_id == viewer_id,
                    GroupMember.standing == standing,
                    _current(now),
                )
            )
        )
    if after is not None:
        statement = statement.where(tuple_(Group.name_key, Group.id) > after)
    return list(db.scalars(statement.order_by(Group.name_key, Group.id).limit(limit + 1)))


def member_counts(db: Session, *, group_ids: Collection[int]) -> dict[int, int]:
    """How many members each group has, in one query."""
    if not group_ids:
        return {}
    rows = db.execute(
        select(GroupMember.group_id, func.count())
        .where(GroupMember.group_id.in_(sorted(group_ids)), GroupMember.standing == "member")
        .group_by(GroupMember.group_id)
    )
    return {group_id: int(count) for group_id, count in rows}


def places_of_member(
    db: Session, *, member_id: int, group_ids: Collection[int]
) -> dict[int, GroupMember]:
    """The member's place in each of these groups where they have one, in one query."""
    if not group_ids:
        return {}
    rows = db.scalars(
        select(GroupMember).where(
            GroupMember.member_id == member_id, GroupMember.group_id.in_(sorted(group_ids))
        )
    )
    return {row.group_id: row for row in rows}


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
    return {
        other: len(groups)
        for other, groups in shared_groups(db, member_id=member_id, others=others).items()
    }


def shared_groups(
    db: Session, *, member_id: int, others: Collection[int]
) -> dict[int, list[GroupRef]]:
    """The groups the member shares with each of `others` (both in them), by name, in one
    query."""
    if not others:
        return {}
    mine = select(GroupMember.group_id).where(
        GroupMember.member_id == member_id, GroupMember.standing == "member"
    )
    rows = db.execute(
        select(GroupMember.member_id, Group.id, Group.name)
        .join(Group, Group.id == GroupMember.group_id)
        .where(
            GroupMember.member_id.in_(sorted(others)),
            GroupMember.standing == "member",
            GroupMember.group_id.in_(mine),
        )
        .order_by(Group.name_key, Group.id)
    )
    found: dict[int, list[GroupRef]] = {}
    for other, group_id, name in rows:
        found.setdefault(other, []).append(GroupRef(group_id, name))
    return found


def count_members(db: Session, *, group_id: int) -> int:
    return member_counts(db, group_ids=[group_id]).get(group_id, 0)


def members_of_groups(db: Session, *, group_ids: Sequence[int]) -> dict[int, set[int]]:
    """The members of each of these groups (not closed), in one query."""
    if not group_ids:
        return {}
    rows = db.execute(
        select(GroupMember.group_id, GroupMember.member_id)
        .join(Member, Member.id == GroupMember.member_id)
        .where(
            GroupMember.group_id.in_(sorted(group_ids)),
            GroupMember.standing == "member",
            Member.closed_at.is_(None),
        )
    )
    found: dict[int, set[int]] = {group_id: set() for group_id in group_ids}
    for group_id, member_id in rows:
        found[group_id].add(member_id)
    return found


# Closing an account


def groups_owned_by(db: Session, *, member_id: int) -> list[int]:
    return list(
        db.scalars(
            select(GroupMember.group_id).where(
                GroupMember.member_id == member_id, GroupMember.role == "owner"
            )
        )
    )


def heir_of(db: Session, *, group_id: int, owner_id: int) -> int | None:
    """Who takes a group over from its owner: the longest-standing admin, else the
    longest-standing member, whose account is open."""
    return db.scalar(
        select(GroupMember.member_id)
        .join(Member, Member.id == GroupMember.member_id)
        .where(
            GroupMember.group_id == group_id,
            GroupMember.member_id != owner_id,
            GroupMember.standing == "member",
            Member.closed_at.is_(None),
        )
        .order_by(_ROLE_ORDER, GroupMember.changed_at, GroupMember.member_id)
        .limit(1)
    )


def forget_groups_without_members(db: Session) -> int:
    """Delete the groups no member is in any more (their last one's account was erased)."""
    members = select(GroupMember.group_id).where(GroupMember.standing == "member")
    result = db.execute(
        delete(Group).where(Group.id.not_in(members)).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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


def groups_with_places(
    db: Session, *, member_id: int, group_ids: Collection[int]
) -> list[tuple[Group, GroupMember | None]]:
    """These groups, each with the member's place in it (None: none), in one query."""
    if not group_ids:
        return []
    place = aliased(GroupMember)
    return [
        (group, found)
        for group, found in db.execute(
            select(Group, place)
            .outerjoin(place, and_(place.group_id == Group.id, place.member_id == member_id))
            .where(Group.id.in_(sorted(group_ids)))
        )
    ]
