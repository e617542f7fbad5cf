"""The link between two members: what they share that makes an invitation more than a cold one
(mutual connections, and organizations and schools at overlapping times). Invitations show it to
their recipient, and the "members with a link" privacy setting asks for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.profiles import service as profiles
from vinculo.profiles.models import SharedPlace

SAMPLE = 3  # mutual connections named


@dataclass(frozen=True)
class Link:
    """What two members share: mutual connections (a few named) and places at overlapping
    times."""

    mutual_count: int
    mutual_sample: Sequence[MemberView]
    places: Sequence[SharedPlace]

    @property
    def exists(self) -> bool:
        return bool(self.mutual_count or self.places)


def links_with(db: Session, *, viewer: Member, others: Sequence[int]) -> dict[int, Link]:
    """What the viewer shares with each of `others`, for a whole list in a few queries."""
    counts = degrees.mutual_counts(db, viewer_id=viewer.id, member_ids=others)
    samples = degrees.mutual_samples(db, viewer_id=viewer.id, member_ids=others, sample=SAMPLE)
    named = {member.id: member for sample in samples.values() for member in sample}
    views = {
        view.member.id: view
        for view in degrees.views_of(
            db, viewer=viewer, members=list(named.values()), with_mutual_count=False
        )
    }
    places = profiles.shared_places_with(db, member_id=viewer.id, others=others)
    return {
        other: Link(
            mutual_count=counts[other],
            mutual_sample=[views[member.id] for member in samples[other]],
            places=places[other],
        )
        for other in others
    }


def link_between(db: Session, *, viewer: Member, other_id: int) -> Link:
    return links_with(db, viewer=viewer, others=[other_id])[other_id]
