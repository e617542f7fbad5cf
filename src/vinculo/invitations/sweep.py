"""The periodic sweep of invitations: expire those past their time and send the day-7
reminders. `vinculo serve` runs it in a background thread of each process; deployments that want
it apart run `vinculo worker` and set VINCULO_SWEEP_INTERVAL_SECONDS=0 for the web processes.

Correctness never depends on it: expiry is applied on every read, and a reminder is claimed by a
conditional update, so sweeps in several processes at once send each reminder once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database
from vinculo.invitations import repository
from vinculo.notifications import service as notifications
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
            )
            reminded += 1
    return SweepResult(expired=expired, reminded=reminded)


def sweep_once(database: Database) -> SweepResult:
    with database.unit_of_work() as db:
        result = sweep(db)
    if result.expired or result.reminded:
        log.info("invitation sweep: %s expired, %s reminded", result.expired, result.reminded)
    return result


class PeriodicSweep:
    """Runs `sweep_once` every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, database: Database, *, interval: float) -> None:
        self.database = database
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vinculo-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                sweep_once(self.database)
            except Exception:
                # A failed sweep (the database restarting, say) is retried at the next tick.
                log.exception("invitation sweep failed")
            self._stopped.wait(self.interval)
