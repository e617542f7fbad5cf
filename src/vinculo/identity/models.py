"""Tables of identity: the member account, its sessions and tokens, failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id, one_of

NAME_MAX = 100
HEADLINE_MAX = 220
LOCATION_MAX = 100
SECTOR_MAX = 100
ABOUT_MAX = 2600
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
LOCALES = ("es", "en")
EXTERNAL_ID_MAX = 100
PHOTO_VERSION_LENGTH = 16
# The password hash of a member who has never set a password (an imported one): no password
# verifies against it.
NO_PASSWORD = "!"  # noqa: S105 - not a secret: a hash nothing matches


class Member(Base):
    """A person in the community. The public profile fields live here because every page shows
    them; the profiles area owns how they change, and the career records beside them."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Folded name: the sort key of every member list, so that "Álvaro" sorts with "Alvaro".
    name_key: Mapped[str] = mapped_column(String(NAME_MAX), index=True)
    headline: Mapped[str] = mapped_column(String(HEADLINE_MAX), default="")
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), default="")
    sector: Mapped[str] = mapped_column(String(SECTOR_MAX), default="")
    about: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str | None] = mapped_column(String(5))
    # The member's id in the system they were imported from (`vinculo import`), if any.
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)
    # When the member followed the link sent to their email: a mark, not a gate (unless the
    # operator requires it to invite).
    email_confirmed_at: Mapped[datetime | None]
    # The profile photo's version (the start of its digest), None without one: every list shows
    # a member's photo, so its address is known without reading the photos (the photos area
    # keeps the image, and this column in step with it).
    photo_version: Mapped[str | None] = mapped_column(String(PHOTO_VERSION_LENGTH))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the member closed their account: hidden from everyone, logged out, and erased once
    # the grace period is over unless they log in again before (ADR 0016).
    closed_at: Mapped[datetime | None] = mapped_column(index=True)

    __table_args__ = (
        CheckConstraint("locale IS NULL OR locale IN ('es', 'en')", name="locale"),
        CheckConstraint(f"length(about) <= {ABOUT_MAX}", name="about_length"),
    )


USER_AGENT_MAX = 200
CLIENT_ADDRESS_MAX = 64


class AuthSession(Base):
    """A logged-in browser (kind "web") or an API bearer token (kind "api").

    Only a SHA-256 of the token is stored, so a copy of the database opens no session. It ends
    when unused for the idle limit, or at `expires_at` however often it is used. The browser and
    address it was opened from are kept so that the member can tell their sessions apart."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    client_address: Mapped[str] = mapped_column(String(CLIENT_ADDRESS_MAX), default="")

    __table_args__ = (CheckConstraint("kind IN ('web', 'api')", name="kind"),)


class LoginFailure(Base):
    """One failed login, counted per account (by folded email, known or not) and per address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    client_address: Mapped[str] = mapped_column(String(CLIENT_ADDRESS_MAX))
    failed_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_login_failure_email_failed_at", "email", "failed_at"),
        Index("ix_login_failure_client_address_failed_at", "client_address", "failed_at"),
    )


# Two-factor sign-in (identity/two_factor.py owns what these rows mean).


class TwoFactor(Base):
    """A member's authenticator app: the TOTP secret they share with it, encrypted with a key
    derived from the secret key setting. `confirmed_at` is None while enrolment waits for a first
    code; from then on sign-in asks for a code. `last_used_step` is the time step of the last code
    accepted: a code of that step or an earlier one is refused, so a code works once."""

    __tablename__ = "two_factor"

    member_id: Mapped[int] = mapped_column(
        Id, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One of a member's one-time recovery codes, stored only as a SHA-256 of the member's id and
    the code; a used code's row is deleted."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


# Links sent by email (identity/links.py owns what they mean).

LINK_PURPOSES = ("confirm_email", "reset_password", "claim_account")


class AccountLink(Base):
    """A link mailed to a member: to confirm an address (a new account's, or the new one they
    changed to: `email`), to set a new password, or to claim an imported account. Only a SHA-256
    of its token is stored; it works once (`used_at`) and until `expires_at`."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to, which it confirms.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(one_of("purpose", LINK_PURPOSES), name="purpose"),)
