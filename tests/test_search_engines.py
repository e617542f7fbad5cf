"""The two engines find the same members: for many generated queries (whole words, prefixes,
typos, accents), what PostgreSQL's full-text search or SQLite's FTS5 returns is exactly what the
rules in `search.terms` say should match, read from the documents in Python."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select

from vinculo.db import Database
from vinculo.identity import repository as members
from vinculo.search import service as search
from vinculo.search.models import SearchDocument
from vinculo.search.repository import words_near
from vinculo.search.service import Filters, Proximity
from vinculo.search.terms import FIELDS, Query, match_document, words

FIRST = ["María", "José", "Ana", "Álvaro", "Zoë", "Íñigo", "John", "Mary", "Muñoz", "Peña"]
LAST = ["García", "Muñoz", "Smith", "O'Brien", "Núñez", "Gardner", "Garza", "Peña", "Ortega"]
ORGS = ["Swiftcourier", "Telefónica", "Acme Ibérica", "Puerto Seco Logística", "Globex"]
TITLES = ["Logistics manager", "Ingeniera de datos", "Driver", "Analyst"]
PLACES = ["Málaga", "Leeds", "Bogotá", "Sevilla"]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _community(database: Database, rng: random.Random) -> None:
    documents = []
    with database.unit_of_work() as db:
        ids = members.insert_members(
            db,
            [
                {
                    "email": f"m{n}@vinculo.example",
                    "password_hash": "!",
                    "name": f"Member {n}",
                    "name_key": f"member {n}",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(60)
            ],
        )
        for member_id in ids:
            careers = [
                search.CareerEntry(
                    "organization",
                    ORGS.index(org) + 1,
                    org,
                    rng.choice(TITLES),
                    2010 + rng.randrange(8),
                    None,
                )
                for org in rng.sample(ORGS, rng.randrange(3))
            ]
            documents.append(
                search.MemberDocument(
                    member_id,
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    headline=rng.choice(["", *TITLES]),
                    location=rng.choice(["", *PLACES]),
                    careers=careers,
                )
            )
        search.index_members(db, documents)


def _queries(rng: random.Random) -> list[str]:
    vocabulary = sorted({w for text in FIRST + LAST + ORGS + TITLES + PLACES for w in words(text)})
    found = []
    for _ in range(150):
        picked = rng.sample(vocabulary, rng.choice([1, 1, 2]))
        word = picked[-1]
        kind = rng.randrange(4)
        if kind == 0 and len(word) > 2:
            picked[-1] = word[: rng.randrange(2, len(word))]  # typed halfway
        elif kind == 1 and len(word) >= 5:
            at = rng.randrange(len(word))
            picked[-1] = word[:at] + word[at + 1 :]  # a letter dropped
        elif kind == 2 and len(word) >= 5:
            at = rng.randrange(len(word) - 1)
            picked[-1] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]  # two swapped
        found.append(" ".join(picked) + rng.choice(["", " "]))
    return found


def test_both_engines_match_exactly_what_the_rules_say(database: Database) -> None:
    rng = random.Random(15)
    _community(database, rng)
    with database.unit_of_work(write=False) as db:
        documents = [
            dict(row._mapping)
            for row in db.execute(
                select(SearchDocument.member_id, *(getattr(SearchDocument, f) for f in FIELDS))
            )
        ]
        for typed in _queries(rng):
            query = Query.parse(typed)
            query = query.with_alternatives(words_near(db, query.typo_candidates()))
            expected = {d["member_id"] for d in documents if match_document(query, d) is not None}
            found = search.find(
                db,
                viewer_id=0,
                query=typed,
                filters=Filters(),
                proximity=Proximity(),
                hidden=None,
                cursor=None,
                limit=100,
            )
            assert {hit.member_id for hit in found.hits} == expected, typed
            assert found.total == len(expected), typed
            levels = [hit.text.level for hit in found.hits]
            assert levels == sorted(levels), typed
