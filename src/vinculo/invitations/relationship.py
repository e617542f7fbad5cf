"""Where a viewer stands with another member: connected, invited one way or the other (as the
viewer sees it: an ignored invitation still looks pending to its sender), or nothing yet. The
profile page shows it as its buttons."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.identity.models import Member
from vinculo.invitations import repository
from vinculo.invitations.models import AWAITING_ANSWER, OPEN_TO_SENDER, Invitation
from vinculo.network import service as network
from vinculo.privacy import service as privacy


@dataclass(frozen=True)
class Relationship:
    """Where the viewer stands with another member: connected, or an invitation one way or the
    other that is pending as the viewer sees it, or nothing yet."""

    member: Member
    connected: bool
    sent: Invitation | None  # the viewer's invitation (an ignored one looks pending to them)
    received: Invitation | None  # theirs, waiting for the viewer's answer
    connections_visible: bool  # whether the viewer may see the member's list of connections

    @property
    def state(self) -> str:
        if self.connected:
            return "connected"
        if self.received is not None:
            return "invited_you"
        if self.sent is not None:
            return "invited"
        return "none"


def relationship_with(db: Session, *, viewer: Member, member_id: int) -> Relationship:
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    if member.id == viewer.id:
        return Relationship(
            member, connected=False, sent=None, received=None, connections_visible=True
        )
    if network.is_connected(db, a=viewer.id, b=member.id):
        setting = privacy.privacy_settings(db, member=member).connections_visible_to
        return Relationship(
            member,
            connected=True,
            sent=None,
            received=None,
            connections_visible=privacy.may_see_connections(setting, own=False, connected=True),
        )
    now = clock.now()
    sent = repository.open_invitation(
        db, sender_id=viewer.id, recipient_id=member.id, statuses=OPEN_TO_SENDER, now=now
    )
    received = repository.open_invitation(
        db, sender_id=member.id, recipient_id=viewer.id, statuses=AWAITING_ANSWER, now=now
    )
    # Whatever their setting, a member's list is for their connections at most.
    return Relationship(
        member, connected=False, sent=sent, received=received, connections_visible=False
    )
