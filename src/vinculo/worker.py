"""The worker: the community's jobs that run apart from the serving processes, each on its own
schedule, so that no request waits for them and no serving process spends its cores on them.
`vinculo serve` starts one beside its web processes (unless told not to); a deployment can run
`vinculo worker` apart instead, on one machine, or from cron with `--once`.

The jobs: expire invitations and send the day-7 reminders (`invitations.sweep`), queue the daily
digests of notifications (`notifications.service.send_digests`), forget the request counters
whose windows are over and the mail sent more than `VINCULO_MAIL_KEEP_DAYS` ago, erase the
accounts closed longer ago than their grace period (`account.service`), and fit the reranker of
suggestions on the community's own connections and store it for the serving processes
(`suggestions.engine.fit_reranker`); and, in a thread of its own on a shorter schedule, send the
mail waiting in the outbox (`mail.sender`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from vinculo import clock
from vinculo.account.service import erase_due_accounts
from vinculo.db import Database
from vinculo.invitations.service import still_awaiting_answer
from vinculo.invitations.sweep import SweepResult, sweep_once
from vinculo.mail.sender import MailSender, Sent, Transport, forget_old_mail, transport_from
from vinculo.notifications.service import send_digests
from vinculo.settings import Settings
from vinculo.suggestions.engine import fit_reranker, reranker_fitted_at
from vinculo.throttling.storage import forget_finished_windows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What one round of the worker did."""

    swept: SweepResult
    reranker: int | None  # the version of the reranker it fitted, if it fitted one
    mailed: Sent
    erased: int  # how many closed accounts it erased


class Worker:
    def __init__(
        self, database: Database, settings: Settings, *, transport: Transport | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.mail = MailSender(database, settings, transport or transport_from(settings))

    def run_once(self) -> Round:
        """Every job once, the reranker only when the stored one is missing or older than
        `VINCULO_SUGGESTION_REFIT_SECONDS`, then the mail waiting (what the jobs wrote too)."""
        swept, version, erased = self._scheduled_jobs()
        return Round(swept, version, self.mail.send_once(), erased)

    def _scheduled_jobs(self) -> tuple[SweepResult, int | None, int]:
        swept = sweep_once(self.database)
        send_digests(self.database, still_awaiting=still_awaiting_answer)
        forget_finished_windows(self.database)
        forget_old_mail(self.database, keep_days=self.settings.mail_keep_days)
        erased = erase_due_accounts(self.database)
        fitted = reranker_fitted_at(self.database)
        refit = timedelta(seconds=self.settings.suggestion_refit_seconds)
        version = None
        if fitted is None or clock.now() - fitted > refit:
            version = fit_reranker(self.database)
        return swept, version, erased

    def run(self, *, stopped: threading.Event, interval: float) -> None:
        """Rounds every `interval` seconds until `stopped` is set; a failed round (the database
        restarting, say) is tried again at the next. The mail is sent meanwhile, in a thread of
        its own, every `VINCULO_MAIL_POLL_SECONDS`."""
        mailing = threading.Thread(
            target=self.mail.run, kwargs={"stopped": stopped}, name="vinculo-mail", daemon=True
        )
        mailing.start()
        while not stopped.is_set():
            try:
                self._scheduled_jobs()
            except Exception:
                log.exception("a round of the worker failed")
            stopped.wait(interval)
