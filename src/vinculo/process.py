"""The process's long-lived services, started and stopped together: the graph index kept in step
with the database, and the suggestion engine. `vinculo serve` starts them in each of its web
processes; the `vinculo graph` commands start them for one answer. (The jobs that run on a
schedule are the worker's: `vinculo.worker`.)"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

from vinculo.db import Database
from vinculo.network.index import GRAPH_INDEX, NetworkIndex
from vinculo.settings import Settings
from vinculo.suggestions import ranking
from vinculo.suggestions.engine import SUGGESTION_ENGINE, SuggestionEngine, fit_reranker

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

    @classmethod
    def for_serving(cls, database: Database, settings: Settings) -> ProcessServices:
        """Everything a serving process needs, ready before its first request: the kernels
        compiled, the index built and following the change log, the profiles read and the
        stored reranker loaded."""
        compile_kernels()
        index = NetworkIndex(database)
        shared = settings.graph_snapshot_dir
        index.load(shared=Path(shared) if shared else None)
        index.start_following(poll_seconds=settings.graph_poll_seconds)
        engine = SuggestionEngine(
            database, max_age_seconds=settings.suggestion_profiles_max_age_seconds
        )
        engine.load()
        return cls(database, index, engine).provided()

    @classmethod
    def for_one_answer(cls, database: Database) -> ProcessServices:
        """For a command that answers and ends: the index as it is now, and the engine with the
        stored reranker, or, when the worker never stored one, one it fits and stores first."""
        compile_kernels()
        index = NetworkIndex(database)
        index.load()
        engine = SuggestionEngine(database, max_age_seconds=math.inf)
        engine.load()
        if engine.reranker()[0] is None and fit_reranker(database, graph=index.graph):
            engine.load()
        return cls(database, index, engine).provided()

    def provided(self) -> ProcessServices:
        """Hand the services to every unit of work of the database."""
        self.database.provide(GRAPH_INDEX, self.network_index)
        self.database.provide(SUGGESTION_ENGINE, self.suggestions)
        return self

    def stop(self) -> None:
        self.database.withdraw(GRAPH_INDEX)
        self.database.withdraw(SUGGESTION_ENGINE)
        self.network_index.stop()
