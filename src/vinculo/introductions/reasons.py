"""Why a member is proposed as introducer, in the viewer's language: how the viewer knows them
("Your close connection", "Worked with you at Swiftcourier, 2019–2020") and how they know the
target ("Studied with Carla at Universidad de Sevilla, 2010–2014", "Connected with Carla since
2018"), or, one step further, how their network reaches the target."""

from __future__ import annotations

from gettext import NullTranslations

from vinculo.i18n import translations
from vinculo.introductions.introducers import Candidate, Overlap

_PLACES_NAMED = 2  # per side


def explain(candidate: Candidate, *, target_name: str, locale: str) -> list[str]:
    catalog = translations(locale)
    _ = catalog.gettext
    found: list[str] = []
    if candidate.tier == "close":
        found.append(_("Your close connection"))
    found.extend(_with_you(place, catalog) for place in candidate.with_you[:_PLACES_NAMED])
    found.extend(
        _with_them(place, target_name, catalog) for place in candidate.with_target[:_PLACES_NAMED]
    )
    if candidate.target_connected_since is not None:
        found.append(
            _("Connected with %(name)s since %(year)s")
            % {"name": target_name, "year": candidate.target_connected_since.year}
        )
    if candidate.reaches:
        if candidate.via is not None:
            found.append(
                _("Connected with %(via)s, who knows %(name)s")
                % {"via": candidate.via.name, "name": target_name}
            )
        else:
            found.append(
                catalog.ngettext(
                    "%(num)s of their connections knows %(name)s",
                    "%(num)s of their connections know %(name)s",
                    candidate.reaches,
                )
                % {"num": candidate.reaches, "name": target_name}
            )
    if candidate.connected_since is not None and candidate.tier != "close":
        found.append(_("Your connection since %(year)s") % {"year": candidate.connected_since.year})
    return found


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
