"""The periodic sweep of the network: expire invitations past their time and send the day-7
reminders. `vinculo serve` runs it in a background thread of each process; deployments that want
it apart run `vinculo worker` and set VINCULO_SWEEP_INTERVAL_SECONDS=0 for the web processes.

Correctness never depends on it: expiry is applied on every read, and a reminder is claimed by a
conditional update, so sweeps in several processes at once send each reminder once."""

from __future__ import annotations

import logging
import threading

from vinculo.db import Database
from vinculo.network import service

log = logging.getLogger(__name__)


def sweep_once(database: Database) -> service.SweepResult:
    with database.unit_of_work() as db:
        result = service.sweep(db)
    if result.expired or result.reminded:
        log.info("network sweep: %s expired, %s reminded", result.expired, result.reminded)
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
                log.exception("network sweep failed")
            self._stopped.wait(self.interval)
