"""Links mailed to members, each working once and for a while: confirming an address (a new
account's, or the new one a member changes to), resetting a forgotten password, claiming an
account `vinculo import` made. Only a SHA-256 of a link's token is stored. Asking for a link
never tells whether an email belongs to a member, and a member gets at most one link of a kind
every two minutes, however often it is asked for."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import outside_the_unit
from vinculo.errors import N_, Conflict, InvalidInput
from vinculo.identity import mails, repository
from vinculo.identity.models import NO_PASSWORD, AccountLink, Member
from vinculo.identity.passwords import hash_password, token_hash
from vinculo.identity.strength import weakness
from vinculo.mail.composing import Letter
from vinculo.mail.service import link, send_mail
from vinculo.security.service import SecurityEventKind, record_security_event
from vinculo.settings import get_settings

CONFIRM_FOR = timedelta(days=7)
RESET_FOR = timedelta(hours=1)
CLAIM_FOR = timedelta(days=30)
# A member is sent at most one link of a purpose this often: asking again meanwhile is answered
# the same, and sends nothing (no mail bombing through the forms).
RESEND_AFTER = timedelta(minutes=2)


class EmailTaken(Conflict):
    slug = "email-taken"
    title = N_("Email already registered")
    default_detail = N_("A member with this email already exists.")


class LinkNotValid(InvalidInput):
    slug = "link-not-valid"
    title = N_("Link not valid")
    default_detail = N_(
        "This link does not work any more: it was already used, it expired, or it was not sent "
        "by Vínculo. Ask for a new one."
    )


def _locale(member: Member) -> str:
    return member.locale or get_settings().default_locale


def can_receive_mail(address: str) -> bool:
    """False for the placeholder addresses of members imported without one (.invalid, RFC 2606)."""
    return not address.endswith(".invalid")


def _new_link(
    db: Session, *, member: Member, purpose: str, email: str, lasting: timedelta, now: datetime
) -> str:
    """A new link, replacing the member's unused ones of the same purpose; its token."""
    token = secrets.token_urlsafe(32)
    repository.retire_links(db, member_id=member.id, purpose=purpose, now=now)
    repository.add_link(
        db,
        AccountLink(
            member_id=member.id,
            purpose=purpose,
            token_hash=token_hash(token),
            email=email,
            created_at=now,
            expires_at=now + lasting,
        ),
    )
    return token


def _sent_lately(db: Session, *, member: Member, purpose: str, now: datetime) -> bool:
    last = repository.last_link_at(db, member_id=member.id, purpose=purpose)
    return last is not None and now - last < RESEND_AFTER


def _mail(db: Session, *, member: Member, to: str, letter: Letter, kind: str) -> None:
    send_mail(db, to=to, letter=letter, kind=kind, locale=_locale(member), member_id=member.id)


# Confirming an address.


def send_confirmation(db: Session, *, member: Member) -> None:
    """Mail the member a link confirming their address, unless it is confirmed (or was sent a
    moment ago)."""
    now = clock.now()
    if member.email_confirmed_at is not None or not can_receive_mail(member.email):
        return
    if _sent_lately(db, member=member, purpose="confirm_email", now=now):
        return
    token = _new_link(
        db, member=member, purpose="confirm_email", email=member.email, lasting=CONFIRM_FOR, now=now
    )
    url = link(f"/confirm-email?token={token}")
    letter = mails.confirm_address(member, url=url, locale=_locale(member), changing=False)
    _mail(db, member=member, to=member.email, letter=letter, kind="confirm_email")


def ask_email_change(db: Session, *, member: Member, new_email: str) -> None:
    """After the member proved it is them (the password): mail the new address a link that makes
    it the account's, and tell the old one. 409 when the new address is taken."""
    now = clock.now()
    new_email = new_email.strip().lower()
    if new_email == member.email:
        raise InvalidInput.for_field("new_email", N_("This is already your email address."))
    if repository.member_by_email(db, new_email) is not None:
        raise EmailTaken.for_field("new_email")
    token = _new_link(
        db, member=member, purpose="confirm_email", email=new_email, lasting=CONFIRM_FOR, now=now
    )
    locale = _locale(member)
    url = link(f"/confirm-email?token={token}")
    changing = mails.confirm_address(member, url=url, locale=locale, changing=True)
    _mail(db, member=member, to=new_email, letter=changing, kind="confirm_email")
    notice = mails.address_changing(member, new_address=new_email, locale=locale)
    _mail(db, member=member, to=member.email, letter=notice, kind="email_changing")


@dataclass(frozen=True)
class Confirmed:
    member: Member
    changed_from: str | None  # the old address, when the link changed the account's


def confirm_email(db: Session, *, token: str) -> Confirmed:
    """Use a confirmation link: the address is confirmed, and, when it is a new one, becomes the
    account's (409 when another member took it meanwhile). 422 naming `token` for a link used,
    expired or not ours."""
    now = clock.now()
    found = _usable(db, token=token, purpose="confirm_email", now=now)
    member = repository.member_by_id(db, found.member_id)
    if member is None or not repository.use_link(db, link_id=found.id, now=now):
        raise LinkNotValid.for_field("token")
    old = member.email
    if found.email != old:
        if not repository.change_email(db, member=member, email=found.email):
            raise EmailTaken.for_field("token", N_("Another member uses this address now."))
        record_security_event(db, member_id=member.id, kind="email_changed", detail=found.email)
        notice = mails.address_changed(member, new_address=found.email, locale=_locale(member))
        _mail(db, member=member, to=old, letter=notice, kind="email_changed")
    member.email_confirmed_at = now
    member.updated_at = now
    return Confirmed(member, old if found.email != old else None)


def _usable(db: Session, *, token: str, purpose: str, now: datetime) -> AccountLink:
    found = repository.link_by_hash(db, token_hash(token)) if 0 < len(token) <= 200 else None
    if found is None or found.purpose != purpose or found.used_at is not None:
        raise LinkNotValid.for_field("token")
    if found.expires_at <= now:
        raise LinkNotValid.for_field("token")
    return found


# A forgotten password, and an imported account claimed: both set a password through a link.


def ask_password_reset(db: Session, *, email: str) -> None:
    """Mail a reset link to the member with this email, if there is one: the caller answers the
    same either way."""
    now = clock.now()
    member = repository.member_by_email(db, email.strip().lower())
    if member is None or not can_receive_mail(member.email):
        return
    if _sent_lately(db, member=member, purpose="reset_password", now=now):
        return
    token = _new_link(
        db, member=member, purpose="reset_password", email=member.email, lasting=RESET_FOR, now=now
    )
    letter = mails.reset_password(
        member, url=link(f"/reset-password?token={token}"), locale=_locale(member)
    )
    _mail(db, member=member, to=member.email, letter=letter, kind="reset_password")


def set_password_by_link(
    db: Session, *, token: str, password: str, purpose: str, field: str = "password"
) -> Member:
    """Use a reset or claim link: a new password (422 naming `field` when easy to guess, and the
    link still works), the address confirmed (the link reached it), every session of the
    member ended. The password is checked and hashed before the unit's transaction begins."""
    now = clock.now()
    with outside_the_unit(db) as reader:
        found = _usable(reader, token=token, purpose=purpose, now=now)
        member = repository.member_by_id(reader, found.member_id)
        # A claim link of an account claimed since (through another link) is spent too.
        if member is None or (purpose == "claim_account" and not is_unclaimed(member)):
            raise LinkNotValid.for_field("token")
        weak = weakness(password, field=field, name=member.name, email=member.email)
    if weak is not None:
        raise weak
    new_hash = hash_password(password)
    if not repository.use_link(db, link_id=found.id, now=now):
        raise LinkNotValid.for_field("token")
    repository.retire_links(db, member_id=found.member_id, purpose=purpose, now=now)
    member = db.merge(member)
    member.password_hash = new_hash
    member.updated_at = now
    if member.email == found.email:
        member.email_confirmed_at = member.email_confirmed_at or now
    repository.clear_login_failures(db, email=member.email)
    repository.delete_sessions_of(db, member_id=member.id)
    kind: SecurityEventKind = "password_reset" if purpose == "reset_password" else "account_claimed"
    record_security_event(db, member_id=member.id, kind=kind)
    return member


def send_claim(db: Session, *, member: Member, now: datetime | None = None) -> bool:
    """Mail an imported member who never set a password a link to claim their account; whether
    it was sent (not to a placeholder address, nor twice within two minutes)."""
    now = now or clock.now()
    if member.password_hash != NO_PASSWORD or not can_receive_mail(member.email):
        return False
    if _sent_lately(db, member=member, purpose="claim_account", now=now):
        return False
    token = _new_link(
        db, member=member, purpose="claim_account", email=member.email, lasting=CLAIM_FOR, now=now
    )
    letter = mails.claim_account(member, url=link(f"/claim?token={token}"), locale=_locale(member))
    _mail(db, member=member, to=member.email, letter=letter, kind="claim_account")
    return True


def send_claims(db: Session) -> int:
    """A claim link to every imported member with an email who was never sent one; how many."""
    now = clock.now()
    return sum(
        send_claim(db, member=member, now=now) for member in repository.unclaimed_members(db)
    )


def is_unclaimed(member: Member) -> bool:
    return member.password_hash == NO_PASSWORD
