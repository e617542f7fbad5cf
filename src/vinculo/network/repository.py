"""All SQL of the network: invitations, connections, blocks, settings, notifications, and the
degree and mutual-connection queries the pages need until the graph engine answers them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import (
    insert as insert_statement,
)
from sqlalchemy.orm import Session

from vinculo.db import insert_new
from vinculo.identity.models import Member
from vinculo.network.models import (
    Block,
    Connection,
    ConnectionChange,
    Invitation,
    NetworkSettings,
    Notification,
)
from vinculo.profiles.models import Education, Organization, Position, School


class SharedPlace(NamedTuple):
    kind: str  # "organization" or "school"
    name: str
    start_year: int
    end_year: int | None
    other_start_year: int
    other_end_year: int | None


CHANGES_CHANNEL = "vinculo_connections"


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def lock_members(db: Session, member_ids: Iterable[int]) -> None:
    """Make network changes that touch these members take turns.

    On SQLite the unit of work already holds the write lock. On PostgreSQL, transaction-scoped
    advisory locks, always taken in ascending order so that two transactions cannot deadlock."""
    if db.get_bind().dialect.name != "postgresql":
        return
    # A key is a 32-bit integer: larger ids wrap around (two members sharing a lock only wait).
    for key in sorted({member_id % 2**31 for member_id in member_ids}):
        db.execute(text("SELECT pg_advisory_xact_lock(1, CAST(:key AS integer))"), {"key": key})


# Invitations


def add_invitation(db: Session, invitation: Invitation) -> Invitation:
    db.add(invitation)
    db.flush()
    return invitation


def invitation_by_id(db: Session, invitation_id: int) -> Invitation | None:
    return db.get(Invitation, invitation_id, populate_existing=True)


def pending_between(db: Session, a: int, b: int) -> Invitation | None:
    """The pending invitation of the pair, either way (there is at most one)."""
    low, high = ordered(a, b)
    return db.scalar(
        select(Invitation).where(
            Invitation.low_id == low, Invitation.high_id == high, Invitation.status == "pending"
        )
    )


def open_invitation(
    db: Session, *, sender_id: int, recipient_id: int, statuses: Sequence[str], now: datetime
) -> Invitation | None:
    """The sender's unexpired invitation to the recipient in one of these statuses, if any."""
    return db.scalar(
        select(Invitation)
        .where(
            Invitation.sender_id == sender_id,
            Invitation.recipient_id == recipient_id,
            Invitation.status.in_(statuses),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def count_open_invitations(db: Session, *, member_id: int, box: str, now: datetime) -> int:
    """How many invitations wait for the member's answer (received), or look pending to the member
    who sent them (sent: an ignored one still does)."""
    if box == "received":
        condition = and_(Invitation.recipient_id == member_id, Invitation.status == "pending")
    else:
        condition = and_(
            Invitation.sender_id == member_id, Invitation.status.in_(("pending", "ignored"))
        )
    return int(db.scalar(select(func.count()).where(condition, Invitation.expires_at > now)) or 0)


def ignored_open_from(db: Session, *, sender_id: int, recipient_id: int, now: datetime) -> bool:
    """Whether the sender has an ignored invitation to the recipient that still looks pending."""
    return bool(
        db.scalar(
            select(
                exists().where(
                    Invitation.sender_id == sender_id,
                    Invitation.recipient_id == recipient_id,
                    Invitation.status == "ignored",
                    Invitation.expires_at > now,
                )
            )
        )
    )


def close_pending(
    db: Session,
    *,
    invitation_id: int,
    status: str,
    now: datetime,
    reported: bool = False,
    open_statuses: Sequence[str] = ("pending",),
) -> bool:
    """Move one invitation out of pending; False when it no longer was (someone else won).

    `open_statuses` widens what counts as open: to its sender, an ignored invitation still is.
    A report, once made, stays on the invitation."""
    values: dict[str, Any] = {"status": status, "closed_at": now}
    if reported:
        values["reported"] = True
    if status == "ignored":
        values["ignored_at"] = now
    result = db.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.status.in_(open_statuses),
            Invitation.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def close_pair(
    db: Session, *, a: int, b: int, status_from_a: str, status_from_b: str, now: datetime
) -> None:
    """Close every open invitation between two members (a block), each direction its own way.

    Open means open as its sender sees it: an ignored invitation still looks pending to its
    sender, so closing it any other way than ignoring closes that one too (keeping its
    `ignored_at`). One past its expiry is already expired, and stays as it is."""
    for sender, recipient, status in ((a, b, status_from_a), (b, a, status_from_b)):
        values: dict[str, Any] = {"status": status, "closed_at": now}
        open_statuses: tuple[str, ...] = ("pending",)
        if status == "ignored":
            values["ignored_at"] = now
        else:
            open_statuses = ("pending", "ignored")
        db.execute(
            update(Invitation)
            .where(
                Invitation.sender_id == sender,
                Invitation.recipient_id == recipient,
                Invitation.status.in_(open_statuses),
                Invitation.expires_at > now,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def mark_pair_accepted(db: Session, *, a: int, b: int, now: datetime) -> None:
    """Once connected, no invitation between the two stays open (an ignored one included)."""
    low, high = ordered(a, b)
    db.execute(
        update(Invitation)
        .where(
            Invitation.low_id == low,
            Invitation.high_id == high,
            Invitation.status.in_(("pending", "ignored")),
            Invitation.expires_at > now,
        )
        .values(status="accepted", closed_at=now)
        .execution_options(synchronize_session=False)
    )


def invitations(
    db: Session,
    *,
    member_id: int,
    box: str,
    now: datetime,
    after: int | None,
    limit: int,
) -> list[Invitation]:
    """A member's received or sent invitations, newest first; `limit + 1` at most.

    Received: what is still waiting for an answer (pending and not expired). Sent: all of them."""
    statement = select(Invitation)
    if box == "received":
        statement = statement.where(
            Invitation.recipient_id == member_id,
            Invitation.status == "pending",
            Invitation.expires_at > now,
        )
    else:
        statement = statement.where(Invitation.sender_id == member_id)
    if after is not None:
        statement = statement.where(Invitation.id < after)
    return list(db.scalars(statement.order_by(Invitation.id.desc()).limit(limit + 1)))


def sent_since(db: Session, *, sender_id: int, since: datetime) -> tuple[int, datetime | None]:
    count, oldest = db.execute(
        select(func.count(), func.min(Invitation.created_at)).where(
            Invitation.sender_id == sender_id, Invitation.created_at >= since
        )
    ).one()
    return int(count), oldest


def answered_by_others(db: Session, *, sender_id: int) -> tuple[int, int]:
    """How many of the sender's invitations were answered, and how many of those accepted. An
    ignored invitation its sender withdrew afterwards is still an answer."""
    answered, accepted = db.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Invitation.status == "accepted", 1), else_=0)), 0),
        ).where(
            Invitation.sender_id == sender_id,
            or_(Invitation.status == "accepted", Invitation.ignored_at.is_not(None)),
        )
    ).one()
    return int(answered), int(accepted)


def reports_since(db: Session, *, sender_id: int, since: datetime) -> int:
    """How many of the sender's invitations were reported since then. A report dates from when it
    was made (`ignored_at`), not from `closed_at`, which a later withdrawal by the sender moves."""
    return int(
        db.scalar(
            select(func.count()).where(
                Invitation.sender_id == sender_id,
                Invitation.reported.is_(True),
                func.coalesce(Invitation.ignored_at, Invitation.closed_at) >= since,
            )
        )
        or 0
    )


def last_closed_from(
    db: Session, *, sender_id: int, recipient_id: int, now: datetime
) -> datetime | None:
    """When the sender's latest unsuccessful invitation to the recipient ended, as the sender saw
    it: a withdrawal when it happened; an ignore, a report or an expiry at the expiry time."""
    ended = case(
        (Invitation.status == "withdrawn", Invitation.closed_at), else_=Invitation.expires_at
    )
    last: datetime | None = db.scalar(
        select(func.max(ended)).where(
            Invitation.sender_id == sender_id,
            Invitation.recipient_id == recipient_id,
            or_(
                Invitation.status.in_(("withdrawn", "ignored", "expired")),
                and_(Invitation.status == "pending", Invitation.expires_at <= now),
            ),
        )
    )
    return last


def expire_pending(db: Session, *, now: datetime) -> int:
    result = db.execute(
        update(Invitation)
        .where(Invitation.status == "pending", Invitation.expires_at <= now)
        .values(status="expired", closed_at=Invitation.expires_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def due_reminders(
    db: Session, *, sent_before: datetime, now: datetime, limit: int
) -> list[Invitation]:
    return list(
        db.scalars(
            select(Invitation)
            .where(
                Invitation.status == "pending",
                Invitation.reminded_at.is_(None),
                Invitation.created_at <= sent_before,
                Invitation.expires_at > now,
            )
            .order_by(Invitation.id)
            .limit(limit)
        )
    )


def mark_reminded(db: Session, *, invitation_id: int, now: datetime) -> bool:
    result = db.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Connections


def add_connection(db: Session, *, a: int, b: int, now: datetime) -> bool:
    """Connect two members; False when they already were."""
    low, high = ordered(a, b)
    if not insert_new(
        db, Connection, ("low_id", "high_id"), low_id=low, high_id=high, created_at=now
    ):
        return False
    _log_changes(db, [(low, high)], connected=True, now=now)
    return True


def _log_changes(
    db: Session, pairs: Sequence[tuple[int, int]], *, connected: bool, now: datetime
) -> None:
    """Write connection changes to the log every process's graph index follows, and on
    PostgreSQL wake the followers up (the notification is delivered at commit)."""
    if not pairs:
        return
    db.execute(
        insert_statement(ConnectionChange),
        [
            {"low_id": low, "high_id": high, "connected": connected, "created_at": now}
            for low, high in pairs
        ],
    )
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGES_CHANNEL})


def insert_connections(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many new connections at once (the demo, imports); each an ordered pair not yet connected."""
    if rows:
        db.execute(insert_statement(Connection), rows)
        _log_changes(
            db,
            [(row["low_id"], row["high_id"]) for row in rows],
            connected=True,
            now=max(row["created_at"] for row in rows),
        )


def connection_between(db: Session, a: int, b: int) -> Connection | None:
    return db.get(Connection, ordered(a, b), populate_existing=True)


def delete_connection(db: Session, *, a: int, b: int, now: datetime) -> bool:
    low, high = ordered(a, b)
    result = db.execute(
        delete(Connection).where(Connection.low_id == low, Connection.high_id == high)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _log_changes(db, [(low, high)], connected=False, now=now)
    return True


def count_connections(db: Session, *, member_id: int) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                or_(Connection.low_id == member_id, Connection.high_id == member_id)
            )
        )
        or 0
    )


def _neighbours(member_id: int) -> Select[tuple[int]]:
    """The ids of a member's connections, as a subquery."""
    return (
        union_all(
            select(Connection.high_id.label("id")).where(Connection.low_id == member_id),
            select(Connection.low_id.label("id")).where(Connection.high_id == member_id),
        )
        .subquery()
        .select()
    )


def neighbour_ids(db: Session, *, member_id: int) -> set[int]:
    return set(db.scalars(_neighbours(member_id)))


def connections_of(
    db: Session,
    *,
    member_id: int,
    tier: str | None,
    after: tuple[str, int] | None,
    limit: int,
    viewer_id: int | None = None,
) -> list[tuple[Member, Connection]]:
    """A member's connections with the connection row, by name; `limit + 1` at most. With a
    `viewer_id`, none who blocked the viewer or whom the viewer blocked."""
    is_low = Connection.low_id == member_id
    other_id = case((is_low, Connection.high_id), else_=Connection.low_id)
    statement = (
        select(Member, Connection)
        .join(Connection, Member.id == other_id)
        .where(or_(Connection.low_id == member_id, Connection.high_id == member_id))
    )
    if viewer_id is not None:
        statement = statement.where(~blocked_either_way(viewer_id, Member.id))
    if tier is not None:
        own_tier = case((is_low, Connection.low_tier), else_=Connection.high_tier)
        statement = statement.where(own_tier == tier)
    if after is not None:
        statement = statement.where(tuple_(Member.name_key, Member.id) > tuple_(*after))
    rows = db.execute(statement.order_by(Member.name_key, Member.id).limit(limit + 1))
    return [(member, connection) for member, connection in rows]


def mutual_connection_ids(db: Session, *, a: int, b: int) -> Select[tuple[int]]:
    mine = _neighbours(a).subquery()
    theirs = _neighbours(b).subquery()
    return select(mine.c.id).where(mine.c.id.in_(select(theirs.c.id)))


def mutual_connections(
    db: Session, *, a: int, b: int, after: tuple[str, int] | None, limit: int
) -> list[Member]:
    ids = mutual_connection_ids(db, a=a, b=b).subquery()
    statement = select(Member).where(Member.id.in_(select(ids.c.id)))
    if after is not None:
        statement = statement.where(tuple_(Member.name_key, Member.id) > tuple_(*after))
    return list(db.scalars(statement.order_by(Member.name_key, Member.id).limit(limit + 1)))


def members_among(
    db: Session, *, ids: Sequence[int], after: tuple[str, int] | None, limit: int
) -> list[Member]:
    """The members with these ids, by name after the cursor position; `limit + 1` at most."""
    if not ids:
        return []
    statement = select(Member).where(Member.id.in_(ids))
    if after is not None:
        statement = statement.where(tuple_(Member.name_key, Member.id) > tuple_(*after))
    return list(db.scalars(statement.order_by(Member.name_key, Member.id).limit(limit + 1)))


def count_mutual_connections(db: Session, *, a: int, b: int) -> int:
    ids = mutual_connection_ids(db, a=a, b=b).subquery()
    return int(db.scalar(select(func.count()).select_from(ids)) or 0)


def degrees_from(
    db: Session, *, viewer_id: int, member_ids: Sequence[int]
) -> dict[int, int | None]:
    """0 for the viewer, 1 for connections, 2 for connections of connections, else None."""
    wanted = set(member_ids)
    found: dict[int, int | None] = dict.fromkeys(wanted)
    if viewer_id in wanted:
        found[viewer_id] = 0
    first = neighbour_ids(db, member_id=viewer_id)
    for member_id in wanted & first:
        found[member_id] = 1
    rest = [member_id for member_id in wanted if found[member_id] is None]
    if rest and first:
        second_hand = union_all(
            select(Connection.high_id.label("id")).where(
                Connection.low_id.in_(first), Connection.high_id.in_(rest)
            ),
            select(Connection.low_id.label("id")).where(
                Connection.high_id.in_(first), Connection.low_id.in_(rest)
            ),
        ).subquery()
        for member_id in db.scalars(select(second_hand.c.id).distinct()):
            found[member_id] = 2
    return found


def update_connection_side(
    db: Session, *, member_id: int, other_id: int, tier: str | None, note: str | None
) -> bool:
    low, high = ordered(member_id, other_id)
    side = "low" if member_id == low else "high"
    values: dict[str, str] = {}
    if tier is not None:
        values[f"{side}_tier"] = tier
    if note is not None:
        values[f"{side}_note"] = note
    if not values:
        return connection_between(db, member_id, other_id) is not None
    result = db.execute(
        update(Connection)
        .where(Connection.low_id == low, Connection.high_id == high)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Links: what two members share besides connections


def shared_places(db: Session, *, a: int, b: int) -> list[SharedPlace]:
    """Organizations and schools where both members were during overlapping years (compared by
    year: months are often left out), with each one's years there."""
    found: list[SharedPlace] = []
    for kind, entry, place, key in (
        ("organization", Position, Organization, "organization_id"),
        ("school", Education, School, "school_id"),
    ):
        mine = select(entry).where(entry.member_id == a).subquery()
        theirs = select(entry).where(entry.member_id == b).subquery()
        statement = (
            select(
                place.name,
                mine.c.start_year,
                mine.c.end_year,
                theirs.c.start_year,
                theirs.c.end_year,
            )
            .join(mine, mine.c[key] == place.id)
            .join(theirs, theirs.c[key] == place.id)
            .where(
                mine.c.start_year <= func.coalesce(theirs.c.end_year, 9999),
                theirs.c.start_year <= func.coalesce(mine.c.end_year, 9999),
            )
            .order_by(place.name)
        )
        for name, a_start, a_end, b_start, b_end in db.execute(statement):
            found.append(SharedPlace(kind, name, a_start, a_end, b_start, b_end))
    return found


# Blocks


def block_exists(db: Session, *, blocker_id: int, blocked_id: int) -> bool:
    return db.get(Block, (blocker_id, blocked_id)) is not None


def blocked_either_way(a: int, b: SQLColumnExpression[int] | int) -> ColumnElement[bool]:
    """A condition: a blocked b or b blocked a."""
    return exists().where(
        or_(
            and_(Block.blocker_id == a, Block.blocked_id == b),
            and_(Block.blocker_id == b, Block.blocked_id == a),
        )
    )


def blocked_ids_either_way(db: Session, *, member_id: int) -> set[int]:
    """Every member with a block between them and this member, either way."""
    blocked = select(Block.blocked_id).where(Block.blocker_id == member_id)
    blockers = select(Block.blocker_id).where(Block.blocked_id == member_id)
    return set(db.scalars(blocked.union(blockers)))


def is_blocked_either_way(db: Session, *, a: int, b: int) -> bool:
    return bool(db.scalar(select(blocked_either_way(a, b))))


def add_block(db: Session, *, blocker_id: int, blocked_id: int, now: datetime) -> bool:
    return insert_new(
        db,
        Block,
        ("blocker_id", "blocked_id"),
        blocker_id=blocker_id,
        blocked_id=blocked_id,
        created_at=now,
    )


def delete_block(db: Session, *, blocker_id: int, blocked_id: int) -> bool:
    result = db.execute(
        delete(Block).where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def blocked_by(db: Session, *, blocker_id: int) -> list[tuple[Member, Block]]:
    rows = db.execute(
        select(Member, Block)
        .join(Block, Block.blocked_id == Member.id)
        .where(Block.blocker_id == blocker_id)
        .order_by(Member.name_key, Member.id)
    )
    return [(member, block) for member, block in rows]


# Settings


def settings_of(db: Session, *, member_id: int) -> NetworkSettings:
    """The member's settings row, or an unsaved one with the defaults."""
    found = db.get(NetworkSettings, member_id)
    if found is None:
        return NetworkSettings(
            member_id=member_id, who_can_invite="anyone", connections_visible_to="connections"
        )
    return found


def save_settings(db: Session, settings: NetworkSettings) -> None:
    db.merge(settings)
    db.flush()


# Notifications


def add_notification(
    db: Session,
    *,
    member_id: int,
    kind: str,
    actor_id: int,
    invitation_id: int | None,
    now: datetime,
) -> None:
    db.add(
        Notification(
            member_id=member_id,
            kind=kind,
            actor_id=actor_id,
            invitation_id=invitation_id,
            created_at=now,
        )
    )


def _not_blocked(member_id: int) -> ColumnElement[bool]:
    """Notifications whose actor has no block with the member either way: after a block, the
    other member is gone from each one's notifications, as from everything else."""
    return ~blocked_either_way(member_id, Notification.actor_id)


def notifications_of(
    db: Session, *, member_id: int, after: int | None, limit: int
) -> list[tuple[Notification, Member]]:
    statement = (
        select(Notification, Member)
        .join(Member, Member.id == Notification.actor_id)
        .where(Notification.member_id == member_id, _not_blocked(member_id))
    )
    if after is not None:
        statement = statement.where(Notification.id < after)
    rows = db.execute(statement.order_by(Notification.id.desc()).limit(limit + 1))
    return [(notification, actor) for notification, actor in rows]


def count_unread(db: Session, *, member_id: int) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                Notification.member_id == member_id,
                Notification.read_at.is_(None),
                _not_blocked(member_id),
            )
        )
        or 0
    )


def mark_read(db: Session, *, member_id: int, now: datetime) -> None:
    db.execute(
        update(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
