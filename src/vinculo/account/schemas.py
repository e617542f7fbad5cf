"""The account API's input and output."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from vinculo.identity.schemas import GivenPassword
from vinculo.schemas import Input, Output


class AccountClosing(Input):
    password: GivenPassword = Field(description="Your password, to confirm it is you.")


class AccountClosedOut(Output):
    closed_at: datetime
    erase_after: datetime = Field(
        description="When the account is erased, unless you log in again before (which reopens "
        "it, with your connections)."
    )
