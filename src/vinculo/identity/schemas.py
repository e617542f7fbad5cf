"""The identity API's input and output."""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from vinculo.errors import N_
from vinculo.identity.models import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
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


class Credentials(Input):
    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EMAIL_MAX)
    ]
    password: GivenPassword


class PasswordChange(Input):
    current_password: GivenPassword
    new_password: NewPassword


class AccessToken(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(description="Seconds the token stays valid without being used.")
