"""Tables of search: each member's document, the places on their career as search reads them,
and the vocabulary that makes a typo findable.

They are an index: a copy of what the profiles area owns, written by it through
`service.index_members` in the transaction of each change, so that search reads one area's
tables only. On PostgreSQL the document also has a generated `tsvector` column with a GIN index;
on SQLite an FTS5 table (`search_fts`) mirrors it (both made by migration 0017)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id

# The kinds of place on a career, as the profiles area names them.
ORGANIZATION = "organization"
SCHOOL = "school"


class SearchDocument(Base):
    """What one member can be found by, as folded words joined by single spaces, one column per
    field (the ranking and the explanations tell which field matched), with the keys of the
    filters. `listed` is false while the account is closed."""

    __tablename__ = "search_document"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    name_key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    work: Mapped[str] = mapped_column(Text)  # titles and organizations
    schools: Mapped[str] = mapped_column(Text)  # schools and degrees
    headline: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)  # location and sector
    location: Mapped[str] = mapped_column(Text)  # as written, for the facets
    location_key: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(Text)
    sector_key: Mapped[str] = mapped_column(Text)
    listed: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        Index("ix_search_document_order", "name_key", "member_id"),
        Index("ix_search_document_location", "location_key"),
        Index("ix_search_document_sector", "sector_key"),
    )


class SearchPlace(Base):
    """One position or study of a member: where (the organization's or school's id, folded name
    and name), the title or degree, and the years."""

    __tablename__ = "search_place"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("search_document.member_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    place_id: Mapped[int] = mapped_column(Id)
    place_key: Mapped[str] = mapped_column(Text)
    place_name: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    start_year: Mapped[int] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)

    __table_args__ = (
        Index("ix_search_place_key", "kind", "place_key", "member_id"),
        Index("ix_search_place_place", "kind", "place_id"),
    )


class SearchVariant(Base):
    """The vocabulary of every document, kept for typos: each word of four letters or more, under
    itself and under each way of dropping one of its letters. A typed word's own deletions looked
    up here find the words one edit away (a letter dropped, added, changed or two swapped)."""

    __tablename__ = "search_variant"

    variant: Mapped[str] = mapped_column(Text, primary_key=True)
    word: Mapped[str] = mapped_column(Text, primary_key=True)
