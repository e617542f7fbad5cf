"""What a mail says and how it looks: a `Letter` (in the reader's language, written by the area
that sends it) laid out as plain text and as HTML, the same words in both."""

from __future__ import annotations

from dataclasses import dataclass
from gettext import NullTranslations
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from vinculo import i18n
from vinculo.errors import N_

_layouts = Environment(
    loader=PackageLoader("vinculo.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Action:
    """The one thing the mail asks the reader to do: a labelled link."""

    label: str
    url: str


@dataclass(frozen=True)
class Letter:
    """One mail's words, already in the reader's language."""

    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    action: Action | None = None
    # Short facts shown as a list under the paragraphs (what an inviter and you share, say).
    facts: tuple[str, ...] = ()
    # Why the reader gets this mail, or what to do if they did not ask for it.
    closing: str = ""


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def language(locale: str) -> NullTranslations:
    """The catalog a letter to a reader of `locale` is written with."""
    return i18n.translations(locale)


def greeting(name: str, *, locale: str) -> str:
    """How every letter begins: the reader by name."""
    return language(locale).gettext(N_("Hello %(name)s,")) % {"name": name}


def compose(letter: Letter, *, locale: str, unsubscribe: tuple[str, str] | None) -> Composed:
    """The letter as a plain-text and an HTML body. `unsubscribe`: the sentence and the address
    that stop this kind of mail, for mails not about the account's security."""
    context: dict[str, Any] = {
        "letter": letter,
        "locale": locale,
        "unsubscribe": unsubscribe,
    }
    text = _layouts.get_template("layout.txt").render(context)
    html = _layouts.get_template("layout.html").render(context)
    return Composed(subject=letter.subject, text=text, html=html)
