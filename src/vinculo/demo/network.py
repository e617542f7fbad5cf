"""The demo community's network: colleagues and classmates who connected, and a few invitations
and introductions waiting for the demo account, so that "My network" and "Introductions" have
something to show from the first minute."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vinculo.db import ordered_pair
from vinculo.demo.groups import seed_demo_groups
from vinculo.identity import repository as members
from vinculo.introductions import service as introductions
from vinculo.invitations import service as invitations
from vinculo.network import service as network

# How many people from one shared place a member tends to connect with.
COLLEAGUES_PER_STINT = 4
NOTES_ES = (
    "Hola, coincidimos en {place}. Me encantaría seguir en contacto.",
    "¡Hola! Vi que también estuviste en {place}. ¿Conectamos?",
    "Trabajamos cerca en {place}; me gustaría tenerte en mi red.",
)
INTRODUCTION_MESSAGES_ES = (
    "¿Me presentarías a {name}? Estoy buscando a alguien con su experiencia para un proyecto.",
    "Me gustaría conocer a {name}: creo que podríamos colaborar. ¿Le harías llegar mi mensaje?",
)


@dataclass(frozen=True)
class Stint:
    """A member's time at one place (an organization or a school), by year."""

    member_id: int
    place: str
    start: int
    end: int


def seed_demo_network(
    db: Session,
    *,
    stints: list[Stint],
    place_names: dict[str, str],
    demo_member_id: int,
    rng: random.Random,
    now: datetime,
) -> int:
    """Connect members who overlapped at a place, and leave invitations for the demo account.
    Returns how many connections were made."""
    by_place: dict[str, list[Stint]] = defaultdict(list)
    for stint in stints:
        by_place[stint.place].append(stint)
    pairs: set[tuple[int, int]] = set()
    for same_place in by_place.values():
        for stint in same_place:
            for other in rng.sample(same_place, min(len(same_place), COLLEAGUES_PER_STINT * 3)):
                overlap = other.start <= stint.end and stint.start <= other.end
                if overlap and other.member_id != stint.member_id and rng.random() < 0.45:
                    pairs.add(ordered_pair(stint.member_id, other.member_id))
    _add_popular_and_friends_of_friends(pairs, rng=rng)
    rows = [
        {"low_id": low, "high_id": high, "created_at": now - timedelta(days=rng.randint(1, 2000))}
        for low, high in sorted(pairs)
    ]
    network.add_connections(db, rows)
    _invitations_for_the_demo_account(
        db,
        stints=by_place,
        place_names=place_names,
        pairs=pairs,
        demo_member_id=demo_member_id,
        rng=rng,
        now=now,
    )
    return len(rows)


def _add_popular_and_friends_of_friends(pairs: set[tuple[int, int]], *, rng: random.Random) -> None:
    """Beyond colleagues: a few members are far better connected than most (degrees are
    heavy-tailed, as in every real network), and friends of friends meet and connect."""
    members = sorted({member for pair in pairs for member in pair})
    if len(members) < 3:
        return
    popularity = [rng.lognormvariate(0.0, 1.6) for _ in members]
    count = len(pairs) // 4
    for member, popular in zip(
        rng.choices(members, k=count),
        rng.choices(members, weights=popularity, k=count),
        strict=True,
    ):
        if popular != member:
            pairs.add(ordered_pair(member, popular))
    neighbours: dict[int, list[int]] = defaultdict(list)
    for low, high in pairs:
        neighbours[low].append(high)
        neighbours[high].append(low)
    for member in rng.sample(members, len(members) // 3):
        friend = rng.choice(neighbours[member])
        friend_of_friend = rng.choice(neighbours[friend])
        if friend_of_friend != member:
            pairs.add(ordered_pair(member, friend_of_friend))


def _invitations_for_the_demo_account(
    db: Session,
    *,
    stints: dict[str, list[Stint]],
    place_names: dict[str, str],
    pairs: set[tuple[int, int]],
    demo_member_id: int,
    rng: random.Random,
    now: datetime,
) -> None:
    demo_places = {
        stint.place
        for place in stints.values()
        for stint in place
        if stint.member_id == demo_member_id
    }
    candidates = sorted(
        {
            (stint.member_id, stint.place)
            for place in demo_places
            for stint in stints[place]
            if stint.member_id != demo_member_id
            and ordered_pair(stint.member_id, demo_member_id) not in pairs
        }
    )
    rng.shuffle(candidates)
    chosen: dict[int, str] = {}
    for member_id, place in candidates:
        chosen.setdefault(member_id, place)
        if len(chosen) == 5:
            break
    demo = members.members_by_id(db, [demo_member_id])[demo_member_id]
    others = members.members_by_id(db, list(chosen))
    for number, (member_id, place) in enumerate(chosen.items()):
        received = number < 3
        sender, recipient = (others[member_id], demo) if received else (demo, others[member_id])
        sent_at = now - timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 23))
        note = rng.choice(NOTES_ES).format(place=place_names[place]) if number != 1 else ""
        invitations.place_invitation(
            db, sender=sender, recipient=recipient, note=note, sent_at=sent_at
        )
    _introductions_for_the_demo_account(
        db, pairs=pairs, demo_member_id=demo_member_id, rng=rng, now=now
    )
    seed_demo_groups(db, pairs=pairs, demo_member_id=demo_member_id, rng=rng)


def _introductions_for_the_demo_account(
    db: Session,
    *,
    pairs: set[tuple[int, int]],
    demo_member_id: int,
    rng: random.Random,
    now: datetime,
) -> None:
    """One connection of the demo account asks it to introduce them to another of its
    connections; and the demo account has asked a connection for an introduction to someone
    they know."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for low, high in pairs:
        neighbours[low].add(high)
        neighbours[high].add(low)
    mine = sorted(neighbours[demo_member_id])
    rng.shuffle(mine)
    waiting = next(((a, b) for a in mine for b in mine if a < b and b not in neighbours[a]), None)
    asked = next(
        (
            (b, c)
            for b in mine
            for c in sorted(neighbours[b])
            if c != demo_member_id and c not in neighbours[demo_member_id]
        ),
        None,
    )
    wanted = [member for pair in (waiting, asked) if pair for member in pair]
    found = members.members_by_id(db, sorted({demo_member_id, *wanted}))
    trios = []
    if waiting:
        trios.append((waiting[0], demo_member_id, waiting[1]))
    if asked:
        trios.append((demo_member_id, asked[0], asked[1]))
    for requester, introducer, target in trios:
        introductions.place_introduction(
            db,
            requester=found[requester],
            introducer=found[introducer],
            target=found[target],
            message=rng.choice(INTRODUCTION_MESSAGES_ES).format(name=found[target].name),
            at=now - timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 23)),
        )
