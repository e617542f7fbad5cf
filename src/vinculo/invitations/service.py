"""The invitation life cycle: send, accept, ignore, report, withdraw; what each member sees of an
invitation; and where a viewer stands with another member.

Every change of an invitation is one conditional update of an open row (`close_open`): when two
actions race, exactly one finds the row open and wins; the other gets a 409. Expiry applies on
every read; the sweep (`sweep.py`) only makes it visible in the table and sends reminders.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members, ordered_pair
from vinculo.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from vinculo.identity import repository as members_repository
from vinculo.identity.models import Member
from vinculo.invitations import policies, repository
from vinculo.invitations.links import Link, link_between, links_with
from vinculo.invitations.models import (
    AWAITING_ANSWER,
    NOTE_MAX,
    OPEN_TO_SENDER,
    Invitation,
    InvitationStatus,
)
from vinculo.network import degrees
from vinculo.network import service as network
from vinculo.network.degrees import MemberView
from vinculo.notifications import service as notifications
from vinculo.notifications.mails import InvitationFacts, SharedPlaceFact
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.privacy import service as privacy
from vinculo.security.service import record_security_event
from vinculo.settings import get_settings

Box = Literal["received", "sent"]
Role = Literal["sender", "recipient"]


class InvitationNotFound(NotFound):
    slug = "invitation-not-found"
    title = N_("Invitation not found")
    default_detail = N_("There is no such invitation, or it is not yours to act on.")


class InvitationNotPending(Conflict):
    slug = "invitation-not-pending"
    title = N_("Invitation no longer pending")
    default_detail = N_("This invitation was already answered, withdrawn or has expired.")


class EmailNotConfirmed(Forbidden):
    slug = "email-not-confirmed"
    title = N_("Confirm your email address first")
    default_detail = N_(
        "This community asks members to confirm their email address before inviting. Follow the "
        "link we mailed you, or ask for a new one in your settings."
    )


class AlreadyConnected(Conflict):
    slug = "already-connected"
    title = N_("Already connected")
    default_detail = N_("You are already connected with this member.")


class AlreadyInvited(Conflict):
    slug = "already-invited"
    title = N_("Invitation already pending")
    default_detail = N_("You already invited this member; wait for their answer.")


@dataclass(frozen=True)
class InvitationView:
    """An invitation as one of its two members sees it: the status as they see it (the sender
    never sees "ignored"), both members with their degree from the viewer (the other one with the
    connections the two share), and, for its recipient where asked, the link with the sender."""

    invitation: Invitation
    status: InvitationStatus
    sender: MemberView
    recipient: MemberView
    link: Link | None = None

    def other(self, viewer: Member) -> MemberView:
        return self.sender if self.recipient.member.id == viewer.id else self.recipient


# Access


def access_invitation(
    db: Session, *, invitation_id: int, viewer: Member, role: Role | None = None
) -> Invitation:
    """The one way to reach an invitation: its sender's or its recipient's (only the one with
    `role`, when given), else 404; a 404 too across a block, either way, between the two, as
    for the other member themselves."""
    return access_invitation_and_other(db, invitation_id=invitation_id, viewer=viewer, role=role)[0]


def access_invitation_and_other(
    db: Session, *, invitation_id: int, viewer: Member, role: Role | None = None
) -> tuple[Invitation, Member]:
    """`access_invitation`, with the other member of the invitation as the viewer may see them."""
    invitation = repository.invitation_by_id(db, invitation_id)
    if invitation is None:
        raise InvitationNotFound()
    allowed = {"sender": invitation.sender_id, "recipient": invitation.recipient_id}
    if viewer.id not in ([allowed[role]] if role else allowed.values()):
        raise InvitationNotFound()
    other_id = (
        invitation.recipient_id if viewer.id == invitation.sender_id else invitation.sender_id
    )
    try:
        other = privacy.access_member(db, viewer=viewer, member_id=other_id)
    except privacy.MemberNotFound:
        raise InvitationNotFound() from None
    return invitation, other


def open_invitation_between(db: Session, *, a: int, b: int, now: datetime) -> bool:
    """Whether an invitation between the two, either way, is open and not past its expiry."""
    return any(invitation.expires_at > now for invitation in repository.open_between(db, a, b))


def status_seen_by(invitation: Invitation, *, viewer_id: int, now: datetime) -> InvitationStatus:
    """The status a member sees: expiry applies on read; an ignore stays silent to the sender."""
    status = invitation.status
    if status in OPEN_TO_SENDER and invitation.expires_at <= now:
        return InvitationStatus.EXPIRED
    if status == InvitationStatus.IGNORED and viewer_id == invitation.sender_id:
        return InvitationStatus.PENDING
    return status


# The life cycle


def send_invitation(
    db: Session, *, sender: Member, to: int, note: str = "", email: str | None = None
) -> InvitationView:
    """Invite `to` to connect. When `to` already invited the sender, the two connect at once and
    the new invitation is answered "accepted"."""
    now = clock.now()
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput.for_field(
            "note", N_("At most %(max_length)s characters."), max_length=NOTE_MAX
        )
    if to == sender.id:
        raise InvalidInput.for_field("to", N_("You cannot invite yourself."))
    if sender.email_confirmed_at is None and get_settings().require_confirmed_email_to_invite:
        raise EmailNotConfirmed()
    # Take turns first, then look: a block committed while we waited must be seen.
    lock_members(db, (sender.id, to))
    recipient = privacy.access_member(db, viewer=sender, member_id=to)
    if network.is_connected(db, a=sender.id, b=recipient.id):
        raise AlreadyConnected()

    between = repository.open_between(db, sender.id, recipient.id)
    unexpired = [invitation for invitation in between if invitation.expires_at > now]
    if any(invitation.sender_id == sender.id for invitation in unexpired):
        # Pending, or ignored (which looks pending to its sender): wait for the answer.
        raise AlreadyInvited()
    theirs = next(iter(unexpired), None)
    if theirs is not None:
        # They invited us first: this invitation answers theirs. One we ignored still looks
        # pending to them, and is answered the same way, or they would see our invitation next
        # to their "pending" one and learn of the ignore.
        return _connect_crossing(db, sender=sender, recipient=recipient, theirs=theirs, note=note)

    record = policies.record_of(db, sender=sender, recipient=recipient, now=now)
    policies.refuse_during_cooldown(record, now=now)
    knows_email = email is not None and email.strip().lower() == recipient.email
    policies.refuse_by_who_can_invite(
        db, sender=sender, recipient=recipient, knows_email=knows_email, record=record
    )
    policies.refuse_over_weekly_cap(record, now=now)
    if any(invitation.status == InvitationStatus.PENDING for invitation in between):
        # A pending row past its expiry: expired now, so that the pair's slot is free.
        repository.expire_pending(db, now=now)

    invitation = _add(db, sender=sender, recipient=recipient, note=note, now=now)
    notifications.notify(
        db,
        member_id=recipient.id,
        kind="invitation_received",
        actor_id=sender.id,
        invitation_id=invitation.id,
        facts=lambda: facts_for_recipient(db, invitation=invitation, recipient=recipient),
    )
    return _views(db, [invitation], viewer=sender, members=[recipient])[0]


def facts_for_recipient(
    db: Session, *, invitation: Invitation, recipient: Member
) -> InvitationFacts:
    """The key facts of the vetting card, as the mail of a received invitation tells them."""
    link = link_between(db, viewer=recipient, other_id=invitation.sender_id)
    return InvitationFacts(
        note=invitation.note,
        expires_at=invitation.expires_at,
        mutual_count=link.mutual_count,
        mutual_names=tuple(view.member.name for view in link.mutual_sample),
        places=tuple(
            SharedPlaceFact(
                kind=place.kind,
                name=place.name,
                since=max(place.start_year, place.other_start_year),
                until=_earlier_end(place.end_year, place.other_end_year),
            )
            for place in link.places
        ),
    )


def _earlier_end(a: int | None, b: int | None) -> int | None:
    """The end of an overlap: the earlier of two ends, None (still there) for neither."""
    ends = [end for end in (a, b) if end is not None]
    return min(ends) if ends else None


def send_introduced(
    db: Session, *, sender: Member, recipient: Member, introducer_id: int, now: datetime
) -> Invitation:
    """The invitation an introduction becomes once forwarded: from its requester to its target,
    naming who introduced them. The introductions area has taken the members' lock, seen that
    neither blocks the other and counted it against the sender's weekly cap when it was asked
    for; refused here only when the two are connected or an invitation between them is open."""
    if network.is_connected(db, a=sender.id, b=recipient.id):
        raise AlreadyConnected()
    between = repository.open_between(db, sender.id, recipient.id)
    if any(invitation.expires_at > now for invitation in between):
        raise AlreadyInvited()
    if any(invitation.status == InvitationStatus.PENDING for invitation in between):
        repository.expire_pending(db, now=now)
    invitation = _add(
        db, sender=sender, recipient=recipient, note="", now=now, introducer_id=introducer_id
    )
    notifications.notify(
        db,
        member_id=recipient.id,
        kind="invitation_received",
        actor_id=sender.id,
        invitation_id=invitation.id,
        facts=lambda: facts_for_recipient(db, invitation=invitation, recipient=recipient),
    )
    return invitation


def place_invitation(
    db: Session, *, sender: Member, recipient: Member, note: str, sent_at: datetime
) -> Invitation:
    """A pending invitation sent at `sent_at`, with its notification, as a community being built
    (the demo) has it; no policy is asked, as none would refuse it."""
    invitation = _add(db, sender=sender, recipient=recipient, note=note, now=sent_at)
    notifications.notify(
        db,
        member_id=recipient.id,
        kind="invitation_received",
        actor_id=sender.id,
        invitation_id=invitation.id,
        at=sent_at,
        mail_it=False,
    )
    return invitation


def _add(
    db: Session,
    *,
    sender: Member,
    recipient: Member,
    note: str,
    now: datetime,
    status: InvitationStatus = InvitationStatus.PENDING,
    introducer_id: int | None = None,
) -> Invitation:
    low, high = ordered_pair(sender.id, recipient.id)
    return repository.add_invitation(
        db,
        Invitation(
            sender_id=sender.id,
            recipient_id=recipient.id,
            low_id=low,
            high_id=high,
            note=note,
            introducer_id=introducer_id,
            status=status,
            reported=False,
            created_at=now,
            expires_at=now + timedelta(days=get_settings().invitation_days),
            closed_at=None if status == InvitationStatus.PENDING else now,
        ),
    )


def _connect_crossing(
    db: Session, *, sender: Member, recipient: Member, theirs: Invitation, note: str
) -> InvitationView:
    now = clock.now()
    if not repository.close_open(
        db,
        invitation_id=theirs.id,
        status=InvitationStatus.ACCEPTED,
        now=now,
        open_statuses=OPEN_TO_SENDER,
    ):
        raise InvitationNotPending()
    ours = _add(
        db,
        sender=sender,
        recipient=recipient,
        note=note,
        now=now,
        status=InvitationStatus.ACCEPTED,
    )
    _connect(db, a=sender.id, b=recipient.id, now=now)
    notifications.notify(
        db,
        member_id=recipient.id,
        kind="invitation_accepted",
        actor_id=sender.id,
        invitation_id=theirs.id,
    )
    _tell_introducer(db, theirs, accepted_by=sender.id)
    return _views(db, [ours], viewer=sender, members=[recipient])[0]


def _connect(db: Session, *, a: int, b: int, now: datetime) -> None:
    network.connect(db, a=a, b=b, now=now)
    repository.mark_pair_accepted(db, a=a, b=b, now=now)


def accept_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    invitation, sender = access_invitation_and_other(
        db, invitation_id=invitation_id, viewer=by, role="recipient"
    )
    lock_members(db, (sender.id, by.id))
    now = clock.now()
    if status_seen_by(invitation, viewer_id=by.id, now=now) != InvitationStatus.PENDING:
        raise InvitationNotPending()
    if not repository.close_open(
        db, invitation_id=invitation.id, status=InvitationStatus.ACCEPTED, now=now
    ):
        raise InvitationNotPending()
    _connect(db, a=sender.id, b=by.id, now=now)
    notifications.notify(
        db,
        member_id=sender.id,
        kind="invitation_accepted",
        actor_id=by.id,
        invitation_id=invitation.id,
    )
    _tell_introducer(db, invitation, accepted_by=by.id)
    return _views(db, [invitation], viewer=by, members=[sender])[0]


def _tell_introducer(db: Session, invitation: Invitation, *, accepted_by: int) -> None:
    """An invitation that came from an introduction ended connected: its introducer is told."""
    if invitation.introducer_id is not None:
        notifications.notify(
            db,
            member_id=invitation.introducer_id,
            kind="introduction_connected",
            actor_id=accepted_by,
            invitation_id=invitation.id,
        )


def ignore_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """Silently decline: the sender keeps seeing "pending" until the invitation expires."""
    return _close(
        db, invitation_id=invitation_id, by=by, role="recipient", status=InvitationStatus.IGNORED
    )


def report_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """ "I don't know this person": ignore it, and count it against the sender (and keep it in
    the reporter's security log)."""
    closed = _close(
        db,
        invitation_id=invitation_id,
        by=by,
        role="recipient",
        status=InvitationStatus.IGNORED,
        reported=True,
    )
    record_security_event(
        db, member_id=by.id, kind="report_sent", detail=f"invitation #{invitation_id}"
    )
    return closed


def withdraw_invitation(db: Session, *, invitation_id: int, by: Member) -> InvitationView:
    """Withdraw your invitation. One the recipient ignored still looks pending to you, and is
    withdrawn the same way: a refusal here would tell you it had been ignored."""
    return _close(
        db,
        invitation_id=invitation_id,
        by=by,
        role="sender",
        status=InvitationStatus.WITHDRAWN,
        open_statuses=OPEN_TO_SENDER,
    )


def _close(
    db: Session,
    *,
    invitation_id: int,
    by: Member,
    role: Role,
    status: InvitationStatus,
    reported: bool = False,
    open_statuses: Sequence[InvitationStatus] = AWAITING_ANSWER,
) -> InvitationView:
    invitation, other = access_invitation_and_other(
        db, invitation_id=invitation_id, viewer=by, role=role
    )
    if not repository.close_open(
        db,
        invitation_id=invitation.id,
        status=status,
        now=clock.now(),
        reported=reported,
        open_statuses=open_statuses,
    ):
        raise InvitationNotPending()
    return _views(db, [invitation], viewer=by, members=[other])[0]


def close_for_block(db: Session, *, blocker_id: int, blocked_id: int, now: datetime) -> None:
    """A block cancels the invitations between the two: the blocker's are withdrawn; the blocked
    member's are ignored, so that, to them, theirs still looks pending until it expires."""
    repository.close_from(
        db,
        sender_id=blocker_id,
        recipient_id=blocked_id,
        status=InvitationStatus.WITHDRAWN,
        now=now,
    )
    repository.close_from(
        db, sender_id=blocked_id, recipient_id=blocker_id, status=InvitationStatus.IGNORED, now=now
    )


def withdraw_all_of(db: Session, *, member_id: int, now: datetime) -> None:
    """Closing an account withdraws the invitations it sent and received that were still open:
    to the other members they are gone, as the member is."""
    repository.withdraw_all_of(db, member_id=member_id, now=now)


# Reading


def invitation_of(db: Session, *, invitation_id: int, viewer: Member) -> InvitationView:
    """One invitation, for its sender or its recipient (who sees the link with the sender)."""
    invitation = access_invitation(db, invitation_id=invitation_id, viewer=viewer)
    return _views(db, [invitation], viewer=viewer, with_links=True)[0]


def invitations_of(
    db: Session, *, member: Member, box: Box, cursor: str | None, limit: int, links: bool = True
) -> Page[InvitationView]:
    """Received invitations waiting for an answer (with the link with each sender, unless
    `links` is false), or every sent one, newest first."""
    after = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    rows = repository.invitations(
        db, member_id=member.id, box=box, now=clock.now(), after=after, limit=limit
    )
    page = cut_page(rows, limit=limit, key=lambda invitation: (invitation.id,))
    return Page(
        items=_views(db, page.items, viewer=member, with_links=links and box == "received"),
        next_cursor=page.next_cursor,
    )


def _views(
    db: Session,
    invitations: Sequence[Invitation],
    *,
    viewer: Member,
    with_links: bool = False,
    members: Sequence[Member] = (),
) -> list[InvitationView]:
    """Invitations as the viewer sees them, for a whole list in a few queries: both members with
    their degree, the members the viewer invited with the connections the two share, and, where
    asked, the link with each member who invited the viewer. `members` are those the caller has
    at hand already."""
    now = clock.now()
    found = {member.id: member for member in (viewer, *members)}
    missing = {i.sender_id for i in invitations} | {i.recipient_id for i in invitations}
    found.update(members_repository.members_by_id(db, sorted(missing - found.keys())))
    views = {
        view.member.id: view
        for view in degrees.views_of(
            db, viewer=viewer, members=list(found.values()), with_mutual_count=False
        )
    }
    invited = [found[i.recipient_id] for i in invitations if i.sender_id == viewer.id]
    views.update(
        (view.member.id, view) for view in degrees.views_of(db, viewer=viewer, members=invited)
    )
    senders = sorted({i.sender_id for i in invitations if i.recipient_id == viewer.id})
    links = links_with(db, viewer=viewer, others=senders) if with_links and senders else {}
    return [
        InvitationView(
            invitation,
            status_seen_by(invitation, viewer_id=viewer.id, now=now),
            views[invitation.sender_id],
            views[invitation.recipient_id],
            links.get(invitation.sender_id) if invitation.recipient_id == viewer.id else None,
        )
        for invitation in invitations
    ]


@dataclass(frozen=True)
class InvitationCounts:
    received: int  # waiting for your answer
    sent: int  # pending, as you see them


def invitation_counts(db: Session, *, member: Member) -> InvitationCounts:
    received, sent = repository.count_open_invitations(db, member_id=member.id, now=clock.now())
    return InvitationCounts(received=received, sent=sent)


def still_awaiting_answer(db: Session, invitation_ids: Collection[int]) -> set[int]:
    """Of these invitations, those still waiting for their recipient's answer (the daily digest
    tells no other)."""
    return repository.awaiting_answer(db, invitation_ids=invitation_ids, now=clock.now())


def kept_apart_from(db: Session, *, member: Member) -> set[int]:
    """The members an invitation keeps out of this member's suggestions: an open one either way,
    or one from the member that ended within the re-invitation cooldown."""
    now = clock.now()
    return repository.kept_apart_from(
        db, member_id=member.id, now=now, cooldown_start=policies.cooldown_start(now)
    )
