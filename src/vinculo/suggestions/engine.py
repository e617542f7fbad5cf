"""What a process keeps in memory to suggest people: the members' careers, sectors and locations
in a `ProfileIndex`, built again in the background when a profile changed (a profile edit shows
in suggestions within `VINCULO_SUGGESTION_PROFILES_MAX_AGE_SECONDS`); the reranker the worker
fitted on the community's own network and stored (`fit_reranker`, every
`VINCULO_SUGGESTION_REFIT_SECONDS`); and the latest rankings per member, dropped as soon as the
network, the profiles, the reranker or the member's exclusions change. Serving processes never
fit: fitting takes seconds of both cores."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database, ServiceSlot, unbounded_statements
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
    """One process's profile index, the reranker the worker fitted, and the latest rankings.

    A process never fits a reranker nor waits for one: it loads the latest the worker stored
    (`fit_reranker`). It reads the profiles at start-up, then looks every `max_age_seconds`, in
    a thread of its own, whether any profile changed since (one small query), and builds the
    index again only then, serving the previous one meanwhile; with 0, it looks before each
    answer."""

    def __init__(self, database: Database, *, max_age_seconds: float) -> None:
        self.database = database
        self.max_age_seconds = max_age_seconds
        self._reranker: Reranker | None = None
        self._reranker_version = 0
        self._profiles: ProfileIndex | None = None
        self._profiles_seen: tuple[object, ...] | None = None
        self._looked_at = 0.0
        self._version = 0
        self._lock = threading.Lock()
        self._refreshing = False
        self._cache: OrderedDict[int, tuple[Hashable, Any]] = OrderedDict()

    def load(self) -> None:
        """Read the profiles, and the latest stored reranker, now."""
        self._refresh(force=True)

    def _refresh(self, *, force: bool = False) -> None:
        started = time.monotonic()
        # Consistent: one snapshot of every profile, streamed (which needs a transaction).
        with self.database.unit_of_work(write=False, consistent=True) as db:
            unbounded_statements(db)
            seen = repository.profiles_changed_at(db)
            profiles = build_profiles(db) if force or seen != self._profiles_seen else None
            stored = repository.latest_reranker(db, newer_than=self._reranker_version)
        reranker = Reranker.from_json(json.loads(stored[2])) if stored else None
        with self._lock:
            self._looked_at = time.monotonic()
            if profiles is not None:
                self._profiles, self._profiles_seen = profiles, seen
                self._version += 1
                self._cache.clear()
            if stored is not None:
                self._reranker, self._reranker_version = reranker, stored[0]
                self._cache.clear()
        if profiles is not None:
            log.info("suggestion profiles built in %.1f s", time.monotonic() - started)
        if stored is not None:
            log.info("suggestion reranker %d of %s loaded", stored[0], stored[1])

    def profiles(self) -> tuple[ProfileIndex, int]:
        """The profile index and its version. Once `max_age_seconds` have passed, a thread looks
        for changes and rebuilds it if needed, while this one goes on serving."""
        if self._profiles is None:
            self.load()
        elif not self.max_age_seconds:
            # Always current: look before answering (a small community, the tests).
            self._refresh()
        with self._lock:
            due = time.monotonic() - self._looked_at > self.max_age_seconds
            if due and not self._refreshing:
                self._refreshing = True
                threading.Thread(
                    target=self._refresh_in_background, name="vinculo-profiles", daemon=True
                ).start()
            profiles = self._profiles
            if profiles is None:  # pragma: no cover - loaded above
                raise RuntimeError("the suggestion profiles are not loaded")
            return profiles, self._version

    def _refresh_in_background(self) -> None:
        try:
            self._refresh()
        except Exception:
            log.exception("refreshing the suggestion profiles failed")
        finally:
            with self._lock:
                self._refreshing = False

    def reranker(self) -> tuple[Reranker | None, int]:
        """The reranker the worker fitted last (None while there is none, or when the community
        is too small to teach one) and its version."""
        with self._lock:
            return self._reranker, self._reranker_version

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


def fit_reranker(database: Database, *, graph: GraphIndex | None = None) -> int | None:
    """Fit a reranker on the community's connections as they are now and store it for the
    serving processes (the worker's job, every `VINCULO_SUGGESTION_REFIT_SECONDS`); its version,
    or None when the community is still too small to teach one."""
    started = time.monotonic()
    if graph is None:
        graph = _graph_now(database)
    with database.unit_of_work(write=False, consistent=True) as db:
        unbounded_statements(db)
        profiles = build_profiles(db)
    reranker = fitting.fit(graph, profiles)
    if reranker is None:
        log.info("suggestion reranker: the community is too small to fit one yet")
        return None
    with database.unit_of_work() as db:
        version = repository.save_reranker(
            db, model=json.dumps(reranker.to_json()), fitted_at=clock.now()
        )
    log.info(
        "suggestion reranker %d fitted on %d members in %.1f s",
        version,
        reranker.examples,
        time.monotonic() - started,
    )
    return version


def reranker_fitted_at(database: Database) -> datetime | None:
    """When the latest stored reranker was fitted, if any was."""
    with database.unit_of_work(write=False) as db:
        stored = repository.latest_reranker(db)
    return stored[1] if stored else None


def _graph_now(database: Database) -> GraphIndex:
    from vinculo.network.index import NetworkIndex

    index = NetworkIndex(database)
    index.load()
    return index.graph
