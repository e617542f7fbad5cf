"""Identity operations: register, log in and out, resolve a session or token, change a password."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import outside_the_unit
from vinculo.errors import N_, Conflict, InvalidCredentials, InvalidInput, TooManyRequests
from vinculo.identity import repository
from vinculo.identity.models import AuthSession, Member
from vinculo.identity.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from vinculo.identity.strength import WeakPassword, refuse_guessable, weakness
from vinculo.settings import get_settings
from vinculo.text import fold, tidy

SessionKind = Literal["web", "api"]


class EmailTaken(Conflict):
    slug = "email-taken"
    title = N_("Email already registered")
    default_detail = N_("A member with this email already exists.")


class TooManyLoginAttempts(TooManyRequests):
    slug = "too-many-login-attempts"
    title = N_("Too many login attempts")


class WrongCurrentPassword(InvalidInput):
    default_detail = N_("The current password is not right.")
    keeps_writes = True  # the failed attempt is recorded for throttling


@dataclass(frozen=True)
class LoggedIn:
    member: Member
    token: str


@dataclass(frozen=True)
class SignedIn:
    """Who a session or token belongs to, and whether its idle clock needs moving forward."""

    member: Member
    session_id: int
    needs_touch: bool

    def attached_to(self, db: Session) -> SignedIn:
        """The same, with the member belonging to `db`, without reading it again (it was read
        outside the unit of work, before it began)."""
        return SignedIn(db.merge(self.member, load=False), self.session_id, self.needs_touch)


def register_member(
    db: Session, *, email: str, password: str, name: str, locale: str | None = None
) -> Member:
    """A new member, with a password that is not easy to guess (422 naming `password`)."""
    email = email.strip().lower()
    refuse_guessable(password, field="password", name=name, email=email)
    now = clock.now()
    member = Member(
        email=email,
        password_hash=hash_password(password),
        name=tidy(name),
        name_key=fold(name),
        search_text=search_text_of(name=name, headline="", places=()),
        locale=locale,
        created_at=now,
        updated_at=now,
    )
    if not repository.add_member(db, member):
        raise EmailTaken.for_field("email")
    return member


def search_text_of(*, name: str, headline: str, places: Sequence[str]) -> str:
    """The folded text member search looks in: the name, the headline, and the organizations and
    schools on the profile (kept up to date by the profiles area as they change)."""
    return " | ".join(part for part in (fold(name), fold(headline), *map(fold, places)) if part)


def log_in(
    db: Session, *, email: str, password: str, client_address: str, kind: SessionKind
) -> LoggedIn:
    """Check the credentials and open a session; the same error for an unknown email and a wrong
    password, in about the same time, and a 429 once an account or an address failed too often."""
    settings = get_settings()
    now = clock.now()
    email = email.strip().lower()
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    repository.serialize_logins(db, email=email)
    _refuse_when_throttled(
        db, email=email, client_address=client_address, window_start=window_start
    )

    member = repository.member_by_email(db, email)
    if member is None:
        spend_verification_time()
    if member is None or not verify_password(member.password_hash, password):
        repository.record_login_failure(
            db, email=email, client_address=client_address, at=now, window_start=window_start
        )
        raise InvalidCredentials()

    repository.clear_login_failures(db, email=email)
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    repository.delete_idle_sessions(db, member_id=member.id, idle_since=_idle_since(now))
    token = open_session(db, member=member, kind=kind)
    return LoggedIn(member=member, token=token)


def open_session(db: Session, *, member: Member, kind: SessionKind) -> str:
    """A new session or token for `member`; returns the token, which is stored only hashed."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    repository.add_session(
        db,
        AuthSession(
            token_hash=_token_hash(token),
            member_id=member.id,
            kind=kind,
            created_at=now,
            last_seen_at=now,
        ),
    )
    return token


def signed_in(db: Session, *, token: str, kind: SessionKind) -> SignedIn | None:
    """The member behind a session cookie or bearer token, unless it is unknown or idle too long."""
    found = repository.session_and_member(db, _token_hash(token))
    now = clock.now()
    if found is None:
        return None
    auth_session, member = found
    if auth_session.kind != kind or auth_session.last_seen_at < _idle_since(now):
        return None
    touch_after = timedelta(minutes=get_settings().session_touch_minutes)
    return SignedIn(
        member=member,
        session_id=auth_session.id,
        needs_touch=auth_session.last_seen_at < now - touch_after,
    )


def touch_session(db: Session, *, session_id: int) -> None:
    """Move a session's idle clock forward."""
    repository.touch_session(db, session_id=session_id, at=clock.now())


def log_out(db: Session, *, token: str) -> None:
    repository.delete_session(db, token_hash=_token_hash(token))


def change_password(
    db: Session,
    *,
    member: Member,
    current_password: str,
    new_password: str,
    session_id: int,
    client_address: str,
) -> None:
    """Set a new password, not easy to guess, and end every other session and token of the
    member. Wrong current passwords count as failed logins of the account and the address, so
    a stolen session or token cannot be used to guess the password any faster than the login
    form (429 once either failed too often)."""
    now = clock.now()
    window_start = now - timedelta(minutes=get_settings().login_window_minutes)
    # Refused at once while throttled, without the password's hashing work; then the passwords
    # are checked and hashed before the unit's transaction (which its first statement begins).
    with outside_the_unit(db) as reader:
        _refuse_when_throttled(
            reader, email=member.email, client_address=client_address, window_start=window_start
        )
    right = verify_password(member.password_hash, current_password)
    weak = (
        weakness(new_password, field="new_password", name=member.name, email=member.email)
        if right
        else None
    )
    new_hash = hash_password(new_password) if right and weak is None else None
    # Counted again in turn with the account's logins: of racing guesses, only as many as the
    # limit allows are answered, and none once it is reached, right or not (not even whether
    # the new password is acceptable, which would tell a right guess).
    repository.serialize_logins(db, email=member.email)
    _refuse_when_throttled(
        db, email=member.email, client_address=client_address, window_start=window_start
    )
    if not right:
        repository.record_login_failure(
            db,
            email=member.email,
            client_address=client_address,
            at=now,
            window_start=window_start,
        )
        raise WrongCurrentPassword.for_field("current_password")
    if weak is not None or new_hash is None:
        raise weak or WeakPassword.for_field("new_password")
    repository.clear_login_failures(db, email=member.email)
    member.password_hash = new_hash
    member.updated_at = now
    repository.delete_other_sessions(db, member_id=member.id, keep_id=session_id)


def idle_lifetime_seconds() -> int:
    return get_settings().session_idle_days * 86400


def _refuse_when_throttled(
    db: Session, *, email: str, client_address: str, window_start: datetime
) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    for count, oldest, limit in (
        (
            *repository.recent_failures(db, since=window_start, email=email),
            settings.login_failures_per_account,
        ),
        (
            *repository.recent_failures(db, since=window_start, client_address=client_address),
            settings.login_failures_per_address,
        ),
    ):
        if count >= limit and oldest is not None:
            wait = oldest + window - clock.now()
            raise TooManyLoginAttempts(retry_after=int(wait.total_seconds()) + 1)


def _idle_since(now: datetime) -> datetime:
    return now - timedelta(days=get_settings().session_idle_days)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
