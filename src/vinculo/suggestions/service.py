"""People you should know: who to suggest to a member, why, and dismissing a suggestion.

The ranking itself is pure (`suggestions.ranking`, ADR 0007); this module gathers what it needs
(the graph index, the profile index, who must not be suggested) and turns its signals into
reasons in the member's language and into a note that states the link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.errors import N_, NotFound
from vinculo.graph import GraphIndex
from vinculo.groups import service as groups
from vinculo.identity import repository as members
from vinculo.identity.models import Member
from vinculo.invitations import service as invitations
from vinculo.network import degrees
from vinculo.network.degrees import GraphIndexLoading, MemberView
from vinculo.network.index import index_of
from vinculo.privacy import service as privacy
from vinculo.privacy.service import MemberNotFound
from vinculo.suggestions import repository
from vinculo.suggestions.engine import SuggestionEngine, engine_of
from vinculo.suggestions.ranking import Suggestion, rank
from vinculo.suggestions.reasons import Words, note_for, reasons_for

MAX_SUGGESTIONS = 50


class NotDismissed(NotFound):
    slug = "suggestion-not-dismissed"
    title = N_("Not dismissed")
    default_detail = N_("You have not dismissed this member.")


@dataclass(frozen=True)
class SuggestionView:
    member: MemberView
    score: float
    reasons: Sequence[str]  # the two strongest, in words
    note: str  # a suggested invitation note that states the link


def excluded_for(db: Session, *, member: Member) -> set[int]:
    """Who must not be suggested to a member, besides themselves and their connections: an open
    invitation either way, a block either way, a dismissal, and those whose invitation from the
    member ended within the re-invitation cooldown."""
    return (
        invitations.kept_apart_from(db, member=member)
        | privacy.hidden_from(db, member=member)
        | repository.dismissed_ids(db, member_id=member.id)
    )


def ranked_for(
    db: Session, *, member: Member, limit: int, graph: GraphIndex, engine: SuggestionEngine
) -> list[Suggestion]:
    """The member's top suggestions, from the cache while neither the network, the profiles, the
    reranker nor the exclusions have changed."""
    excluded = excluded_for(db, member=member)
    profiles, version = engine.profiles()
    reranker, reranker_version = engine.reranker()
    # The member's groups and their members: a group shared is the `groups` signal.
    in_groups = groups.members_of_groups_of(db, member=member)
    memberships = hash(tuple(sorted((g, tuple(sorted(m))) for g, m in in_groups.items())))
    key = (graph.version, version, reranker_version, limit, frozenset(excluded), memberships)
    found: list[Suggestion] | None = engine.cached(member.id, key)
    if found is None:
        found = rank(
            graph,
            profiles,
            member.id,
            limit=limit,
            excluded=excluded,
            reranker=reranker,
            groups=in_groups,
        )
        engine.remember(member.id, key, found)
    return found


def suggestions_for(
    db: Session,
    *,
    member: Member,
    limit: int,
    words: Words,
    graph: GraphIndex | None = None,
    engine: SuggestionEngine | None = None,
) -> list[SuggestionView]:
    """People the member should know, best first, each with its two strongest reasons in the
    member's language. The graph and the engine are the process's own unless given (a command
    line tool builds them for itself)."""
    if graph is None:
        index = index_of(db)
        if index is None:
            raise GraphIndexLoading()
        graph = index.graph
    engine = engine or engine_of(db)
    if engine is None:
        raise GraphIndexLoading()
    ranked = ranked_for(
        db, member=member, limit=min(limit, MAX_SUGGESTIONS), graph=graph, engine=engine
    )
    named = _names_needed(ranked)
    found = members.members_by_id(db, [*(s.member for s in ranked), *named.members])
    places = repository.place_names(
        db, organization_ids=named.organizations, school_ids=named.schools
    )
    # Left out: members who left the community since the index was built.
    shown = [suggestion for suggestion in ranked if suggestion.member in found]
    badges = degrees.degrees(db, viewer_id=member.id, member_ids=[s.member for s in shown])
    return [
        SuggestionView(
            member=MemberView(
                found[suggestion.member],
                badges[suggestion.member],
                suggestion.signals.mutual_count,
            ),
            score=suggestion.score,
            reasons=reasons_for(suggestion.signals, members=found, places=places, words=words),
            note=note_for(suggestion.signals, members=found, places=places, words=words),
        )
        for suggestion in shown
    ]


@dataclass(frozen=True)
class _Named:
    members: list[int]
    organizations: list[int]
    schools: list[int]


def _names_needed(ranked: Sequence[Suggestion]) -> _Named:
    members: list[int] = []
    organizations: list[int] = []
    schools: list[int] = []
    for suggestion in ranked:
        signals = suggestion.signals
        members.extend(signals.mutuals)
        for place in signals.shared_places:
            (organizations if place.kind == "organization" else schools).append(place.place)
    return _Named(members, organizations, schools)


def dismiss(db: Session, *, member: Member, dismissed_id: int) -> Member:
    """Do not suggest this member again (repeating it changes nothing)."""
    other = privacy.access_member(db, viewer=member, member_id=dismissed_id)
    if other.id == member.id:
        raise MemberNotFound()
    repository.add_dismissal(db, member_id=member.id, dismissed_id=other.id, now=clock.now())
    return other


def undismiss(db: Session, *, member: Member, dismissed_id: int) -> None:
    if not repository.delete_dismissal(db, member_id=member.id, dismissed_id=dismissed_id):
        raise NotDismissed()
