"""Member search as an index of its own (ADR 0017): each member's document, the places on their
career, the vocabulary kept for typos; full-text search on PostgreSQL, FTS5 on SQLite. The
folded `member.search_text` it replaces is dropped.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 04:20:00.000000
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vinculo.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document's words as one tsvector, each field weighted so that a query can ask for the name
# alone (weight A). The application folded the words and split them on everything but letters
# and digits, so the "simple" configuration keeps each word as it is (weights need the positions
# it gives them).
_WEIGHTED = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, {column}), '{weight}')"
    for column, weight in (
        ("name", "A"),
        ("work", "B"),
        ("schools", "B"),
        ("headline", "C"),
        ("place", "D"),
    )
)
_FIELDS = ("name", "work", "schools", "headline", "place")
_BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column("member_id", vinculo.db.Id, nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in _FIELDS),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("location_key", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("sector_key", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_search_document_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_search_document")),
    )
    op.create_index("ix_search_document_order", "search_document", ["name_key", "member_id"])
    op.create_index("ix_search_document_location", "search_document", ["location_key"])
    op.create_index("ix_search_document_sector", "search_document", ["sector_key"])
    op.create_table(
        "search_place",
        sa.Column("id", vinculo.db.Id, nullable=False),
        sa.Column("member_id", vinculo.db.Id, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("place_id", vinculo.db.Id, nullable=False),
        sa.Column("place_key", sa.Text(), nullable=False),
        sa.Column("place_name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("start_year", sa.SmallInteger(), nullable=False),
        sa.Column("end_year", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["search_document.member_id"],
            name=op.f("fk_search_place_member_id_search_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_place")),
    )
    op.create_index("ix_search_place_member_id", "search_place", ["member_id"])
    op.create_index("ix_search_place_key", "search_place", ["kind", "place_key", "member_id"])
    op.create_index("ix_search_place_place", "search_place", ["kind", "place_id"])
    op.create_table(
        "search_variant",
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("variant", "word", name=op.f("pk_search_variant")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE search_document ADD COLUMN document tsvector "
            f"GENERATED ALWAYS AS ({_WEIGHTED}) STORED"
        )
        op.execute(
            "CREATE INDEX ix_search_document_document ON search_document USING gin (document)"
        )
        # The name alone, apart: the planner's estimates come from a column's own statistics,
        # and a weight in a query does not change them, so "every word in the name" asked of
        # the whole document would be planned as if any field would do.
        op.execute(
            "ALTER TABLE search_document ADD COLUMN name_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_search_document_name_vector ON search_document USING gin (name_vector)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            + ", ".join(_FIELDS)
            + ", tokenize = 'unicode61 remove_diacritics 0')"
        )
    _fill()
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("search_text")


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE member SET search_text = name_key")
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_variant")
    op.drop_index("ix_search_place_place", table_name="search_place")
    op.drop_index("ix_search_place_key", table_name="search_place")
    op.drop_index("ix_search_place_member_id", table_name="search_place")
    op.drop_table("search_place")
    op.drop_index("ix_search_document_sector", table_name="search_document")
    op.drop_index("ix_search_document_location", table_name="search_document")
    op.drop_index("ix_search_document_order", table_name="search_document")
    op.drop_table("search_document")


# Filling the index from the profiles, as this revision defines it -----------------------------

_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _words(*texts: str) -> str:
    return " ".join(word for text in texts for word in _WORD.findall(_fold(text)))


def _fill() -> None:
    """Every member's document, places and vocabulary, from the tables as they are."""
    bind = op.get_bind()
    careers: dict[int, list[tuple[str, int, str, str, int, int | None]]] = {}
    for kind, entry, place, label in (
        ("organization", "position", "organization", "title"),
        ("school", "education", "school", "degree"),
    ):
        rows = bind.execute(
            sa.text(
                f"SELECT e.member_id, p.id, p.name, e.{label}, e.start_year, e.end_year "  # noqa: S608 - names of this file
                f"FROM {entry} e JOIN {place} p ON p.id = e.{kind}_id ORDER BY e.id"
            )
        )
        for member_id, place_id, name, text, start, end in rows:
            careers.setdefault(member_id, []).append((kind, place_id, name, text or "", start, end))
    members = bind.execute(
        sa.text("SELECT id, name, headline, location, sector, closed_at FROM member ORDER BY id")
    ).all()
    vocabulary: set[str] = set()
    for start in range(0, len(members), _BATCH):
        documents: list[dict[str, object]] = []
        places: list[dict[str, object]] = []
        for member_id, name, headline, location, sector, closed_at in members[
            start : start + _BATCH
        ]:
            own = careers.get(member_id, [])
            document = {
                "member_id": member_id,
                "name_key": _fold(name),
                "name": _words(name),
                "work": _words(*(f"{c[3]} {c[2]}" for c in own if c[0] == "organization")),
                "schools": _words(*(f"{c[3]} {c[2]}" for c in own if c[0] == "school")),
                "headline": _words(headline),
                "place": _words(location, sector),
                "location": location,
                "location_key": _fold(location),
                "sector": sector,
                "sector_key": _fold(sector),
                "listed": closed_at is None,
            }
            documents.append(document)
            places.extend(
                {
                    "member_id": member_id,
                    "kind": kind,
                    "place_id": place_id,
                    "place_key": _fold(place_name),
                    "place_name": place_name,
                    "label": text,
                    "start_year": begin,
                    "end_year": end,
                }
                for kind, place_id, place_name, text, begin, end in own
            )
            vocabulary.update(word for field in _FIELDS for word in document[field].split())
        _insert(bind, "search_document", documents)
        _insert(bind, "search_place", places)
        if bind.dialect.name != "postgresql" and documents:
            bind.exec_driver_sql(
                "INSERT INTO search_fts (rowid, name, work, schools, headline, place) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [tuple(d[f] for f in ("member_id", *_FIELDS)) for d in documents],
            )
    variants: list[dict[str, object]] = [
        {"variant": variant, "word": word}
        for word in sorted(w for w in vocabulary if len(w) >= 4)
        for variant in sorted({word} | {word[:i] + word[i + 1 :] for i in range(len(word))})
    ]
    for start in range(0, len(variants), _BATCH):
        _insert(bind, "search_variant", variants[start : start + _BATCH])


def _insert(bind: sa.Connection, table: str, rows: list[dict[str, object]]) -> None:
    if rows:
        columns = list(rows[0])
        statement = sa.text(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names of this file
            f"VALUES ({', '.join(':' + c for c in columns)})"
        )
        bind.execute(statement, rows)
