"""Search's API shapes: a found member with why, the facets, a page of results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field

from vinculo.network.schemas import MemberSummary
from vinculo.profiles.service import FoundMember, MemberSearch
from vinculo.schemas import Output
from vinculo.search.reasons import explain
from vinculo.search.service import FacetValue


class FoundMemberOut(MemberSummary):
    matched: list[str] = Field(
        description="Why the member was found, in your language: what matched (a position, a "
        "school, the location…), a typo and what it was read as, what you share (“Worked at "
        "Swiftcourier 2019–2020, at the same time as you”) and how close you are."
    )

    @classmethod
    def of_found(
        cls, found: FoundMember, locale: str, groups: Sequence[str] = ()
    ) -> FoundMemberOut:
        return cls(
            **MemberSummary.of(found.view).model_dump(),
            matched=explain(found.hit, locale, groups=groups),
        )


class FacetOut(Output):
    value: str = Field(description="What to pass to the filter of the same name.")
    count: int


class DegreeFacetOut(Output):
    value: int = Field(description="1, 2, or 3 for 3rd degree and beyond.")
    count: int


class FacetsOut(Output):
    degree: list[DegreeFacetOut]
    organization: list[FacetOut]
    school: list[FacetOut]
    location: list[FacetOut]
    sector: list[FacetOut]
    complete: bool = Field(
        description="False when more members match than were counted (the first 1,000): the "
        "organizations, schools, locations and sectors are then the most frequent among those."
    )


class SearchPageOut(Output):
    items: list[FoundMemberOut]
    total: int = Field(description="How many members match; at least this many when not exact.")
    total_exact: bool
    facets: FacetsOut | None = Field(
        description="On the first page (without a cursor) unless `facets=false`; null otherwise."
    )
    next_cursor: str | None

    @classmethod
    def of(
        cls,
        found: MemberSearch,
        locale: str,
        groups: Mapping[int, Sequence[str]] | None = None,
    ) -> SearchPageOut:
        """`groups`: for each member found, the names of the groups the viewer shares with
        them."""
        facets = None
        if found.facets is not None:
            spread = found.facets

            def values(items: list[FacetValue]) -> list[FacetOut]:
                return [FacetOut(value=item.name, count=item.count) for item in items]

            facets = FacetsOut(
                degree=[
                    DegreeFacetOut(value=degree, count=count)
                    for degree, count in sorted(spread.degrees.items())
                ],
                organization=values(spread.organization),
                school=values(spread.school),
                location=values(spread.location),
                sector=values(spread.sector),
                complete=spread.complete,
            )
        return cls(
            items=[
                FoundMemberOut.of_found(item, locale, (groups or {}).get(item.view.member.id, ()))
                for item in found.items
            ],
            total=found.total,
            total_exact=found.total_exact,
            facets=facets,
            next_cursor=found.next_cursor,
        )
