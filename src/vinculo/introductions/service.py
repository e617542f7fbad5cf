"""The introduction life cycle: a member asks a connection to introduce them to someone that
connection knows; the introducer forwards it with a note (the target receives an invitation
"introduced by" them), passes it on once to one of their connections who knows the target (for a
target one step further), or declines (the requester is told it was not forwarded, no more); the
requester may withdraw it. What each member sees of it, the requests waiting for a member, and
the counts of the insight.

Every change is one conditional update of a waiting introduction, under the lock of its members
(`db.lock_members`): of two racing actions exactly one wins, the other gets a 409. Expiry
applies on every read. Once forwarded, the introduction's outcome is its invitation's: accepted
is "connected", withdrawn "withdrawn", expired "expired" (an ignore stays silent, as for any
invitation)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import lock_members
from vinculo.errors import N_, Conflict, InvalidInput, NotFound
from vinculo.identity import repository as members_repository
from vinculo.identity.models import Member
from vinculo.introductions import introducers, repository
from vinculo.introductions.introducers import Candidate
from vinculo.introductions.models import (
    MESSAGE_MAX,
    NOTE_MAX,
    Counts,
    Introduction,
    IntroductionStatus,
)
from vinculo.introductions.repository import Row
from vinculo.invitations import policies
from vinculo.invitations import service as invitations
from vinculo.invitations.models import InvitationStatus
from vinculo.invitations.policies import WEEK, InvitationCooldown, NotInvitable
from vinculo.network import degrees
from vinculo.network import service as network
from vinculo.network.degrees import MemberView
from vinculo.notifications import service as notifications
from vinculo.notifications.mails import InvitationFacts
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.privacy import service as privacy
from vinculo.settings import get_settings

Box = Literal["sent", "to_forward", "handled"]
Role = Literal["requester", "introducer", "via", "target"]


class IntroductionNotFound(NotFound):
    slug = "introduction-not-found"
    title = N_("Introduction not found")
    default_detail = N_("There is no such introduction, or it is not yours to act on.")


class IntroductionNotWaiting(Conflict):
    slug = "introduction-not-waiting"
    title = N_("Introduction no longer waiting")
    default_detail = N_(
        "This request was already forwarded, passed on, declined or withdrawn, or has expired."
    )


class IntroductionAlreadyRequested(Conflict):
    slug = "introduction-already-requested"
    title = N_("Introduction already requested")
    default_detail = N_(
        "You already asked for an introduction to this member; wait for it to be answered."
    )


class IntroducerNotLinked(Conflict):
    slug = "introducer-not-linked"
    title = N_("No longer connected")
    default_detail = N_("The introduction cannot go on: a connection it needs no longer exists.")


@dataclass(frozen=True)
class IntroductionView:
    """An introduction as one of its members sees it: the status as they see it, its members
    with their degree from the viewer, and the viewer's part in it."""

    introduction: Introduction
    status: IntroductionStatus
    role: Role
    requester: MemberView
    introducer: MemberView
    target: MemberView
    via: MemberView | None

    @property
    def forwarder(self) -> MemberView:
        """Who forwards it to the target: the second introducer once passed on."""
        return self.via or self.introducer

    @property
    def waits_for_viewer(self) -> bool:
        """Whether the viewer is the one asked to act now."""
        holder = "via" if self.introduction.via_id is not None else "introducer"
        return self.status == IntroductionStatus.REQUESTED and self.role == holder

    @property
    def pass_note(self) -> str:
        """The introducer's note to the second introducer: for those two only."""
        return self.introduction.pass_note if self.role in ("introducer", "via") else ""


def status_of(row: Row, *, now: datetime) -> IntroductionStatus:
    """The status members see: a waiting step past its time has expired; a forwarded
    introduction ends as its invitation does."""
    introduction = row.introduction
    status = introduction.status
    if status == IntroductionStatus.REQUESTED:
        return IntroductionStatus.EXPIRED if introduction.expires_at <= now else status
    if status != IntroductionStatus.FORWARDED or row.invitation_status is None:
        return status
    if row.invitation_status == InvitationStatus.ACCEPTED:
        return IntroductionStatus.CONNECTED
    if row.invitation_status == InvitationStatus.WITHDRAWN:
        return IntroductionStatus.WITHDRAWN
    expired = row.invitation_expires_at is not None and row.invitation_expires_at <= now
    if row.invitation_status == InvitationStatus.EXPIRED or expired:
        return IntroductionStatus.EXPIRED
    return IntroductionStatus.FORWARDED


# Access


def _role_of(row: Row, viewer_id: int) -> Role | None:
    introduction = row.introduction
    if viewer_id == introduction.requester_id:
        return "requester"
    if viewer_id == introduction.introducer_id:
        return "introducer"
    if viewer_id == introduction.via_id:
        return "via"
    if viewer_id == introduction.target_id and introduction.invitation_id is not None:
        return "target"  # once forwarded: it is in their invitation
    return None


def access_introduction(
    db: Session, *, introduction_id: int, viewer: Member, roles: Collection[Role] | None = None
) -> tuple[Row, Role]:
    """The one way to reach an introduction: one of its members' (with one of `roles`, when
    given), else 404; a 404 too when a block, either way, hides one of its other members from
    the viewer."""
    row = repository.row_by_id(db, introduction_id)
    role = None if row is None else _role_of(row, viewer.id)
    if row is None or role is None or (roles is not None and role not in roles):
        raise IntroductionNotFound()
    introduction = row.introduction
    others = {
        introduction.requester_id,
        introduction.introducer_id,
        introduction.target_id,
        introduction.via_id,
    } - {viewer.id, None}
    if others & privacy.hidden_from(db, member=viewer):
        raise IntroductionNotFound()
    return row, role


# The life cycle


def request_introduction(
    db: Session, *, requester: Member, target_id: int, via: int, message: str
) -> IntroductionView:
    """Ask the connection `via` to introduce the requester to `target_id`: a connection of
    theirs, or a member one of their connections knows (they may pass the request on once)."""
    now = clock.now()
    message = message.strip()
    _check_text("message", message, MESSAGE_MAX, required=True)
    if target_id == requester.id:
        raise InvalidInput.for_field("target", N_("You cannot ask to be introduced to yourself."))
    if via in (requester.id, target_id):
        raise InvalidInput.for_field("via", N_("Ask a member you share with them."))
    if requester.email_confirmed_at is None and get_settings().require_confirmed_email_to_invite:
        raise invitations.EmailNotConfirmed()
    lock_members(db, (requester.id, via, target_id))
    target = privacy.access_member(db, viewer=requester, member_id=target_id)
    introducer = privacy.access_member(db, viewer=requester, member_id=via)
    if not network.is_connected(db, a=requester.id, b=introducer.id):
        raise InvalidInput.for_field("via", N_("Ask one of your connections."))
    if network.is_connected(db, a=requester.id, b=target.id):
        raise invitations.AlreadyConnected()
    if not network.is_connected(db, a=introducer.id, b=target.id) and not _passable_to(
        db, requester=requester, introducer_id=introducer.id, target_id=target.id
    ):
        raise InvalidInput.for_field(
            "via", N_("This member is not connected to them, nor to anyone who is.")
        )
    if invitations.open_invitation_between(db, a=requester.id, b=target.id, now=now):
        raise invitations.AlreadyInvited()
    waiting = repository.waiting_for_pair(db, requester_id=requester.id, target_id=target.id)
    if any(introduction.expires_at > now for introduction in waiting):
        raise IntroductionAlreadyRequested()
    if waiting:
        repository.expire_waiting(db, now=now)
    _refuse_by_invitation_rules(db, requester=requester, target=target, now=now)
    introduction = _ask(
        db, requester=requester, introducer=introducer, target=target, message=message, at=now
    )
    return _views(db, [Row(introduction, None, None)], viewer=requester)[0]


def _facts(introduction: Introduction, *, target: Member) -> Callable[[], InvitationFacts]:
    """What the mail of a request to introduce tells: whom to, the message, the expiry."""
    return lambda: InvitationFacts(
        note=introduction.message,
        expires_at=introduction.expires_at,
        introduce_to=target.name,
    )


def place_introduction(
    db: Session,
    *,
    requester: Member,
    introducer: Member,
    target: Member,
    message: str,
    at: datetime,
) -> Introduction:
    """A waiting request asked at `at`, with its notification (not mailed), as a community being
    built (the demo) has it; no rule is asked, as none would refuse it."""
    return _ask(
        db,
        requester=requester,
        introducer=introducer,
        target=target,
        message=message[:MESSAGE_MAX],
        at=at,
        mail_it=False,
    )


def _ask(
    db: Session,
    *,
    requester: Member,
    introducer: Member,
    target: Member,
    message: str,
    at: datetime,
    mail_it: bool = True,
) -> Introduction:
    """Write a waiting request and tell the introducer."""
    introduction = repository.add(
        db,
        Introduction(
            requester_id=requester.id,
            introducer_id=introducer.id,
            target_id=target.id,
            message=message,
            pass_note="",
            note="",
            status=IntroductionStatus.REQUESTED,
            created_at=at,
            expires_at=at + _step(),
        ),
    )
    notifications.notify(
        db,
        member_id=introducer.id,
        kind="introduction_requested",
        actor_id=requester.id,
        introduction_id=introduction.id,
        at=at,
        facts=_facts(introduction, target=target),
        mail_it=mail_it,
    )
    return introduction


def _step() -> timedelta:
    return timedelta(days=get_settings().invitation_days)


def _check_text(field: str, value: str, most: int, *, required: bool = False) -> None:
    if required and not value:
        raise InvalidInput.for_field(field, N_("Say why you want to meet them."))
    if len(value) > most:
        raise InvalidInput.for_field(
            field, N_("At most %(max_length)s characters."), max_length=most
        )


def _passable_to(
    db: Session, *, requester: Member, introducer_id: int, target_id: int
) -> list[int]:
    """The members the introducer could pass the request on to: their connections who are
    connected to the target, other than the requester and anyone a block hides from them."""
    hidden = privacy.hidden_from(db, member=requester)
    return introducers.is_reachable_through(
        db, introducer_id=introducer_id, target_id=target_id, exclude={requester.id, *hidden}
    )


def _refuse_by_invitation_rules(
    db: Session, *, requester: Member, target: Member, now: datetime
) -> None:
    """The invitation rules an introduction is held to when it is asked for: the target's "who
    can invite me" (an introduction is a link, so only "members who know my email" refuses), the
    re-invitation cooldown (after an invitation or an introduction to the target ended without a
    connection), and the weekly cap, which introductions not yet forwarded count towards."""
    record = policies.record_of(db, sender=requester, recipient=target, now=now)
    if record.recipient_policy == "email":
        raise NotInvitable()
    policies.refuse_during_cooldown(record, now=now)
    own = repository.requester_record(
        db, requester_id=requester.id, target_id=target.id, week_start=now - WEEK
    )
    if own.last_ended is not None:
        until = own.last_ended + timedelta(days=get_settings().reinvite_cooldown_days)
        if until > now:
            raise InvitationCooldown(date=until.date().isoformat())
    oldest = [at for at in (record.oldest_sent, own.oldest_this_week) if at is not None]
    policies.refuse_over_weekly_cap(
        record._replace(
            sent=record.sent + own.unforwarded_this_week, oldest_sent=min(oldest, default=None)
        ),
        now=now,
    )


def forward_introduction(
    db: Session, *, introduction_id: int, by: Member, note: str = ""
) -> IntroductionView:
    """Forward the request to its target with a note: the target receives an invitation from
    the requester, introduced by the forwarder."""
    note = note.strip()
    _check_text("note", note, NOTE_MAX)
    row, _ = access_introduction(
        db, introduction_id=introduction_id, viewer=by, roles=("introducer", "via")
    )
    introduction = row.introduction
    _lock(db, introduction)
    now = clock.now()
    if introduction.holder_id != by.id:
        raise IntroductionNotWaiting()
    members = members_repository.members_by_id(
        db, [introduction.requester_id, introduction.target_id]
    )
    requester, target = members[introduction.requester_id], members[introduction.target_id]
    if privacy.is_hidden(db, viewer=requester, member_id=target.id) or not network.is_connected(
        db, a=by.id, b=target.id
    ):
        raise IntroducerNotLinked()
    if not repository.change_waiting(
        db,
        introduction_id=introduction.id,
        now=now,
        values={"status": IntroductionStatus.FORWARDED, "note": note, "closed_at": now},
    ):
        raise IntroductionNotWaiting()
    invitation = invitations.send_introduced(
        db, sender=requester, recipient=target, introducer_id=by.id, now=now
    )
    repository.set_invitation(db, introduction=introduction, invitation_id=invitation.id)
    notifications.notify(
        db,
        member_id=requester.id,
        kind="introduction_forwarded",
        actor_id=introduction.introducer_id,
        introduction_id=introduction.id,
    )
    return _views(db, [Row(introduction, invitation.status, invitation.expires_at)], viewer=by)[0]


def pass_introduction(
    db: Session, *, introduction_id: int, by: Member, to: int | None, note: str = ""
) -> IntroductionView:
    """The introducer, not connected to the target, passes the request on to one of their
    connections who is (once: a two-hop introduction, each hop consenting)."""
    note = note.strip()
    _check_text("note", note, NOTE_MAX)
    row, _ = access_introduction(
        db, introduction_id=introduction_id, viewer=by, roles={"introducer"}
    )
    introduction = row.introduction
    if to is None:
        raise InvalidInput.for_field("to", N_("Choose whom to pass it on to."))
    lock_members(
        db, (introduction.requester_id, introduction.introducer_id, introduction.target_id, to)
    )
    now = clock.now()
    if introduction.via_id is not None:
        raise IntroductionNotWaiting()
    requester = members_repository.members_by_id(db, [introduction.requester_id])[
        introduction.requester_id
    ]
    if to not in _passable_to(
        db, requester=requester, introducer_id=by.id, target_id=introduction.target_id
    ) or privacy.is_hidden(db, viewer=by, member_id=to):
        raise InvalidInput.for_field(
            "to", N_("Pass it on to one of your connections who is connected to them.")
        )
    if not repository.change_waiting(
        db,
        introduction_id=introduction.id,
        now=now,
        values={
            "via_id": to,
            "pass_note": note,
            "passed_at": now,
            "expires_at": now + _step(),
        },
    ):
        raise IntroductionNotWaiting()
    target = members_repository.members_by_id(db, [introduction.target_id])[introduction.target_id]
    notifications.notify(
        db,
        member_id=to,
        kind="introduction_requested",
        actor_id=by.id,
        introduction_id=introduction.id,
        facts=_facts(introduction, target=target),
    )
    return _views(db, [Row(introduction, None, None)], viewer=by)[0]


def decline_introduction(db: Session, *, introduction_id: int, by: Member) -> IntroductionView:
    """Decline to forward: the requester is told it was not forwarded, without a reason."""
    row, _ = access_introduction(
        db, introduction_id=introduction_id, viewer=by, roles=("introducer", "via")
    )
    introduction = row.introduction
    _lock(db, introduction)
    if introduction.holder_id != by.id:
        raise IntroductionNotWaiting()
    now = clock.now()
    if not repository.change_waiting(
        db,
        introduction_id=introduction.id,
        now=now,
        values={"status": IntroductionStatus.DECLINED, "closed_at": now},
    ):
        raise IntroductionNotWaiting()
    notifications.notify(
        db,
        member_id=introduction.requester_id,
        kind="introduction_not_forwarded",
        actor_id=introduction.introducer_id,
        introduction_id=introduction.id,
    )
    return _views(db, [Row(introduction, None, None)], viewer=by)[0]


def withdraw_introduction(db: Session, *, introduction_id: int, by: Member) -> IntroductionView:
    """The requester withdraws: a waiting request ends; a forwarded one withdraws its invitation,
    while it waits for the target's answer."""
    row, _ = access_introduction(
        db, introduction_id=introduction_id, viewer=by, roles={"requester"}
    )
    introduction = row.introduction
    _lock(db, introduction)
    now = clock.now()
    if repository.change_waiting(
        db,
        introduction_id=introduction.id,
        now=now,
        values={"status": IntroductionStatus.WITHDRAWN, "closed_at": now},
    ):
        return _views(db, [Row(introduction, None, None)], viewer=by)[0]
    fresh = repository.row_by_id(db, introduction.id)
    if fresh is None or fresh.introduction.invitation_id is None:
        raise IntroductionNotWaiting()
    try:
        withdrawn = invitations.withdraw_invitation(
            db, invitation_id=fresh.introduction.invitation_id, by=by
        )
    except (invitations.InvitationNotPending, invitations.InvitationNotFound):
        raise IntroductionNotWaiting() from None
    return _views(
        db,
        [Row(fresh.introduction, withdrawn.invitation.status, withdrawn.invitation.expires_at)],
        viewer=by,
    )[0]


def _lock(db: Session, introduction: Introduction) -> None:
    members = [introduction.requester_id, introduction.introducer_id, introduction.target_id]
    if introduction.via_id is not None:
        members.append(introduction.via_id)
    lock_members(db, members)
    # Read again under the lock: a change committed while we waited must be seen.
    db.refresh(introduction)


def close_for_block(db: Session, *, blocker_id: int, blocked_id: int, now: datetime) -> None:
    """A block ends the waiting introductions both members take part in: withdrawn when one of
    them asked for it (the other is gone, to them), declined otherwise (its requester is told
    it was not forwarded, as for any decline)."""
    for requester in (blocker_id, blocked_id):
        repository.close_waiting_between(
            db,
            a=blocker_id,
            b=blocked_id,
            status=IntroductionStatus.WITHDRAWN,
            requester_id=requester,
            now=now,
        )
    repository.close_waiting_between(
        db,
        a=blocker_id,
        b=blocked_id,
        status=IntroductionStatus.DECLINED,
        requester_id=None,
        now=now,
    )


def close_all_of(db: Session, *, member_id: int, now: datetime) -> None:
    """Closing an account ends the waiting introductions it takes part in."""
    repository.close_waiting_of(db, member_id=member_id, now=now)


# Reading


def introduction_of(db: Session, *, introduction_id: int, viewer: Member) -> IntroductionView:
    row, _ = access_introduction(db, introduction_id=introduction_id, viewer=viewer)
    return _views(db, [row], viewer=viewer)[0]


def introductions_of(
    db: Session, *, member: Member, box: Box, cursor: str | None, limit: int
) -> Page[IntroductionView]:
    """The member's requests (sent), those waiting for their answer (to_forward), or those they
    answered (handled), newest first."""
    after = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    if box == "sent":
        rows = repository.sent_by(db, member_id=member.id, after=after, limit=limit)
    elif box == "to_forward":
        rows = repository.waiting_for(
            db, member_id=member.id, now=clock.now(), after=after, limit=limit
        )
    else:
        rows = repository.handled_by(db, member_id=member.id, after=after, limit=limit)
    page = cut_page(rows, limit=limit, key=lambda row: (row.introduction.id,))
    return Page(items=_views(db, page.items, viewer=member), next_cursor=page.next_cursor)


def introductions_taking_part(db: Session, *, member: Member) -> list[IntroductionView]:
    """Every introduction the member asked for or was asked to make, as they see it (the export
    of their data)."""
    return _views(db, repository.taking_part(db, member_id=member.id), viewer=member)


def waiting_count(db: Session, *, member: Member) -> int:
    return repository.count_waiting_for(db, member_id=member.id, now=clock.now())


def _views(db: Session, rows: Sequence[Row], *, viewer: Member) -> list[IntroductionView]:
    """Introductions as the viewer sees them, for a whole list in a few queries."""
    if not rows:
        return []
    now = clock.now()
    wanted = {viewer.id}
    for row in rows:
        i = row.introduction
        wanted |= {i.requester_id, i.introducer_id, i.target_id}
        if i.via_id is not None:
            wanted.add(i.via_id)
    found = members_repository.members_by_id(db, sorted(wanted))
    views = {
        view.member.id: view
        for view in degrees.views_of(
            db, viewer=viewer, members=list(found.values()), with_mutual_count=False
        )
    }
    result = []
    for row in rows:
        i = row.introduction
        role = _role_of(row, viewer.id) or "requester"
        result.append(
            IntroductionView(
                introduction=i,
                status=status_of(row, now=now),
                role=role,
                requester=views[i.requester_id],
                introducer=views[i.introducer_id],
                target=views[i.target_id],
                via=views[i.via_id] if i.via_id is not None else None,
            )
        )
    return result


@dataclass(frozen=True)
class IntroductionCard:
    """What an invitation that came from an introduction shows its members: who introduced the
    two, the requester's message and the introducer's note."""

    id: int
    introducer: MemberView
    message: str
    note: str


def cards_for_invitations(
    db: Session, *, viewer: Member, invitation_ids: Collection[int]
) -> dict[int, IntroductionCard]:
    """For the invitations among these that came from an introduction, what it says."""
    rows = repository.by_invitations(db, invitation_ids=invitation_ids)
    if not rows:
        return {}
    forwarders = members_repository.members_by_id(
        db, sorted({introduction.holder_id for introduction in rows})
    )
    views = {
        view.member.id: view
        for view in degrees.views_of(
            db, viewer=viewer, members=list(forwarders.values()), with_mutual_count=False
        )
    }
    return {
        introduction.invitation_id: IntroductionCard(
            id=introduction.id,
            introducer=views[introduction.holder_id],
            message=introduction.message,
            note=introduction.note,
        )
        for introduction in rows
        if introduction.invitation_id is not None and introduction.holder_id in views
    }


# Choosing the introducer


@dataclass(frozen=True)
class IntroducerChoice:
    """Who can introduce the viewer to a member: for a 2nd-degree member, the connections the
    two share, best first; beyond, the viewer's connections whose network reaches the member
    (the first to ask, who may pass the request on once)."""

    target: MemberView
    candidates: Sequence[Candidate]
    two_hops: bool


def introducers_for(
    db: Session, *, viewer: Member, member_id: int, limit: int = 10
) -> IntroducerChoice:
    target = privacy.access_member(db, viewer=viewer, member_id=member_id)
    view = degrees.view_of(db, viewer=viewer, member=target)
    if view.degree == 2:
        ranked = introducers.best_introducers(
            db, viewer=viewer, target_ids=[target.id], limit=limit
        )
        return IntroducerChoice(view, ranked.get(target.id, []), two_hops=False)
    if view.degree == 3:
        found = introducers.first_to_ask(db, viewer=viewer, target_id=target.id, limit=limit)
        return IntroducerChoice(view, found, two_hops=True)
    return IntroducerChoice(view, [], two_hops=False)


def best_introducer_of(
    db: Session, *, viewer: Member, member_ids: Sequence[int]
) -> dict[int, Candidate]:
    """For a page of 2nd-degree members, the best introducer to each (the cards' "Ask Ana to
    introduce you")."""
    ranked = introducers.best_introducers(db, viewer=viewer, target_ids=member_ids, limit=1)
    return {target: found[0] for target, found in ranked.items() if found}


def pass_candidates(db: Session, *, introduction_id: int, viewer: Member) -> list[Candidate]:
    """For the introducer of a request they cannot forward themselves: their connections who
    know the target, best first as the introducer sees them."""
    row, _ = access_introduction(
        db, introduction_id=introduction_id, viewer=viewer, roles={"introducer"}
    )
    introduction = row.introduction
    ranked = introducers.best_introducers(
        db, viewer=viewer, target_ids=[introduction.target_id]
    ).get(introduction.target_id, [])
    return [c for c in ranked if c.member.id != introduction.requester_id]


# Insight


@dataclass(frozen=True)
class Insight:
    """How introductions fare: the member's as requester and as introducer, and the
    community's."""

    asked: Counts
    introduced: Counts
    community: Counts


def insight(db: Session, *, member: Member) -> Insight:
    return Insight(
        asked=repository.counts_as_requester(db, member_id=member.id),
        introduced=repository.counts_as_introducer(db, member_id=member.id),
        community=repository.counts_of_community(db),
    )
