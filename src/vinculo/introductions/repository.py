"""All SQL of introductions: the conditional updates of the life cycle, the lists of each role,
what the weekly cap and the cooldown read, and the counts of the insight."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from vinculo.identity.models import Member
from vinculo.introductions.models import (
    UNSUCCESSFUL,
    Counts,
    Introduction,
    IntroductionStatus,
)
from vinculo.invitations.models import Invitation, InvitationStatus
from vinculo.network.models import Connection
from vinculo.privacy.repository import blocked_either_way

REQUESTED = IntroductionStatus.REQUESTED


class Row(NamedTuple):
    """An introduction with what its invitation says, once it became one."""

    introduction: Introduction
    invitation_status: InvitationStatus | None
    invitation_expires_at: datetime | None


def add(db: Session, introduction: Introduction) -> Introduction:
    db.add(introduction)
    db.flush()
    return introduction


def row_by_id(db: Session, introduction_id: int) -> Row | None:
    found = db.execute(
        _with_invitation()
        .where(Introduction.id == introduction_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    return None if found is None else Row(*found)


def _with_invitation() -> Any:
    return select(Introduction, Invitation.status, Invitation.expires_at).outerjoin(
        Invitation, Invitation.id == Introduction.invitation_id
    )


def waiting_for_pair(db: Session, *, requester_id: int, target_id: int) -> list[Introduction]:
    """The requester's introductions to the target still stored as requested (past their expiry
    or not: at most one)."""
    return list(
        db.scalars(
            select(Introduction).where(
                Introduction.requester_id == requester_id,
                Introduction.target_id == target_id,
                Introduction.status == REQUESTED,
            )
        )
    )


def set_invitation(db: Session, *, introduction: Introduction, invitation_id: int) -> None:
    """The invitation a forwarded introduction became."""
    db.execute(
        update(Introduction)
        .where(Introduction.id == introduction.id)
        .values(invitation_id=invitation_id)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(introduction, "invitation_id", invitation_id)


def by_invitations(db: Session, *, invitation_ids: Collection[int]) -> list[Introduction]:
    if not invitation_ids:
        return []
    return list(
        db.scalars(
            select(Introduction).where(Introduction.invitation_id.in_(sorted(invitation_ids)))
        )
    )


def expire_waiting(db: Session, *, now: datetime) -> int:
    result = db.execute(
        update(Introduction)
        .where(Introduction.status == REQUESTED, Introduction.expires_at <= now)
        .values(status=IntroductionStatus.EXPIRED, closed_at=Introduction.expires_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def change_waiting(
    db: Session, *, introduction_id: int, now: datetime, values: dict[str, Any]
) -> bool:
    """Change one introduction still waiting (requested and not past its expiry); False when it
    no longer was (someone else won the race, or it expired)."""
    result = db.execute(
        update(Introduction)
        .where(
            Introduction.id == introduction_id,
            Introduction.status == REQUESTED,
            Introduction.expires_at > now,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    loaded = db.identity_map.get(identity_key(Introduction, introduction_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)
    return True


def close_waiting_between(
    db: Session,
    *,
    a: int,
    b: int,
    status: IntroductionStatus,
    requester_id: int | None,
    now: datetime,
) -> None:
    """Close the waiting introductions in which both `a` and `b` take part (a block between
    them): those whose requester is `requester_id` (when given), or whose requester is neither
    (when None)."""
    parties = (
        Introduction.requester_id,
        Introduction.introducer_id,
        Introduction.target_id,
        func.coalesce(Introduction.via_id, 0),
    )
    condition = and_(
        or_(*(column == a for column in parties)), or_(*(column == b for column in parties))
    )
    whose = (
        Introduction.requester_id == requester_id
        if requester_id is not None
        else Introduction.requester_id.not_in((a, b))
    )
    db.execute(
        update(Introduction)
        .where(condition, whose, Introduction.status == REQUESTED, Introduction.expires_at > now)
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session=False)
    )


def close_waiting_of(db: Session, *, member_id: int, now: datetime) -> None:
    """A closed account: its waiting introductions, as requester withdrawn, in any other part
    declined (their requester is told "not forwarded")."""
    for status, requester in (
        (IntroductionStatus.WITHDRAWN, Introduction.requester_id == member_id),
        (
            IntroductionStatus.DECLINED,
            and_(
                Introduction.requester_id != member_id,
                or_(
                    Introduction.introducer_id == member_id,
                    Introduction.target_id == member_id,
                    Introduction.via_id == member_id,
                ),
            ),
        ),
    ):
        db.execute(
            update(Introduction)
            .where(requester, Introduction.status == REQUESTED, Introduction.expires_at > now)
            .values(status=status, closed_at=now)
            .execution_options(synchronize_session=False)
        )


def _not_hidden(viewer_id: int) -> ColumnElement[bool]:
    """Introductions none of whose members is hidden from the viewer by a block, either way
    (or a closed account): to the viewer, such an introduction is gone with the member."""
    return and_(
        ~blocked_either_way(viewer_id, Introduction.requester_id),
        ~blocked_either_way(viewer_id, Introduction.introducer_id),
        ~blocked_either_way(viewer_id, Introduction.target_id),
        ~blocked_either_way(viewer_id, func.coalesce(Introduction.via_id, 0)),
    )


def sent_by(db: Session, *, member_id: int, after: int | None, limit: int) -> list[Row]:
    """The member's requests, newest first; `limit + 1` at most."""
    statement = _with_invitation().where(
        Introduction.requester_id == member_id, _not_hidden(member_id)
    )
    return _page(db, statement, after=after, limit=limit)


def waiting_for(
    db: Session, *, member_id: int, now: datetime, after: int | None, limit: int
) -> list[Row]:
    """The requests waiting for this member's answer, as introducer or second introducer."""
    statement = _with_invitation().where(
        or_(
            and_(Introduction.introducer_id == member_id, Introduction.via_id.is_(None)),
            Introduction.via_id == member_id,
        ),
        Introduction.status == REQUESTED,
        Introduction.expires_at > now,
        _not_hidden(member_id),
    )
    return _page(db, statement, after=after, limit=limit)


def handled_by(db: Session, *, member_id: int, after: int | None, limit: int) -> list[Row]:
    """The requests this member was asked and answered (forwarded, passed on or declined)."""
    statement = _with_invitation().where(
        or_(
            and_(
                Introduction.introducer_id == member_id,
                or_(Introduction.via_id.is_not(None), Introduction.status != REQUESTED),
            ),
            and_(Introduction.via_id == member_id, Introduction.status != REQUESTED),
        ),
        Introduction.status != IntroductionStatus.WITHDRAWN,
        _not_hidden(member_id),
    )
    return _page(db, statement, after=after, limit=limit)


def taking_part(db: Session, *, member_id: int) -> list[Row]:
    """Every introduction the member asked for, or was asked to make (first or passed on),
    oldest first, but those with a member a block hides from them (the export of their data)."""
    statement = _with_invitation().where(
        or_(
            Introduction.requester_id == member_id,
            Introduction.introducer_id == member_id,
            Introduction.via_id == member_id,
        ),
        _not_hidden(member_id),
    )
    return [Row(*row) for row in db.execute(statement.order_by(Introduction.id))]


def _page(db: Session, statement: Any, *, after: int | None, limit: int) -> list[Row]:
    if after is not None:
        statement = statement.where(Introduction.id < after)
    rows = db.execute(statement.order_by(Introduction.id.desc()).limit(limit + 1))
    return [Row(*row) for row in rows]


def count_waiting_for(db: Session, *, member_id: int, now: datetime) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Introduction)
            .where(
                or_(
                    and_(Introduction.introducer_id == member_id, Introduction.via_id.is_(None)),
                    Introduction.via_id == member_id,
                ),
                Introduction.status == REQUESTED,
                Introduction.expires_at > now,
                _not_hidden(member_id),
            )
        )
        or 0
    )


class RequesterRecord(NamedTuple):
    """What the cap and the cooldown read of a requester's introductions."""

    unforwarded_this_week: int  # asked since the start of the week, not (yet) an invitation
    oldest_this_week: datetime | None
    last_ended: datetime | None  # to this target, without a connection: the cooldown's start


def requester_record(
    db: Session, *, requester_id: int, target_id: int, week_start: datetime
) -> RequesterRecord:
    recent = and_(Introduction.created_at >= week_start, Introduction.invitation_id.is_(None))
    ended_at = case(
        (Introduction.status == IntroductionStatus.EXPIRED, Introduction.expires_at),
        else_=Introduction.closed_at,
    )
    row = db.execute(
        select(
            func.count().filter(recent),
            func.min(Introduction.created_at).filter(recent),
            func.max(ended_at).filter(
                Introduction.target_id == target_id,
                Introduction.status.in_(UNSUCCESSFUL),
                Introduction.invitation_id.is_(None),
            ),
        ).where(Introduction.requester_id == requester_id)
    ).one()
    return RequesterRecord(int(row[0]), row[1], row[2])


# Read for every page of 2nd-degree members, about many members at once: built once, each list
# of ids or pairs one parameter whatever its length (so that PostgreSQL plans them once per
# connection), and read without the ORM's machinery (its cost is in the hundreds of
# microseconds a statement). A list is an array on PostgreSQL, a JSON list on SQLite.

_DIALECTS = ("postgresql", "sqlite")


def _introducer_facts(dialect: str) -> Select[int, str, datetime, str]:
    viewer = bindparam("viewer_id", type_=BigInteger)
    below = Member.id < viewer  # the member is the pair's low side
    if dialect == "postgresql":
        wanted = Member.id == any_(bindparam("member_ids", type_=ARRAY(BigInteger)))
    else:
        listed = func.json_each(bindparam("member_ids", type_=String))
        wanted = Member.id.in_(select(literal_column("value")).select_from(listed))
    return (
        select(
            Member.id,
            Member.name_key,
            Connection.created_at,
            case((below, Connection.high_tier), else_=Connection.low_tier),
        )
        .outerjoin(
            Connection,
            and_(
                Connection.low_id == case((below, Member.id), else_=viewer),
                Connection.high_id == case((below, viewer), else_=Member.id),
            ),
        )
        .where(wanted)
    )


def _facts_by_pair(dialect: str) -> Select[int, int, datetime, str, str]:
    """Joined to the pairs, each pair is one look-up by key (SQLite reads the whole table for
    `(low_id, high_id) IN (VALUES …)`)."""
    pairs: Any
    if dialect == "postgresql":
        lows, highs = (bindparam(name, type_=ARRAY(BigInteger)) for name in ("lows", "highs"))
        pairs = func.unnest(lows, highs).table_valued("low", "high").render_derived()
        low, high = pairs.c.low, pairs.c.high
    else:
        pairs = func.json_each(bindparam("pairs", type_=String)).table_valued("value")
        low = func.json_extract(pairs.c.value, "$[0]")
        high = func.json_extract(pairs.c.value, "$[1]")
    return select(
        Connection.low_id,
        Connection.high_id,
        Connection.created_at,
        Connection.low_tier,
        Connection.high_tier,
    ).join_from(pairs, Connection, and_(Connection.low_id == low, Connection.high_id == high))


_INTRODUCER_FACTS = {dialect: _introducer_facts(dialect) for dialect in _DIALECTS}
_FACTS_BY_PAIR = {dialect: _facts_by_pair(dialect) for dialect in _DIALECTS}


class IntroducerFacts(NamedTuple):
    """What a viewer knows of a member who could introduce them: the sort key of their name,
    and, when the two are connected, since when and the viewer's own tier for them."""

    name_key: str
    since: datetime | None
    tier: str | None


def introducer_facts(
    db: Session, *, viewer_id: int, member_ids: Collection[int]
) -> dict[int, IntroducerFacts]:
    """For each of these members who exists, what the viewer knows of them; one query, a
    primary-key look-up each."""
    if not member_ids:
        return {}
    dialect = db.get_bind().dialect.name
    ids = sorted(member_ids)
    rows = db.connection().execute(
        _INTRODUCER_FACTS[dialect],
        {"viewer_id": viewer_id, "member_ids": ids if dialect == "postgresql" else json.dumps(ids)},
    )
    return {member_id: IntroducerFacts(key, at, tier) for member_id, key, at, tier in rows}


class ConnectionFacts(NamedTuple):
    created_at: datetime
    low_tier: str
    high_tier: str


def connection_facts(
    db: Session, *, pairs: Collection[tuple[int, int]]
) -> dict[tuple[int, int], ConnectionFacts]:
    """For each of these pairs (each in order, low first) that is connected: since when, and
    each side's private tier; one query, a primary-key look-up per pair."""
    if not pairs:
        return {}
    dialect = db.get_bind().dialect.name
    ordered = sorted(pairs)
    values: dict[str, Any] = (
        {"lows": [low for low, _ in ordered], "highs": [high for _, high in ordered]}
        if dialect == "postgresql"
        else {"pairs": json.dumps(ordered)}
    )
    rows = db.connection().execute(_FACTS_BY_PAIR[dialect], values)
    return {(low, high): ConnectionFacts(at, lt, ht) for low, high, at, lt, ht in rows}


def _counts_of(condition: ColumnElement[bool] | None, db: Session) -> Counts:
    forwarded = Introduction.invitation_id.is_not(None)
    connected = Invitation.status == InvitationStatus.ACCEPTED
    statement = (
        select(func.count(), func.count().filter(forwarded), func.count().filter(connected))
        .select_from(Introduction)
        .outerjoin(Invitation, Invitation.id == Introduction.invitation_id)
    )
    if condition is not None:
        statement = statement.where(condition)
    row = db.execute(statement).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]))


def counts_as_requester(db: Session, *, member_id: int) -> Counts:
    return _counts_of(Introduction.requester_id == member_id, db)


def counts_as_introducer(db: Session, *, member_id: int) -> Counts:
    """The requests this member was asked (first or second), those they or the member they
    passed it to forwarded, and those that ended connected."""
    return _counts_of(
        or_(Introduction.introducer_id == member_id, Introduction.via_id == member_id), db
    )


def counts_of_community(db: Session) -> Counts:
    return _counts_of(None, db)
