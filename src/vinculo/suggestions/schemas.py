"""API shapes of suggestions."""

from __future__ import annotations

from pydantic import Field

from vinculo.network.schemas import MemberSummary
from vinculo.schemas import Output
from vinculo.suggestions.service import SuggestionView


class SuggestionOut(Output):
    member: MemberSummary
    score: float = Field(description="Higher is stronger; comparable within one list only.")
    reasons: list[str] = Field(description="The two strongest reasons, in your language.")
    suggested_note: str = Field(description="An invitation note that states the link.")

    @classmethod
    def of(cls, view: SuggestionView) -> SuggestionOut:
        return cls(
            member=MemberSummary.of(view.member),
            score=round(view.score, 4),
            reasons=list(view.reasons),
            suggested_note=view.note,
        )


class SuggestionPage(Output):
    items: list[SuggestionOut]
    next_cursor: str | None = Field(
        default=None, description="Always null: suggestions are one ranked list of `limit`."
    )
