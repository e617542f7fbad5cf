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
from vinculo.errors import (
    N_,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    TooManyRequests,
    VinculoError,
)
from vinculo.identity import repository, two_factor
from vinculo.identity.models import AuthSession, Member
from vinculo.identity.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
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
    now = clock.now()
    member = Member(
        email=email.strip().lower(),
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
    db: Session,
    *,
    email: str,
    password: str,
    client_address: str,
    kind: SessionKind,
    code: str | None = None,
) -> LoggedIn:
    """Check the credentials and open a session; the same error for an unknown email and a wrong
    password, in about the same time, and a 429 once an account or an address failed too often.
    A member with two-factor sign-in on also gives a `code` (see `_check_second_factor`)."""
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

    # Two-factor sign-in: with it on, the right password alone opens no session.
    _check_second_factor(db, member=member, code=code, client_address=client_address, now=now)

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
    db: Session, *, member: Member, current_password: str, new_password: str, session_id: int
) -> None:
    """Set a new password and end every other session and token of the member."""
    if not verify_password(member.password_hash, current_password):
        raise InvalidInput.for_field("current_password", N_("The current password is not right."))
    member.password_hash = hash_password(new_password)
    member.updated_at = clock.now()
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


# Two-factor sign-in (the domain is in two_factor.py): the second step of logging in, and the
# operations that turn it on and off. A wrong password or code counts as a failed login.


class SecondFactorRequired(VinculoError):
    """The password was right, and the member signs in with a code too: send it as `code`."""

    status = 401
    slug = "second-factor-required"
    title = N_("Two-factor code required")
    default_detail = N_(
        "This account uses two-factor sign-in: send the code from your authenticator app, or "
        "one of your recovery codes, as `code`."
    )

    def __init__(self, *, pending_sign_in: str) -> None:
        super().__init__()
        # For the login page, which asks for the code next: whose code, signed.
        self.pending_sign_in = pending_sign_in


class WrongSecondFactor(VinculoError):
    status = 401
    slug = "wrong-second-factor"
    title = N_("Wrong code")
    default_detail = N_("The code is not right, or it was already used.")
    keeps_writes = True  # the failed attempt is recorded for throttling


class SignInExpired(VinculoError):
    status = 401
    slug = "sign-in-expired"
    title = N_("Log in again")
    default_detail = N_("Too much time passed since you gave your password. Log in again.")


class WrongPasswordOrCode(InvalidInput):
    """A password or code confirming a change of two-factor sign-in is not right."""

    slug = "wrong-password-or-code"
    title = N_("Wrong password or code")
    keeps_writes = True  # the failed attempt is recorded for throttling


def _check_second_factor(
    db: Session, *, member: Member, code: str | None, client_address: str, now: datetime
) -> None:
    """After the right password: nothing when two-factor sign-in is off, else the code must be
    right (a wrong one counts as a failed login)."""
    if not two_factor.is_on(db, member=member):
        return
    if code is None:
        raise SecondFactorRequired(pending_sign_in=two_factor.pending_sign_in(member))
    if not two_factor.use_code(db, member=member, code=code):
        _record_failure(db, email=member.email, client_address=client_address, now=now)
        raise WrongSecondFactor()


def log_in_with_code(
    db: Session, *, pending_sign_in: str, code: str, client_address: str, kind: SessionKind
) -> LoggedIn:
    """The login page's second step: the code of the member whose password was right."""
    member = two_factor.member_of_pending_sign_in(db, pending_sign_in)
    if member is None:
        raise SignInExpired()
    now = _refuse_when_throttled_now(db, email=member.email, client_address=client_address)
    _check_second_factor(db, member=member, code=code, client_address=client_address, now=now)
    repository.clear_login_failures(db, email=member.email)
    repository.delete_idle_sessions(db, member_id=member.id, idle_since=_idle_since(now))
    return LoggedIn(member=member, token=open_session(db, member=member, kind=kind))


def start_two_factor(
    db: Session, *, member: Member, password: str, client_address: str
) -> two_factor.Enrolment:
    """A new authenticator secret for the member, who proves it is them with their password."""
    _prove(db, member=member, password=password, code=None, client_address=client_address)
    return two_factor.start_enrolment(db, member=member)


def confirm_two_factor(db: Session, *, member: Member, code: str, client_address: str) -> list[str]:
    """Turn two-factor sign-in on with a first code of the new secret; the recovery codes."""
    now = _refuse_when_throttled_now(db, email=member.email, client_address=client_address)
    codes = two_factor.confirm_enrolment(db, member=member, code=code)
    if codes is None:
        _record_failure(db, email=member.email, client_address=client_address, now=now)
        raise WrongPasswordOrCode.for_field("code", N_("The code is not right."))
    return codes


def new_recovery_codes(
    db: Session, *, member: Member, password: str, code: str, client_address: str
) -> list[str]:
    """New recovery codes in place of the old ones, after the password and a current code."""
    if not two_factor.is_on(db, member=member):
        raise two_factor.TwoFactorOff()
    _prove(db, member=member, password=password, code=code, client_address=client_address)
    return two_factor.new_recovery_codes(db, member=member)


def turn_off_two_factor(
    db: Session, *, member: Member, password: str, code: str, client_address: str
) -> None:
    """Turn two-factor sign-in off, after the password and a current code or a recovery code."""
    if not two_factor.is_on(db, member=member):
        raise two_factor.TwoFactorOff()
    _prove(db, member=member, password=password, code=code, client_address=client_address)
    two_factor.turn_off(db, member=member)


def _prove(
    db: Session, *, member: Member, password: str, code: str | None, client_address: str
) -> None:
    """The member's password (and code, when one is asked), throttled like a login."""
    now = _refuse_when_throttled_now(db, email=member.email, client_address=client_address)
    wrong = None
    if not verify_password(member.password_hash, password):
        wrong = WrongPasswordOrCode.for_field("password", N_("The password is not right."))
    elif code is not None and not two_factor.use_code(db, member=member, code=code):
        wrong = WrongPasswordOrCode.for_field("code", N_("The code is not right."))
    if wrong is not None:
        _record_failure(db, email=member.email, client_address=client_address, now=now)
        raise wrong


def _refuse_when_throttled_now(db: Session, *, email: str, client_address: str) -> datetime:
    """The login throttle's check, one account at a time; the time it was made."""
    now = clock.now()
    repository.serialize_logins(db, email=email)
    window_start = now - timedelta(minutes=get_settings().login_window_minutes)
    _refuse_when_throttled(
        db, email=email, client_address=client_address, window_start=window_start
    )
    return now


def _record_failure(db: Session, *, email: str, client_address: str, now: datetime) -> None:
    window_start = now - timedelta(minutes=get_settings().login_window_minutes)
    repository.record_login_failure(
        db, email=email, client_address=client_address, at=now, window_start=window_start
    )
