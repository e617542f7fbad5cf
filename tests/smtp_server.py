"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and the outbox sent
to it through the product's own sender, as the worker sends it."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from vinculo.db import Database
from vinculo.mail.sender import MailSender, Sent, SmtpTransport
from vinculo.settings import Settings, get_settings

LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Mailbox:
    """Every message the server accepted, parsed; `refuse` makes it answer each one with that
    SMTP reply instead (e.g. "451 try later", "550 no such user")."""

    host: str
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return self.refuse
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        with self.lock:
            self.received.append(message)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.received if str(m["To"]) == address]

    def settings(self) -> Settings:
        return get_settings().model_copy(
            update={"smtp_host": self.host, "smtp_port": self.port, "smtp_security": "none"}
        )

    def deliver(self, database: Database) -> Sent:
        """Send everything due in the outbox to this server, as the worker does."""
        settings = self.settings()
        return MailSender(database, settings, SmtpTransport(settings)).send_once()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the mail has no plain-text part"
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None, "the mail has no HTML part"
    return str(body.get_content())


def links_in(message: EmailMessage) -> list[str]:
    return LINK.findall(text_of(message))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_mailbox() -> tuple[Mailbox, Any]:
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    return mailbox, controller
