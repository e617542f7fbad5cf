"""The security event log's API output."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from vinculo.pagination import Page
from vinculo.schemas import Output
from vinculo.security.models import SecurityEvent
from vinculo.security.service import SecurityEventKind


class SecurityEventOut(Output):
    id: int
    kind: SecurityEventKind
    occurred_at: datetime = Field(description="When it happened, in UTC.")
    client_address: str = Field(description="The address it came from; empty when not known.")
    detail: str = Field(description="What it concerned: a session's kind and id, a member's id.")


class SecurityEventPage(Output):
    items: list[SecurityEventOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[SecurityEvent]) -> SecurityEventPage:
        return cls(
            items=[SecurityEventOut.model_validate(event) for event in page.items],
            next_cursor=page.next_cursor,
        )
