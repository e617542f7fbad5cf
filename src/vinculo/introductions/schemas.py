"""The introductions API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from vinculo.introductions.introducers import Candidate
from vinculo.introductions.models import MESSAGE_MAX, NOTE_MAX, Counts, IntroductionStatus
from vinculo.introductions.reasons import explain
from vinculo.introductions.service import (
    Insight,
    IntroducerChoice,
    IntroductionCard,
    IntroductionView,
)
from vinculo.network.degrees import MemberView
from vinculo.network.schemas import MemberSummary
from vinculo.schemas import BodyId, Input, Output

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)]


class IntroductionIn(Input):
    target: BodyId = Field(description="The member you want to be introduced to.")
    via: BodyId = Field(
        description="The connection you ask: connected to the target, or to someone who is "
        "(they may pass your request on once)."
    )
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX)
    ] = Field(description="To the introducer: why you want to meet the target.")


class ForwardIn(Input):
    note: Note = Field(default="", description="Your note to the target, with the request.")


class PassIn(Input):
    # Required, but asked for by the service after the introduction is found: a stranger's
    # request gets its 404 whatever its body.
    to: BodyId | None = Field(
        default=None, description="Required: your connection who knows the target."
    )
    note: Note = Field(default="", description="Your note to them.")


class IntroductionMembers(Output):
    requester: MemberSummary
    introducer: MemberSummary
    target: MemberSummary
    via: MemberSummary | None


class IntroductionOut(Output):
    id: int
    requester: int = Field(description="The member who asked to be introduced.")
    introducer: int = Field(description="The connection they asked.")
    target: int = Field(description="The member they want to meet.")
    via: int | None = Field(
        description="The member the introducer passed the request on to, if they did."
    )
    message: str = Field(description="The requester's message to the introducer.")
    note: str = Field(description="The forwarder's note to the target.")
    pass_note: str = Field(
        description="The introducer's note to the member they passed it on to (for those two)."
    )
    status: IntroductionStatus = Field(
        description="requested, forwarded, declined (shown to the requester as “not "
        "forwarded”), withdrawn, connected or expired."
    )
    waiting_for_you: bool = Field(description="Whether you are the one asked to act now.")
    created_at: datetime
    expires_at: datetime = Field(description="When the step waiting now expires.")
    invitation_id: int | None = Field(
        description="The invitation it became once forwarded (for its requester and target)."
    )
    members: IntroductionMembers

    @classmethod
    def of(cls, view: IntroductionView) -> IntroductionOut:
        introduction = view.introduction
        shows_invitation = view.role in ("requester", "target")
        return cls(
            id=introduction.id,
            requester=introduction.requester_id,
            introducer=introduction.introducer_id,
            target=introduction.target_id,
            via=introduction.via_id,
            message=introduction.message,
            note=introduction.note,
            pass_note=view.pass_note,
            status=view.status,
            waiting_for_you=view.waits_for_viewer,
            created_at=introduction.created_at,
            expires_at=introduction.expires_at,
            invitation_id=introduction.invitation_id if shows_invitation else None,
            members=IntroductionMembers(
                requester=MemberSummary.of(view.requester),
                introducer=MemberSummary.of(view.introducer),
                target=MemberSummary.of(view.target),
                via=MemberSummary.of(view.via) if view.via is not None else None,
            ),
        )


class IntroductionPage(Output):
    items: list[IntroductionOut]
    next_cursor: str | None


class IntroductionCardOut(Output):
    """On an invitation that came from an introduction."""

    id: int
    introducer: MemberSummary
    message: str = Field(description="The requester's message to the introducer.")
    note: str = Field(description="The introducer's note to you.")

    @classmethod
    def of(cls, card: IntroductionCard) -> IntroductionCardOut:
        return cls(
            id=card.id,
            introducer=MemberSummary.of(card.introducer),
            message=card.message,
            note=card.note,
        )


class IntroducerOut(Output):
    member: MemberSummary
    reasons: list[str]
    via: MemberSummary | None = Field(
        default=None,
        description="Beyond the 2nd degree: one of their connections who knows the member, "
        "when you may see both connections.",
    )


class IntroducersPage(Output):
    items: list[IntroducerOut] = Field(description="Best first.")
    degree: int | None
    two_hops: bool = Field(
        description="True when the member is 3rd degree: the one you ask passes your request "
        "on to one of their connections who knows the member."
    )

    @classmethod
    def of(cls, choice: IntroducerChoice, *, locale: str) -> IntroducersPage:
        name = choice.target.member.name
        return cls(
            items=[_introducer(c, name, locale) for c in choice.candidates],
            degree=choice.target.degree,
            two_hops=choice.two_hops,
        )


def _introducer(candidate: Candidate, name: str, locale: str) -> IntroducerOut:
    return IntroducerOut(
        member=MemberSummary.of(MemberView(candidate.member, 1)),
        reasons=explain(candidate, target_name=name, locale=locale),
        via=MemberSummary.of(MemberView(candidate.via, 2)) if candidate.via else None,
    )


def candidates_out(
    candidates: list[Candidate], *, target_name: str, locale: str
) -> list[IntroducerOut]:
    return [_introducer(c, target_name, locale) for c in candidates]


class CountsOut(Output):
    asked: int = Field(description="Requests made.")
    forwarded: int = Field(description="Of those, forwarded to their target.")
    connected: int = Field(description="Of those, ended connected.")

    @classmethod
    def of(cls, counts: Counts) -> CountsOut:
        return cls(asked=counts.asked, forwarded=counts.forwarded, connected=counts.connected)


class InsightOut(Output):
    asked: CountsOut = Field(description="The introductions you asked for.")
    introduced: CountsOut = Field(
        description="The introductions you were asked to make (first or passed on to you)."
    )
    community: CountsOut = Field(description="Every introduction in the community.")

    @classmethod
    def of(cls, insight: Insight) -> InsightOut:
        return cls(
            asked=CountsOut.of(insight.asked),
            introduced=CountsOut.of(insight.introduced),
            community=CountsOut.of(insight.community),
        )
