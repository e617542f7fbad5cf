"""Rendering pages: one Jinja environment; the language is chosen per request, not per process."""

from __future__ import annotations

from collections.abc import Callable
from gettext import NullTranslations
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from vinculo import i18n
from vinculo.periods import Period
from vinculo.photos.schemas import photo_url
from vinculo.photos.service import LARGE, SMALL

environment = Environment(
    loader=PackageLoader("vinculo.web", "templates"),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Templates are compiled once per process: they change only with a new release.
    auto_reload=False,
    cache_size=-1,
)
# New-style gettext: `{% trans %}` passes its variables to gettext, which substitutes them escaped.
# The real translations come with each render's context, which overrides these null ones.
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
environment.globals.update(photo_url=photo_url, large_photo=LARGE, small_photo=SMALL)


def _new_style(translate: Callable[..., str]) -> Callable[..., str]:
    """gettext for templates: escape-aware `%(name)s` substitution, as Jinja's new style does."""

    def call(message: str, *args: Any, **variables: Any) -> str:
        # Our own catalogs are trusted markup; the variables are escaped by `%`.
        translated = Markup(translate(message, *args))  # noqa: S704
        return translated % variables if variables else translated

    return call


def language_context(locale: str) -> dict[str, Any]:
    """What every template needs to speak the request's language."""
    translations: NullTranslations = i18n.translations(locale)
    gettext = _new_style(translations.gettext)

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
        variables.setdefault("num", n)
        translated = Markup(translations.ngettext(singular, plural, n))  # noqa: S704
        return translated % variables

    def period(value: Period) -> str:
        return i18n.format_period(value, locale, present=translations.gettext("Present"))

    return {
        "locale": locale,
        "gettext": gettext,
        "_": gettext,
        "ngettext": ngettext,
        "format_period": period,
        "format_day": lambda value: i18n.format_day(value, locale),
        "language_names": i18n.LANGUAGE_NAMES,
    }


def render(template: str, context: dict[str, Any]) -> str:
    return environment.get_template(template).render(context)
