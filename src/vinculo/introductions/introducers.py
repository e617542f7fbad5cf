"""Who is best placed to introduce a member to another: of the connections the two share, those
who know both sides best (the requester's own tier for them, the organizations and schools they
shared with each side in the same years, how long they have been connected to each); for a
member one step further, the requester's connections whose network reaches them.

Only what the requester may know is weighed: their own tier for the introducer (never the
introducer's private tier for anyone), places from profiles, and connections the requester may
see. Messages will count too once members can send them."""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import ordered_pair
from vinculo.identity import repository as members_repository
from vinculo.identity.models import Member
from vinculo.introductions import repository
from vinculo.introductions.repository import ConnectionFacts, IntroducerFacts
from vinculo.network import degrees
from vinculo.privacy import service as privacy
from vinculo.search import service as search
from vinculo.search.repository import PlaceRow

# How much each thing the requester may know weighs, on one side of the introducer.
TIER_WEIGHT = {"close": 3.0, "regular": 2.0, "occasional": 1.0}
UNKNOWN_TIER = 2.0  # the target's side: the introducer's tier is theirs alone
PLACE_WEIGHT = 1.5  # each organization or school shared in the same years, two at most
PLACES_COUNTED = 2
YEARS_COUNTED = 5  # a year connected adds a fifth of a point, five years at most
# Candidates weighed per target: a pair with more mutual connections than this is weighed on
# those the requester placed in the closest tiers first.
CANDIDATES_MAX = 200


@dataclass(frozen=True)
class Overlap:
    """An organization or school two members were at in overlapping years."""

    kind: str  # "organization" or "school"
    name: str
    since: int
    until: int | None  # None: both still are


@dataclass(frozen=True)
class Candidate:
    """A member who could introduce the requester to the target, with what makes them a good
    one. On a 3rd-degree target, `reaches` says how many of their connections know the target
    and `via` names one, when the requester may see both connections."""

    member: Member
    score: float
    tier: str | None  # the requester's own tier for them
    connected_since: datetime | None  # with the requester
    with_you: Sequence[Overlap] = ()
    with_target: Sequence[Overlap] = ()
    target_connected_since: datetime | None = None
    reaches: int = 0
    via: Member | None = None


def overlaps(mine: Sequence[PlaceRow], theirs: Sequence[PlaceRow]) -> list[Overlap]:
    """The places both were at in overlapping years, each once, in the order of `mine`."""
    return [_overlap(a, b) for a, b in _shared(mine, _by_place(theirs))]


Places = Mapping[tuple[str, int], Sequence[PlaceRow]]
# A place two members shared: the row of each there, their years overlapping.
Shared = list[tuple[PlaceRow, PlaceRow]]


def _by_place(rows: Sequence[PlaceRow]) -> Places:
    found: dict[tuple[str, int], list[PlaceRow]] = {}
    for row in rows:
        found.setdefault((row.kind, row.place_id), []).append(row)
    return found


def _shared(mine: Sequence[PlaceRow], theirs: Places) -> Shared:
    """For each place of `mine`, once, the first of theirs there whose years overlap: what
    `overlaps` says, before it is said (a page weighs many more candidates than it shows)."""
    found: dict[tuple[str, int], tuple[PlaceRow, PlaceRow]] = {}
    for a in mine:
        key = (a.kind, a.place_id)
        if key in found:
            continue
        for b in theirs.get(key, ()):
            if a.overlaps(b):
                found[key] = (a, b)
                break
    return list(found.values())


def _overlap(a: PlaceRow, b: PlaceRow) -> Overlap:
    ends = [end for end in (a.end_year, b.end_year) if end is not None]
    return Overlap(a.kind, a.place_name, max(a.start_year, b.start_year), min(ends, default=None))


def side(tier_weight: float, places: int, years: float) -> float:
    """What one side of an introducer weighs: the tier, the places shared in the same years (two
    at most) and the years connected (five at most)."""
    return (
        tier_weight
        + PLACE_WEIGHT * min(places, PLACES_COUNTED)
        + min(max(years, 0.0), YEARS_COUNTED) / YEARS_COUNTED
    )


def years_since(since: datetime | None, now: datetime) -> float:
    """How long two members have been connected, in years (0 when they are not)."""
    return (now - since).days / 365.25 if since is not None else 0.0


def score(you: float, target: float) -> float:
    """An introducer must know both sides: the weaker side counts twice."""
    return 2 * min(you, target) + you + target


# The most the target's side can weigh, when nothing is known of it: every place and every year
# counted.
_TARGET_SIDE_MAX = side(UNKNOWN_TIER, PLACES_COUNTED, YEARS_COUNTED)
# With a limit, the connections with the target read first: of this many more candidates than
# the limit, those who may score highest.
_READ_FIRST_MORE = 2


class _YourSide(NamedTuple):
    """What an introducer brings on the requester's side, the same whatever the target."""

    shared: Shared
    weight: float


class _Weighed(NamedTuple):
    """A candidate for one target before their connection with the target is read: the places
    they shared with the target, and the score they would have if it were five years old."""

    member_id: int
    with_target: Shared
    best: float


class _Ranked(NamedTuple):
    """A candidate for one target, scored, before their member is read."""

    negative_score: float
    name_key: str
    member_id: int
    with_target: Shared
    target_since: datetime | None


def best_introducers(
    db: Session, *, viewer: Member, target_ids: Sequence[int], limit: int | None = None
) -> dict[int, list[Candidate]]:
    """For each target (2nd-degree members of the viewer), the connections the two share, best
    introducer first (the best `limit` of them, or all), for a whole page at once in five or six
    queries: who is hidden, the candidates with the viewer's tier for each, everyone's positions
    and studies, since when candidates know the targets, and the members chosen.

    All a candidate's score waits for, once the rest is known, is how long they have known the
    target. With a limit, that is read first for the few who may score highest on each target,
    then only for those who could still reach the best `limit` (see `_weighed`): the same
    choice, reading on Cornell5 a fifth of a page's dates at the median, a tenth on the largest
    pages (benchmarks/introducers.py)."""
    hidden = privacy.hidden_from(db, member=viewer)
    mutuals = {
        target: [
            b for b in degrees.mutual_connection_ids(db, a=viewer.id, b=target) if b not in hidden
        ]
        for target in target_ids
        if target != viewer.id and target not in hidden
    }
    involved = sorted({b for found in mutuals.values() for b in found})
    facts = repository.introducer_facts(db, viewer_id=viewer.id, member_ids=involved)
    for found in mutuals.values():
        if len(found) > CANDIDATES_MAX:
            found.sort(key=lambda b: -TIER_WEIGHT.get(_tier(facts.get(b)) or "", 0.0))
            del found[CANDIDATES_MAX:]
        # Those who no longer exist are no candidates.
        found[:] = [b for b in found if b in facts]
    candidates = {b for found in mutuals.values() for b in found}
    careers = search.careers_of(db, member_ids={viewer.id, *mutuals, *candidates})
    now = clock.now()
    viewer_places = _by_place(careers.get(viewer.id, ()))
    yours: dict[int, _YourSide] = {}
    for b in candidates:
        shared = _shared(careers.get(b, ()), viewer_places)
        weight = TIER_WEIGHT.get(facts[b].tier or "", UNKNOWN_TIER)
        yours[b] = _YourSide(shared, side(weight, len(shared), years_since(facts[b].since, now)))
    weighed = {
        target: _weighed(
            found,
            yours=yours,
            careers=careers,
            target_places=_by_place(careers.get(target, ())),
            limit=limit,
        )
        for target, found in mutuals.items()
    }

    def ranked(among: Mapping[int, Sequence[_Weighed]]) -> dict[int, list[_Ranked]]:
        """These candidates scored, once their connections with the targets are read."""
        dates = repository.connection_facts(
            db,
            pairs={ordered_pair(w.member_id, target) for target, ws in among.items() for w in ws},
        )
        found: dict[int, list[_Ranked]] = {}
        for target, ws in among.items():
            found[target] = []
            for w in ws:
                since = _since(dates.get(ordered_pair(w.member_id, target)))
                target_side = side(UNKNOWN_TIER, len(w.with_target), years_since(since, now))
                found[target].append(
                    _Ranked(
                        -score(yours[w.member_id].weight, target_side),
                        facts[w.member_id].name_key,
                        w.member_id,
                        w.with_target,
                        since,
                    )
                )
        return found

    first = limit if limit is None else limit + _READ_FIRST_MORE
    chosen = ranked({target: ws[:first] for target, (ws, _) in weighed.items()})
    if limit is not None:
        # Those read first set the bar: whoever cannot reach the limit's best is left unread.
        later = {}
        for target, (ws, floor) in weighed.items():
            scores = sorted(-r.negative_score for r in chosen[target])
            bar = max(floor, scores[-limit]) if 0 < limit <= len(scores) else floor
            later[target] = [w for w in ws[first:] if w.best >= bar]
        if any(later.values()):
            for target, more in ranked(later).items():
                chosen[target].extend(more)
    for ranking in chosen.values():
        ranking.sort(key=lambda r: (r.negative_score, r.name_key, r.member_id))
        del ranking[len(ranking) if limit is None else limit :]
    members = members_repository.members_by_id(
        db, sorted({r.member_id for ranking in chosen.values() for r in ranking})
    )
    return {
        target: [
            Candidate(
                member=members[r.member_id],
                score=-r.negative_score,
                tier=facts[r.member_id].tier,
                connected_since=facts[r.member_id].since,
                with_you=[_overlap(*pair) for pair in yours[r.member_id].shared],
                with_target=[_overlap(*pair) for pair in r.with_target],
                target_connected_since=r.target_since,
            )
            for r in ranking
            if r.member_id in members
        ]
        for target, ranking in chosen.items()
    }


def _weighed(
    found: Sequence[int],
    *,
    yours: Mapping[int, _YourSide],
    careers: Mapping[int, Sequence[PlaceRow]],
    target_places: Places,
    limit: int | None,
) -> tuple[list[_Weighed], float]:
    """The candidates for one target who may be among its best `limit` (all without a limit),
    the highest they may score first, and the lowest score its best `limit` are sure to reach.

    Before their connection with the target is read, a candidate's score is known to lie between
    what it would be were the connection new and were it five years old. One whose best is below
    what `limit` others are sure of cannot be among the best. The candidates are looked at from
    the best on the viewer's side down, and the rest are left out at the first who could not
    reach those even with every place and every year shared with the target."""
    if limit is None:
        return [
            _Weighed(b, _shared(careers.get(b, ()), target_places), math.inf) for b in found
        ], -math.inf
    if limit < 1:
        return [], math.inf
    surest: list[float] = []  # the `limit` best sure scores so far, the lowest first
    looked: list[_Weighed] = []
    for b in sorted(found, key=lambda b: -yours[b].weight):
        you = yours[b].weight
        if len(surest) == limit and score(you, _TARGET_SIDE_MAX) < surest[0]:
            break
        with_target = _shared(careers.get(b, ()), target_places)
        sure = score(you, side(UNKNOWN_TIER, len(with_target), 0.0))
        if len(surest) < limit:
            heapq.heappush(surest, sure)
        elif sure > surest[0]:
            heapq.heapreplace(surest, sure)
        best = score(you, side(UNKNOWN_TIER, len(with_target), YEARS_COUNTED))
        looked.append(_Weighed(b, with_target, best))
    floor = surest[0] if len(surest) == limit else -math.inf
    looked.sort(key=lambda w: -w.best)
    return [w for w in looked if w.best >= floor], floor


def _tier(facts: IntroducerFacts | None) -> str | None:
    return None if facts is None else facts.tier


def _tier_of(facts: ConnectionFacts | None, member_id: int, other: int) -> str | None:
    if facts is None:
        return None
    return facts.low_tier if member_id < other else facts.high_tier


def _since(facts: ConnectionFacts | None) -> datetime | None:
    return None if facts is None else facts.created_at


def first_to_ask(db: Session, *, viewer: Member, target_id: int, limit: int) -> list[Candidate]:
    """For a target beyond the 2nd degree: the viewer's connections who share connections with
    the target, best first (the viewer's tier for them and the places shared with the viewer,
    then how many of their connections know the target), each naming one of those when the
    viewer may see both of its connections (privacy's rule)."""
    hidden = privacy.hidden_from(db, member=viewer)
    near = sorted(degrees.connection_ids(db, member_id=viewer.id) - hidden)
    reaching = {
        b: count
        for b, count in degrees.mutual_counts(db, viewer_id=target_id, member_ids=near).items()
        if count > 0
    }
    if not reaching:
        return []
    facts = repository.connection_facts(db, pairs={ordered_pair(viewer.id, b) for b in reaching})
    members = members_repository.members_by_id(db, sorted(reaching))
    careers = search.careers_of(db, member_ids={viewer.id, *members})
    now = clock.now()
    candidates = []
    for b, count in reaching.items():
        if b not in members:
            continue
        pair = facts.get(ordered_pair(viewer.id, b))
        tier = _tier_of(pair, viewer.id, b)
        with_you = overlaps(careers.get(b, ()), careers.get(viewer.id, ()))
        weight = TIER_WEIGHT.get(tier or "", UNKNOWN_TIER)
        you_side = side(weight, len(with_you), years_since(_since(pair), now))
        candidates.append(
            Candidate(
                member=members[b],
                score=you_side + min(count, 10) / 2,
                tier=tier,
                connected_since=_since(pair),
                with_you=with_you,
                reaches=count,
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.member.name_key, c.member.id))
    return _name_via(db, viewer=viewer, target_id=target_id, candidates=candidates[:limit])


def _name_via(
    db: Session, *, viewer: Member, target_id: int, candidates: list[Candidate]
) -> list[Candidate]:
    """Name, for each candidate, one member between them and the target whose two connections
    the viewer may see; none where the viewer may not."""
    between = {
        c.member.id: degrees.mutual_connection_ids(db, a=c.member.id, b=target_id)
        for c in candidates
    }
    everyone = {target_id, *between, *(d for ids in between.values() for d in ids)}
    sight = degrees.connection_sight(db, viewer=viewer, members=everyone)
    chosen = {
        b: next((d for d in ids if sight.sees(b, d) and sight.sees(d, target_id)), None)
        for b, ids in between.items()
    }
    named = members_repository.members_by_id(
        db, sorted(d for d in chosen.values() if d is not None)
    )
    return [
        Candidate(
            member=c.member,
            score=c.score,
            tier=c.tier,
            connected_since=c.connected_since,
            with_you=c.with_you,
            reaches=c.reaches,
            via=named.get(chosen[c.member.id] or 0),
        )
        for c in candidates
    ]


def is_reachable_through(
    db: Session, *, introducer_id: int, target_id: int, exclude: Collection[int] = ()
) -> list[int]:
    """The introducer's connections who are connected to the target (the members a request may
    be passed on to), ascending."""
    return [
        d
        for d in degrees.mutual_connection_ids(db, a=introducer_id, b=target_id)
        if d not in exclude
    ]
