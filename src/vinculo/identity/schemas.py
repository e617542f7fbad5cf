"""The identity API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from vinculo.errors import N_
from vinculo.identity.models import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from vinculo.identity.service import SessionKind, SessionView
from vinculo.pagination import Page
from vinculo.schemas import Input, LineText, Output


def _valid_email(value: str) -> str:
    try:
        # Addresses under .test (RFC 2606) are fine too: a community may try Vínculo with them.
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValueError(N_("Enter a valid email address.")) from None
    return checked.normalized.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=EMAIL_MAX),
    AfterValidator(_valid_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_MAX}),
]
NewPassword = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
# A password being checked is only bounded, so that a long one cannot make the hashing slow.
GivenPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX)]
PersonName = Annotated[str, LineText(NAME_MAX, required=True)]
Locale = Literal["es", "en"]


class Registration(Input):
    email: Email
    password: NewPassword
    name: PersonName
    locale: Locale | None = None


# A code of an authenticator app (six digits) or a recovery code (twelve characters, with or
# without the hyphens and spaces it is shown with).
SecondFactorCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    Field(examples=["123456", "abcd-efgh-jkmn"]),
]


class Credentials(Input):
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EMAIL_MAX)
    ]
    password: GivenPassword
    code: SecondFactorCode | None = Field(
        default=None,
        description=(
            "Only for a member who turned two-factor sign-in on: a current code of their "
            "authenticator app, or one of their recovery codes (each works once)."
        ),
    )


class TokenRequest(Credentials):
    lifetime_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="End the token after this many days, however often it is used; at most "
        "(and by default) the community's limit for tokens (VINCULO_TOKEN_LIFETIME_DAYS).",
    )


class PasswordChange(Input):
    current_password: GivenPassword
    new_password: NewPassword


LinkToken = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(description="The token of the link the mail holds (its `token` query parameter)."),
]


class PasswordResetRequest(Input):
    # Its length as sent, as the document states it; the service trims and folds it.
    email: Annotated[str, StringConstraints(min_length=1, max_length=EMAIL_MAX)]


class PasswordByLink(Input):
    token: LinkToken
    new_password: NewPassword


class AccountClaim(Input):
    token: LinkToken
    password: NewPassword


class EmailConfirmation(Input):
    token: LinkToken


class EmailChange(Input):
    password: GivenPassword
    new_email: Email


class Accepted(Output):
    """The request was taken; what happens next arrives by email."""

    detail: str


class AccessToken(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(
        description="Seconds the token stays valid without being used (each use starts them "
        "again, until expires_at)."
    )
    expires_at: datetime = Field(description="When the token ends, however often it is used.")


class SessionOut(Output):
    """One of your page sessions (kind "web") or API tokens (kind "api")."""

    id: int
    kind: SessionKind
    created_at: datetime
    last_used_at: datetime = Field(
        description="When it was last used, to within the hour: its idle clock moves forward at "
        "most once an hour."
    )
    expires_at: datetime = Field(description="When it ends however often it is used.")
    user_agent: str = Field(description="The browser or program that logged in; may be empty.")
    client_address: str = Field(description="The address it logged in from; may be empty.")
    current: bool = Field(description="Whether it is the token of this very request.")

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        session = view.session
        return cls(
            id=session.id,
            kind="web" if session.kind == "web" else "api",
            created_at=session.created_at,
            last_used_at=session.last_seen_at,
            expires_at=session.expires_at,
            user_agent=session.user_agent,
            client_address=session.client_address,
            current=view.current,
        )


class SessionPage(Output):
    items: list[SessionOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[SessionView]) -> SessionPage:
        return cls(items=[SessionOut.of(view) for view in page.items], next_cursor=page.next_cursor)


# Two-factor sign-in


class TwoFactorStatus(Output):
    enabled: bool
    enabled_at: datetime | None = Field(description="When two-factor sign-in was turned on.")
    recovery_codes_left: int = Field(description="Recovery codes not used yet.")


class TwoFactorStart(Input):
    password: GivenPassword


class TwoFactorEnrolment(Output):
    secret: str = Field(description="The secret for the authenticator app, in base32.")
    otpauth_uri: str = Field(description="The same as an otpauth:// link, as QR codes carry it.")


class TwoFactorConfirmation(Input):
    code: SecondFactorCode


class TwoFactorProof(Input):
    password: GivenPassword
    code: SecondFactorCode


class RecoveryCodes(Output):
    recovery_codes: list[str] = Field(
        description="One-time codes that sign in instead of the app's code; shown only now."
    )
