"""Connections: making and ending them, each side's private tier and note, and the lists of a
member's connections. Every change is logged for the graph indexes and applied to this process's
index once committed (`index.apply_after_commit`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members
from vinculo.errors import N_, Conflict, NotFound
from vinculo.identity.models import Member
from vinculo.network import degrees, repository
from vinculo.network.degrees import MemberView
from vinculo.network.index import apply_after_commit
from vinculo.network.models import Connection, Tier
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.privacy import service as privacy
from vinculo.settings import get_settings


class NotConnected(NotFound):
    slug = "not-connected"
    title = N_("Not connected")
    default_detail = N_("You are not connected with this member.")


class ConnectionLimit(Conflict):
    slug = "connection-limit"
    title = N_("Connection limit reached")
    default_detail = N_("A member can have at most %(limit)s connections.")


@dataclass(frozen=True, kw_only=True)
class ConnectionView(MemberView):
    """A connection as seen in a member's list: the other member as the viewer sees them, since
    when they are connected, and, in your own list only, your private tier and note."""

    connected_at: datetime
    tier: str | None
    note: str | None


# Making and ending connections


def is_connected(db: Session, *, a: int, b: int) -> bool:
    return repository.connection_between(db, a, b) is not None


def connect(db: Session, *, a: int, b: int, now: datetime) -> bool:
    """Connect two members, within the cap on connections; False when they already were. The
    caller holds the members' lock (`db.lock_members`)."""
    limit = get_settings().max_connections
    connected, count_a, count_b = repository.connections_around(db, a=a, b=b)
    if connected:
        return False
    if max(count_a, count_b) >= limit:
        raise ConnectionLimit(limit=limit)
    added = repository.add_connection(db, a=a, b=b, now=now)
    if added:
        apply_after_commit(db)
    return added


def remove_connection(db: Session, *, member: Member, other_id: int) -> None:
    """End a connection, silently: the other member is not told."""
    lock_members(db, (member.id, other_id))
    if not repository.delete_connection(db, a=member.id, b=other_id, now=clock.now()):
        raise NotConnected()
    apply_after_commit(db)


def end_connection_for_block(
    db: Session, *, blocker_id: int, blocked_id: int, now: datetime
) -> None:
    """A block ends the connection between the two, if there was one."""
    if repository.delete_connection(db, a=blocker_id, b=blocked_id, now=now):
        apply_after_commit(db)


def end_connections_of(
    db: Session, *, member_ids: Sequence[int], now: datetime
) -> list[Connection]:
    """Closing or erasing accounts ends every connection of these members, silently, as
    removing each would; the connections that ended, as they were. The caller holds the
    members' lock, or knows that nobody can connect with them (accounts closed long ago)."""
    removed = repository.delete_connections_of(db, member_ids=member_ids, now=now)
    if removed:
        apply_after_commit(db)
    return removed


def restore_connections(db: Session, connections: Sequence[Connection], *, now: datetime) -> int:
    """Reopening an account connects again those of the connections it ended that the caller
    found may be (no block, nobody closed since), as they were, with both sides' tiers and
    notes; pairs connected meanwhile stay as they are. How many. The caller holds the
    members' lock."""
    restored = repository.restore_connections(db, connections, now=now)
    if restored:
        apply_after_commit(db)
    return restored


def add_connections(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many new connections at once, for a community being built (the demo): ordered pairs
    (`low_id`, `high_id`, `created_at`) not yet connected."""
    repository.insert_connections(db, rows)
    apply_after_commit(db)


def import_connections(db: Session, pairs: Iterable[tuple[int, int]], *, now: datetime) -> int:
    """Connect every ordered pair not yet connected (an import); how many were new."""
    added = repository.import_connections(db, pairs, now=now)
    if added:
        apply_after_commit(db)
    return added


# Lists and sides


def connections_of(
    db: Session,
    *,
    viewer: Member,
    member_id: int,
    tier: Tier | None = None,
    cursor: str | None,
    limit: int,
) -> Page[ConnectionView]:
    """A member's connections, by name. Others' lists follow their privacy setting and leave out
    anyone with a block between them and the viewer; the tier and the note are private, shown
    only in your own list."""
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    own = member.id == viewer.id
    privacy.check_connection_list(
        db, viewer=viewer, owner=member, connected=own or is_connected(db, a=viewer.id, b=member.id)
    )
    after = None
    if cursor:
        name_key, last_id = decode_cursor(cursor, shape=(str, int))
        after = (str(name_key), int(last_id))
    rows = repository.connections_of(
        db,
        member_id=member.id,
        tier=tier if own else None,
        after=after,
        limit=limit,
        viewer_id=None if own else viewer.id,
    )
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].name_key, row[0].id))
    views = degrees.views_of(db, viewer=viewer, members=[other for other, _ in page.items])
    return Page(
        items=[
            _connection_view(view, connection.created_at, connection.side_of(member.id), own=own)
            for view, (_, connection) in zip(views, page.items, strict=True)
        ],
        next_cursor=page.next_cursor,
    )


def _connection_view(
    view: MemberView, connected_at: datetime, side: tuple[str, str], *, own: bool
) -> ConnectionView:
    return ConnectionView(
        member=view.member,
        degree=view.degree,
        mutual_count=view.mutual_count,
        connected_at=connected_at,
        tier=side[0] if own else None,
        note=side[1] if own else None,
    )


def connection_with(db: Session, *, member: Member, other_id: int) -> ConnectionView:
    """Your connection with one member, with your tier and note."""
    other = privacy.access_member(db, viewer=member, member_id=other_id)
    connection = repository.connection_between(db, member.id, other.id)
    if connection is None:
        raise NotConnected()
    view = degrees.view_of(db, viewer=member, member=other)
    return _connection_view(view, connection.created_at, connection.side_of(member.id), own=True)


def update_connection(
    db: Session, *, member: Member, other_id: int, tier: Tier | None, note: str | None
) -> ConnectionView:
    """Set your private tier and note for a connection; the other member never sees them."""
    if note is not None:
        note = note.strip()
    if not repository.update_connection_side(
        db, member_id=member.id, other_id=other_id, tier=tier, note=note
    ):
        raise NotConnected()
    return connection_with(db, member=member, other_id=other_id)


def connection_count(db: Session, *, member: Member) -> int:
    return repository.count_connections(db, member_id=member.id)


@dataclass(frozen=True)
class MemberConnections:
    """Another member's connections as the viewer may see them, with how many they have."""

    member: Member
    total: int
    page: Page[ConnectionView]


def member_connections(
    db: Session, *, viewer: Member, member_id: int, cursor: str | None, limit: int
) -> MemberConnections:
    page = connections_of(db, viewer=viewer, member_id=member_id, cursor=cursor, limit=limit)
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    return MemberConnections(member, repository.count_connections(db, member_id=member.id), page)
