"""Folding text for comparison: "Telefónica ", "TELEFONICA" and "telefonica" are the same name."""

from __future__ import annotations

import sys
import unicodedata
from typing import Literal


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key for names, organizations, schools and search."""
    if text.isascii():  # the same answer, without decomposing: ASCII has no marks to drop
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.split())


def tidy(text: str) -> str:
    """What we store for a name typed by a person: NFC, inner spacing collapsed, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# Joiners some scripts need inside words: ZWNJ (Persian, Hindi and other Indic scripts) and ZWJ
# (Indic conjuncts, Sinhala, and emoji sequences such as 👩‍💻).
_JOINERS = frozenset({"\u200c", "\u200d"})
# Letters that show nothing: a "name" made of them and spaces only is blank (the Hangul fillers,
# the braille blank).
BLANK_LETTERS = "\u115f\u1160\u3164\uffa0\u2800"
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
LineTextProblem = Literal["control", "blank"]


def line_text_problem(text: str) -> LineTextProblem | None:
    """What is wrong with a one-line text a person shows others (a name, headline, organization,
    school), NFC-normalised: "control" for a control, format or surrogate character (a
    bidirectional override, a zero-width space, a tab) other than a joiner between two letters,
    marks or symbols; "blank" when it has nothing but spaces and letters that show nothing."""
    text = unicodedata.normalize("NFC", text)
    for index, char in enumerate(text):
        if unicodedata.category(char) in _CONTROL_CATEGORIES and not _joined(text, index):
            return "control"
    if text and all(char.isspace() or char in BLANK_LETTERS for char in text):
        return "blank"
    return None


def _joined(text: str, index: int) -> bool:
    """Whether the character at `index` is a joiner inside a word: between two letters, marks or
    symbols (an emoji's sequence)."""
    if text[index] not in _JOINERS or index == 0 or index == len(text) - 1:
        return False
    return all(
        unicodedata.category(near)[0] in {"L", "M", "S"} and near not in BLANK_LETTERS
        for near in (text[index - 1], text[index + 1])
    )


def control_ranges() -> list[tuple[str, str]]:
    """The control and format characters as (first, last) ranges, for a pattern that documents
    what `line_text_problem` refuses (surrogates need no mention: UTF-8 cannot carry them)."""
    found: list[tuple[str, str]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) not in {"Cc", "Cf"}:
            continue
        if found and ord(found[-1][1]) == code - 1:
            found[-1] = (found[-1][0], chr(code))
        else:
            found.append((chr(code), chr(code)))
    return found
