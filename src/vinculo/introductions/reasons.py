"""Why a member is proposed as introducer, in the viewer's language: how the viewer knows them
("Your close connection", "Worked with you at Swiftcourier, 2019–2020") and how they know the
target ("Studied with Carla at Universidad de Sevilla, 2010–2014", "Connected with Carla since
2018"), or, one step further, how their network reaches the target."""

from __future__ import annotations

from gettext import NullTranslations
from itertools import zip_longest

from vinculo.i18n import translations
from vinculo.introductions.introducers import Candidate, Overlap

_PLACES_NAMED = 2  # per side
_MOST = 4  # reasons in all, the most telling first


def explain(candidate: Candidate, *, target_name: str, locale: str) -> list[str]:
    """At most four reasons, alternating the two sides so that both show: how the viewer knows
    the candidate, how the candidate knows the target, then the rest."""
    catalog = translations(locale)
    _ = catalog.gettext
    mine = [_("Your close connection")] if candidate.tier == "close" else []
    mine.extend(_with_you(place, catalog) for place in candidate.with_you[:_PLACES_NAMED])
    theirs = [
        _with_them(place, target_name, catalog) for place in candidate.with_target[:_PLACES_NAMED]
    ]
    if candidate.target_connected_since is not None:
        theirs.append(
            _("Connected with %(name)s since %(year)s")
            % {"name": target_name, "year": candidate.target_connected_since.year}
        )
    if candidate.reaches:
        theirs.append(_reach(candidate, target_name, catalog))
    if candidate.connected_since is not None and candidate.tier != "close":
        mine.append(_("Your connection since %(year)s") % {"year": candidate.connected_since.year})
    found: list[str] = []
    for pair in zip_longest(mine, theirs):
        found.extend(reason for reason in pair if reason is not None)
    return found[:_MOST]


def _reach(candidate: Candidate, target_name: str, catalog: NullTranslations) -> str:
    if candidate.via is not None:
        return catalog.gettext("Connected with %(via)s, who knows %(name)s") % {
            "via": candidate.via.name,
            "name": target_name,
        }
    return catalog.ngettext(
        "%(num)s of their connections knows %(name)s",
        "%(num)s of their connections know %(name)s",
        candidate.reaches,
    ) % {"num": candidate.reaches, "name": target_name}


def _years(place: Overlap, catalog: NullTranslations) -> str:
    if place.until is None:
        return catalog.gettext("since %(year)s") % {"year": place.since}
    return str(place.since) if place.since == place.until else f"{place.since}–{place.until}"


def _with_you(place: Overlap, catalog: NullTranslations) -> str:
    values = {"place": place.name, "years": _years(place, catalog)}
    if place.kind == "organization":
        return catalog.gettext("Worked with you at %(place)s, %(years)s") % values
    return catalog.gettext("Studied with you at %(place)s, %(years)s") % values


def _with_them(place: Overlap, name: str, catalog: NullTranslations) -> str:
    values = {"place": place.name, "years": _years(place, catalog), "name": name}
    if place.kind == "organization":
        return catalog.gettext("Worked with %(name)s at %(place)s, %(years)s") % values
    return catalog.gettext("Studied with %(name)s at %(place)s, %(years)s") % values
