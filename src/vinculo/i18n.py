"""Languages: the message catalogs, choosing a member's language, and locale-aware formatting."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from vinculo.periods import Period, YearMonth

log = logging.getLogger(__name__)

LOCALES = ("es", "en")
SOURCE_LOCALE = "en"  # the language the msgids are written in
CATALOG_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"es": "Español", "en": "English"}


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog of a language: the compiled one from the install, else compiled in memory."""
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    folder = CATALOG_DIR / locale / "LC_MESSAGES"
    compiled, source = folder / "messages.mo", folder / "messages.po"
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as handle:
            return Translations(handle)
    log.warning("%s is missing or older than its .po; compiling it in memory", compiled)
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(accept_language: str | None) -> str | None:
    """The first language of an Accept-Language header that we speak, by preference weight."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and weight > 0:
            weighted.append((-weight, position, language))
    return min(weighted)[2] if weighted else None


def choose_locale(
    *, preference: str | None, cookie: str | None, accept_language: str | None, default: str
) -> str:
    """A member's own preference, else the visitor's chosen language, else the browser's."""
    for candidate in (preference, cookie):
        if candidate in LOCALES:
            return candidate
    return negotiate(accept_language) or default


def format_day(value: date | datetime, locale: str) -> str:
    return babel_format_date(value, format="long", locale=Locale.parse(locale))


def format_year_month(value: YearMonth, locale: str) -> str:
    if value.month is None:
        return str(value.year)
    return babel_format_date(
        date(value.year, value.month, 1), format="MMM y", locale=Locale.parse(locale)
    )


def format_period(period: Period, locale: str, *, present: str) -> str:
    """ "Mar 2019 – Jun 2021", "2015 – 2019", "ene 2022 – actualidad"."""
    start = format_year_month(period.start, locale)
    end = present if period.end is None else format_year_month(period.end, locale)
    return f"{start} – {end}"
