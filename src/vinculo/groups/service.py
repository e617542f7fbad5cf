"""Groups: creating one, and the one way to reach a group (`access_group`): a private group is
known only to its members and to the members invited to it; to anyone else, and to a member it
banned, it does not exist (404). Whether a member may read a group's posts and take part in it
is decided here too (`may_read_posts`, `is_member`), for every area that shows what a group
holds (posts, the feed, profiles)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.errors import N_, InvalidInput, NotFound
from vinculo.groups import repository
from vinculo.groups.models import (
    DESCRIPTION_MAX,
    NAME_MAX,
    POLICIES,
    SECTOR_MAX,
    Group,
    GroupMember,
)
from vinculo.identity.models import Member
from vinculo.text import fold, tidy


class GroupNotFound(NotFound):
    slug = "group-not-found"
    title = N_("Group not found")
    default_detail = N_("There is no such group, or it is not visible to you.")


@dataclass(frozen=True)
class GroupAccess:
    """A group as one viewer may reach it, with the viewer's place in it (None: none)."""

    group: Group
    place: GroupMember | None

    @property
    def is_member(self) -> bool:
        return self.place is not None and self.place.standing == "member"

    @property
    def role(self) -> str | None:
        return self.place.role if self.is_member and self.place is not None else None

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")

    @property
    def may_read_posts(self) -> bool:
        """An open group's posts are for every member of the community; the others', for their
        members only."""
        return self.is_member or (self.group.policy == "open" and not self._banned)

    @property
    def _banned(self) -> bool:
        return self.place is not None and self.place.standing == "banned"


def access_group(db: Session, *, viewer: Member, group_id: int) -> GroupAccess:
    """The one way to reach a group. A private group is visible to its members and to the members
    invited to it, and to no one else (404), a member it banned included."""
    group = repository.group_by_id(db, group_id)
    if group is None:
        raise GroupNotFound()
    place = repository.place_of(db, group_id=group.id, member_id=viewer.id)
    if group.policy == "private" and (place is None or place.standing not in ("member", "invited")):
        raise GroupNotFound()
    return GroupAccess(group, place)


def create_group(
    db: Session, *, creator: Member, name: str, description: str, sector: str, policy: str
) -> GroupAccess:
    """A new group, its creator its owner."""
    name, sector, description = tidy(name), tidy(sector), description.strip()
    if not name:
        raise InvalidInput.for_field("name", N_("Give the group a name."))
    if len(name) > NAME_MAX:
        raise InvalidInput.for_field(
            "name", N_("At most %(max_length)s characters."), max_length=NAME_MAX
        )
    if len(sector) > SECTOR_MAX:
        raise InvalidInput.for_field(
            "sector", N_("At most %(max_length)s characters."), max_length=SECTOR_MAX
        )
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput.for_field(
            "description", N_("At most %(max_length)s characters."), max_length=DESCRIPTION_MAX
        )
    if policy not in POLICIES:
        raise InvalidInput.for_field("policy", N_("Choose open, by request or private."))
    now = clock.now()
    group = repository.add_group(
        db,
        Group(
            name=name,
            name_key=fold(name),
            description=description,
            sector=sector,
            sector_key=fold(sector),
            policy=policy,
            created_by_id=creator.id,
            created_at=now,
        ),
    )
    place = repository.add_member(db, _place(group.id, creator.id, role="owner", now=now))
    return GroupAccess(group, place)


def _place(
    group_id: int,
    member_id: int,
    *,
    now: datetime,
    role: str = "member",
    standing: str = "member",
    expires_at: datetime | None = None,
    by_id: int | None = None,
) -> GroupMember:
    return GroupMember(
        group_id=group_id,
        member_id=member_id,
        role=role,
        standing=standing,
        created_at=now,
        changed_at=now,
        expires_at=expires_at,
        by_id=by_id,
    )


def group_ids_of(db: Session, *, member: Member) -> list[int]:
    """The groups the member is in."""
    return repository.group_ids_of(db, member_id=member.id)


def shared_group_counts(db: Session, *, member: Member, others: Collection[int]) -> dict[int, int]:
    """How many groups the member shares with each of `others`."""
    return repository.shared_group_counts(db, member_id=member.id, others=others)


def admin_group_ids(db: Session, *, member: Member, among: Collection[int]) -> set[int]:
    """Of these groups, those the member runs (owner or admin)."""
    return repository.admin_group_ids(db, member_id=member.id, among=among)
