"""The invitations API's input and output."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from vinculo.groups.models import GroupRef
from vinculo.groups.schemas import GroupRefOut
from vinculo.identity.models import EMAIL_MAX
from vinculo.introductions.schemas import IntroductionCardOut
from vinculo.introductions.service import IntroductionCard
from vinculo.invitations.links import Link
from vinculo.invitations.models import NOTE_MAX, InvitationStatus
from vinculo.invitations.service import InvitationView
from vinculo.network.schemas import MemberSummary
from vinculo.schemas import BodyId, Input, Output


class InvitationIn(Input):
    to: BodyId = Field(description="The id of the member to invite.")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)] = Field(
        default="", description="Why you want to connect; strongly encouraged."
    )
    email: Annotated[str, StringConstraints(max_length=EMAIL_MAX)] | None = Field(
        default=None,
        description="The member's email, if you know it: members who accept invitations only "
        "from people who know their email require it.",
    )


class SharedPlaceOut(Output):
    kind: Literal["organization", "school"]
    name: str
    start_year: int
    end_year: int | None
    other_start_year: int
    other_end_year: int | None


class LinkOut(Output):
    """What the two members share: mutual connections and places at overlapping times."""

    mutual_connections: int
    mutual_sample: list[MemberSummary]
    shared_places: list[SharedPlaceOut]
    shared_groups: list[GroupRefOut] = Field(
        default=[], description="The groups you are both in, by name."
    )

    @classmethod
    def of(cls, link: Link, shared_groups: Sequence[GroupRef] = ()) -> LinkOut:
        return cls(
            mutual_connections=link.mutual_count,
            mutual_sample=[MemberSummary.of(view) for view in link.mutual_sample],
            shared_places=[SharedPlaceOut(**place._asdict()) for place in link.places],
            shared_groups=[GroupRefOut.of(group) for group in shared_groups],
        )


class InvitationOut(Output):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: int
    from_: int = Field(alias="from", description="The sender's member id.")
    to: int
    note: str
    status: InvitationStatus = Field(
        description="As you see it: a sender sees an ignored invitation as pending until expiry."
    )
    created_at: datetime
    expires_at: datetime
    sender: MemberSummary
    recipient: MemberSummary
    sender_email_confirmed: bool | None = Field(
        default=None,
        description="For received invitations: whether the sender confirmed their email address.",
    )
    link: LinkOut | None = Field(
        default=None, description="For received invitations: what you share with the sender."
    )
    introduction: IntroductionCardOut | None = Field(
        default=None,
        description="When it came from an introduction: who introduced you, the sender's "
        "message to them and their note.",
    )

    @classmethod
    def of(
        cls,
        view: InvitationView,
        card: IntroductionCard | None = None,
        *,
        shared_groups: Sequence[GroupRef] | None = None,
    ) -> InvitationOut:
        invitation = view.invitation
        return cls(
            id=invitation.id,
            from_=invitation.sender_id,
            to=invitation.recipient_id,
            note=invitation.note,
            status=view.status,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            sender=MemberSummary.of(view.sender),
            recipient=MemberSummary.of(view.recipient),
            sender_email_confirmed=(
                view.sender.member.email_confirmed_at is not None if view.link is not None else None
            ),
            link=LinkOut.of(view.link, shared_groups or ()) if view.link is not None else None,
            introduction=IntroductionCardOut.of(card) if card is not None else None,
        )


class InvitationPage(Output):
    items: list[InvitationOut]
    next_cursor: str | None
