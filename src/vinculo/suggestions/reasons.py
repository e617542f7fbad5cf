"""A suggestion's reasons in words, in the member's language: its two strongest signals ("12
mutual connections, including Ana Ruiz and Luis Gil", "Both at Acme 2019–2021"), and an
invitation note that states the link."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from vinculo.i18n import translations
from vinculo.identity.models import Member
from vinculo.suggestions.ranking import SharedPlace, Signals


@dataclass(frozen=True)
class Words:
    """The member's language: gettext and ngettext of their catalog."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]

    @classmethod
    def of(cls, locale: str) -> Words:
        catalog = translations(locale)
        return cls(catalog.gettext, catalog.ngettext)


Places = Mapping[tuple[str, int], str]  # (kind, id) → name


def _years(place: SharedPlace) -> str:
    if place.first_year == place.last_year:
        return str(place.first_year)
    return f"{place.first_year}–{place.last_year}"


def _names(ids: Sequence[int], members: Mapping[int, Member], words: Words) -> str:
    names = [members[i].name for i in ids if i in members][:2]
    if len(names) == 2:
        return words.gettext("%(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    return names[0] if names else ""


def _place(signals: Signals, kind: str, places: Places) -> tuple[SharedPlace, str] | None:
    for place in signals.shared_places:
        name = places.get((place.kind, place.place))
        if place.kind == kind and name:
            return place, name
    return None


def reason_text(  # noqa: PLR0911 - one answer per kind of signal
    signal: str, signals: Signals, *, members: Mapping[int, Member], places: Places, words: Words
) -> str | None:
    """One signal of `ranking.SIGNALS` in words; None when it has nothing to say."""
    if signal == "mutual_connections" and signals.mutual_count:
        count = signals.mutual_count
        text = words.ngettext("%(num)s mutual connection", "%(num)s mutual connections", count) % {
            "num": count
        }
        who = _names(signals.mutuals, members, words)
        if who and count > 1:
            return words.gettext("%(count)s, including %(names)s") % {"count": text, "names": who}
        return f"{text}: {who}" if who else text
    if signal in ("organization", "school"):
        found = _place(signals, signal, places)
        if found is None:
            return None
        place, name = found
        template = (
            words.gettext("Both at %(place)s %(years)s")
            if signal == "organization"
            else words.gettext("Both studied at %(place)s %(years)s")
        )
        return template % {"place": name, "years": _years(place)}
    if signal == "sector" and signals.same_sector:
        return words.gettext("Same sector")
    if signal == "location" and signals.same_location:
        return words.gettext("Same location")
    if signal == "groups" and signals.shared_groups:
        count = len(signals.shared_groups)
        return words.ngettext("%(num)s group in common", "%(num)s groups in common", count) % {
            "num": count
        }
    return None


def reasons_for(
    signals: Signals,
    *,
    members: Mapping[int, Member],
    places: Places,
    words: Words,
    count: int = 2,
) -> list[str]:
    """The `count` strongest reasons, strongest first."""
    found: list[str] = []
    for signal in signals.strongest(len(signals.points)):
        text = reason_text(signal, signals, members=members, places=places, words=words)
        if text:
            found.append(text)
        if len(found) == count:
            break
    return found


def note_for(
    signals: Signals, *, members: Mapping[int, Member], places: Places, words: Words
) -> str:
    """An invitation note that states the link; the member edits it before sending."""
    for kind in ("organization", "school"):
        found = _place(signals, kind, places)
        if found is not None:
            place, name = found
            return words.gettext(
                "Hello! We were both at %(place)s (%(years)s). I would be glad to connect."
            ) % {"place": name, "years": _years(place)}
    who = _names(signals.mutuals, members, words)
    if who:
        return words.gettext("Hello! We both know %(names)s. I would be glad to connect.") % {
            "names": who
        }
    return ""
