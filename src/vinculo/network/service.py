"""Network operations: the invitation life cycle, connections and their private tiers and notes,
blocks, privacy settings, notifications, and the sweep that expires and reminds.

Every change of an invitation is one conditional update of a pending row (`close_pending`): when
two actions race, exactly one finds the row pending and wins; the other gets a 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import on_commit
from vinculo.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    VinculoError,
)
from vinculo.identity.models import Member
from vinculo.network import index as network_index
from vinculo.network import repository
from vinculo.network.index import index_of
from vinculo.network.models import NOTE_MAX, Connection, Invitation, NetworkSettings
from vinculo.network.repository import SharedPlace
from vinculo.pagination import Page, cut_page, decode_cursor, encode_cursor

# A blocked member gets the very refusal of a member who does not exist.
from vinculo.profiles.service import MemberNotFound
from vinculo.settings import get_settings

Box = Literal["received", "sent"]
Tier = Literal["close", "regular", "occasional"]


class InvitationNotFound(NotFound):
    slug = "invitation-not-found"
    title = N_("Invitation not found")
    default_detail = N_("There is no such invitation, or it is not yours to act on.")


class InvitationNotPending(Conflict):
    slug = "invitation-not-pending"
    title = N_("Invitation no longer pending")
    default_detail = N_("This invitation was already answered, withdrawn or has expired.")


class AlreadyConnected(Conflict):
    slug = "already-connected"
    title = N_("Already connected")
    default_detail = N_("You are already connected with this member.")


class AlreadyInvited(Conflict):
    slug = "already-invited"
    title = N_("Invitation already pending")
    default_detail = N_("You already invited this member; wait for their answer.")


class InvitationCooldown(Conflict):
    slug = "invitation-cooldown"
    title = N_("Too soon to invite again")
    default_detail = N_("You can invite this member again from %(date)s.")


class NotInvitable(Forbidden):
    slug = "not-invitable"
    title = N_("This member limits who can invite them")
    default_detail = N_(
        "This member accepts invitations only from members they share a link with, or who know "
        "their email."
    )


class RestrictedSender(Forbidden):
    slug = "restricted-sender"
    title = N_("Invitations restricted")
    default_detail = N_(
        "Several members said they do not know you. For now you can invite only members you share "
        "a link with, or whose email you know."
    )


class WeeklyInvitationLimit(TooManyRequests):
    slug = "weekly-invitation-limit"
    title = N_("Weekly invitation limit reached")
    default_detail = N_(
        "You sent %(limit)s invitations in the last 7 days. You can send more in %(minutes)s "
        "minutes."
    )


class ConnectionLimit(Conflict):
    slug = "connection-limit"
    title = N_("Connection limit reached")
    default_detail = N_("A member can have at most %(limit)s connections.")


class NotConnected(NotFound):
    slug = "not-connected"
    title = N_("Not connected")
    default_detail = N_("You are not connected with this member.")


class ConnectionsPrivate(Forbidden):
    slug = "connections-private"
    title = N_("Connections are private")
    default_detail = N_("This member shows their connections to no one.")


# The detail of a ConnectionsPrivate for a member who is not one of the member's connections.
CONNECTIONS_ONLY = N_("This member shows their connections only to their connections.")


class NotBlocked(NotFound):
    slug = "not-blocked"
    title = N_("Not blocked")
    default_detail = N_("You have not blocked this member.")


@dataclass(frozen=True)
class InvitationView:
    """An invitation as one of its two members sees it: the sender never sees "ignored"."""

    invitation: Invitation
    status: str
    sender: Member
    recipient: Member


@dataclass(frozen=True)
class Link:
    """What two members share: mutual connections and places at overlapping times."""

    mutual_count: int
    mutual_sample: Sequence[Member]
    places: Sequence[SharedPlace]

    @property
    def exists(self) -> bool:
        return bool(self.mutual_count or self.places)


@dataclass(frozen=True)
class ConnectionView:
    member: Member
    degree: int | None
    connected_at: datetime
    tier: str | None  # only in your own list
    note: str | None
    mutual_count: int | None = None  # connections the viewer shares with this member


# Access


def _other_member(db: Session, *, viewer: Member, member_id: int) -> Member:
    """Another member the viewer may deal with: 404 when missing or blocked either way."""
    member = db.get(Member, member_id)
    if member is None or (
        member.id != viewer.id and repository.is_blocked_either_way(db, a=viewer.id, b=member.id)
    ):
        raise MemberNotFound()
    return member


def _invitation_for(db: Session, *, invitation_id: int, by: Member, role: str) -> Invitation:
    """The invitation, when `by` is its sender (role "sender") or recipient; else 404."""
    invitation = repository.invitation_by_id(db, invitation_id)
    if invitation is None:
        raise InvitationNotFound()
    owner = invitation.sender_id if role == "sender" else invitation.recipient_id
    if owner != by.id:
        raise InvitationNotFound()
    return invitation


def status_seen_by(invitation: Invitation, *, viewer_id: int, now: datetime) -> str:
    """The status a member sees: expiry applies on read; an ignore stays silent to the sender."""
    status = invitation.status
    if status in ("pending", "ignored") and invitation.expires_at <= now:
        return "expired"
    if status == "ignored" and viewer_id == invitation.sender_id:
        return "pending"
    return status


# Invitations


def send_invitation(
    db: Session, *, sender: Member, to: int, note: str = "", email: str | None = None
) -> InvitationView:
    """Invite `to` to connect. When `to` already invited the sender, the two connect at once and
    the new invitation is answered "accepted"."""
    settings = get_settings()
    now = clock.now()
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput.for_field(
            "note", N_("At most %(max_length)s characters."), max_length=NOTE_MAX
        )
    if to == sender.id:
        raise InvalidInput.for_field("to", N_("You cannot invite yourself."))
    # Take turns first, then look: a block committed while we waited must be seen.
    repository.lock_members(db, (sender.id, to))
    recipient = _other_member(db, viewer=sender, member_id=to)

    if repository.connection_between(db, sender.id, recipient.id) is not None:
        raise AlreadyConnected()
    pending = repository.pending_between(db, sender.id, recipient.id)
    if pending is not None and pending.expires_at > now and pending.sender_id == sender.id:
        raise AlreadyInvited()
    if repository.ignored_open_from(db, sender_id=sender.id, recipient_id=recipient.id, now=now):
        raise AlreadyInvited()
    if pending is not None and pending.expires_at > now:
        # They invited us first: this invitation answers theirs.
        return _connect_crossing(db, sender=sender, recipient=recipient, theirs=pending, note=note)
    ignored = repository.open_invitation(
        db, sender_id=recipient.id, recipient_id=sender.id, statuses=("ignored",), now=now
    )
    if ignored is not None:
        # We ignored theirs, but to them it still looks pending: answer it the same way, or they
        # would see our invitation next to their "pending" one and learn of the ignore.
        return _connect_crossing(db, sender=sender, recipient=recipient, theirs=ignored, note=note)

    _refuse_during_cooldown(db, sender=sender, recipient=recipient, now=now)
    knows_email = email is not None and email.strip().lower() == recipient.email
    _refuse_by_policy(db, sender=sender, recipient=recipient, knows_email=knows_email, now=now)
    _refuse_over_weekly_cap(db, sender=sender, now=now)
    if pending is not None:
        # A pending row past its expiry: expired now, so that the pair's slot is free.
        repository.close_pending(db, invitation_id=pending.id, status="expired", now=now)
        repository.expire_pending(db, now=now)

    low, high = repository.ordered(sender.id, recipient.id)
    invitation = repository.add_invitation(
        db,
        Invitation(
            sender_id=sender.id,
            recipient_id=recipient.id,
            low_id=low,
            high_id=high,
            note=note,
            status="pending",
            reported=False,
            created_at=now,
            expires_at=now + timedelta(days=settings.invitation_days),
        ),
    )
    repository.add_notification(
        db,
        member_id=recipient.id,
        kind="invitation_received",
        actor_id=sender.id,
        invitation_id=invitation.id,
        now=now,
    )
    return InvitationView(invitation, "pending", sender, recipient)


def _connect_crossing(
    db: Session, *, sender: Member, recipient: Member, theirs: Invitation, note: str
) -> InvitationView:
    now = clock.now()
    _refuse_over_connection_cap(db, member_ids=(sender.id, recipient.id))
    if not repository.close_pending(
        db,
        invitation_id=theirs.id,
        status="accepted",
        now=now,
        open_statuses=("pending", "ignored"),
    ):
        raise InvitationNotPending()
    low, high = repository.ordered(sender.id, recipient.id)
    ours = repository.add_invitation(
        db,
        Invitation(
            sender_id=sender.id,
            recipient_id=recipient.id,
            low_id=low,
            high_id=high,
            note=note,
            status="accepted",
            reported=False,
            created_at=now,
            expires_at=now + timedelta(days=get_settings().invitation_days),
            closed_at=now,
        ),
    )
    _connect(db, a=sender.id, b=recipient.id, now=now)
    repository.add_notification(
        db,
        member_id=recipient.id,
        kind="invitation_accepted",
        actor_id=sender.id,
        invitation_id=theirs.id,
        now=now,
    )
    return InvitationView(ours, "accepted", sender, recipient)


def accept_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    invitation = _invitation_for(db, invitation_id=invitation_id, by=by, role="recipient")
    sender = _other_member(db, viewer=by, member_id=invitation.sender_id)
    repository.lock_members(db, (sender.id, by.id))
    now = clock.now()
    if status_seen_by(invitation, viewer_id=by.id, now=now) != "pending":
        raise InvitationNotPending()
    _refuse_over_connection_cap(db, member_ids=(sender.id, by.id))
    if not repository.close_pending(db, invitation_id=invitation.id, status="accepted", now=now):
        raise InvitationNotPending()
    _connect(db, a=sender.id, b=by.id, now=now)
    repository.add_notification(
        db,
        member_id=sender.id,
        kind="invitation_accepted",
        actor_id=by.id,
        invitation_id=invitation.id,
        now=now,
    )
    db.refresh(invitation)
    return InvitationView(invitation, "accepted", sender, by)


def ignore_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """Silently decline: the sender keeps seeing "pending" until the invitation expires."""
    return _close(db, invitation_id=invitation_id, by=by, role="recipient", status="ignored")


def report_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """ "I don't know this person": ignore it, and count it against the sender."""
    return _close(
        db, invitation_id=invitation_id, by=by, role="recipient", status="ignored", reported=True
    )


def withdraw_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """Withdraw your invitation. One the recipient ignored still looks pending to you, and is
    withdrawn the same way: a refusal here would tell you it had been ignored."""
    return _close(
        db,
        invitation_id=invitation_id,
        by=by,
        role="sender",
        status="withdrawn",
        open_statuses=("pending", "ignored"),
    )


def _close(
    db: Session,
    *,
    invitation_id: int,
    by: Member,
    role: str,
    status: str,
    reported: bool = False,
    open_statuses: Sequence[str] = ("pending",),
) -> InvitationView:
    invitation = _invitation_for(db, invitation_id=invitation_id, by=by, role=role)
    now = clock.now()
    if not repository.close_pending(
        db,
        invitation_id=invitation.id,
        status=status,
        now=now,
        reported=reported,
        open_statuses=open_statuses,
    ):
        raise InvitationNotPending()
    db.refresh(invitation)
    return _view(db, invitation, viewer=by, now=now)


def invitation_of(db: Session, *, invitation_id: int, viewer: Member) -> InvitationView:
    """One invitation, for its sender or its recipient."""
    invitation = repository.invitation_by_id(db, invitation_id)
    if invitation is None or viewer.id not in (invitation.sender_id, invitation.recipient_id):
        raise InvitationNotFound()
    return _view(db, invitation, viewer=viewer, now=clock.now())


def invitations_of(
    db: Session, *, member: Member, box: Box, cursor: str | None, limit: int
) -> Page[InvitationView]:
    """Received invitations waiting for an answer, or every sent one, newest first."""
    after = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    now = clock.now()
    rows = repository.invitations(
        db, member_id=member.id, box=box, now=now, after=after, limit=limit
    )
    page = cut_page(rows, limit=limit, key=lambda invitation: (invitation.id,))
    return Page(
        items=[_view(db, invitation, viewer=member, now=now) for invitation in page.items],
        next_cursor=page.next_cursor,
    )


@dataclass(frozen=True)
class InvitationCounts:
    received: int  # waiting for your answer
    sent: int  # pending, as you see them


def invitation_counts(db: Session, *, member: Member) -> InvitationCounts:
    now = clock.now()
    return InvitationCounts(
        received=repository.count_open_invitations(
            db, member_id=member.id, box="received", now=now
        ),
        sent=repository.count_open_invitations(db, member_id=member.id, box="sent", now=now),
    )


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
    member = _other_member(db, viewer=viewer, member_id=member_id)
    if member.id == viewer.id:
        return Relationship(
            member, connected=False, sent=None, received=None, connections_visible=True
        )
    if repository.connection_between(db, viewer.id, member.id) is not None:
        visibility = repository.settings_of(db, member_id=member.id).connections_visible_to
        return Relationship(
            member,
            connected=True,
            sent=None,
            received=None,
            connections_visible=visibility != "only_me",
        )
    now = clock.now()
    sent = repository.open_invitation(
        db, sender_id=viewer.id, recipient_id=member.id, statuses=("pending", "ignored"), now=now
    )
    received = repository.open_invitation(
        db, sender_id=member.id, recipient_id=viewer.id, statuses=("pending",), now=now
    )
    # Whatever their setting, a member's list is for their connections at most.
    return Relationship(
        member, connected=False, sent=sent, received=received, connections_visible=False
    )


def _view(db: Session, invitation: Invitation, *, viewer: Member, now: datetime) -> InvitationView:
    sender, recipient = (
        db.get_one(Member, invitation.sender_id),
        db.get_one(Member, invitation.recipient_id),
    )
    return InvitationView(
        invitation, status_seen_by(invitation, viewer_id=viewer.id, now=now), sender, recipient
    )


def _refuse_during_cooldown(
    db: Session, *, sender: Member, recipient: Member, now: datetime
) -> None:
    ended = repository.last_closed_from(db, sender_id=sender.id, recipient_id=recipient.id, now=now)
    if ended is None:
        return
    until = ended + timedelta(days=get_settings().reinvite_cooldown_days)
    if until > now:
        raise InvitationCooldown(date=until.date().isoformat())


def _refuse_by_policy(
    db: Session, *, sender: Member, recipient: Member, knows_email: bool, now: datetime
) -> None:
    settings = get_settings()
    policy = repository.settings_of(db, member_id=recipient.id).who_can_invite
    restricted = (
        repository.reports_since(
            db, sender_id=sender.id, since=now - timedelta(days=settings.report_window_days)
        )
        >= settings.reports_to_restrict
    )
    if knows_email or (policy == "anyone" and not restricted):
        return
    has_link = policy != "email" and link_between(db, a=sender.id, b=recipient.id).exists
    if policy == "email" or (policy == "link" and not has_link):
        raise NotInvitable()
    if restricted and not has_link:
        raise RestrictedSender()


def _refuse_over_weekly_cap(db: Session, *, sender: Member, now: datetime) -> None:
    settings = get_settings()
    week = timedelta(days=7)
    answered, accepted = repository.answered_by_others(db, sender_id=sender.id)
    limit = settings.invitations_per_week
    if (
        answered >= settings.low_acceptance_min_answered
        and accepted < settings.low_acceptance_rate * answered
    ):
        limit = settings.invitations_per_week_low_acceptance
    sent, oldest = repository.sent_since(db, sender_id=sender.id, since=now - week)
    if sent >= limit and oldest is not None:
        wait = oldest + week - now
        raise WeeklyInvitationLimit(retry_after=int(wait.total_seconds()) + 1, limit=limit)


def _refuse_over_connection_cap(db: Session, *, member_ids: Sequence[int]) -> None:
    limit = get_settings().max_connections
    for member_id in member_ids:
        if repository.count_connections(db, member_id=member_id) >= limit:
            raise ConnectionLimit(limit=limit)


def _connect(db: Session, *, a: int, b: int, now: datetime) -> None:
    if repository.add_connection(db, a=a, b=b, now=now):
        _update_index_after_commit(db)
    repository.mark_pair_accepted(db, a=a, b=b, now=now)


def _update_index_after_commit(db: Session) -> None:
    """Once the change is committed, this process's graph index applies it at once, so that the
    member who made it sees it in the very next answer; other processes follow the log."""
    index = index_of(db)
    if index is not None and not db.info.get("index_update_scheduled"):
        db.info["index_update_scheduled"] = True
        on_commit(db, index.catch_up)


# Connections


def remove_connection(db: Session, *, member: Member, other_id: int) -> None:
    """End a connection, silently: the other member is not told."""
    repository.lock_members(db, (member.id, other_id))
    if not repository.delete_connection(db, a=member.id, b=other_id, now=clock.now()):
        raise NotConnected()
    _update_index_after_commit(db)


def connections_of(
    db: Session,
    *,
    viewer: Member,
    member_id: int,
    tier: Tier | None = None,
    cursor: str | None,
    limit: int,
) -> Page[ConnectionView]:
    """A member's connections, by name. Others' lists follow their visibility setting (their
    connections, or no one) and leave out anyone with a block between them and the viewer; the
    tier and the note are private, shown only in your own list."""
    member = _other_member(db, viewer=viewer, member_id=member_id)
    own = member.id == viewer.id
    if not own:
        visibility = repository.settings_of(db, member_id=member.id).connections_visible_to
        if visibility == "only_me":
            raise ConnectionsPrivate()
        if repository.connection_between(db, viewer.id, member.id) is None:
            raise ConnectionsPrivate(CONNECTIONS_ONLY)
    after = None
    if cursor:
        name_key, last_id = decode_cursor(cursor, shape=(str, int))
        after = (str(name_key), int(last_id))
    rows = repository.connections_of(
        db,
        member_id=member.id,
        tier=tier if own else None,
        after=after,
        limit=limit,
        viewer_id=None if own else viewer.id,
    )
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].name_key, row[0].id))
    ids = [other.id for other, _ in page.items]
    found = degrees(db, viewer=viewer, member_ids=ids)
    shared = network_index.mutual_counts(db, viewer_id=viewer.id, member_ids=ids)
    return Page(
        items=[
            ConnectionView(
                member=other,
                degree=found[other.id],
                connected_at=connection.created_at,
                tier=_side(connection, member.id)[0] if own else None,
                note=_side(connection, member.id)[1] if own else None,
                mutual_count=shared[other.id],
            )
            for other, connection in page.items
        ],
        next_cursor=page.next_cursor,
    )


def _side(connection: Connection, member_id: int) -> tuple[str, str]:
    if connection.low_id == member_id:
        return connection.low_tier, connection.low_note
    return connection.high_tier, connection.high_note


def connection_with(db: Session, *, member: Member, other_id: int) -> ConnectionView:
    """Your connection with one member, with your tier and note."""
    other = _other_member(db, viewer=member, member_id=other_id)
    connection = repository.connection_between(db, member.id, other.id)
    if connection is None:
        raise NotConnected()
    tier, note = _side(connection, member.id)
    return ConnectionView(other, 1, connection.created_at, tier, note)


def update_connection(
    db: Session, *, member: Member, other_id: int, tier: Tier | None, note: str | None
) -> ConnectionView:
    """Set your private tier and note for a connection; the other member never sees them."""
    if note is not None:
        note = note.strip()
    if not repository.update_connection_side(
        db, member_id=member.id, other_id=other_id, tier=tier, note=note
    ):
        raise NotConnected()
    return connection_with(db, member=member, other_id=other_id)


def connection_count(db: Session, *, member_id: int) -> int:
    return repository.count_connections(db, member_id=member_id)


def mutual_connections(
    db: Session, *, viewer: Member, member_id: int, cursor: str | None, limit: int
) -> tuple[int, Page[Member]]:
    """The connections the viewer and a member have in common (always shown), with their count."""
    member = _other_member(db, viewer=viewer, member_id=member_id)
    after = None
    if cursor:
        name_key, last_id = decode_cursor(cursor, shape=(str, int))
        after = (str(name_key), int(last_id))
    count, rows = network_index.mutual_connections(
        db, a=viewer.id, b=member.id, after=after, limit=limit
    )
    page = cut_page(rows, limit=limit, key=lambda other: (other.name_key, other.id))
    return count, page


def link_between(db: Session, *, a: int, b: int, sample: int = 3) -> Link:
    count, mutual = network_index.mutual_connections(db, a=a, b=b, after=None, limit=sample)
    return Link(
        mutual_count=count,
        mutual_sample=mutual[:sample],
        places=repository.shared_places(db, a=a, b=b),
    )


def mutual_samples(
    db: Session, *, viewer_id: int, member_ids: Sequence[int], sample: int = 3
) -> dict[int, list[Member]]:
    """For each member, a few of the connections they share with the viewer, by name: one query
    for the whole list."""
    shared = {
        member_id: set(network_index.mutual_connection_ids(db, a=viewer_id, b=member_id))
        for member_id in member_ids
    }
    wanted = sorted(set().union(*shared.values()))
    by_name = repository.members_among(db, ids=wanted, after=None, limit=len(wanted))
    return {
        member_id: [member for member in by_name if member.id in ids][:sample]
        for member_id, ids in shared.items()
    }


def degrees(db: Session, *, viewer: Member, member_ids: Sequence[int]) -> dict[int, int | None]:
    """The degree from the viewer to each member: 0, 1, 2, or None beyond."""
    return network_index.degrees(db, viewer_id=viewer.id, member_ids=member_ids)


# Blocks


def block_member(db: Session, *, blocker: Member, blocked_id: int) -> Member:
    """Block a member: the connection ends and open invitations both ways are cancelled. The
    blocked member's own invitation is ignored, so they learn nothing from it."""
    blocked = db.get(Member, blocked_id)
    if blocked is None or blocked.id == blocker.id:
        raise MemberNotFound()
    repository.lock_members(db, (blocker.id, blocked.id))
    if repository.block_exists(db, blocker_id=blocked.id, blocked_id=blocker.id):
        # They blocked you first (perhaps while we waited): answer as if they did not exist.
        raise MemberNotFound()
    now = clock.now()
    if not repository.add_block(db, blocker_id=blocker.id, blocked_id=blocked.id, now=now):
        raise Conflict(N_("You have already blocked this member."))
    if repository.delete_connection(db, a=blocker.id, b=blocked.id, now=now):
        _update_index_after_commit(db)
    repository.close_pair(
        db, a=blocker.id, b=blocked.id, status_from_a="withdrawn", status_from_b="ignored", now=now
    )
    return blocked


def unblock_member(db: Session, *, blocker: Member, blocked_id: int) -> None:
    if not repository.delete_block(db, blocker_id=blocker.id, blocked_id=blocked_id):
        raise NotBlocked()


def blocked_members(db: Session, *, member: Member) -> list[tuple[Member, datetime]]:
    return [
        (blocked, block.created_at)
        for blocked, block in repository.blocked_by(db, blocker_id=member.id)
    ]


def is_hidden_from(db: Session, *, viewer: Member, member_id: int) -> bool:
    """Whether a block, either way, hides this member from the viewer."""
    return member_id != viewer.id and repository.is_blocked_either_way(db, a=viewer.id, b=member_id)


# Settings


def network_settings(db: Session, *, member: Member) -> NetworkSettings:
    return repository.settings_of(db, member_id=member.id)


def update_network_settings(
    db: Session,
    *,
    member: Member,
    who_can_invite: str | None = None,
    connections_visible_to: str | None = None,
) -> NetworkSettings:
    current = repository.settings_of(db, member_id=member.id)
    updated = NetworkSettings(
        member_id=member.id,
        who_can_invite=who_can_invite or current.who_can_invite,
        connections_visible_to=connections_visible_to or current.connections_visible_to,
    )
    repository.save_settings(db, updated)
    return repository.settings_of(db, member_id=member.id)


# Notifications


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    actor: Member
    invitation_id: int | None
    created_at: datetime
    read: bool


def notifications_of(
    db: Session, *, member: Member, cursor: str | None, limit: int
) -> Page[NotificationView]:
    after = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    rows = repository.notifications_of(db, member_id=member.id, after=after, limit=limit)
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].id,))
    return Page(
        items=[
            NotificationView(
                id=notification.id,
                kind=notification.kind,
                actor=actor,
                invitation_id=notification.invitation_id,
                created_at=notification.created_at,
                read=notification.read_at is not None,
            )
            for notification, actor in page.items
        ],
        next_cursor=page.next_cursor,
    )


def unread_notifications(db: Session, *, member: Member) -> int:
    return repository.count_unread(db, member_id=member.id)


def mark_notifications_read(db: Session, *, member: Member) -> None:
    repository.mark_read(db, member_id=member.id, now=clock.now())


# The sweep


@dataclass(frozen=True)
class SweepResult:
    expired: int
    reminded: int


def sweep(db: Session, *, batch: int = 500) -> SweepResult:
    """Expire invitations past their time and send the day-7 reminders. Safe to run from several
    processes at once: each reminder is claimed by a conditional update before it is sent."""
    settings = get_settings()
    now = clock.now()
    expired = repository.expire_pending(db, now=now)
    reminded = 0
    due = repository.due_reminders(
        db,
        sent_before=now - timedelta(days=settings.invitation_reminder_days),
        now=now,
        limit=batch,
    )
    for invitation in due:
        if repository.mark_reminded(db, invitation_id=invitation.id, now=now):
            repository.add_notification(
                db,
                member_id=invitation.recipient_id,
                kind="invitation_reminder",
                actor_id=invitation.sender_id,
                invitation_id=invitation.id,
                now=now,
            )
            reminded += 1
    return SweepResult(expired=expired, reminded=reminded)


def encode_member_cursor(member: Member) -> str:
    return encode_cursor((member.name_key, member.id))


# The wider network, from the graph index


class GraphIndexLoading(VinculoError):
    status = 503
    slug = "graph-index-loading"
    title = N_("The network is loading")
    default_detail = N_("The network index is being built; try again in a moment.")


@dataclass(frozen=True)
class PathView:
    degree: int | None
    members: Sequence[Member]


def path_to(db: Session, *, viewer: Member, member_id: int) -> PathView:
    """How the viewer reaches a member: one shortest chain of connections, at most 6 steps."""
    member = _other_member(db, viewer=viewer, member_id=member_id)
    index = index_of(db)
    if index is None:
        raise GraphIndexLoading()
    ids = index.graph.shortest_path(viewer.id, member.id) or []
    found = {
        other.id: other
        for other in repository.members_among(db, ids=ids, after=None, limit=len(ids))
    }
    if any(other_id not in found for other_id in ids) or any(
        repository.is_blocked_either_way(db, a=viewer.id, b=other_id) for other_id in ids[1:-1]
    ):
        # A chain through someone hidden from the viewer is not shown.
        return PathView(degree=len(ids) - 1 if ids else None, members=[])
    return PathView(degree=len(ids) - 1 if ids else None, members=[found[i] for i in ids])


@dataclass(frozen=True)
class SecondDegreeMember:
    member: Member
    mutual_count: int  # connections the member shares with the viewer


def second_degree_network(
    db: Session, *, viewer: Member, cursor: str | None, limit: int
) -> tuple[int, Page[SecondDegreeMember]]:
    """The viewer's connections of connections (not connected to the viewer), with their count:
    the members sharing the most connections with the viewer first, then by id. Members hidden
    by a block either way are left out."""
    index = index_of(db)
    if index is None:
        raise GraphIndexLoading()
    ids, shared = index.graph.second_degree_ranked(viewer.id)
    hidden = repository.blocked_ids_either_way(db, member_id=viewer.id)
    if hidden:
        kept = ~np.isin(ids, np.fromiter(hidden, dtype=np.int32))
        ids, shared = ids[kept], shared[kept]
    start = 0
    if cursor:
        after_count, after_id = (int(v) for v in decode_cursor(cursor, shape=(int, int)))
        later = np.flatnonzero(
            (shared < after_count) | ((shared == after_count) & (ids > after_id))
        )
        start = int(later[0]) if len(later) else len(ids)
    window = dict(
        zip(
            ids[start : start + limit + 1].tolist(),
            shared[start : start + limit + 1].tolist(),
            strict=True,
        )
    )
    members = {
        m.id: m
        for m in repository.members_among(db, ids=list(window), after=None, limit=len(window))
    }
    rows = [SecondDegreeMember(members[i], count) for i, count in window.items() if i in members]
    page = cut_page(rows, limit=limit, key=lambda row: (row.mutual_count, row.member.id))
    return len(ids), page
