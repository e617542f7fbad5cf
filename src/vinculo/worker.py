"""The worker: the community's jobs that run apart from the serving processes, each on its own
schedule, so that no request waits for them and no serving process spends its cores on them.
`vinculo serve` starts one beside its web processes (unless told not to); a deployment can run
`vinculo worker` apart instead, on one machine, or from cron with `--once`.

The jobs: expire invitations and send the day-7 reminders (`invitations.sweep`), forget the
request counters whose windows are over, and fit the reranker of suggestions on the community's
own connections and store it for the serving processes (`suggestions.engine.fit_reranker`),
and erase the accounts closed longer ago than their grace period (`account.service`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from vinculo import clock
from vinculo.account.service import erase_due_accounts
from vinculo.db import Database
from vinculo.invitations.sweep import SweepResult, sweep_once
from vinculo.settings import Settings
from vinculo.suggestions.engine import fit_reranker, reranker_fitted_at
from vinculo.throttling.storage import forget_finished_windows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What one round of the worker did."""

    swept: SweepResult
    reranker: int | None  # the version of the reranker it fitted, if it fitted one
    erased: int = 0  # how many closed accounts it erased


class Worker:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    def run_once(self) -> Round:
        """Every job once, the reranker only when the stored one is missing or older than
        `VINCULO_SUGGESTION_REFIT_SECONDS`."""
        swept = sweep_once(self.database)
        forget_finished_windows(self.database)
        erased = erase_due_accounts(self.database)
        fitted = reranker_fitted_at(self.database)
        refit = timedelta(seconds=self.settings.suggestion_refit_seconds)
        version = None
        if fitted is None or clock.now() - fitted > refit:
            version = fit_reranker(self.database)
        return Round(swept, version, erased)

    def run(self, *, stopped: threading.Event, interval: float) -> None:
        """Rounds every `interval` seconds until `stopped` is set; a failed round (the database
        restarting, say) is tried again at the next."""
        while not stopped.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("a round of the worker failed")
            stopped.wait(interval)
