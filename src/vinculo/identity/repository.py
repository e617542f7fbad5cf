"""All SQL of identity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from vinculo.identity.models import (
    NO_PASSWORD,
    AccountLink,
    AuthSession,
    LoginFailure,
    Member,
    RecoveryCode,
    TwoFactor,
)


def member_by_id(db: Session, member_id: int) -> Member | None:
    return db.get(Member, member_id)


def member_by_email(db: Session, email: str) -> Member | None:
    return db.scalars(select(Member).where(Member.email == email)).one_or_none()


def add_member(db: Session, member: Member) -> bool:
    """Insert a new member; False when the email is already taken (even by a racing request)."""
    try:
        with db.begin_nested():
            db.add(member)
    except IntegrityError:
        return False
    return True


def close_member(db: Session, *, member_id: int, at: datetime) -> bool:
    """Mark an open account closed; False when it was closed already (by a racing request)."""
    result = db.execute(
        update(Member)
        .where(Member.id == member_id, Member.closed_at.is_(None))
        .values(closed_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reopen_member(db: Session, *, member_id: int) -> bool:
    """Mark a closed account open again; False when it is not there any more (erased)."""
    result = db.execute(
        update(Member)
        .where(Member.id == member_id, Member.closed_at.is_not(None))
        .values(closed_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def members_closed_before(db: Session, *, before: datetime) -> list[tuple[int, str]]:
    """The id and email of every account closed before this time, their rows locked until the
    transaction ends (on PostgreSQL): a login reopening one waits, or is waited for and the
    account is left out."""
    rows = db.execute(
        select(Member.id, Member.email).where(Member.closed_at < before).with_for_update()
    )
    return [(int(member_id), email) for member_id, email in rows]


def delete_closed_members(
    db: Session, *, member_ids: Sequence[int], emails: Sequence[str], closed_before: datetime
) -> int:
    """Delete these members, with everything that goes with them, and the failed logins of their
    emails; only those still closed since before `closed_before` (a login may have reopened
    one meanwhile). How many were deleted."""
    db.execute(delete(LoginFailure).where(LoginFailure.email.in_(emails)))
    result = db.execute(
        delete(Member).where(Member.id.in_(member_ids), Member.closed_at < closed_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_members(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Member)) or 0


def insert_members(db: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert many members at once (bulk loads); their ids, in the order of the rows."""
    if not rows:
        return []
    result = db.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def add_session(db: Session, auth_session: AuthSession) -> None:
    db.add(auth_session)
    db.flush()


class SessionOf(NamedTuple):
    """What a session or token says: whose, which kind, when last used, when it ends."""

    id: int
    kind: str
    last_seen_at: datetime
    expires_at: datetime


# Asked on every request: built once, and read without the ORM's machinery (its cost is in the
# hundreds of microseconds a statement, more than the round trip).
_MEMBER_COLUMNS = tuple(Member.__table__.c)
_SESSION_AND_MEMBER = (
    select(
        AuthSession.id,
        AuthSession.kind,
        AuthSession.last_seen_at,
        AuthSession.expires_at,
        *_MEMBER_COLUMNS,
    )
    .join(Member, Member.id == AuthSession.member_id)
    .where(AuthSession.token_hash == bindparam("token_hash", type_=AuthSession.token_hash.type))
)


def session_and_member(db: Session, token_hash: str) -> tuple[SessionOf, Member] | None:
    """The session or token with this hash and its member, in one query. The member is built
    from the row, detached: the caller attaches it to the unit of work that may change it."""
    row = db.connection().execute(_SESSION_AND_MEMBER, {"token_hash": token_hash}).one_or_none()
    if row is None:
        return None
    member = Member(
        **{column.key: value for column, value in zip(_MEMBER_COLUMNS, row[4:], strict=True)}
    )
    make_transient_to_detached(member)
    return SessionOf(row[0], row[1], row[2], row[3]), member


def touch_session(db: Session, *, session_id: int, at: datetime) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.last_seen_at < at)
        .values(last_seen_at=at)
    )


def delete_session(db: Session, *, token_hash: str) -> int | None:
    """Delete the session or token with this hash; the id of its member, if there was one."""
    member_id = db.scalar(
        delete(AuthSession)
        .where(AuthSession.token_hash == token_hash)
        .returning(AuthSession.member_id)
    )
    return int(member_id) if member_id is not None else None


def delete_member_session(db: Session, *, member_id: int, session_id: int) -> str | None:
    """Delete one of a member's sessions or tokens; its kind, or None when they have no such one."""
    kind = db.scalar(
        delete(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.member_id == member_id)
        .returning(AuthSession.kind)
    )
    return str(kind) if kind is not None else None


def live_sessions(
    db: Session,
    *,
    member_id: int,
    idle_since: datetime,
    now: datetime,
    before_id: int | None,
    limit: int,
) -> Sequence[AuthSession]:
    """Up to `limit` of a member's sessions and tokens still alive, newest first."""
    statement = (
        select(AuthSession)
        .where(
            AuthSession.member_id == member_id,
            AuthSession.last_seen_at >= idle_since,
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        statement = statement.where(AuthSession.id < before_id)
    return db.scalars(statement).all()


def delete_other_sessions(db: Session, *, member_id: int, keep_id: int | None) -> int:
    """End every session and token of a member but `keep_id`; how many ended."""
    statement = delete(AuthSession).where(AuthSession.member_id == member_id)
    if keep_id is not None:
        statement = statement.where(AuthSession.id != keep_id)
    result = db.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def delete_sessions_of(db: Session, *, member_id: int | None) -> dict[int, int]:
    """End every session and token of a member, or of everyone; how many each member had."""
    counted = select(AuthSession.member_id, func.count()).group_by(AuthSession.member_id)
    ending = delete(AuthSession)
    if member_id is not None:
        counted = counted.where(AuthSession.member_id == member_id)
        ending = ending.where(AuthSession.member_id == member_id)
    found = {int(owner): int(count) for owner, count in db.execute(counted)}
    db.execute(ending)
    return found


def delete_dead_sessions(
    db: Session, *, member_id: int, idle_since: datetime, now: datetime
) -> None:
    """Forget a member's sessions and tokens that ended, idle too long or too old."""
    db.execute(
        delete(AuthSession).where(
            AuthSession.member_id == member_id,
            (AuthSession.last_seen_at < idle_since) | (AuthSession.expires_at <= now),
        )
    )


def serialize_logins(db: Session, *, email: str) -> None:
    """Make concurrent logins to one account take turns, so that the failure count is exact.

    On SQLite the unit of work already holds the database's write lock; on PostgreSQL a
    transaction-scoped advisory lock on the account's email does the same for one account."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": email})


def record_login_failure(
    db: Session, *, email: str, client_address: str, at: datetime, window_start: datetime
) -> None:
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.failed_at < window_start,
            (LoginFailure.email == email) | (LoginFailure.client_address == client_address),
        )
    )
    db.add(LoginFailure(email=email, client_address=client_address, failed_at=at))
    db.flush()


def recent_failures(
    db: Session, *, since: datetime, email: str | None = None, client_address: str | None = None
) -> tuple[int, datetime | None]:
    """How many failures since `since` for the account or the address, and the oldest one's time."""
    where = (
        LoginFailure.email == email
        if email is not None
        else LoginFailure.client_address == client_address
    )
    count, oldest = db.execute(
        select(func.count(), func.min(LoginFailure.failed_at)).where(
            where, LoginFailure.failed_at >= since
        )
    ).one()
    return int(count), oldest


def clear_login_failures(db: Session, *, email: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.email == email))


def members_by_id(db: Session, ids: Sequence[int]) -> dict[int, Member]:
    """The members with these ids (those that exist), in one query."""
    if not ids:
        return {}
    return {member.id: member for member in db.scalars(select(Member).where(Member.id.in_(ids)))}


def highest_member_id(db: Session) -> int:
    return int(db.scalar(select(func.max(Member.id))) or 0)


def member_ids(db: Session) -> set[int]:
    return set(db.scalars(select(Member.id)))


def member_ids_by_external_id(db: Session) -> dict[str, int]:
    """Every imported member's id, by the external id they were imported with."""
    rows = db.execute(select(Member.external_id, Member.id).where(Member.external_id.is_not(None)))
    return {str(external_id): int(member_id) for external_id, member_id in rows}


# Two-factor sign-in


def two_factor_of(db: Session, *, member_id: int) -> TwoFactor | None:
    return db.get(TwoFactor, member_id)


def put_two_factor(db: Session, two_factor: TwoFactor) -> None:
    """Store a member's new authenticator secret, replacing an enrolment not yet confirmed."""
    db.execute(delete(TwoFactor).where(TwoFactor.member_id == two_factor.member_id))
    db.add(two_factor)
    db.flush()


def delete_two_factor(db: Session, *, member_id: int) -> None:
    db.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member_id))
    db.execute(delete(TwoFactor).where(TwoFactor.member_id == member_id))


def use_time_step(db: Session, *, member_id: int, step: int) -> bool:
    """Record that a code of this time step was used; False when one of this step or a later one
    already was (in one statement, so that two requests racing with one code cannot both win)."""
    result = db.execute(
        update(TwoFactor)
        .where(
            TwoFactor.member_id == member_id,
            (TwoFactor.last_used_step.is_(None)) | (TwoFactor.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def replace_recovery_codes(
    db: Session, *, member_id: int, code_hashes: Sequence[str], at: datetime
) -> None:
    db.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member_id))
    db.add_all(
        RecoveryCode(member_id=member_id, code_hash=code_hash, created_at=at)
        for code_hash in code_hashes
    )
    db.flush()


def use_recovery_code(db: Session, *, member_id: int, code_hash: str) -> bool:
    """Delete the member's recovery code with this hash; False when there is none."""
    result = db.execute(
        delete(RecoveryCode).where(
            RecoveryCode.member_id == member_id, RecoveryCode.code_hash == code_hash
        )
    )
    return bool(getattr(result, "rowcount", 0))


def count_recovery_codes(db: Session, *, member_id: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.member_id == member_id)
        )
        or 0
    )


# Links mailed to members.


def add_link(db: Session, link: AccountLink) -> None:
    db.add(link)
    db.flush()


def link_by_hash(db: Session, token_hash: str) -> AccountLink | None:
    return db.scalars(select(AccountLink).where(AccountLink.token_hash == token_hash)).one_or_none()


def use_link(db: Session, *, link_id: int, now: datetime) -> bool:
    """Mark a link used, unless it was used or it expired; whether this call used it. One
    conditional UPDATE: of two requests racing with one link, exactly one uses it."""
    used = db.execute(
        update(AccountLink)
        .where(
            AccountLink.id == link_id, AccountLink.used_at.is_(None), AccountLink.expires_at > now
        )
        .values(used_at=now)
        .execution_options(preserve_rowcount=True, synchronize_session=False)
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]


def retire_links(db: Session, *, member_id: int, purpose: str, now: datetime) -> None:
    """End the member's other unused links of a purpose (a new one replaces them)."""
    db.execute(
        update(AccountLink)
        .where(
            AccountLink.member_id == member_id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def change_email(db: Session, *, member: Member, email: str) -> bool:
    """Give the member another address; False when another member has it (even one racing)."""
    try:
        with db.begin_nested():
            member.email = email
            db.flush()
    except IntegrityError:
        return False
    return True


def last_link_at(db: Session, *, member_id: int, purpose: str) -> datetime | None:
    """When the member was last sent a link of this purpose."""
    return db.scalar(
        select(func.max(AccountLink.created_at)).where(
            AccountLink.member_id == member_id, AccountLink.purpose == purpose
        )
    )


def unclaimed_members(db: Session) -> Sequence[Member]:
    """Imported members with a real email who never set a password and were never sent a claim."""
    claimed = select(AccountLink.id).where(
        AccountLink.member_id == Member.id, AccountLink.purpose == "claim_account"
    )
    return db.scalars(
        select(Member)
        .where(
            Member.password_hash == NO_PASSWORD,
            Member.external_id.is_not(None),
            # Imported without an email: a placeholder under .invalid, which no mail reaches.
            ~Member.email.endswith(".invalid"),
            ~claimed.exists(),
        )
        .order_by(Member.id)
    ).all()
