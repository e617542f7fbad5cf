"""Privacy: who may reach whom. The access choke point for members (a member who does not exist
and a member hidden by a block get the same 404), blocks and what they end, privacy settings, and
the rule of who may see a member's list of connections, and who may see a connection
(`ConnectionSight`: the one home of the rule every list, path, reason and card follows).

Every area that reads another member goes through `access_member`, and every list leaves out the
members `hidden_from` the viewer (in SQL, with `repository.blocked_either_way`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members
from vinculo.errors import N_, Conflict, Forbidden, NotFound
from vinculo.identity import repository as members
from vinculo.identity.models import Member
from vinculo.privacy import repository
from vinculo.privacy.models import ConnectionsVisibleTo, InvitePolicy, PrivacySettings
from vinculo.security.service import record_security_event


class MemberNotFound(NotFound):
    slug = "member-not-found"
    title = N_("Member not found")
    default_detail = N_("There is no member with this id, or you may not see them.")


class NotBlocked(NotFound):
    slug = "not-blocked"
    title = N_("Not blocked")
    default_detail = N_("You have not blocked this member.")


class ConnectionsPrivate(Forbidden):
    slug = "connections-private"
    title = N_("Connections are private")
    default_detail = N_("This member shows their connections to no one.")


# The detail of a ConnectionsPrivate for a member who is not one of the member's connections.
CONNECTIONS_ONLY = N_("This member shows their connections only to their connections.")


# Access


def access_member(db: Session, *, viewer: Member, member_id: int) -> Member:
    """The one way to reach a member: 404 when there is none, when a block, either way, hides
    them from the viewer, or when they closed their account. The viewer reaches themselves."""
    if member_id == viewer.id:
        return viewer
    member = repository.member_unless_blocked(db, viewer_id=viewer.id, member_id=member_id)
    if member is None:
        raise MemberNotFound()
    return member


def is_hidden(db: Session, *, viewer: Member, member_id: int) -> bool:
    """Whether a block, either way, (or a closed account) hides the member from the viewer."""
    return repository.is_blocked_either_way(db, a=viewer.id, b=member_id)


def hidden_from(db: Session, *, member: Member) -> set[int]:
    """The members a block, either way, hides from this member (for lists built in memory)."""
    return repository.blocked_ids_either_way(db, member_id=member.id)


def hidden_condition(member_id: int) -> Callable[[ColumnElement[int]], ColumnElement[bool]]:
    """For statements of other areas that list members (search): given their member id column,
    the condition that leaves out the members hidden from this member, in the statement itself."""
    return lambda column: repository.blocked_either_way(member_id, column)


def may_see_connections(setting: ConnectionsVisibleTo | str, *, own: bool, connected: bool) -> bool:
    """Whether a viewer may see a member's list of connections: always their own; another's when
    the member shows it to their connections and the viewer is one."""
    return own or (setting == "connections" and connected)


def check_connection_list(db: Session, *, viewer: Member, owner: Member, connected: bool) -> None:
    """Refuse (403, saying why) a viewer who may not see the owner's list of connections."""
    if owner.id == viewer.id:
        return
    setting = repository.settings_of(db, member_id=owner.id).connections_visible_to
    if setting == "only_me":
        raise ConnectionsPrivate()
    if not may_see_connections(setting, own=False, connected=connected):
        raise ConnectionsPrivate(CONNECTIONS_ONLY)


# Who may see a connection


@dataclass(frozen=True)
class ConnectionSight:
    """What one viewer may see of who is connected to whom: the one home of the rule every list,
    path, reason and card follows. A connection X–Y is visible to the viewer V when V is X or Y;
    or V may see X's or Y's list of connections; or X is a mutual connection of V and Y (or Y of
    V and X), since mutual connections are always shown. A block, either way, between the viewer
    and X or Y hides the connection: to the viewer that member is not there.

    Built once for a whole list (`connection_sight`), it answers for each connection in memory."""

    viewer_id: int
    connections: frozenset[int]  # the viewer's own connections
    open_lists: frozenset[int]  # of the members asked about, those whose list the viewer may see
    hidden: frozenset[int]  # the members a block, either way, hides from the viewer

    def sees(self, a: int, b: int) -> bool:
        """Whether the viewer may see the connection between `a` and `b` (two members the caller
        knows to be connected)."""
        if a in self.hidden or b in self.hidden:
            return False
        if self.viewer_id in (a, b) or a in self.open_lists or b in self.open_lists:
            return True
        # `a` is a connection of `b`: when it is one of the viewer's too, it is a mutual
        # connection of the two, and the same the other way round.
        return a in self.connections or b in self.connections


def connection_sight(
    db: Session, *, viewer: Member, members: Iterable[int], viewer_connections: Collection[int]
) -> ConnectionSight:
    """The viewer's sight of the connections between `members`, in two queries however many they
    are. The viewer's own connections come from the caller (the network area, above this one,
    reads them from its graph index)."""
    others = set(members) - {viewer.id}
    near = frozenset(viewer_connections)
    settings = repository.connection_visibilities(db, member_ids=others)
    return ConnectionSight(
        viewer_id=viewer.id,
        connections=near,
        open_lists=frozenset(
            other
            for other, setting in settings.items()
            if may_see_connections(setting, own=False, connected=other in near)
        ),
        hidden=frozenset(repository.blocked_ids_either_way(db, member_id=viewer.id)),
    )


# Blocks


class EndedByBlock(Protocol):
    """What an area ends between two members when one blocks the other (their connection, the
    invitations between them, ...). Each such area offers one; the block's caller passes them
    all, so that privacy, below those areas, need not know them."""

    def __call__(self, db: Session, *, blocker_id: int, blocked_id: int, now: datetime) -> None: ...


@dataclass(frozen=True)
class BlockedMember:
    member: Member
    blocked_at: datetime


def block_member(
    db: Session, *, blocker: Member, blocked_id: int, ending: Sequence[EndedByBlock]
) -> BlockedMember:
    """Block a member, then end what the two had together (`ending`). The blocked member is not
    told: to them the blocker simply no longer exists."""
    blocked = members.member_by_id(db, blocked_id)
    if blocked is None or blocked.id == blocker.id:
        raise MemberNotFound()
    lock_members(db, (blocker.id, blocked.id))
    if repository.block_exists(db, blocker_id=blocked.id, blocked_id=blocker.id):
        # They blocked you first (perhaps while we waited): answer as if they did not exist.
        raise MemberNotFound()
    now = clock.now()
    if not repository.add_block(db, blocker_id=blocker.id, blocked_id=blocked.id, now=now):
        raise Conflict(N_("You have already blocked this member."))
    for end in ending:
        end(db, blocker_id=blocker.id, blocked_id=blocked.id, now=now)
    record_security_event(
        db, member_id=blocker.id, kind="member_blocked", detail=f"member #{blocked.id}"
    )
    return BlockedMember(blocked, now)


def unblock_member(db: Session, *, blocker: Member, blocked_id: int) -> None:
    if not repository.delete_block(db, blocker_id=blocker.id, blocked_id=blocked_id):
        raise NotBlocked()
    record_security_event(
        db, member_id=blocker.id, kind="member_unblocked", detail=f"member #{blocked_id}"
    )


def blocked_members(db: Session, *, member: Member) -> list[BlockedMember]:
    """The members this member blocked, by name."""
    return [
        BlockedMember(blocked, block.created_at)
        for blocked, block in repository.blocked_by(db, blocker_id=member.id)
    ]


# Settings


def privacy_settings(db: Session, *, member: Member) -> PrivacySettings:
    return repository.settings_of(db, member_id=member.id)


def update_privacy_settings(
    db: Session,
    *,
    member: Member,
    who_can_invite: InvitePolicy | None = None,
    connections_visible_to: ConnectionsVisibleTo | None = None,
) -> PrivacySettings:
    current = repository.settings_of(db, member_id=member.id)
    repository.save_settings(
        db,
        PrivacySettings(
            member_id=member.id,
            who_can_invite=who_can_invite or current.who_can_invite,
            connections_visible_to=connections_visible_to or current.connections_visible_to,
        ),
    )
    return repository.settings_of(db, member_id=member.id)
