"""The periodic sweep of invitations: expire those past their time and send the day-7
reminders. The worker (`vinculo.worker`) runs it every VINCULO_SWEEP_INTERVAL_SECONDS.

Correctness never depends on it: expiry is applied on every read, and a reminder is claimed by a
conditional update, so sweeps in several processes at once send each reminder once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database
from vinculo.invitations import repository
from vinculo.invitations.models import Invitation
from vinculo.notifications import service as notifications
from vinculo.notifications.mails import InvitationFacts
from vinculo.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    expired: int
    reminded: int


def sweep(db: Session, *, batch: int = 500) -> SweepResult:
    """Expire invitations past their time and send the day-7 reminders. Safe to run from several
    processes at once: each reminder is claimed by a conditional update before it is sent."""
    now = clock.now()
    expired = repository.expire_pending(db, now=now)
    reminded = 0
    due = repository.due_reminders(
        db,
        sent_before=now - timedelta(days=get_settings().invitation_reminder_days),
        now=now,
        limit=batch,
    )
    for invitation in due:
        if repository.mark_reminded(db, invitation_id=invitation.id, now=now):
            notifications.notify(
                db,
                member_id=invitation.recipient_id,
                kind="invitation_reminder",
                actor_id=invitation.sender_id,
                invitation_id=invitation.id,
                facts=_facts_of(invitation),
            )
            reminded += 1
    return SweepResult(expired=expired, reminded=reminded)


def _facts_of(invitation: Invitation) -> Callable[[], InvitationFacts]:
    return lambda: InvitationFacts(note=invitation.note, expires_at=invitation.expires_at)


def sweep_once(database: Database) -> SweepResult:
    with database.unit_of_work() as db:
        result = sweep(db)
    if result.expired or result.reminded:
        log.info("invitation sweep: %s expired, %s reminded", result.expired, result.reminded)
    return result
