"""The network API's input and output, and the summary of a member every list shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from vinculo.network.degrees import MemberView, MutualConnections, PathView, SecondDegree
from vinculo.network.models import CONNECTION_NOTE_MAX, Tier
from vinculo.network.service import ConnectionView
from vinculo.photos.schemas import photo_url
from vinculo.schemas import Output, Patch


class MemberSummary(Output):
    id: int
    name: str
    headline: str
    location: str
    photo_url: str | None = Field(
        description="The member's photo, a 256-pixel WebP square, served to signed-in members "
        "who may see the member (with the session cookie or the bearer token); it changes when "
        "the photo does. Null without a photo: show the initial of the name."
    )
    degree: int | None = Field(description="0 for yourself, 1–3, or null when out of network.")
    mutual_count: int | None = Field(
        default=None,
        description="How many connections you share with the member, in lists that show it "
        "(search results, connection lists, notifications); null elsewhere.",
    )

    @classmethod
    def of(cls, view: MemberView) -> MemberSummary:
        member = view.member
        return cls(
            id=member.id,
            name=member.name,
            headline=member.headline,
            location=member.location,
            photo_url=photo_url(member),
            degree=view.degree,
            mutual_count=view.mutual_count,
        )


class ConnectionOut(MemberSummary):
    connected_at: datetime
    tier: Tier | None = Field(description="Your private tier; only in your own list.")
    note: str | None = Field(description="Your private note; only in your own list.")

    @classmethod
    def of_connection(cls, view: ConnectionView) -> ConnectionOut:
        return cls(
            **MemberSummary.of(view).model_dump(),
            connected_at=view.connected_at,
            tier=view.tier,
            note=view.note,
        )


class ConnectionPage(Output):
    items: list[ConnectionOut]
    next_cursor: str | None


class ConnectionUpdate(Patch):
    tier: Tier | None = None
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=CONNECTION_NOTE_MAX)]
        | None
    ) = None


class PathOut(Output):
    degree: int | None = Field(description="0 to 6 steps, or null when farther or unreachable.")
    path: list[MemberSummary] = Field(
        description="From you to the member, both included, when `complete`. Otherwise from you "
        "to the member to ask (`reaches_via`): the chain goes on through connections you may not "
        "see, and no one on them is named. Empty when there is no chain, or no one to ask."
    )
    complete: bool = Field(
        description="Whether `path` reaches the member: false when there is no chain, or when "
        "the rest of it is made of connections you may not see."
    )
    reaches_via: MemberSummary | None = Field(
        description="On a partial path, the last member shown: their network reaches the member; "
        "ask them to introduce you. Null on a complete path or when no one is shown."
    )

    @classmethod
    def of(cls, view: PathView) -> PathOut:
        via = view.reaches_via
        return cls(
            degree=view.degree,
            path=[MemberSummary.of(member) for member in view.members],
            complete=view.complete,
            reaches_via=None if via is None else MemberSummary.of(via),
        )


class MutualConnectionsPage(Output):
    count: int
    items: list[MemberSummary]
    next_cursor: str | None

    @classmethod
    def of(cls, found: MutualConnections) -> MutualConnectionsPage:
        return cls(
            count=found.count,
            items=[MemberSummary.of(view) for view in found.page.items],
            next_cursor=found.page.next_cursor,
        )


class SecondDegreePage(Output):
    count: int = Field(description="How many members your 2nd-degree network holds.")
    items: list[MemberSummary] = Field(
        description="Most connections shared with you (`mutual_count`) first, then by id."
    )
    next_cursor: str | None

    @classmethod
    def of(cls, found: SecondDegree) -> SecondDegreePage:
        return cls(
            count=found.count,
            items=[MemberSummary.of(view) for view in found.page.items],
            next_cursor=found.page.next_cursor,
        )
