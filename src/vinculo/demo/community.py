"""Generating the demo community: members with believable careers in two languages."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.demo import catalog
from vinculo.demo.network import Stint, seed_demo_network
from vinculo.identity import repository as identity_repository
from vinculo.identity.passwords import hash_password
from vinculo.profiles import repository as profiles_repository
from vinculo.profiles.models import Education, Organization, Position, School
from vinculo.profiles.service import reindex_search
from vinculo.text import fold

DEMO_EMAIL = "demo@vinculo.example"
# Printed for everyone to try the demo with, so deliberately guessable: it is seeded as a hash,
# past the strength check that new passwords of real members go through.
DEMO_PASSWORD = "vinculo-demo"  # noqa: S105 - printed for everyone to try the demo with
DEMO_NAME = "Lucía Martín Ortega"
BATCH = 2000


@dataclass
class DemoCommunity:
    members: int = 0
    positions: int = 0
    education: int = 0
    organizations: int = 0
    schools: int = 0
    connections: int = 0


@dataclass
class _Person:
    """One generated member before insertion: the member row and their career entries."""

    row: dict[str, Any]
    positions: list[dict[str, Any]] = field(default_factory=list)
    education: list[dict[str, Any]] = field(default_factory=list)


def seed_demo_community(db: Session, *, members: int = 2000, seed: int = 7) -> DemoCommunity:
    """Fill an empty database with `members` members; `seed` makes the community repeatable.

    Every demo member's password is DEMO_PASSWORD; the first member is the demo account."""
    if members < 1:
        raise ValueError("a demo community needs at least one member")
    rng = random.Random(seed)
    now = clock.now()
    password_hash = hash_password(DEMO_PASSWORD)
    organizations = {
        name: profiles_repository.place_named(db, Organization, name)
        for name, _, _ in catalog.ORGANIZATIONS
    }
    schools = {
        name: profiles_repository.place_named(db, School, name) for name, _, _ in catalog.SCHOOLS
    }
    summary = DemoCommunity(organizations=len(organizations), schools=len(schools))

    stints: list[Stint] = []
    demo_member_id: int | None = None
    batch: list[_Person] = []
    for index in range(members):
        person = _person(rng, index, now=now, password_hash=password_hash)
        for entry in person.positions:
            entry["organization_id"] = organizations[entry.pop("place")].id
        for entry in person.education:
            entry["school_id"] = schools[entry.pop("place")].id
        batch.append(person)
        if len(batch) == BATCH or index == members - 1:
            ids = _insert(db, batch, summary)
            demo_member_id = ids[0] if demo_member_id is None else demo_member_id
            stints.extend(_stints(ids, batch, this_year=now.year))
            batch = []
    if demo_member_id is not None:
        place_names = {f"org:{place.id}": name for name, place in organizations.items()} | {
            f"school:{place.id}": name for name, place in schools.items()
        }
        summary.connections = seed_demo_network(
            db,
            stints=stints,
            place_names=place_names,
            demo_member_id=demo_member_id,
            rng=rng,
            now=now,
        )
    return summary


def _stints(ids: list[int], people: list[_Person], *, this_year: int) -> list[Stint]:
    found = []
    for member_id, person in zip(ids, people, strict=True):
        for entry, place in [
            (entry, f"org:{entry['organization_id']}") for entry in person.positions
        ] + [(entry, f"school:{entry['school_id']}") for entry in person.education]:
            found.append(
                Stint(member_id, place, entry["start_year"], entry["end_year"] or this_year)
            )
    return found


def _insert(db: Session, people: list[_Person], summary: DemoCommunity) -> list[int]:
    ids = identity_repository.insert_members(db, [person.row for person in people])
    positions: list[dict[str, Any]] = []
    education: list[dict[str, Any]] = []
    for member_id, person in zip(ids, people, strict=True):
        positions.extend({**entry, "member_id": member_id} for entry in person.positions)
        education.extend({**entry, "member_id": member_id} for entry in person.education)
    profiles_repository.insert_entries(db, Position, positions)
    profiles_repository.insert_entries(db, Education, education)
    reindex_search(db, member_ids=ids)
    summary.members += len(ids)
    summary.positions += len(positions)
    summary.education += len(education)
    return ids


def _person(rng: random.Random, index: int, *, now: datetime, password_hash: str) -> _Person:
    spanish = index == 0 or rng.random() < 0.65
    language = "es" if spanish else "en"
    female = index == 0 or rng.random() < 0.5
    if index == 0:
        name, email = DEMO_NAME, DEMO_EMAIL
    else:
        name = _name(rng, spanish=spanish, female=female)
        first, last = _ascii(name.split()[0]), _ascii(name.split()[-1])
        domain = rng.choice(("com", "org", "net"))
        email = f"{first}.{last}.{index}@example.{domain}"
    sector = rng.choice(list(catalog.SECTORS))
    this_year = now.year
    birth_year = rng.randint(this_year - 63, this_year - 22)
    person = _Person(row={})

    school_name, school_city = _school(rng, spanish=spanish)
    degrees = catalog.DEGREES[sector]
    study_start = birth_year + 18 + rng.randint(0, 1)
    study_end = study_start + 4
    pick = 0 if spanish else 1
    person.education.append(
        _entry(
            rng,
            school_name,
            "degree",
            degrees[0][pick],
            start=study_start,
            end=_ended(study_end, this_year),
        )
    )
    master_start = study_end + rng.randint(0, 3)
    if rng.random() < 0.35 and master_start <= this_year:
        master_school, _ = _school(rng, spanish=spanish)
        master_end = _ended(master_start + rng.randint(1, 2), this_year)
        person.education.append(
            _entry(
                rng, master_school, "degree", degrees[1][pick], start=master_start, end=master_end
            )
        )
    career_start = max(entry["end_year"] or this_year for entry in person.education)
    current_title, current_org, city = _career(
        rng,
        person,
        sector=sector,
        start=career_start,
        this_year=this_year,
        spanish=spanish,
        female=female,
    )
    location = (
        city if city and rng.random() < 0.75 else rng.choice((*_cities(spanish), school_city))
    )
    if current_title and current_org:
        headline = (
            f"{current_title} en {current_org}" if spanish else f"{current_title} at {current_org}"
        )
    else:
        sector_name = catalog.SECTORS[sector][0 if spanish else 1]
        headline = (
            f"Buscando nuevos retos en {sector_name.lower()}"
            if spanish
            else f"Open to new roles in {sector_name.lower()}"
        )
    sector_label = catalog.SECTORS[sector][0 if spanish else 1]
    about = (
        _about(rng, spanish=spanish, years=max(1, this_year - career_start), sector=sector_label)
        if rng.random() < 0.7
        else ""
    )
    joined = now - timedelta(days=rng.uniform(0, 3 * 365)) if index else now - timedelta(days=400)
    person.row = {
        "email": email,
        "password_hash": password_hash,
        "name": name,
        "name_key": fold(name),
        "headline": headline,
        "location": location,
        "sector": sector_label,
        "about": about,
        "locale": language,
        # Most members of a living community confirmed their address long ago; a few never did,
        # so that the demo shows the mark on an invitation.
        "email_confirmed_at": joined if index % 10 != 9 else None,
        "created_at": joined,
        "updated_at": joined,
    }
    return person


def _career(
    rng: random.Random,
    person: _Person,
    *,
    sector: str,
    start: int,
    this_year: int,
    spanish: bool,
    female: bool,
) -> tuple[str | None, str | None, str | None]:
    """Positions from `start` to now; the current title and organization, and the last city."""
    ladder = catalog.TITLES[sector]
    in_sector = [org for org in catalog.ORGANIZATIONS if org[1] == sector]
    year = start + rng.randint(0, 1)
    current: tuple[str | None, str | None, str | None] = (None, None, None)
    while year <= this_year:
        org_name, _, city = rng.choice(in_sector if rng.random() < 0.8 else catalog.ORGANIZATIONS)
        step = min(len(ladder) - 1, (year - start) // 4 + rng.randint(0, 1))
        title = _gendered(ladder[step][0], female=female) if spanish else ladder[step][1]
        length = min(12, 1 + int(rng.expovariate(1 / 3)))
        end: int | None = year + length
        if end is not None and end >= this_year:
            # Most people reaching today still hold the job; a few left it this year.
            end = None if rng.random() < 0.88 else this_year
        person.positions.append(_entry(rng, org_name, "title", title, start=year, end=end))
        current = (title, org_name, city) if end is None else (None, None, city)
        if end is None:
            break
        year = end + (1 if rng.random() < 0.3 else 0)
    return current


def _entry(
    rng: random.Random, place: str, label_field: str, label: str, *, start: int, end: int | None
) -> dict[str, Any]:
    """A position or education row; `end` None means it goes on today."""
    with_months = rng.random() < 0.6
    start_month = rng.randint(1, 12) if with_months else None
    end_month = rng.randint(1, 12) if with_months and end is not None else None
    if end == start and start_month and end_month and end_month < start_month:
        end_month = start_month
    return {
        "place": place,
        label_field: label,
        "start_year": start,
        "start_month": start_month,
        "end_year": end,
        "end_month": end_month,
        "created_at": clock.now(),
    }


def _ended(year: int, this_year: int) -> int | None:
    """The end year, or None when it lies ahead (still studying)."""
    return year if year <= this_year else None


def _school(rng: random.Random, *, spanish: bool) -> tuple[str, str]:
    language = "es" if spanish else "en"
    matching = [school for school in catalog.SCHOOLS if school[2] == language or rng.random() < 0.1]
    name, city, _ = rng.choice(matching)
    return name, city


def _name(rng: random.Random, *, spanish: bool, female: bool) -> str:
    if spanish:
        first = rng.choice(catalog.SPANISH_FEMALE if female else catalog.SPANISH_MALE)
        return (
            f"{first} {rng.choice(catalog.SPANISH_SURNAMES)} {rng.choice(catalog.SPANISH_SURNAMES)}"
        )
    first = rng.choice(catalog.ENGLISH_FEMALE if female else catalog.ENGLISH_MALE)
    return f"{first} {rng.choice(catalog.ENGLISH_SURNAMES)}"


def _cities(spanish: bool) -> tuple[str, ...]:  # noqa: FBT001
    return (catalog.SPANISH_CITIES + catalog.OTHER_CITIES) if spanish else catalog.ENGLISH_CITIES


def _about(rng: random.Random, *, spanish: bool, years: int, sector: str) -> str:
    templates = catalog.ABOUT_ES if spanish else catalog.ABOUT_EN
    interests = catalog.INTERESTS_ES if spanish else catalog.INTERESTS_EN
    first, second = rng.sample(range(len(templates)), 2)
    values = {"years": years, "sector_lower": sector.lower()}
    return " ".join(
        templates[choice].format(interest=rng.choice(interests), **values)
        for choice in (first, second)
    )


def _gendered(title: str, *, female: bool) -> str:
    """ "Ingeniero/a de datos" -> "Ingeniera de datos" or "Ingeniero de datos"."""
    words = []
    for word in title.split():
        if word.endswith("/a"):
            stem = word[:-2]
            words.append((stem[:-1] + "a" if stem[-1] in "oe" else stem + "a") if female else stem)
        else:
            words.append(word)
    return " ".join(words)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())
