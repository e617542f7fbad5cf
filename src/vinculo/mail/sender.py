"""Sending the outbox, in the worker: claim the mails that are due, hand them to the transport
(an SMTP server, or a folder of .eml files in development), mark each sent, or due again later
after a failure (1, 4, 16… minutes), or failed after `VINCULO_MAIL_ATTEMPTS` attempts or a
permanent refusal.

A mail is claimed (held by one sender for a few minutes) in a committed transaction before it
is sent, and marked sent right after: two senders never both send one mail. A sender that dies
between sending and marking leaves the mail to be sent again once its claim runs out; its
Message-ID is the same, so the receiving side may recognise it (ADR 0014)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from vinculo import clock
from vinculo.db import Database
from vinculo.mail import repository
from vinculo.mail.models import OutboxMail
from vinculo.mail.service import CLAIM_SECONDS, mail_domain, retry_delay
from vinculo.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one mail handed to a transport: None for delivered, else the error and
    whether trying again may help."""

    error: str | None = None
    permanent: bool = False


class Transport(Protocol):
    def deliver(self, messages: Sequence[Message]) -> list[Outcome]: ...


def message_of(mail: OutboxMail, *, sender: str) -> Message:
    """The outbox row as an RFC 5322 message: plain text and HTML alternatives. Built with the
    standard library's MIME classes and their plain header strings (a few times cheaper than
    `EmailMessage`, whose headers are parsed as they are set): every value here is ours or
    checked on input, and a text that is not ASCII is encoded (RFC 2047)."""
    message = MIMEMultipart("alternative")
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to_address
    message["Subject"] = Header(mail.subject, "utf-8").encode()
    message["Date"] = format_datetime(mail.created_at)
    # The same for every attempt, so a mail sent twice (a sender died in between) is one mail.
    message["Message-ID"] = f"<outbox.{mail.id}.{int(mail.created_at.timestamp())}@{mail_domain()}>"
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(_text_part(mail.text_body, "plain"))
    message.attach(_text_part(mail.html_body, "html"))
    return message


# The longest line SMTP carries (RFC 5321: 1000 octets with the line break).
LINE_MAX = 998


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    """UTF-8 sent as 8bit, so that a link stays whole on its line, as a reader of the .eml file
    or a plain-text mail program sees it (every SMTP server of this century takes 8BITMIME);
    quoted-printable for a body with a line too long for SMTP."""
    charset = Charset("utf-8")
    longest = max((len(line.encode()) for line in body.splitlines()), default=0)
    # None: the body goes as it is, 8bit (typeshed knows only the encodings' numbers).
    charset.body_encoding = None if longest <= LINE_MAX else QP  # type: ignore[assignment]
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, charset)
    return part


def plain_text_of(message: Message) -> str:
    """The plain-text part of a message `message_of` made."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload: object = part.get_payload(decode=True)
            return payload.decode() if isinstance(payload, bytes) else ""
    return ""


class SmtpTransport:
    """An SMTP server, through aiosmtplib: one connection for each batch of mails."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def deliver(self, messages: Sequence[Message]) -> list[Outcome]:
        return asyncio.run(self._deliver(messages))

    async def _deliver(self, messages: Sequence[Message]) -> list[Outcome]:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            return [_outcome(error)] * len(messages)
        outcomes = []
        try:
            for message in messages:
                try:
                    await client.send_message(message)
                    outcomes.append(Outcome())
                except (aiosmtplib.SMTPException, OSError) as error:
                    outcomes.append(_outcome(error))
                    if not client.is_connected:
                        rest = len(messages) - len(outcomes)
                        outcomes.extend([_outcome(error)] * rest)
                        break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return outcomes


def _outcome(error: Exception) -> Outcome:
    """A 5xx answer is permanent (no such mailbox, refused); anything else may pass later."""
    codes = [error.code] if isinstance(error, aiosmtplib.SMTPResponseException) else []
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
    permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    return Outcome(error=f"{type(error).__name__}: {error}", permanent=permanent)


class FolderTransport:
    """Development's and the demo's mail: each message written as an .eml file in a folder, and
    shown on the console, where a developer can follow its links."""

    def __init__(self, folder: Path, *, show: bool = True) -> None:
        self.folder = folder
        self.show = show

    def deliver(self, messages: Sequence[Message]) -> list[Outcome]:
        self.folder.mkdir(parents=True, exist_ok=True)
        outcomes = []
        for message in messages:
            identity = str(message["Message-ID"]).strip("<>").split("@")[0]
            path = self.folder / f"{identity}.eml"
            partial = path.with_suffix(".part")
            try:
                partial.write_bytes(message.as_bytes())
                os.replace(partial, path)  # a reader never sees half a mail
            except OSError as error:
                outcomes.append(Outcome(error=f"{type(error).__name__}: {error}"))
                continue
            outcomes.append(Outcome())
            if self.show:
                text = plain_text_of(message)
                print(  # noqa: T201 - showing the mail on the console is this transport's job
                    f"── mail to {message['To']}: {message['Subject']} ({path})\n{text}",
                    flush=True,
                )
        return outcomes


def transport_from(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FolderTransport(Path(settings.mail_dir))


@dataclass(frozen=True)
class Sent:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def send_waiting(
    database: Database, transport: Transport, *, sender: str, attempts: int, batch: int = 50
) -> Sent:
    """Send up to `batch` mails that are due; what became of them."""
    now = clock.now()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    with database.unit_of_work() as db:
        claimed = repository.claim_waiting(db, now=now, until=until, limit=batch)
    if not claimed:
        return Sent()
    outcomes = transport.deliver([message_of(mail, sender=sender) for mail in claimed])
    done = clock.now()
    retried = failed = 0
    delivered = [
        mail.id for mail, outcome in zip(claimed, outcomes, strict=True) if not outcome.error
    ]
    with database.unit_of_work() as db:
        if delivered:
            repository.mark_sent(db, mail_ids=delivered, now=done)
        for mail, outcome in zip(claimed, outcomes, strict=True):
            if outcome.error is None:
                continue
            final = outcome.permanent or mail.attempts >= attempts
            retry_at = None if final else done + retry_delay(mail.attempts)
            repository.mark_failed_attempt(
                db, mail_id=mail.id, error=outcome.error, retry_at=retry_at, now=done
            )
            failed += final
            retried += not final
            log.warning(
                "mail %s to %s: attempt %s failed%s: %s",
                mail.id,
                mail.to_address,
                mail.attempts,
                "; giving up" if final else "",
                outcome.error,
            )
    return Sent(len(delivered), retried, failed)


def forget_old_mail(database: Database, *, keep_days: int) -> int:
    """Delete the mail sent or given up on more than `keep_days` ago; how many."""
    with database.unit_of_work() as db:
        return repository.forget_mails_done_before(
            db, before=clock.now() - timedelta(days=keep_days)
        )


class MailSender:
    """The worker's sender: looks for due mail every `VINCULO_MAIL_POLL_SECONDS`."""

    def __init__(self, database: Database, settings: Settings, transport: Transport) -> None:
        self.database = database
        self.settings = settings
        self.transport = transport

    def send_once(self) -> Sent:
        total = Sent()
        while True:
            done = send_waiting(
                self.database,
                self.transport,
                sender=self.settings.mail_from,
                attempts=self.settings.mail_attempts,
            )
            total = Sent(
                total.sent + done.sent, total.retried + done.retried, total.failed + done.failed
            )
            if done == Sent():
                return total

    def run(self, *, stopped: threading.Event) -> None:
        while not stopped.is_set():
            try:
                self.send_once()
            except Exception:
                log.exception("sending mail failed; trying again")
            stopped.wait(self.settings.mail_poll_seconds)
