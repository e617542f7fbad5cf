"""Identity operations: register, log in and out, resolve a session or token, change a password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import outside_the_unit
from vinculo.errors import (
    N_,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    TooManyRequests,
    VinculoError,
)
from vinculo.identity import links, repository, two_factor
from vinculo.identity.closing import may_log_in
from vinculo.identity.links import EmailTaken
from vinculo.identity.models import USER_AGENT_MAX, AuthSession, Member
from vinculo.identity.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    token_hash,
    verify_password,
)
from vinculo.identity.strength import WeakPassword, refuse_guessable, weakness
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.search import service as search
from vinculo.security.service import record_security_event
from vinculo.settings import get_settings
from vinculo.text import fold, tidy

SessionKind = Literal["web", "api"]


class TooManyLoginAttempts(TooManyRequests):
    slug = "too-many-login-attempts"
    title = N_("Too many login attempts")


class SessionNotFound(NotFound):
    slug = "session-not-found"
    title = N_("Session not found")
    default_detail = N_("You have no session or token with this id.")


class WrongCurrentPassword(InvalidInput):
    default_detail = N_("The current password is not right.")
    keeps_writes = True  # the failed attempt is recorded for throttling


@dataclass(frozen=True)
class LoggedIn:
    member: Member
    token: str
    expires_at: datetime
    # The account was closed, within its grace period: this login reopened it (ADR 0016).
    reopened: bool = False


@dataclass(frozen=True)
class Client:
    """Where a login comes from, kept with the session so that the member can tell them apart."""

    address: str
    user_agent: str = ""


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
        locale=locale,
        created_at=now,
        updated_at=now,
    )
    if not repository.add_member(db, member):
        raise EmailTaken.for_field("email")
    search.index_members(db, [search.MemberDocument(member.id, member.name)])
    return member


def join(
    db: Session, *, email: str, password: str, name: str, locale: str | None = None
) -> Member | None:
    """Register a new member and mail them a link confirming their address; None when the
    email is that of an imported member who never set a password: they are mailed a link to
    claim their account instead (their profile and connections wait for them). 409 for an
    email taken by anyone else."""
    try:
        member = register_member(db, email=email, password=password, name=name, locale=locale)
    except EmailTaken:
        existing = repository.member_by_email(db, email.strip().lower())
        if existing is None or not links.is_unclaimed(existing):
            raise
        links.send_claim(db, member=existing)
        return None
    links.send_confirmation(db, member=member)
    return member


def prove_password(db: Session, *, member: Member, password: str, client_address: str) -> None:
    """The member's password, before a change that needs it (422 naming `password`), throttled
    and counted like a login."""
    _prove(db, member=member, password=password, code=None, client_address=client_address)


def log_in(
    db: Session,
    *,
    email: str,
    password: str,
    client_address: str,
    kind: SessionKind,
    code: str | None = None,
    user_agent: str = "",
    lifetime_days: int | None = None,
) -> LoggedIn:
    """Check the credentials and open a session; the same error for an unknown email and a wrong
    password, in about the same time, and a 429 once an account or an address failed too often.
    A member with two-factor sign-in on also gives a `code` (see `_check_second_factor`). Each
    login, failed login and lockout of a known account goes to its security log."""
    email = email.strip().lower()
    if lifetime_days is not None:
        _check_lifetime(kind, lifetime_days)
    now = _refuse_when_throttled_now(db, email=email, client_address=client_address)

    member = repository.member_by_email(db, email)
    if member is not None and not may_log_in(member, now=now):
        member = None  # closed past its grace period: as good as erased, whatever the worker did
    if member is None:
        spend_verification_time()
    if member is None or not verify_password(member.password_hash, password):
        _record_failure(
            db, member=member, email=email, client_address=client_address, now=now, detail=kind
        )
        raise InvalidCredentials()

    # Two-factor sign-in: with it on, the right password alone opens no session.
    _check_second_factor(db, member=member, code=code, client_address=client_address, now=now)

    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    return _signed_in(
        db,
        member=member,
        kind=kind,
        client=Client(client_address, user_agent),
        lifetime_days=lifetime_days,
        now=now,
    )


def _signed_in(
    db: Session,
    *,
    member: Member,
    kind: SessionKind,
    client: Client,
    lifetime_days: int | None,
    now: datetime,
) -> LoggedIn:
    """The end of every login, once the password (and code) were right: the account's failures
    forgotten, a closed account reopened, its dead sessions cleared, a new session opened and
    logged."""
    reopened = member.closed_at is not None
    if reopened:
        if not may_log_in(member, now=now) or not repository.reopen_member(db, member_id=member.id):
            raise InvalidCredentials()  # erased meanwhile, or about to be
        record_security_event(db, member_id=member.id, kind="account_reopened")
        search.set_listed(db, member_id=member.id, listed=True)
    repository.clear_login_failures(db, email=member.email)
    repository.delete_dead_sessions(db, member_id=member.id, idle_since=_idle_since(now), now=now)
    opened = _logged_session(
        db, member=member, kind=kind, client=client, lifetime_days=lifetime_days
    )
    return LoggedIn(
        member=member, token=opened.token, expires_at=opened.expires_at, reopened=reopened
    )


def first_session(db: Session, *, member: Member, client: Client) -> str:
    """The page session a member starts with on registering, logged as their first login."""
    return _logged_session(db, member=member, kind="web", client=client, lifetime_days=None).token


def _logged_session(
    db: Session, *, member: Member, kind: SessionKind, client: Client, lifetime_days: int | None
) -> OpenedSession:
    opened = _open_session(db, member=member, kind=kind, client=client, lifetime_days=lifetime_days)
    record_security_event(
        db,
        member_id=member.id,
        kind="login",
        detail=_session_detail(kind, opened.session_id),
        client_address=client.address,
    )
    return opened


@dataclass(frozen=True)
class OpenedSession:
    token: str
    session_id: int
    expires_at: datetime


def open_session(
    db: Session, *, member: Member, kind: SessionKind, client: Client | None = None
) -> str:
    """A new session or token for `member`; returns the token, which is stored only hashed."""
    return _open_session(db, member=member, kind=kind, client=client).token


def _open_session(
    db: Session,
    *,
    member: Member,
    kind: SessionKind,
    client: Client | None = None,
    lifetime_days: int | None = None,
) -> OpenedSession:
    """A new session or token, ending after `lifetime_days` (by default, and at most, the
    setting for its kind)."""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    days = _lifetime_days(kind) if lifetime_days is None else lifetime_days
    auth_session = AuthSession(
        token_hash=token_hash(token),
        member_id=member.id,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=days),
        client_address=client.address if client else "",
        user_agent=(client.user_agent if client else "")[:USER_AGENT_MAX],
    )
    repository.add_session(db, auth_session)
    return OpenedSession(token, auth_session.id, auth_session.expires_at)


def signed_in(db: Session, *, token: str, kind: SessionKind) -> SignedIn | None:
    """The member behind a session cookie or bearer token, unless it is unknown, idle too long or
    past its lifetime."""
    found = repository.session_and_member(db, token_hash(token))
    now = clock.now()
    if found is None:
        return None
    auth_session, member = found
    if (
        member.closed_at is not None
        or auth_session.kind != kind
        or auth_session.last_seen_at < _idle_since(now)
        or auth_session.expires_at <= now
    ):
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
    member_id = repository.delete_session(db, token_hash=token_hash(token))
    if member_id is not None:
        record_security_event(db, member_id=member_id, kind="logout")


@dataclass(frozen=True)
class SessionView:
    """One of my sessions or tokens, as I see it in the list of them."""

    session: AuthSession
    current: bool


def sessions_of(
    db: Session, *, member: Member, current_id: int | None, cursor: str | None, limit: int
) -> Page[SessionView]:
    """A member's live sessions and API tokens, newest first; `current_id` is the one asking."""
    now = clock.now()
    before = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    rows = repository.live_sessions(
        db,
        member_id=member.id,
        idle_since=_idle_since(now),
        now=now,
        before_id=before,
        limit=limit + 1,
    )
    page = cut_page(rows, limit=limit, key=lambda row: (row.id,))
    return Page(
        items=[SessionView(row, row.id == current_id) for row in page.items],
        next_cursor=page.next_cursor,
    )


def revoke_session(
    db: Session, *, member: Member, session_id: int, client_address: str = ""
) -> None:
    """End one of the member's sessions or tokens (perhaps the one asking); 404 for any other."""
    kind = repository.delete_member_session(db, member_id=member.id, session_id=session_id)
    if kind is None:
        raise SessionNotFound()
    record_security_event(
        db,
        member_id=member.id,
        kind="session_revoked",
        detail=_session_detail(kind, session_id),
        client_address=client_address,
    )


def end_other_sessions(
    db: Session, *, member: Member, current_id: int, client_address: str = ""
) -> int:
    """End every session and token of the member but the one asking (after a factor changed, or
    on a doubt); how many ended. Logged when any did."""
    ended = repository.delete_other_sessions(db, member_id=member.id, keep_id=current_id)
    if ended:
        record_security_event(
            db,
            member_id=member.id,
            kind="session_revoked",
            detail=f"every other ({ended})",
            client_address=client_address,
        )
    return ended


def end_sessions_of(db: Session, *, member: Member | None) -> int:
    """An operator's command: end every session and token of one member, or of everyone
    (`member=None`), who must log in again; how many ended. Each member's log says so."""
    ended = repository.delete_sessions_of(db, member_id=member.id if member else None)
    for member_id, count in ended.items():
        record_security_event(
            db, member_id=member_id, kind="session_revoked", detail=f"by an operator ({count})"
        )
    return sum(ended.values())


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
        _record_failure(
            db,
            member=member,
            email=member.email,
            client_address=client_address,
            now=now,
            detail="password change",
        )
        raise WrongCurrentPassword.for_field("current_password")
    if weak is not None or new_hash is None:
        raise weak or WeakPassword.for_field("new_password")
    repository.clear_login_failures(db, email=member.email)
    member.password_hash = new_hash
    member.updated_at = now
    repository.delete_other_sessions(db, member_id=member.id, keep_id=session_id)
    record_security_event(db, member_id=member.id, kind="password_changed")


def idle_lifetime_seconds() -> int:
    return get_settings().session_idle_days * 86400


def _lifetime_days(kind: str) -> int:
    settings = get_settings()
    return settings.session_lifetime_days if kind == "web" else settings.token_lifetime_days


def _check_lifetime(kind: SessionKind, lifetime_days: int) -> None:
    """A token may ask to end sooner than the community allows, never later."""
    longest = _lifetime_days(kind)
    if not 1 <= lifetime_days <= longest:
        raise InvalidInput.for_field(
            "lifetime_days", N_("Between 1 and %(days)s days."), days=longest
        )


def _record_failure(
    db: Session,
    *,
    member: Member | None,
    email: str,
    client_address: str,
    now: datetime,
    detail: str,
) -> None:
    """A wrong password or code counts towards the login throttle. Of a known account it goes to
    the account's log, and the one that makes the account's logins pause goes there as a lockout
    too (once, not at every refused attempt after it)."""
    window_start = now - timedelta(minutes=get_settings().login_window_minutes)
    repository.record_login_failure(
        db, email=email, client_address=client_address, at=now, window_start=window_start
    )
    if member is None:
        return
    record_security_event(
        db, member_id=member.id, kind="login_failed", detail=detail, client_address=client_address
    )
    count, _ = repository.recent_failures(db, since=window_start, email=email)
    if count == get_settings().login_failures_per_account:
        record_security_event(
            db, member_id=member.id, kind="login_locked", client_address=client_address
        )


def _session_detail(kind: str, session_id: int) -> str:
    return f"{kind} #{session_id}"


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
        _record_failure(
            db,
            member=member,
            email=member.email,
            client_address=client_address,
            now=now,
            detail="second factor",
        )
        raise WrongSecondFactor()


def log_in_with_code(
    db: Session, *, pending_sign_in: str, code: str, client: Client, kind: SessionKind
) -> LoggedIn:
    """The login page's second step: the code of the member whose password was right."""
    member = two_factor.member_of_pending_sign_in(db, pending_sign_in)
    if member is None:
        raise SignInExpired()
    client_address = client.address
    now = _refuse_when_throttled_now(db, email=member.email, client_address=client_address)
    _check_second_factor(db, member=member, code=code, client_address=client_address, now=now)
    return _signed_in(db, member=member, kind=kind, client=client, lifetime_days=None, now=now)


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
        _record_failure(
            db,
            member=member,
            email=member.email,
            client_address=client_address,
            now=now,
            detail="two-factor settings",
        )
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
        _record_failure(
            db,
            member=member,
            email=member.email,
            client_address=client_address,
            now=now,
            detail="account settings",
        )
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
