"""Tables of mail: the outbox, and what each member chose to receive by email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

ADDRESS_MAX = 254
KIND_MAX = 40
SUBJECT_MAX = 300
ERROR_MAX = 500
FREQUENCIES = ("immediately", "daily", "never")


class OutboxMail(Base):
    """One mail to send, composed when what it tells happened, in the same transaction: it exists
    if and only if that committed. The sender claims it (`claimed_until`), sends it, and marks it
    sent; a failure waits longer before each new attempt, and after the last one the mail is
    marked failed."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Who it is for, when a member: an erased member's mail goes with them, sent or not.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # The one-click unsubscribe address (RFC 8058), for mails that are not about the account's
    # security.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    # Not before then: now for a new mail, later after a failed attempt.
    send_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    # A sender holds the mail until then; past it (the sender died) another may take it.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")

    __table_args__ = (
        # The sender's one question: what is waiting, oldest due first.
        Index(
            "ix_outbox_mail_waiting",
            "send_after",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
    )


class MailPreference(Base):
    """How a member wants one kind of mail: at once, in the daily digest, or never. A kind with
    no row gets its default (`mail.kinds`)."""

    __tablename__ = "mail_preference"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(KIND_MAX), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint(one_of("frequency", FREQUENCIES), name="frequency"),)
