"""What a process keeps in memory to suggest people: the members' careers, sectors and locations
in a `ProfileIndex`, rebuilt in the background once it is older than
`VINCULO_SUGGESTION_PROFILES_MAX_AGE_SECONDS` (a profile edit shows in suggestions within that
time); the reranker fitted on the community's own network (`fitting.fit`), fitted again once
older than `VINCULO_SUGGESTION_REFIT_SECONDS`; and the latest rankings per member, dropped as
soon as the network, the profiles, the reranker or the member's exclusions change.

The graph comes from the process's network index (`network.index`); a process without one (a
command line tool) builds both for itself."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm import Session

from vinculo.db import Database, ServiceSlot
from vinculo.graph import GraphIndex
from vinculo.identity import repository as members
from vinculo.suggestions import fitting, repository
from vinculo.suggestions.ranking import ProfileIndex
from vinculo.suggestions.reranking import Reranker
from vinculo.text import fold

log = logging.getLogger(__name__)

CACHED_MEMBERS = 10_000


class Vocabulary:
    """Small integer ids for free-text values compared case- and accent-insensitively (sectors,
    locations); 0 is "unknown"."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def id_of(self, text: str) -> int:
        key = fold(text)
        if not key:
            return 0
        return self._ids.setdefault(key, len(self._ids) + 1)


def build_profiles(db: Session) -> ProfileIndex:
    """The careers, sectors and locations of the whole community, streamed from the database."""
    sectors, locations = Vocabulary(), Vocabulary()
    sector_of: dict[int, int] = {}
    location_of: dict[int, int] = {}
    for member_id, sector, location in repository.sectors_and_locations(db):
        if sector_id := sectors.id_of(sector):
            sector_of[member_id] = sector_id
        if location_id := locations.id_of(location):
            location_of[member_id] = location_id
    size = members.highest_member_id(db) + 1
    return ProfileIndex.build(
        size, repository.affiliations(db), sectors=sector_of, locations=location_of
    )


class SuggestionEngine:
    """One process's profile index and ranking cache."""

    def __init__(
        self,
        database: Database,
        *,
        max_age_seconds: float,
        refit_seconds: float = math.inf,
        background: bool = True,
    ) -> None:
        self.database = database
        self.max_age_seconds = max_age_seconds
        self.refit_seconds = refit_seconds
        self.background = background  # fit the reranker in a thread, or before answering
        self._reranker: Reranker | None = None
        self._reranker_version = 0
        self._fitted_at: float | None = None
        self._fitting = False
        self._profiles: ProfileIndex | None = None
        self._built_at = 0.0
        self._version = 0
        self._lock = threading.Lock()
        self._rebuilding = False
        self._cache: OrderedDict[int, tuple[Hashable, Any]] = OrderedDict()

    def load(self) -> None:
        started = time.monotonic()
        # Consistent: one snapshot of every profile, streamed (which needs a transaction).
        with self.database.unit_of_work(write=False, consistent=True) as db:
            profiles = build_profiles(db)
        with self._lock:
            self._profiles = profiles
            self._built_at = time.monotonic()
            self._version += 1
            self._cache.clear()
        log.info("suggestion profiles built in %.1f s", time.monotonic() - started)

    def profiles(self) -> tuple[ProfileIndex, int]:
        """The profile index and its version; an old one starts a rebuild in the background and
        serves meanwhile."""
        if self._profiles is None:
            self.load()
        with self._lock:
            stale = time.monotonic() - self._built_at > self.max_age_seconds
            if stale and not self._rebuilding:
                self._rebuilding = True
                threading.Thread(target=self._rebuild, name="vinculo-profiles", daemon=True).start()
            profiles = self._profiles
            if profiles is None:  # pragma: no cover - loaded above
                raise RuntimeError("the suggestion profiles are not loaded")
            return profiles, self._version

    def _rebuild(self) -> None:
        try:
            self.load()
        except Exception:
            log.exception("rebuilding the suggestion profiles failed")
        finally:
            with self._lock:
                self._rebuilding = False

    def reranker(self, graph: GraphIndex, profiles: ProfileIndex) -> tuple[Reranker | None, int]:
        """The reranker fitted on the community's network (None while none is fitted, or when
        the community is too small to teach one) and its version. The first call, and any once
        the reranker is older than `refit_seconds`, fits one: in a background thread, serving
        the previous one meanwhile, or at once for a process that answers once and ends."""
        with self._lock:
            due = self._fitted_at is None or (
                time.monotonic() - self._fitted_at > self.refit_seconds
            )
            start = due and not self._fitting
            if start:
                self._fitting = True
        if start:
            if self.background:
                threading.Thread(
                    target=self._fit, args=(graph, profiles), name="vinculo-reranker", daemon=True
                ).start()
            else:
                self._fit(graph, profiles)
        with self._lock:
            return self._reranker, self._reranker_version

    def _fit(self, graph: GraphIndex, profiles: ProfileIndex) -> None:
        started = time.monotonic()
        try:
            reranker = fitting.fit(graph, profiles)
        except Exception:
            log.exception("fitting the suggestion reranker failed")
            reranker = self._reranker
        with self._lock:
            if reranker is not self._reranker:
                self._reranker = reranker
                self._reranker_version += 1
                self._cache.clear()
            self._fitted_at = time.monotonic()
            self._fitting = False
        if reranker is not None:
            log.info(
                "suggestion reranker fitted on %d members in %.1f s",
                reranker.examples,
                time.monotonic() - started,
            )

    def cached(self, member_id: int, key: Hashable) -> Any | None:
        with self._lock:
            found = self._cache.get(member_id)
            if found is None or found[0] != key:
                return None
            self._cache.move_to_end(member_id)
            return found[1]

    def remember(self, member_id: int, key: Hashable, value: Any) -> None:
        with self._lock:
            self._cache[member_id] = (key, value)
            self._cache.move_to_end(member_id)
            while len(self._cache) > CACHED_MEMBERS:
                self._cache.popitem(last=False)


# The process's suggestion engine, once `vinculo serve` (or a command) has made one.
SUGGESTION_ENGINE: ServiceSlot[SuggestionEngine] = ServiceSlot("suggestion engine")


def engine_of(db: Session) -> SuggestionEngine | None:
    return SUGGESTION_ENGINE.of(db)
