"""Mail as the areas use it: `send_mail` puts a letter in the outbox, in the transaction of what
it tells (it leaves only if that commits; the worker sends it, `mail.sender`); members' choices of
which mails they get, and the signed one-click unsubscribe address of each kind."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import quote

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.errors import N_, InvalidInput, NotFound
from vinculo.mail import repository
from vinculo.mail.composing import Composed, Letter, compose, language
from vinculo.mail.models import FREQUENCIES, OutboxMail
from vinculo.settings import get_settings

# The mails a member may choose to get at once, in the daily digest or never, with what they get
# when they have not chosen. Mails about the account's security (confirming an address,
# resetting a password) are not among them: they always go, and carry no unsubscribe link.
CHOOSABLE_KINDS: dict[str, str] = {
    "invitation_received": "immediately",
    "invitation_reminder": "immediately",
    "invitation_accepted": "immediately",
    "introduction_requested": "immediately",
}

# The daily digest of notifications is no kind of its own: it carries the kinds its reader chose
# to get daily, and its unsubscribe address sets each of them to "never".
DIGEST = "digest"

# How long a sender may hold a mail before another may take it (the first one died).
CLAIM_SECONDS = 300


def send_mail(
    db: Session,
    *,
    to: str,
    letter: Letter,
    kind: str,
    locale: str,
    member_id: int | None = None,
) -> int:
    """Put a mail in the outbox; its id. A choosable kind (`CHOOSABLE_KINDS`) to a member carries
    the address that stops it, in the footer and as RFC 8058 one-click unsubscribe headers; the
    caller has already asked whether the member wants it."""
    unsubscribe = None
    if member_id is not None and _may_unsubscribe(kind):
        url = unsubscribe_url(member_id=member_id, kind=kind)
        unsubscribe = (language(locale).gettext(N_("Stop these emails")), url)
    composed: Composed = compose(letter, locale=locale, unsubscribe=unsubscribe)
    now = clock.now()
    return repository.add_mail(
        db,
        OutboxMail(
            member_id=member_id,
            to_address=to,
            kind=kind,
            subject=composed.subject,
            text_body=composed.text,
            html_body=composed.html,
            unsubscribe_url=unsubscribe[1] if unsubscribe else None,
            created_at=now,
            send_after=now,
            attempts=0,
        ),
    )


def link(path: str) -> str:
    """An address on this site, as a mail's reader follows it."""
    return get_settings().public_url.rstrip("/") + path


def mail_domain() -> str:
    """The domain of the sender's address: the right-hand side of each mail's Message-ID."""
    address = parseaddr(get_settings().mail_from)[1]
    return address.rpartition("@")[2] or "vinculo.invalid"


# Members' choices.


@dataclass(frozen=True)
class MailChoice:
    kind: str
    frequency: str
    chosen: bool  # False: the default


def preferences_of(db: Session, *, member_id: int) -> list[MailChoice]:
    """Every choosable kind of mail and how the member gets it."""
    chosen = repository.preferences_of(db, member_id=member_id)
    return [
        MailChoice(kind, chosen.get(kind, default), kind in chosen)
        for kind, default in CHOOSABLE_KINDS.items()
    ]


def choose(db: Session, *, member_id: int, kind: str, frequency: str) -> None:
    """Set how the member gets mails of `kind`."""
    if kind not in CHOOSABLE_KINDS:
        raise InvalidInput.for_field("kind", N_("There is no such kind of email."))
    if frequency not in FREQUENCIES:
        raise InvalidInput.for_field(
            "frequency", N_("Choose immediately, daily or never."), choices=FREQUENCIES
        )
    repository.set_preference(
        db, member_id=member_id, kind=kind, frequency=frequency, now=clock.now()
    )


def choose_all(db: Session, *, member_id: int, frequencies: dict[str, str]) -> list[MailChoice]:
    """Set how the member gets each kind named; every choosable kind after the change."""
    for kind, frequency in frequencies.items():
        choose(db, member_id=member_id, kind=kind, frequency=frequency)
    return preferences_of(db, member_id=member_id)


# One-click unsubscribe: the address names the member and the kind, signed with the site's key,
# so it works without logging in and cannot be made up for someone else. It never expires: a
# mail read a year later must still stop the next ones.


def _may_unsubscribe(kind: str) -> bool:
    return kind in CHOOSABLE_KINDS or kind == DIGEST


def _signature(member_id: int, kind: str) -> str:
    key = get_settings().key_for(b"mail-unsubscribe")
    digest = hmac.new(key, f"{member_id}:{kind}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def unsubscribe_token(*, member_id: int, kind: str) -> str:
    return f"{member_id}.{kind}.{_signature(member_id, kind)}"


def unsubscribe_url(*, member_id: int, kind: str) -> str:
    return link(f"/mail/unsubscribe/{quote(unsubscribe_token(member_id=member_id, kind=kind))}")


@dataclass(frozen=True)
class Unsubscription:
    member_id: int
    kind: str


def read_unsubscribe_token(token: str) -> Unsubscription:
    """The member and kind a token stops; 404 for a token we did not sign."""
    member, _, rest = token.partition(".")
    kind, _, signature = rest.rpartition(".")
    if not member.isdigit() or len(member) > 19 or not _may_unsubscribe(kind):
        raise NotFound()
    if not hmac.compare_digest(signature, _signature(int(member), kind)):
        raise NotFound()
    return Unsubscription(int(member), kind)


def unsubscribe(db: Session, *, token: str) -> Unsubscription:
    """Stop the mails a token names (a member who since chose them again may choose again); the
    digest's stops every kind the member gets daily."""
    found = read_unsubscribe_token(token)
    if not repository.member_exists(db, member_id=found.member_id):
        raise NotFound()
    if found.kind == DIGEST:
        kinds = [
            choice.kind
            for choice in preferences_of(db, member_id=found.member_id)
            if choice.frequency == "daily"
        ]
    else:
        kinds = [found.kind]
    for kind in kinds:
        repository.set_preference(
            db, member_id=found.member_id, kind=kind, frequency="never", now=clock.now()
        )
    return found


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 4, 16 minutes… at most 6 h."""
    return timedelta(minutes=min(4 ** (attempts - 1), 360))


def mails_of(db: Session, *, member_id: int) -> list[OutboxMail]:
    """Every mail written to the member, oldest first (for their export)."""
    return list(repository.mails_of(db, member_id=member_id))
