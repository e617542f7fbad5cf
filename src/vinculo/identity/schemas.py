"""The identity API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints

from vinculo.errors import N_
from vinculo.identity.models import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from vinculo.schemas import Input, Output


def _valid_email(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(N_("Enter a valid email address.")) from None
    return checked.normalized.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=EMAIL_MAX),
    AfterValidator(_valid_email),
]
NewPassword = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
# A password being checked is only bounded, so that a long one cannot make the hashing slow.
GivenPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX)]
PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)
]
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


class PasswordChange(Input):
    current_password: GivenPassword
    new_password: NewPassword


class AccessToken(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(description="Seconds the token stays valid without being used.")


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
