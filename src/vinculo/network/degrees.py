"""How far members are from each other: degrees (the badge on every member shown), mutual
connections, the 2nd-degree network and paths.

One producer of degrees: the graph index (`network.index`). Where a process has none, or a unit
of work has just changed connections the index learns of only at commit, the same questions are
answered in SQL (`repository.degrees_from`, `repository.mutual_counts`), with the same answers:
0 for oneself, 1 to 3, None beyond (out of network)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from vinculo.errors import N_, Unavailable
from vinculo.identity.models import Member
from vinculo.network import repository
from vinculo.network.index import graph_for_reading, index_of
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.privacy import service as privacy
from vinculo.search.service import Proximity


class GraphIndexLoading(Unavailable):
    slug = "graph-index-loading"
    title = N_("The network is loading")
    default_detail = N_("The network index is being built; try again in a moment.")


@dataclass(frozen=True)
class MemberView:
    """A member as one viewer sees them: the degree between the two and, where a list shows it,
    how many connections they share."""

    member: Member
    degree: int | None
    mutual_count: int | None = None


def degrees(db: Session, *, viewer_id: int, member_ids: Sequence[int]) -> dict[int, int | None]:
    """The degree from the viewer to each member: 0, 1, 2, 3, or None beyond."""
    graph = graph_for_reading(db)
    if graph is None:
        return repository.degrees_from(db, viewer_id=viewer_id, member_ids=member_ids)
    return graph.degrees(viewer_id, list(member_ids))


def mutual_counts(db: Session, *, viewer_id: int, member_ids: Sequence[int]) -> dict[int, int]:
    """How many connections the viewer shares with each member (none with themselves), for a
    whole list at once."""
    graph = graph_for_reading(db)
    if graph is None:
        return repository.mutual_counts(db, viewer_id=viewer_id, member_ids=member_ids)
    return graph.mutual_counts(viewer_id, list(member_ids))


def proximity_of(db: Session, *, viewer_id: int, cap: int) -> Proximity:
    """Who is near the viewer, for search's ranking: their connections, and their 2nd-degree
    members with the connections each shares with them (the `cap` sharing most, when there are
    more). With no graph index, the connections only."""
    graph = graph_for_reading(db)
    if graph is None:
        return Proximity(first=frozenset(repository.neighbour_ids(db, member_id=viewer_id)))
    ids, shared = graph.second_degree_ranked(viewer_id)
    return Proximity(
        first=frozenset(graph.neighbours(viewer_id).tolist()),
        second=dict(zip(ids[:cap].tolist(), shared[:cap].tolist(), strict=True)),
    )


def mutual_connection_ids(db: Session, *, a: int, b: int) -> list[int]:
    """The connections two members share, ascending."""
    graph = graph_for_reading(db)
    if graph is None:
        return repository.mutual_connection_ids(db, a=a, b=b)
    ids: list[int] = graph.mutual_connections(a, b).tolist()
    return ids


def connection_ids(db: Session, *, member_id: int) -> set[int]:
    """A member's connections."""
    graph = graph_for_reading(db)
    if graph is None:
        return repository.neighbour_ids(db, member_id=member_id)
    return set(graph.neighbours(member_id).tolist())


def views_of(
    db: Session, *, viewer: Member, members: Sequence[Member], with_mutual_count: bool = True
) -> list[MemberView]:
    """Members as the viewer sees them in a list: the degree badge and, unless not wanted, the
    connections shared, for the whole list at once."""
    ids = [member.id for member in members]
    found = degrees(db, viewer_id=viewer.id, member_ids=ids)
    shared = mutual_counts(db, viewer_id=viewer.id, member_ids=ids) if with_mutual_count else {}
    return [MemberView(member, found[member.id], shared.get(member.id)) for member in members]


def view_of(db: Session, *, viewer: Member, member: Member) -> MemberView:
    """One member as the viewer sees them, with the degree only."""
    return views_of(db, viewer=viewer, members=[member], with_mutual_count=False)[0]


@dataclass(frozen=True)
class MutualConnections:
    member: Member  # the other member
    count: int
    page: Page[MemberView]


def mutual_connections(
    db: Session, *, viewer: Member, member_id: int, cursor: str | None, limit: int
) -> MutualConnections:
    """The connections the viewer and a member have in common (always shown), by name, with
    their count."""
    return _mutual_page(
        db,
        viewer=viewer,
        member=privacy.access_member(db, viewer=viewer, member_id=member_id),
        cursor=cursor,
        limit=limit,
    )


def member_with_mutual_sample(
    db: Session, *, viewer: Member, member_id: int, sample: int
) -> tuple[Member, MutualConnections]:
    """A member the viewer may see, and the first few connections the two share, by name."""
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    return member, _mutual_page(db, viewer=viewer, member=member, cursor=None, limit=sample)


def _mutual_page(
    db: Session, *, viewer: Member, member: Member, cursor: str | None, limit: int
) -> MutualConnections:
    after = None
    if cursor:
        name_key, last_id = decode_cursor(cursor, shape=(str, int))
        after = (str(name_key), int(last_id))
    ids = [] if member.id == viewer.id else mutual_connection_ids(db, a=viewer.id, b=member.id)
    rows = repository.members_among(db, ids=ids, after=after, limit=limit)
    page = cut_page(rows, limit=limit, key=lambda other: (other.name_key, other.id))
    return MutualConnections(
        member=member,
        count=len(ids),
        page=Page(
            views_of(db, viewer=viewer, members=page.items, with_mutual_count=False),
            page.next_cursor,
        ),
    )


def mutual_samples(
    db: Session, *, viewer_id: int, member_ids: Sequence[int], sample: int = 3
) -> dict[int, list[Member]]:
    """For each member, a few of the connections they share with the viewer, by name: one query
    for the whole list."""
    shared = {
        member_id: set(mutual_connection_ids(db, a=viewer_id, b=member_id))
        for member_id in member_ids
        if member_id != viewer_id
    }
    wanted = sorted(set().union(*shared.values())) if shared else []
    by_name = repository.members_among(db, ids=wanted, after=None, limit=len(wanted))
    return {
        member_id: [member for member in by_name if member.id in shared.get(member_id, ())][:sample]
        for member_id in member_ids
    }


# The wider network, from the graph index


def connection_sight(
    db: Session, *, viewer: Member, members: Iterable[int]
) -> privacy.ConnectionSight:
    """What the viewer may see of the connections between `members` (privacy's rule), with the
    viewer's own connections from the graph index, or from SQL where it cannot answer."""
    graph = graph_for_reading(db)
    near: Collection[int] = (
        repository.neighbour_ids(db, member_id=viewer.id)
        if graph is None
        else graph.neighbours(viewer.id).tolist()
    )
    return privacy.connection_sight(db, viewer=viewer, members=members, viewer_connections=near)


@dataclass(frozen=True)
class PathView:
    """How the viewer reaches a member. `members` runs from the viewer to the member when every
    connection on the way is one the viewer may see (`complete`); otherwise it stops at the
    member to ask, whose network reaches the member through connections the viewer may not see."""

    member: Member  # the member asked about
    degree: int | None
    members: Sequence[MemberView]
    complete: bool

    @property
    def reaches_via(self) -> MemberView | None:
        """On a partial path, the member to ask: the last one shown."""
        return None if self.complete or not self.members else self.members[-1]


def path_to(db: Session, *, viewer: Member, member_id: int) -> PathView:
    """How the viewer reaches a member: one shortest chain of connections, at most 6 steps, shown
    only as far as the viewer may see its connections (`privacy.ConnectionSight`). A chain that
    needs a connection the viewer may not see stops at the member to ask, and never at the one
    next to the member asked about: with the degree, "their network reaches Ana" would then name
    the hidden connection. No member beyond is named."""
    member = privacy.access_member(db, viewer=viewer, member_id=member_id)
    index = index_of(db)
    if index is None:
        raise GraphIndexLoading()
    ids = index.graph.shortest_path(viewer.id, member.id) or []
    if not ids:
        return PathView(member=member, degree=None, members=[], complete=False)
    found = {
        other.id: other
        for other in repository.members_among(db, ids=ids, after=None, limit=len(ids))
    }
    sight = connection_sight(db, viewer=viewer, members=ids)
    reached = 0  # the last member reached through connections the viewer may see
    while (
        reached + 1 < len(ids)
        and ids[reached + 1] in found
        and sight.sees(ids[reached], ids[reached + 1])
    ):
        reached += 1
    complete = reached == len(ids) - 1
    shown = ids if complete else ids[: min(reached, len(ids) - 3) + 1]
    if not complete and len(shown) < 2:
        shown = []  # nobody to ask but yourself
    return PathView(
        member=member,
        degree=len(ids) - 1,
        members=views_of(
            db, viewer=viewer, members=[found[i] for i in shown], with_mutual_count=False
        ),
        complete=complete,
    )


@dataclass(frozen=True)
class SecondDegreeMember(MemberView):
    """A member two steps away, with a few of the connections they share with the viewer."""

    sample: Sequence[Member] = ()


@dataclass(frozen=True)
class SecondDegree:
    count: int  # how many members the viewer's 2nd-degree network holds
    page: Page[SecondDegreeMember]


def second_degree_network(
    db: Session, *, viewer: Member, cursor: str | None, limit: int, sample: int = 0
) -> SecondDegree:
    """The viewer's connections of connections (not connected to the viewer): the members sharing
    the most connections with the viewer first, then by id, each with `sample` of the connections
    they share named. Members hidden by a block either way are left out."""
    index = index_of(db)
    if index is None:
        raise GraphIndexLoading()
    ids, shared = index.graph.second_degree_ranked(viewer.id)
    hidden = privacy.hidden_from(db, member=viewer)
    if hidden:
        kept = ~np.isin(ids, np.fromiter(hidden, dtype=np.int32))
        ids, shared = ids[kept], shared[kept]
    start = 0
    if cursor:
        after_count, after_id = (int(v) for v in decode_cursor(cursor, shape=(int, int)))
        later = np.flatnonzero(
            (shared < after_count) | ((shared == after_count) & (ids > after_id))
        )
        start = int(later[0]) if len(later) else len(ids)
    window = dict(
        zip(
            ids[start : start + limit + 1].tolist(),
            shared[start : start + limit + 1].tolist(),
            strict=True,
        )
    )
    members = {
        m.id: m
        for m in repository.members_among(db, ids=list(window), after=None, limit=len(window))
    }
    shown = [i for i in window if i in members][:limit]
    named = (
        mutual_samples(db, viewer_id=viewer.id, member_ids=shown, sample=sample) if sample else {}
    )
    # Two steps away, by the index that found them: their degree is 2.
    rows = [
        SecondDegreeMember(members[i], 2, count, named.get(i, ()))
        for i, count in window.items()
        if i in members
    ]
    page = cut_page(rows, limit=limit, key=lambda row: (row.mutual_count or 0, row.member.id))
    return SecondDegree(count=len(ids), page=page)
