"""The network API's input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from vinculo.db import ID_MAX
from vinculo.identity.models import EMAIL_MAX
from vinculo.network.models import CONNECTION_NOTE_MAX, NOTE_MAX
from vinculo.network.service import (
    ConnectionView,
    InvitationView,
    Link,
    NotificationView,
)
from vinculo.profiles.schemas import MemberSummary
from vinculo.profiles.service import MemberView
from vinculo.schemas import Input, Output, Patch

InvitationStatus = Literal["pending", "accepted", "ignored", "withdrawn", "expired"]
TierName = Literal["close", "regular", "occasional"]


class InvitationIn(Input):
    to: int = Field(ge=1, le=ID_MAX, description="The id of the member to invite.")
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

    @classmethod
    def of(cls, link: Link) -> LinkOut:
        return cls(
            mutual_connections=link.mutual_count,
            mutual_sample=[MemberSummary.of(MemberView(m, 1)) for m in link.mutual_sample],
            shared_places=[SharedPlaceOut(**place._asdict()) for place in link.places],
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
    link: LinkOut | None = Field(
        default=None, description="For received invitations: what you share with the sender."
    )

    @classmethod
    def of(
        cls, view: InvitationView, *, degrees: dict[int, int | None], link: Link | None = None
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
            sender=MemberSummary.of(MemberView(view.sender, degrees.get(view.sender.id))),
            recipient=MemberSummary.of(MemberView(view.recipient, degrees.get(view.recipient.id))),
            link=LinkOut.of(link) if link is not None else None,
        )


class InvitationPage(Output):
    items: list[InvitationOut]
    next_cursor: str | None


class ConnectionOut(MemberSummary):
    connected_at: datetime
    tier: TierName | None = Field(description="Your private tier; only in your own list.")
    note: str | None = Field(description="Your private note; only in your own list.")

    @classmethod
    def of_connection(cls, view: ConnectionView) -> ConnectionOut:
        return cls(
            **MemberSummary.of(
                MemberView(view.member, view.degree, view.mutual_count)
            ).model_dump(),
            connected_at=view.connected_at,
            tier=view.tier,
            note=view.note,
        )


class ConnectionPage(Output):
    items: list[ConnectionOut]
    next_cursor: str | None


class ConnectionUpdate(Patch):
    tier: TierName | None = None
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=CONNECTION_NOTE_MAX)]
        | None
    ) = None


class PathOut(Output):
    degree: int | None = Field(description="0 to 6 steps, or null when farther or unreachable.")
    path: list[MemberSummary] = Field(description="From you to the member, both included.")


class MutualConnectionsPage(Output):
    count: int
    items: list[MemberSummary]
    next_cursor: str | None


class SecondDegreePage(Output):
    count: int = Field(description="How many members your 2nd-degree network holds.")
    items: list[MemberSummary] = Field(
        description="Most connections shared with you (`mutual_count`) first, then by id."
    )
    next_cursor: str | None


class BlockIn(Input):
    member: int = Field(ge=1, le=ID_MAX, description="The id of the member to block.")


class BlockedOut(Output):
    member: MemberSummary
    blocked_at: datetime


class BlockedPage(Output):
    items: list[BlockedOut]
    next_cursor: str | None = None


class NetworkSettingsOut(Output):
    who_can_invite: Literal["anyone", "link", "email"]
    connections_visible_to: Literal["connections", "only_me"]


class NetworkSettingsUpdate(Patch):
    who_can_invite: Literal["anyone", "link", "email"] | None = Field(
        default=None,
        description="anyone · members with a link (mutual connections, the same organization "
        "or school at the same time) · only members who know my email",
    )
    connections_visible_to: Literal["connections", "only_me"] | None = Field(
        default=None, description="Who sees your list of connections: your connections, or you."
    )


NotificationKind = Literal["invitation_received", "invitation_accepted", "invitation_reminder"]


class NotificationOut(Output):
    id: int
    kind: NotificationKind
    actor: MemberSummary
    invitation_id: int | None
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, view: NotificationView, *, actor: MemberView) -> NotificationOut:
        return cls(
            id=view.id,
            kind=view.kind,
            actor=MemberSummary.of(actor),
            invitation_id=view.invitation_id,
            created_at=view.created_at,
            read=view.read,
        )


class NotificationPage(Output):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int
