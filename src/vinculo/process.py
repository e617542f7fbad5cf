"""The process's long-lived services, started and stopped together: the graph index kept in step
with the database, the suggestion engine, and the periodic sweep of invitations. `vinculo serve`
starts them in each worker process; the `vinculo graph` commands start the first two for one
answer."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from vinculo.db import Database
from vinculo.invitations.sweep import PeriodicSweep
from vinculo.network.index import GRAPH_INDEX, NetworkIndex
from vinculo.settings import Settings
from vinculo.suggestions import ranking
from vinculo.suggestions.engine import SUGGESTION_ENGINE, SuggestionEngine

log = logging.getLogger(__name__)


def compile_kernels() -> None:
    """Compile the graph's and the suggestions' kernels (or load them from numba's cache) before
    anything is served, so that no request waits for a compiler."""
    started = time.monotonic()
    ranking.warm_up()
    log.info("kernels ready in %.1f s", time.monotonic() - started)


@dataclass
class ProcessServices:
    database: Database
    network_index: NetworkIndex
    suggestions: SuggestionEngine
    sweep: PeriodicSweep | None

    @classmethod
    def for_serving(cls, database: Database, settings: Settings) -> ProcessServices:
        """Everything a serving process needs, started: the kernels compiled, the index following
        the change log, the engine refreshing in the background, the sweep running when it is
        turned on."""
        compile_kernels()
        index = NetworkIndex(database)
        index.load()
        index.start_following(poll_seconds=settings.graph_poll_seconds)
        engine = SuggestionEngine(
            database,
            max_age_seconds=settings.suggestion_profiles_max_age_seconds,
            refit_seconds=settings.suggestion_refit_seconds,
        )
        sweep = None
        if settings.sweep_interval_seconds > 0:
            sweep = PeriodicSweep(database, interval=settings.sweep_interval_seconds)
            sweep.start()
        return cls(database, index, engine, sweep).provided()

    @classmethod
    def for_one_answer(cls, database: Database) -> ProcessServices:
        """For a command that answers and ends: the index as it is now, and an engine that fits
        its reranker before answering rather than in the background."""
        compile_kernels()
        index = NetworkIndex(database)
        index.load()
        engine = SuggestionEngine(database, max_age_seconds=math.inf, background=False)
        return cls(database, index, engine, None).provided()

    def provided(self) -> ProcessServices:
        """Hand the services to every unit of work of the database."""
        self.database.provide(GRAPH_INDEX, self.network_index)
        self.database.provide(SUGGESTION_ENGINE, self.suggestions)
        return self

    def stop(self) -> None:
        if self.sweep is not None:
            self.sweep.stop()
        self.database.withdraw(GRAPH_INDEX)
        self.database.withdraw(SUGGESTION_ENGINE)
        self.network_index.stop()
