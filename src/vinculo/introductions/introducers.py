"""Who is best placed to introduce a member to another: of the connections the two share, those
who know both sides best (the requester's own tier for them, the organizations and schools they
shared with each side in the same years, how long they have been connected to each); for a
member one step further, the requester's connections whose network reaches them.

Only what the requester may know is weighed: their own tier for the introducer (never the
introducer's private tier for anyone), places from profiles, and connections the requester may
see. Messages will count too once members can send them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import ordered_pair
from vinculo.identity import repository as members_repository
from vinculo.identity.models import Member
from vinculo.introductions import repository
from vinculo.introductions.repository import ConnectionFacts
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
    found: dict[tuple[str, int], Overlap] = {}
    for a in mine:
        for b in theirs:
            if (a.kind, a.place_id) not in found and a.overlaps(b):
                ends = [end for end in (a.end_year, b.end_year) if end is not None]
                found[(a.kind, a.place_id)] = Overlap(
                    a.kind, a.place_name, max(a.start_year, b.start_year), min(ends, default=None)
                )
    return list(found.values())


def _side(
    tier_weight: float, shared: Sequence[Overlap], since: datetime | None, now: datetime
) -> float:
    years = (now - since).days / 365.25 if since is not None else 0.0
    return (
        tier_weight
        + PLACE_WEIGHT * min(len(shared), PLACES_COUNTED)
        + min(max(years, 0.0), YEARS_COUNTED) / YEARS_COUNTED
    )


def score(you: float, target: float) -> float:
    """An introducer must know both sides: the weaker side counts twice."""
    return 2 * min(you, target) + you + target


def best_introducers(
    db: Session, *, viewer: Member, target_ids: Sequence[int]
) -> dict[int, list[Candidate]]:
    """For each target (2nd-degree members of the viewer), the connections the two share, best
    introducer first, for a whole page at once in a bounded number of queries: the members, the
    connections' dates and tiers, and everyone's positions and studies."""
    hidden = privacy.hidden_from(db, member=viewer)
    mutuals = {
        target: [
            b for b in degrees.mutual_connection_ids(db, a=viewer.id, b=target) if b not in hidden
        ]
        for target in target_ids
        if target != viewer.id and target not in hidden
    }
    involved = {b for found in mutuals.values() for b in found}
    pairs = {ordered_pair(viewer.id, b) for b in involved}
    mine = repository.connection_facts(db, pairs=pairs)
    tier = {b: _tier_of(mine.get(ordered_pair(viewer.id, b)), viewer.id, b) for b in involved}
    for found in mutuals.values():
        if len(found) > CANDIDATES_MAX:
            found.sort(key=lambda b: -TIER_WEIGHT.get(tier[b] or "", 0.0))
            del found[CANDIDATES_MAX:]
    theirs = repository.connection_facts(
        db,
        pairs={ordered_pair(b, target) for target, found in mutuals.items() for b in found},
    )
    members = members_repository.members_by_id(
        db, sorted({b for found in mutuals.values() for b in found})
    )
    careers = search.careers_of(db, member_ids={viewer.id, *mutuals, *members})
    now = clock.now()
    ranked: dict[int, list[Candidate]] = {}
    for target, found in mutuals.items():
        candidates = []
        for b in found:
            if b not in members:
                continue
            with_you = overlaps(careers.get(b, ()), careers.get(viewer.id, ()))
            with_target = overlaps(careers.get(b, ()), careers.get(target, ()))
            since = _since(mine.get(ordered_pair(viewer.id, b)))
            target_since = _since(theirs.get(ordered_pair(b, target)))
            you_side = _side(TIER_WEIGHT.get(tier[b] or "", UNKNOWN_TIER), with_you, since, now)
            target_side = _side(UNKNOWN_TIER, with_target, target_since, now)
            candidates.append(
                Candidate(
                    member=members[b],
                    score=score(you_side, target_side),
                    tier=tier[b],
                    connected_since=since,
                    with_you=with_you,
                    with_target=with_target,
                    target_connected_since=target_since,
                )
            )
        candidates.sort(key=lambda c: (-c.score, c.member.name_key, c.member.id))
        ranked[target] = candidates
    return ranked


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
        you_side = _side(TIER_WEIGHT.get(tier or "", UNKNOWN_TIER), with_you, _since(pair), now)
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
