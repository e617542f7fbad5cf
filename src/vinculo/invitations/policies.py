"""The rules a new invitation must pass (PRODUCT.md's policies, each a setting): the
re-invitation cooldown, who may invite the recipient, the restriction on senders many members said
they do not know, and the weekly caps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vinculo.errors import N_, Conflict, Forbidden, TooManyRequests
from vinculo.identity.models import Member
from vinculo.invitations import repository
from vinculo.invitations.links import link_between
from vinculo.invitations.repository import SenderRecord
from vinculo.settings import get_settings

WEEK = timedelta(days=7)


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


def cooldown_start(now: datetime) -> datetime:
    """Invitations that ended without a connection after this still keep their sender waiting."""
    return now - timedelta(days=get_settings().reinvite_cooldown_days)


def record_of(db: Session, *, sender: Member, recipient: Member, now: datetime) -> SenderRecord:
    """What the rules below read of the sender's invitations, in one query."""
    return repository.sender_record(
        db,
        sender_id=sender.id,
        recipient_id=recipient.id,
        now=now,
        week_start=now - WEEK,
        reports_since=now - timedelta(days=get_settings().report_window_days),
    )


def refuse_during_cooldown(record: SenderRecord, *, now: datetime) -> None:
    """After a withdrawal, an ignore or an expiry, the same sender waits before inviting the same
    member again."""
    if record.last_ended is None:
        return
    until = record.last_ended + timedelta(days=get_settings().reinvite_cooldown_days)
    if until > now:
        raise InvitationCooldown(date=until.date().isoformat())


def refuse_by_who_can_invite(
    db: Session, *, sender: Member, recipient: Member, knows_email: bool, record: SenderRecord
) -> None:
    """The recipient's "who can invite me", and the restriction on a sender reported too often:
    both let through a sender who knows the recipient's email or shares a link with them."""
    # Read with the sender's record, in the same statement.
    policy = record.recipient_policy
    restricted = record.reports >= get_settings().reports_to_restrict
    if knows_email or (policy == "anyone" and not restricted):
        return
    has_link = policy != "email" and link_between(db, viewer=sender, other_id=recipient.id).exists
    if policy == "email" or (policy == "link" and not has_link):
        raise NotInvitable()
    if restricted and not has_link:
        raise RestrictedSender()


def refuse_over_weekly_cap(record: SenderRecord, *, now: datetime) -> None:
    """At most so many invitations in a rolling week; fewer for a sender whose answered
    invitations were seldom accepted."""
    settings = get_settings()
    limit = settings.invitations_per_week
    if (
        record.answered >= settings.low_acceptance_min_answered
        and record.accepted < settings.low_acceptance_rate * record.answered
    ):
        limit = settings.invitations_per_week_low_acceptance
    if record.sent >= limit and record.oldest_sent is not None:
        wait = record.oldest_sent + WEEK - now
        raise WeeklyInvitationLimit(retry_after=int(wait.total_seconds()) + 1, limit=limit)
