"""Two-factor sign-in: time-based codes (TOTP, RFC 6238) from an authenticator app and one-time
recovery codes; enrolling, checking a code once, turning it off, and the sign-in that waits for a
code after the password. The operations routes call, with throttling, are in `service.py`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import ID_MAX
from vinculo.errors import N_, Conflict
from vinculo.identity import repository
from vinculo.identity.models import Member, TwoFactor
from vinculo.security.service import record_security_event
from vinculo.settings import get_settings

ISSUER = "Vínculo"
# A code of the current 30-second step is accepted, and of the one before or after it, for an
# authenticator whose clock drifts.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# 12 characters of 32 (no 0/o, 1/l): 60 random bits each, written as three groups of four.
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 12
# How long, after the right password, the login page waits for the code.
PENDING_SIGN_IN = timedelta(minutes=10)
_SEALED_VERSION = "v1"


class TwoFactorAlreadyOn(Conflict):
    slug = "two-factor-already-on"
    title = N_("Two-factor sign-in is already on")
    default_detail = N_("Two-factor sign-in is already on. Turn it off first to use a new app.")


class TwoFactorOff(Conflict):
    slug = "two-factor-off"
    title = N_("Two-factor sign-in is off")
    default_detail = N_("Two-factor sign-in is not on for this account.")


class NoEnrolment(Conflict):
    slug = "no-two-factor-enrolment"
    title = N_("No two-factor set-up to confirm")
    default_detail = N_("Start setting up two-factor sign-in first, then confirm it with a code.")


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs: the secret, and the same as an otpauth:// link (a QR
    code shows the link)."""

    secret: str
    uri: str


@dataclass(frozen=True)
class Status:
    on: bool
    confirmed_at: datetime | None
    recovery_codes_left: int
    # While set-up waits for its first code: the secret to show again; never once it is on.
    enrolment: Enrolment | None


def status(db: Session, *, member: Member) -> Status:
    row = repository.two_factor_of(db, member_id=member.id)
    if row is None:
        return Status(on=False, confirmed_at=None, recovery_codes_left=0, enrolment=None)
    if row.confirmed_at is None:
        secret = _decrypt(row)
        enrolment = _enrolment(member, secret) if secret is not None else None
        return Status(on=False, confirmed_at=None, recovery_codes_left=0, enrolment=enrolment)
    return Status(
        on=True,
        confirmed_at=row.confirmed_at,
        recovery_codes_left=repository.count_recovery_codes(db, member_id=member.id),
        enrolment=None,
    )


def is_on(db: Session, *, member: Member) -> bool:
    row = repository.two_factor_of(db, member_id=member.id)
    return row is not None and row.confirmed_at is not None


def start_enrolment(db: Session, *, member: Member) -> Enrolment:
    """A new secret for the member's app, kept until a first code confirms it (a set-up started
    again replaces it)."""
    if is_on(db, member=member):
        raise TwoFactorAlreadyOn()
    secret = pyotp.random_base32()
    repository.put_two_factor(
        db,
        TwoFactor(
            member_id=member.id,
            secret=_encrypt(member.id, secret),
            created_at=clock.now(),
            confirmed_at=None,
            last_used_step=None,
        ),
    )
    return _enrolment(member, secret)


def confirm_enrolment(db: Session, *, member: Member, code: str) -> list[str] | None:
    """Turn two-factor sign-in on when `code` is a current code of the new secret; the recovery
    codes, to be shown once. None when the code is not right."""
    row = repository.two_factor_of(db, member_id=member.id)
    if row is None or row.confirmed_at is not None:
        raise NoEnrolment()
    if not _use_time_code(db, row, code):
        return None
    row.confirmed_at = clock.now()
    _two_factor_changed(db, member=member, change="on")
    return _new_recovery_codes(db, member=member)


def use_code(db: Session, *, member: Member, code: str) -> bool:
    """Whether `code` is a current code of the member's app, or one of their recovery codes; an
    accepted code is used up. False as well when two-factor sign-in is off."""
    row = repository.two_factor_of(db, member_id=member.id)
    if row is None or row.confirmed_at is None:
        return False
    if _use_time_code(db, row, code):
        return True
    return repository.use_recovery_code(
        db, member_id=member.id, code_hash=_recovery_code_hash(member.id, code)
    )


def new_recovery_codes(db: Session, *, member: Member) -> list[str]:
    """Replace the member's recovery codes with new ones, returned to be shown once."""
    if not is_on(db, member=member):
        raise TwoFactorOff()
    codes = _new_recovery_codes(db, member=member)
    _two_factor_changed(db, member=member, change="recovery-codes")
    return codes


def turn_off(db: Session, *, member: Member) -> None:
    if not is_on(db, member=member):
        raise TwoFactorOff()
    repository.delete_two_factor(db, member_id=member.id)
    _two_factor_changed(db, member=member, change="off")


def _two_factor_changed(db: Session, *, member: Member, change: str) -> None:
    """The one place a change of a member's two-factor sign-in ("on", "off", "recovery-codes")
    passes through: it goes to the member's security log."""
    record_security_event(db, member_id=member.id, kind="two_factor_changed", detail=change)


# The login page's second step: after the right password, a signed token in a cookie says whose
# code the page waits for, until when. It is bound to the password hash, so a password change
# voids it, and to the secret key.


def pending_sign_in(member: Member) -> str:
    expires = int((clock.now() + PENDING_SIGN_IN).timestamp())
    return f"{member.id}.{expires}.{_pending_signature(member, expires)}"


def member_of_pending_sign_in(db: Session, token: str) -> Member | None:
    """The member whose code a pending sign-in waits for; None when it is forged or expired."""
    member_id, _, rest = token.partition(".")
    expires, _, signature = rest.partition(".")
    # Bounded before they are numbers: the cookie is the client's to forge.
    if not (member_id.isascii() and member_id.isdigit() and len(member_id) <= 19):
        return None
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        return None
    if int(member_id) > ID_MAX or int(expires) < clock.now().timestamp():
        return None
    member = repository.member_by_id(db, int(member_id))
    if member is None or not hmac.compare_digest(
        signature, _pending_signature(member, int(expires))
    ):
        return None
    return member


def _pending_signature(member: Member, expires: int) -> str:
    message = f"pending-sign-in:{member.id}:{expires}:{member.password_hash}"
    return hmac.new(_key(b"pending sign-in"), message.encode(), hashlib.sha256).hexdigest()


def _enrolment(member: Member, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=member.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def _use_time_code(db: Session, row: TwoFactor, code: str) -> bool:
    """Check a six-digit code against the steps around now; record its step, so that neither it
    nor an older one works again."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return False
    secret = _decrypt(row)
    if secret is None:
        return False
    totp = pyotp.TOTP(secret)
    now = clock.now()
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return repository.use_time_step(db, member_id=row.member_id, step=current + offset)
    return False


def _new_recovery_codes(db: Session, *, member: Member) -> list[str]:
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    repository.replace_recovery_codes(
        db,
        member_id=member.id,
        code_hashes=[_recovery_code_hash(member.id, code) for code in codes],
        at=clock.now(),
    )
    return ["-".join(code[i : i + 4] for i in range(0, len(code), 4)) for code in codes]


def _recovery_code_hash(member_id: int, code: str) -> str:
    """A plain SHA-256 (see ADR 0012): a code has 60 random bits, so a slow hash would add nothing
    against guessing but make each check cost an argon2 run; unkeyed, the codes still work after
    the secret key is changed, the way back in for a member whose app secret it voided."""
    normal = "".join(character for character in code.lower() if character.isalnum())
    return hashlib.sha256(f"{member_id}:{normal}".encode()).hexdigest()


def _key(purpose: bytes) -> bytes:
    return get_settings().key_for(purpose)


def _encrypt(member_id: int, secret: str) -> str:
    """AES-256-GCM under a key derived from the secret key, bound to the member (a row copied to
    another member does not decrypt)."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(b"two-factor secret")).encrypt(
        nonce, secret.encode(), f"member:{member_id}".encode()
    )
    return f"{_SEALED_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _decrypt(row: TwoFactor) -> str | None:
    """The secret in clear; None when it does not decrypt (the secret key was changed since)."""
    version, _, data = row.secret.partition(":")
    if version != _SEALED_VERSION:
        return None
    raw = base64.urlsafe_b64decode(data)
    try:
        opened = AESGCM(_key(b"two-factor secret")).decrypt(
            raw[:12], raw[12:], f"member:{row.member_id}".encode()
        )
    except InvalidTag:
        return None
    return opened.decode()
