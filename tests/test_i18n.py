"""Languages: the Spanish catalog is complete and current, its placeholders match, and the
language of a request is chosen in the documented order."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from vinculo import i18n
from vinculo.i18n import choose_locale, format_period, format_year_month, negotiate
from vinculo.periods import Period, YearMonth

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "src"
LOCALE_DIR = SOURCES / "vinculo" / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
SPANISH = LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    """What a catalog is keyed by: the msgid, or the singular of a plural message."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(TEMPLATE)


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    return _read(SPANISH, locale="es")


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """The msgids `make messages` would extract from the sources now, as the babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    # As `pybabel extract -k N_`: the default keywords and N_.
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(["N_"])}
    found = extract_from_dir(str(SOURCES), method_map, options_map, keywords=keywords)
    return {_key(message) for _, _, message, _, _ in found if _key(message)}


def test_the_extraction_finds_the_messages_of_code_and_templates(extracted: set[str]) -> None:
    # From Python code marked with N_, and from templates.
    assert "Member not found" in extracted
    assert "Edit profile" in extracted
    assert "Present" in extracted  # translations.gettext("Present"), a default keyword
    assert "%(num)s mutual connection" in extracted
    assert len(extracted) > 100


def test_the_catalogs_are_current_with_the_sources(
    extracted: set[str], template: Catalog, spanish: Catalog
) -> None:
    """Run `make messages` (and translate what it adds) when this fails."""
    in_template = {_key(message.id) for message in _messages(template)}
    in_spanish = {_key(message.id) for message in _messages(spanish)}
    assert sorted(extracted - in_template) == [], "messages missing from messages.pot"
    assert sorted(extracted - in_spanish) == [], "messages missing from the Spanish catalog"
    assert sorted(in_spanish - extracted) == [], "messages the sources no longer use"


def test_every_message_is_translated_into_spanish(template: Catalog, spanish: Catalog) -> None:
    untranslated = []
    for message in _messages(template):
        translation = spanish.get(_key(message.id))
        if translation is None or not all(form.strip() for form in _forms(translation.string)):
            untranslated.append(_key(message.id))
    assert untranslated == []


def test_no_translation_is_fuzzy(spanish: Catalog) -> None:
    assert [_key(message.id) for message in _messages(spanish) if message.fuzzy] == []
    assert not spanish.fuzzy


def test_plural_messages_have_every_spanish_form(spanish: Catalog) -> None:
    assert spanish.num_plurals == 2
    for message in _messages(spanish):
        if message.pluralizable:
            assert len(_forms(message.string)) == 2, message.id


def test_translations_keep_the_placeholders(spanish: Catalog) -> None:
    for message in _messages(spanish):
        wanted = {name for text in _forms(message.id) for name in _PLACEHOLDER.findall(text)}
        forms = _forms(message.string)
        found = [set(_PLACEHOLDER.findall(form)) for form in forms]
        if message.pluralizable:
            # A singular may say "one" instead of the number, but nothing foreign may appear.
            assert all(names <= wanted for names in found), message.id
            assert set().union(*found) == wanted, message.id
        else:
            assert found == [wanted], message.id


def test_translations_format_like_their_messages(spanish: Catalog) -> None:
    """A stray or broken `%` would fail when the page fills the message in."""

    class Anything(dict[str, object]):
        def __missing__(self, key: str) -> object:
            return 7

    for message in _messages(spanish):
        if not message.python_format:
            continue
        for text in _forms(message.id) + _forms(message.string):
            assert isinstance(text % Anything(), str), text


def test_the_compiled_spanish_catalog_translates() -> None:
    spanish = i18n.translations("es")
    assert spanish.gettext("Edit profile") == "Editar perfil"
    assert spanish.gettext("Present") == "actualidad"
    assert spanish.ngettext("%(num)s mutual connection", "%(num)s mutual connections", 3) == (
        "%(num)s contactos en común"
    )
    english = i18n.translations("en")
    assert english.gettext("Edit profile") == "Edit profile"


@pytest.fixture
def catalogs_without_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copyfile(SPANISH, folder / "messages.po")
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        yield tmp_path
    finally:
        i18n.translations.cache_clear()


def test_a_catalog_not_compiled_is_compiled_in_memory(
    catalogs_without_compiled: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="vinculo.i18n"):
        spanish = i18n.translations("es")
    assert spanish.gettext("Edit profile") == "Editar perfil"
    assert "compiling it in memory" in caplog.text
    assert not (catalogs_without_compiled / "es" / "LC_MESSAGES" / "messages.mo").exists()


# Choosing the language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, None),
        ("", None),
        ("es", "es"),
        ("en", "en"),
        ("ES", "es"),
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("en-GB, en;q=0.9, es;q=0.8", "en"),
        ("fr-FR, fr;q=0.9, es;q=0.5, en;q=0.7", "en"),
        ("fr, de", None),
        ("*", None),
        ("en;q=0, es", "es"),
        ("en;q=0.0", None),
        ("en;q=oops, es;q=0.1", "es"),
        ("es;q=0.5, en;q=0.5", "es"),
        ("en, es", "en"),
        ("  es-MX ;q=0.3 , pt", "es"),
        (",,;", None),
    ],
)
def test_negotiate_takes_the_preferred_language_we_speak(
    header: str | None, language: str | None
) -> None:
    assert negotiate(header) == language


@pytest.mark.parametrize(
    ("preference", "cookie", "header", "chosen"),
    [
        ("es", "en", "en", "es"),  # the member's own preference first
        ("en", "es", "es", "en"),
        (None, "es", "en", "es"),  # then the visitor's chosen language
        (None, "en", "es", "en"),
        (None, None, "es", "es"),  # then the browser's
        (None, None, "en", "en"),
        (None, None, None, "en"),  # then the site's default
        (None, None, "fr", "en"),
        ("fr", "de", "es", "es"),  # languages we do not speak are passed over
        ("", "", "", "en"),
    ],
)
def test_choose_locale_in_order_of_preference(
    preference: str | None, cookie: str | None, header: str | None, chosen: str
) -> None:
    assert (
        choose_locale(preference=preference, cookie=cookie, accept_language=header, default="en")
        == chosen
    )


def test_choose_locale_falls_back_to_the_default_given() -> None:
    assert choose_locale(preference=None, cookie=None, accept_language="fr", default="es") == "es"


# Formatting


@pytest.mark.parametrize(
    ("period", "locale", "text"),
    [
        (Period(YearMonth(2019, 3), YearMonth(2021, 6)), "en", "Mar 2019 – Jun 2021"),
        (Period(YearMonth(2019, 3), YearMonth(2021, 6)), "es", "mar 2019 – jun 2021"),
        (Period(YearMonth(2015), YearMonth(2019)), "es", "2015 – 2019"),
        (Period(YearMonth(2022, 1)), "es", "ene 2022 – actualidad"),
        (Period(YearMonth(2022)), "en", "2022 – Present"),
    ],
)
def test_periods_are_formatted_in_the_readers_language(
    period: Period, locale: str, text: str
) -> None:
    present = i18n.translations(locale).gettext("Present")
    assert format_period(period, locale, present=present) == text


def test_a_year_alone_stays_a_year() -> None:
    assert format_year_month(YearMonth(1999), "es") == "1999"
    assert i18n.format_day(date(2024, 2, 29), "es") == "29 de febrero de 2024"
    assert i18n.format_day(date(2024, 2, 29), "en") == "February 29, 2024"
