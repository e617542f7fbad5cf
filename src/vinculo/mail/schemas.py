"""The email preferences API's input and output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vinculo.mail.service import MailChoice
from vinculo.schemas import Output, Patch

Frequency = Literal["immediately", "daily", "never"]
MailKind = Literal[
    "invitation_received", "invitation_reminder", "invitation_accepted", "introduction_requested"
]


class MailPreferenceOut(Output):
    kind: MailKind
    frequency: Frequency
    chosen: bool = Field(description="False: the default, never chosen.")

    @classmethod
    def of(cls, choice: MailChoice) -> MailPreferenceOut:
        return cls.model_validate(choice)


class MailPreferences(Output):
    items: list[MailPreferenceOut]


_FREQUENCY = "immediately · daily (in one email a day) · never"


class MailPreferencesUpdate(Patch):
    """How you want each kind of email; a kind left out keeps its choice. One field per kind in
    `mail.service.CHOOSABLE_KINDS` (a test checks it)."""

    invitation_received: Frequency | None = Field(default=None, description=_FREQUENCY)
    invitation_reminder: Frequency | None = Field(default=None, description=_FREQUENCY)
    invitation_accepted: Frequency | None = Field(default=None, description=_FREQUENCY)
    introduction_requested: Frequency | None = Field(default=None, description=_FREQUENCY)

    def choices(self) -> dict[str, str]:
        return {kind: value for kind, value in self.model_dump().items() if value is not None}
