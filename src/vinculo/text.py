"""Folding text for comparison: "Telefónica ", "TELEFONICA" and "telefonica" are the same name."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key for names, organizations, schools and search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.split())


def tidy(text: str) -> str:
    """What we store for a name typed by a person: NFC, inner spacing collapsed, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())
