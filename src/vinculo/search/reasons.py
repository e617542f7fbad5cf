"""Why a member was found, in the viewer's language: what matched ("Logistics manager at
Swiftcourier, 2019–2020"), what a typo was read as, what the two share ("Worked at Swiftcourier
2019–2020, at the same time as you") and how close they are ("2nd degree · 4 mutual
connections")."""

from __future__ import annotations

from collections.abc import Sequence
from gettext import NullTranslations

from vinculo.i18n import translations
from vinculo.search.models import ORGANIZATION, SCHOOL
from vinculo.search.repository import PlaceRow
from vinculo.search.service import Hit, Shared
from vinculo.search.terms import words

# At most this many places shared in the same years, positions or studies that matched, and
# places shared in other years are named; at most this many reasons in all, the degree after.
_TOGETHER_NAMED = 2
_CAREERS_NAMED = 2
_ALSO_NAMED = 1
_GROUPS_NAMED = 1
_MOST = 4


def explain(hit: Hit, locale: str, *, groups: Sequence[str] = ()) -> list[str]:
    """The reasons a hit is shown, most telling first, without naming a place twice: the places
    shared in the same years, a group both are in (`groups`: their names, from the groups area,
    which search does not know), the typos read, the positions and studies that matched, the
    headline, location and sector, the places shared in other years; four at most, then the
    degree."""
    catalog = translations(locale)
    named: set[tuple[str, int]] = set()
    together = _first_of_each(hit.shared, named, overlapping=True)[:_TOGETHER_NAMED]
    found = [_together(shared, catalog) for shared in together]
    found.extend(
        catalog.gettext("In %(group)s, a group of yours") % {"group": group}
        for group in groups[:_GROUPS_NAMED]
    )
    found.extend(
        catalog.gettext("“%(typed)s” read as “%(word)s”") % {"typed": typed, "word": word}
        for typed, word in hit.text.corrections.items()
    )
    found.extend(_careers_matched(hit, named, catalog))
    if "headline" in hit.text.fields:
        found.append(catalog.gettext("Matches the headline"))
    if "place" in hit.text.fields:
        found.extend(_where(hit, hit.text.fields["place"], hit.text.corrections, catalog))
    found.extend(
        _also(shared.place, catalog)
        for shared in _first_of_each(hit.shared, named, overlapping=False)[:_ALSO_NAMED]
    )
    del found[_MOST:]
    if hit.degree == 1:
        found.append(catalog.gettext("1st degree"))
    elif hit.degree == 2:
        found.append(
            catalog.ngettext(
                "2nd degree · %(num)s mutual connection",
                "2nd degree · %(num)s mutual connections",
                hit.mutual,
            )
            % {"num": hit.mutual}
        )
    return found


def _first_of_each(
    shared: list[Shared], named: set[tuple[str, int]], *, overlapping: bool
) -> list[Shared]:
    """The shared places not named yet, overlapping in years or not, in their order; marks every
    one of them named (those left out of the reasons need not come back)."""
    found = []
    for place in shared:
        key = (place.place.kind, place.place.place_id)
        if (place.overlap is not None) == overlapping and key not in named:
            found.append(place)
            named.add(key)
    return found


def _careers_matched(hit: Hit, named: set[tuple[str, int]], catalog: NullTranslations) -> list[str]:
    found: list[str] = []
    for kind, field in ((ORGANIZATION, "work"), (SCHOOL, "schools")):
        wanted = hit.text.fields.get(field, set())
        if not wanted and not hit.focus:
            continue
        for place in hit.places:
            if len(found) == _CAREERS_NAMED:
                return found
            if (
                place.kind == kind
                and (place.kind, place.place_id) not in named
                and (place.place_key in hit.focus or _mentions(place, wanted, hit.text.corrections))
            ):
                found.append(_career(place, catalog))
                named.add((place.kind, place.place_id))
    return found


def _mentions(place: PlaceRow, wanted: set[str], corrections: dict[str, str]) -> bool:
    tokens = words(f"{place.label} {place.place_name}")
    for typed in wanted:
        target = corrections.get(typed)
        if any(token.startswith(typed) or token == target for token in tokens):
            return True
    return False


def _years(start: int, end: int | None, catalog: NullTranslations) -> str:
    if end is None:
        return catalog.gettext("since %(year)s") % {"year": start}
    return str(start) if start == end else f"{start}–{end}"


def _together(shared: Shared, catalog: NullTranslations) -> str:
    start, end = shared.overlap or (shared.place.start_year, shared.place.end_year)
    values = {"place": shared.place.place_name, "years": _years(start, end, catalog)}
    if shared.place.kind == ORGANIZATION:
        return catalog.gettext("Worked at %(place)s %(years)s, at the same time as you") % values
    return catalog.gettext("Studied at %(place)s %(years)s, at the same time as you") % values


def _also(place: PlaceRow, catalog: NullTranslations) -> str:
    if place.kind == ORGANIZATION:
        return catalog.gettext("Also worked at %(place)s") % {"place": place.place_name}
    return catalog.gettext("Also studied at %(place)s") % {"place": place.place_name}


def _career(place: PlaceRow, catalog: NullTranslations) -> str:
    values = {
        "label": place.label,
        "place": place.place_name,
        "years": _years(place.start_year, place.end_year, catalog),
    }
    if place.kind == ORGANIZATION:
        if place.label:
            return catalog.gettext("%(label)s at %(place)s, %(years)s") % values
        return catalog.gettext("At %(place)s, %(years)s") % values
    if place.label:
        return catalog.gettext("%(label)s, %(place)s, %(years)s") % values
    return catalog.gettext("Studied at %(place)s, %(years)s") % values


def _where(
    hit: Hit, wanted: set[str], corrections: dict[str, str], catalog: NullTranslations
) -> list[str]:
    def mentioned(value: str) -> bool:
        tokens = words(value)
        return any(t.startswith(w) or t == corrections.get(w) for w in wanted for t in tokens)

    found = []
    location, sector = hit.document.get("location", ""), hit.document.get("sector", "")
    if mentioned(location):
        found.append(catalog.gettext("Based in %(value)s") % {"value": location})
    if mentioned(sector):
        found.append(catalog.gettext("Sector: %(value)s") % {"value": sector})
    return found
