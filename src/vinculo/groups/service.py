"""Groups: creating one, and the one way to reach a group (`access_group`): a private group is
known only to its members and to the members invited to it; to anyone else, and to a member it
banned, it does not exist (404). Whether a member may read a group's posts and take part in it
is decided here too (`may_read_posts`, `is_member`), for every area that shows what a group
holds (posts, the feed, profiles).

The membership life cycle (ADR 0019): joining (an open group at once, a group by request once an
admin approves, a private group only when invited), inviting, approving and declining requests,
leaving, removing, banning and unbanning, making admins, and handing ownership over. Every change
is one conditional update (or delete) of the member's place in the state it must be in, under
the lock of that member (`db.lock_members`): of two racing changes exactly one wins, the other
gets a 409. A request or an invitation past its 14 days is, on every read, as if it were not
there.

Who may do what: a group a member may not know of is 404 to them (`access_group`); in a group
they may know of, an admin's action asked for by a member who is not one is 403, as is an
action their role does not allow on the other member's (an admin removing an admin)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members
from vinculo.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from vinculo.groups import repository
from vinculo.groups.models import (
    DESCRIPTION_MAX,
    NAME_MAX,
    POLICIES,
    SECTOR_MAX,
    Group,
    GroupMember,
    GroupRef,
)
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.notifications import service as notifications
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.privacy import service as privacy
from vinculo.settings import get_settings
from vinculo.text import fold, tidy

ADMINS = ("owner", "admin")


class GroupNotFound(NotFound):
    slug = "group-not-found"
    title = N_("Group not found")
    default_detail = N_("There is no such group, or it is not visible to you.")


class NotGroupAdmin(Forbidden):
    slug = "not-group-admin"
    title = N_("Only the group's admins may do this")
    default_detail = N_("Only the owner and the admins of this group may do this.")


class GroupRoleRefused(Forbidden):
    slug = "group-role-refused"
    title = N_("Not allowed by your role in the group")
    default_detail = N_(
        "Your role does not allow this: only the owner may change the admins, hand the group "
        "over, or remove or ban an admin, and the owner cannot be removed or banned."
    )


class BannedFromGroup(Forbidden):
    slug = "banned-from-group"
    title = N_("Banned from this group")
    default_detail = N_("The group's admins banned you: you may not join it.")


class GroupMemberNotFound(NotFound):
    slug = "group-member-not-found"
    title = N_("Not a member of this group")
    default_detail = N_("This member is not in the group, or you may not see them.")


class GroupPlaceConflict(Conflict):
    slug = "group-membership-changed"
    title = N_("Their place in the group is not what this needs")
    default_detail = N_(
        "This member's place in the group changed, or is not one this applies to: the request "
        "was already answered or has expired, the member already joined, was invited, left, "
        "or was banned."
    )


class OwnerMustTransfer(Conflict):
    slug = "group-owner-must-transfer"
    title = N_("Hand the group over first")
    default_detail = N_("The owner of a group leaves it only after handing it over to a member.")


class MemberBannedFromGroup(Conflict):
    slug = "member-banned-from-group"
    title = N_("Banned from the group")
    default_detail = N_("This member is banned from the group: unban them first.")


@dataclass(frozen=True)
class GroupAccess:
    """A group as one viewer may reach it, with the viewer's place in it (None: none, or only
    a request or an invitation that has expired)."""

    group: Group
    place: GroupMember | None

    @property
    def standing(self) -> str | None:
        return self.place.standing if self.place is not None else None

    @property
    def is_member(self) -> bool:
        return self.standing == "member"

    @property
    def role(self) -> str | None:
        return self.place.role if self.is_member and self.place is not None else None

    @property
    def is_admin(self) -> bool:
        return self.role in ADMINS

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def may_read_posts(self) -> bool:
        """An open group's posts are for every member of the community; the others', for their
        members only."""
        return self.is_member or (self.group.policy == "open" and not self._banned)

    @property
    def may_see_members(self) -> bool:
        """A group's members are shown to whoever may know of the group, but to a member it
        banned (a private group's, to its members and those invited)."""
        return not self._banned

    @property
    def _banned(self) -> bool:
        return self.standing == "banned"


def _current(place: GroupMember | None, now: datetime) -> GroupMember | None:
    """A place as it stands now: a request or an invitation past its expiry is none."""
    if place is None or place.standing not in repository.WAITING:
        return place
    return place if place.expires_at is not None and place.expires_at > now else None


def access_group(db: Session, *, viewer: Member, group_id: int) -> GroupAccess:
    """The one way to reach a group. A private group is visible to its members and to the members
    invited to it (until the invitation expires), and to no one else (404), a member it banned
    included."""
    group = repository.group_by_id(db, group_id)
    if group is None:
        raise GroupNotFound()
    place = _current(repository.place_of(db, group_id=group.id, member_id=viewer.id), clock.now())
    if group.policy == "private" and (place is None or place.standing not in ("member", "invited")):
        raise GroupNotFound()
    return GroupAccess(group, place)


def _as_admin(db: Session, *, viewer: Member, group_id: int) -> GroupAccess:
    access = access_group(db, viewer=viewer, group_id=group_id)
    if not access.is_admin:
        raise NotGroupAdmin()
    return access


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


def _waiting_days() -> timedelta:
    return timedelta(days=get_settings().invitation_days)


# The life cycle


def join_group(db: Session, *, group_id: int, by: Member) -> GroupAccess:
    """Join an open group at once; ask to join a group by request (its admins are told); accept
    an invitation to any group. Joining again changes nothing. A private group to a member not
    invited does not exist (404); a banned member may not join (403)."""
    access = access_group(db, viewer=by, group_id=group_id)
    group = access.group
    lock_members(db, (by.id,))
    now = clock.now()
    place = _current(repository.place_of(db, group_id=group.id, member_id=by.id), now)
    standing = place.standing if place is not None else None
    if standing in ("member", "requested"):
        return GroupAccess(group, place)
    if standing == "banned":
        raise GroupNotFound() if group.policy == "private" else BannedFromGroup()
    if standing == "invited":
        if not repository.change_place(
            db,
            group_id=group.id,
            member_id=by.id,
            now=now,
            standings=("invited",),
            values={"standing": "member", "expires_at": None},
        ):
            raise GroupPlaceConflict()
    elif group.policy == "private":
        raise GroupNotFound()
    elif group.policy == "open":
        if not repository.take_place(
            db, group_id=group.id, member_id=by.id, now=now, values={"standing": "member"}
        ):
            raise GroupPlaceConflict()
    else:
        if not repository.take_place(
            db,
            group_id=group.id,
            member_id=by.id,
            now=now,
            values={"standing": "requested", "expires_at": now + _waiting_days()},
        ):
            raise GroupPlaceConflict()
        hidden = privacy.hidden_from(db, member=by)
        for admin_id in repository.admin_ids(db, group_id=group.id):
            if admin_id not in hidden:
                notifications.notify(
                    db,
                    member_id=admin_id,
                    kind="group_join_requested",
                    actor_id=by.id,
                    group_id=group.id,
                )
    return GroupAccess(group, repository.place_of(db, group_id=group.id, member_id=by.id))


def leave_group(db: Session, *, group_id: int, by: Member) -> None:
    """End one's place in a group: leave it, withdraw one's request, or decline an invitation.
    The owner hands the group over first (409); a ban is not one's own to end."""
    access = access_group(db, viewer=by, group_id=group_id)
    if access.is_owner:
        raise OwnerMustTransfer()
    lock_members(db, (by.id,))
    if not repository.end_place(
        db,
        group_id=group_id,
        member_id=by.id,
        now=clock.now(),
        standings=("member", "requested", "invited"),
        roles=("admin", "member"),
    ):
        place = repository.place_of(db, group_id=group_id, member_id=by.id)
        if place is not None and place.role == "owner":
            raise OwnerMustTransfer()
        raise GroupPlaceConflict()


def _target(db: Session, *, viewer: Member, member_id: int) -> Member:
    """The member an admin acts on: one the admin may see (404 otherwise)."""
    return privacy.access_member(db, viewer=viewer, member_id=member_id)


def _admin_acting_on(
    db: Session, *, by: Member, group_id: int, member_id: int | None
) -> tuple[GroupAccess, Member]:
    """An admin's action on one member: the group as the admin reaches it (404 or 403 first,
    whatever the body), then the member, required, as the admin may see them, and that
    member's lock taken."""
    access = _as_admin(db, viewer=by, group_id=group_id)
    member = _target(db, viewer=by, member_id=_required(member_id))
    lock_members(db, (member.id,))
    return access, member


def _required(member_id: int | None) -> int:
    if member_id is None:
        raise InvalidInput.for_field("member", N_("Choose a member."))
    return member_id


def approve_request(db: Session, *, group_id: int, member_id: int, by: Member) -> PlaceView:
    """An admin lets a member who asked in; they are told."""
    access, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    if not repository.change_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=clock.now(),
        standings=("requested",),
        values={"standing": "member", "expires_at": None, "by_id": by.id},
    ):
        raise GroupPlaceConflict()
    notifications.notify(
        db,
        member_id=member.id,
        kind="group_request_approved",
        actor_id=by.id,
        group_id=access.group.id,
    )
    return _place_view(db, viewer=by, group_id=group_id, member=member)


def decline_request(db: Session, *, group_id: int, member_id: int, by: Member) -> None:
    """An admin turns a request down, silently: the member may ask again."""
    _, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    if not repository.end_place(
        db, group_id=group_id, member_id=member.id, now=clock.now(), standings=("requested",)
    ):
        raise GroupPlaceConflict()


def invite_to_group(db: Session, *, group_id: int, member_id: int | None, by: Member) -> PlaceView:
    """An admin invites a member (to a group of any policy): they are told, may see the group
    even when it is private, and join it or decline. A member who had asked to join is let in
    at once. A banned member may not be invited (409)."""
    access, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    now = clock.now()
    place = _current(repository.place_of(db, group_id=group_id, member_id=member.id), now)
    standing = place.standing if place is not None else None
    if standing == "banned":
        raise MemberBannedFromGroup()
    if standing == "requested":
        return approve_request(db, group_id=group_id, member_id=member.id, by=by)
    if standing is not None or not repository.take_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=now,
        values={"standing": "invited", "expires_at": now + _waiting_days(), "by_id": by.id},
    ):
        raise GroupPlaceConflict()
    notifications.notify(
        db, member_id=member.id, kind="group_invited", actor_id=by.id, group_id=access.group.id
    )
    return _place_view(db, viewer=by, group_id=group_id, member=member)


def _roles_removable_by(access: GroupAccess) -> tuple[str, ...]:
    """Whom an admin may remove or ban: members; the owner, admins too; never the owner."""
    return ("admin", "member") if access.is_owner else ("member",)


def _refuse_by_role(db: Session, *, access: GroupAccess, member: Member) -> None:
    place = repository.place_of(db, group_id=access.group.id, member_id=member.id)
    if (
        place is not None
        and place.standing == "member"
        and place.role not in _roles_removable_by(access)
    ):
        raise GroupRoleRefused()


def remove_member(db: Session, *, group_id: int, member_id: int, by: Member) -> None:
    """An admin removes a member (who may join again); an admin may not remove the owner or
    another admin, the owner may remove an admin."""
    access, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    _refuse_by_role(db, access=access, member=member)
    if not repository.end_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=clock.now(),
        standings=("member",),
        roles=_roles_removable_by(access),
    ):
        raise GroupMemberNotFound()


def ban_member(db: Session, *, group_id: int, member_id: int | None, by: Member) -> PlaceView:
    """An admin bans a member: out of the group (or their request or invitation ended), and
    unable to join or be invited until unbanned. A member of the community who is not in the
    group may be banned too. The same role rules as removing."""
    access, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    _refuse_by_role(db, access=access, member=member)
    now = clock.now()
    banned = {"standing": "banned", "role": "member", "expires_at": None, "by_id": by.id}
    changed = repository.change_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=now,
        standings=("member", "requested", "invited"),
        roles=_roles_removable_by(access),
        values=banned,
    ) or repository.take_place(db, group_id=group_id, member_id=member.id, now=now, values=banned)
    if not changed:
        raise GroupPlaceConflict()
    return _place_view(db, viewer=by, group_id=group_id, member=member)


def unban_member(db: Session, *, group_id: int, member_id: int, by: Member) -> None:
    """An admin lifts a ban: the member may join or be invited again."""
    _, member = _admin_acting_on(db, by=by, group_id=group_id, member_id=member_id)
    if not repository.end_place(
        db, group_id=group_id, member_id=member.id, now=clock.now(), standings=("banned",)
    ):
        raise GroupPlaceConflict()


def transfer_ownership(
    db: Session, *, group_id: int, member_id: int | None, by: Member
) -> GroupAccess:
    """The owner hands the group over to one of its members, who becomes its owner; the old
    owner stays on as an admin."""
    access = _as_admin(db, viewer=by, group_id=group_id)
    if not access.is_owner:
        raise GroupRoleRefused()
    member = _target(db, viewer=by, member_id=_required(member_id))
    if member.id == by.id:
        raise InvalidInput.for_field("member", N_("Choose another member of the group."))
    lock_members(db, (by.id, member.id))
    now = clock.now()
    # The old owner first: a group has one owner at a time (a unique index says so).
    if not repository.change_place(
        db,
        group_id=group_id,
        member_id=by.id,
        now=now,
        standings=("member",),
        roles=("owner",),
        values={"role": "admin"},
    ):
        raise GroupRoleRefused()
    if not repository.change_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=now,
        standings=("member",),
        values={"role": "owner"},
    ):
        # Undone with the rest of the unit of work, the old owner's change included.
        raise GroupMemberNotFound()
    return access_group(db, viewer=by, group_id=group_id)


def set_admin(
    db: Session, *, group_id: int, member_id: int | None, by: Member, admin: bool
) -> PlaceView:
    """The owner makes a member an admin, or an admin a member again."""
    access = _as_admin(db, viewer=by, group_id=group_id)
    if not access.is_owner:
        raise GroupRoleRefused()
    member = _target(db, viewer=by, member_id=_required(member_id))
    lock_members(db, (member.id,))
    if member.id == by.id:
        raise GroupRoleRefused()
    if not repository.change_place(
        db,
        group_id=group_id,
        member_id=member.id,
        now=clock.now(),
        standings=("member",),
        roles=("member",) if admin else ("admin",),
        values={"role": "admin" if admin else "member"},
    ):
        place = repository.place_of(db, group_id=group_id, member_id=member.id)
        if place is None or place.standing != "member":
            raise GroupMemberNotFound()
        raise GroupPlaceConflict()
    return _place_view(db, viewer=by, group_id=group_id, member=member)


def hand_over_groups_of(db: Session, *, member: Member) -> None:
    """Closing an account: each group the member owns passes to its longest-standing admin,
    else its longest-standing member, and the member stays in it as a plain member. A group
    with no one else stays theirs (gone with their account once erased)."""
    for group_id in repository.groups_owned_by(db, member_id=member.id):
        heir = repository.heir_of(db, group_id=group_id, owner_id=member.id)
        if heir is None:
            continue
        now = clock.now()
        repository.change_place(
            db,
            group_id=group_id,
            member_id=member.id,
            now=now,
            standings=("member",),
            roles=("owner",),
            values={"role": "member"},
        )
        if not repository.change_place(
            db,
            group_id=group_id,
            member_id=heir,
            now=now,
            standings=("member",),
            values={"role": "owner"},
        ):
            raise GroupPlaceConflict()


def forget_groups_without_members(db: Session) -> int:
    """After accounts are erased: the groups they leave without a member go too."""
    return repository.forget_groups_without_members(db)


# Reading


@dataclass(frozen=True)
class GroupView:
    """A group in a list or on its page: the viewer's place in it and its number of members."""

    access: GroupAccess
    member_count: int

    @property
    def group(self) -> Group:
        return self.access.group


@dataclass(frozen=True)
class PlaceView:
    """A member's place in a group, the member as the viewer sees them (degree, mutual
    connections)."""

    place: GroupMember
    member: MemberView


def group_of(db: Session, *, group_id: int, viewer: Member) -> GroupView:
    access = access_group(db, viewer=viewer, group_id=group_id)
    return GroupView(access, repository.count_members(db, group_id=access.group.id))


GroupsBox = Literal["member", "invited", "requested"]


def groups_for(
    db: Session,
    *,
    viewer: Member,
    q: str = "",
    sector: str = "",
    standing: GroupsBox | None = None,
    cursor: str | None,
    limit: int,
) -> Page[GroupView]:
    """Groups by name: those the viewer may know of whose name and sector hold these words
    (case and accents aside), or those where the viewer has this standing (their groups, the
    invitations waiting for them, their requests). Each with its member count and the viewer's
    place, in a few queries whatever the page's length."""
    for field, text in (("q", q), ("sector", sector)):
        if "\x00" in text:
            raise InvalidInput.for_field(field, N_("This field cannot contain a NUL character."))
    after = None
    if cursor:
        name_key, group_id = decode_cursor(cursor, shape=(str, int))
        after = (str(name_key), int(group_id))
    now = clock.now()
    rows = repository.find_groups(
        db,
        viewer_id=viewer.id,
        now=now,
        name_key=fold(q),
        sector_key=fold(sector),
        standing=standing,
        after=after,
        limit=limit,
    )
    page = cut_page(rows, limit=limit, key=lambda group: (group.name_key, group.id))
    return Page(items=_group_views(db, page.items, viewer=viewer), next_cursor=page.next_cursor)


def _group_views(db: Session, groups: Sequence[Group], *, viewer: Member) -> list[GroupView]:
    ids = [group.id for group in groups]
    counts = repository.member_counts(db, group_ids=ids)
    places = repository.places_of_member(db, member_id=viewer.id, group_ids=ids)
    now = clock.now()
    return [
        GroupView(GroupAccess(group, _current(places.get(group.id), now)), counts.get(group.id, 0))
        for group in groups
    ]


PlacesBox = Literal["member", "requested", "invited", "banned"]


def places_in(
    db: Session,
    *,
    group_id: int,
    viewer: Member,
    standing: PlacesBox = "member",
    cursor: str | None,
    limit: int,
) -> Page[PlaceView]:
    """A group's members (the owner, then the admins, then by name), or, for its admins, the
    requests waiting, the invitations waiting or the banned; each member with their degree from
    the viewer and the connections they share; none a block hides from the viewer. A bounded
    number of queries whatever the page's length."""
    access = access_group(db, viewer=viewer, group_id=group_id)
    if standing != "member" and not access.is_admin:
        raise NotGroupAdmin()
    if not access.may_see_members:
        raise BannedFromGroup()
    after = None
    if cursor:
        rank, name_key, member_id = decode_cursor(cursor, shape=(int, str, int))
        after = (int(rank), str(name_key), int(member_id))
    rows = repository.places(
        db,
        group_id=group_id,
        standing=standing,
        viewer_id=viewer.id,
        now=clock.now(),
        after=after,
        limit=limit,
    )
    page = cut_page(
        rows, limit=limit, key=lambda row: (row.rank, row.member.name_key, row.member.id)
    )
    views = degrees.views_of(
        db, viewer=viewer, members=[row.member for row in page.items], with_mutual_count=True
    )
    return Page(
        items=[PlaceView(row.place, view) for row, view in zip(page.items, views, strict=True)],
        next_cursor=page.next_cursor,
    )


def _place_view(db: Session, *, viewer: Member, group_id: int, member: Member) -> PlaceView:
    place = repository.place_of(db, group_id=group_id, member_id=member.id)
    if place is None:
        raise GroupMemberNotFound()
    (view,) = degrees.views_of(db, viewer=viewer, members=[member], with_mutual_count=True)
    return PlaceView(place, view)


def groups_administered_by(db: Session, *, member: Member, limit: int = 100) -> list[Group]:
    """The groups the member runs (owner or admin), by name: where they may invite someone."""
    groups = repository.find_groups(
        db,
        viewer_id=member.id,
        now=clock.now(),
        name_key="",
        sector_key="",
        standing="member",
        after=None,
        limit=limit,
    )
    places = repository.places_of_member(db, member_id=member.id, group_ids=[g.id for g in groups])
    return [g for g in groups[:limit] if g.id in places and places[g.id].role in ADMINS]


# What members share


def group_ids_of(db: Session, *, member: Member) -> list[int]:
    """The groups the member is in."""
    return repository.group_ids_of(db, member_id=member.id)


def shared_group_counts(db: Session, *, member: Member, others: Collection[int]) -> dict[int, int]:
    """How many groups the member shares with each of `others`."""
    return repository.shared_group_counts(db, member_id=member.id, others=others)


def shared_groups(
    db: Session, *, member: Member, others: Collection[int]
) -> dict[int, list[GroupRef]]:
    """The groups the member shares with each of `others` (both in them), by name: a link
    between them. Groups the member is in, so none is hidden from them."""
    return repository.shared_groups(db, member_id=member.id, others=others)


def members_of_groups_of(db: Session, *, member: Member) -> dict[int, set[int]]:
    """The member's groups, each with its members: what suggestions read as the `groups`
    signal."""
    return repository.members_of_groups(
        db, group_ids=repository.group_ids_of(db, member_id=member.id)
    )


def admin_group_ids(db: Session, *, member: Member, among: Collection[int]) -> set[int]:
    """Of these groups, those the member runs (owner or admin)."""
    return repository.admin_group_ids(db, member_id=member.id, among=among)


def accesses_of(
    db: Session, *, viewer: Member, group_ids: Collection[int]
) -> dict[int, GroupAccess]:
    """The viewer's access to each of these groups, in one query: for a list of posts from
    several groups (the caller has already kept only what the viewer may read)."""
    now = clock.now()
    return {
        group.id: GroupAccess(group, _current(place, now))
        for group, place in repository.groups_with_places(
            db, member_id=viewer.id, group_ids=group_ids
        )
    }
