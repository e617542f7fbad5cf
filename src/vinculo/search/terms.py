"""The words of search, with no database: how a text becomes the words a document holds, how a
typed query becomes terms, which words are one typo away, and which fields of a document a term
matches. Both engines and the ranking read words made here, so they agree."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vinculo.text import fold

# A word: letters and digits; everything else (spaces, punctuation, marks left after folding)
# separates words, the way SQLite's unicode61 tokenizer does.
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 8
# A word this long or longer gets its deletions in the vocabulary; a typed word this long or
# longer is looked up there for words one typo away.
VOCABULARY_MIN = 4
TYPO_MIN = 5
# At most this many words stand in for one mistyped word.
MAX_ALTERNATIVES = 6
# A last word shorter than this is not taken as a prefix ("a" would match half the community).
PREFIX_MIN = 2
# The fields of a document, in the order a match is explained.
FIELDS = ("name", "work", "schools", "headline", "place")


def words(text: str) -> list[str]:
    """The folded words of a text: "Muñoz-Peña, S.A." → ["munoz", "pena", "s", "a"]."""
    return list(_words(text))


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    # Organizations, schools, titles and places repeat across profiles: each is folded once.
    return tuple(_WORD.findall(fold(text)))


def field_text(*texts: str) -> str:
    """A document field: the words of the texts, joined by single spaces."""
    return " ".join(word for text in texts for word in _words(text))


def deletions(word: str) -> set[str]:
    """Each way of dropping one letter of the word."""
    return {word[:at] + word[at + 1 :] for at in range(len(word))}


def variants_of(word: str) -> set[str]:
    """What the vocabulary keeps a word under: itself and its deletions (none for a short word)."""
    if len(word) < VOCABULARY_MIN:
        return set()
    return {word} | deletions(word)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two different words are one edit apart: a letter dropped, added or changed, or
    two neighbouring letters swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) < len(b):
        return a[start:] == b[start + 1 :]
    if a[start + 1 :] == b[start + 1 :]:
        return True
    return (
        start + 1 < len(a)
        and a[start] == b[start + 1]
        and a[start + 1] == b[start]
        and a[start + 2 :] == b[start + 2 :]
    )


@dataclass(frozen=True)
class Term:
    """One typed word: matched as a whole word, or as the start of one when it is the last word
    being typed, and through the words one typo away (`alternatives`) where there are some."""

    word: str
    prefix: bool = False
    alternatives: tuple[str, ...] = ()

    def matches(self, token: str) -> bool:
        """Whether a document word matches as typed (not through a typo)."""
        return token.startswith(self.word) if self.prefix else token == self.word

    def corrected_by(self, token: str) -> bool:
        return token in self.alternatives


@dataclass(frozen=True)
class Query:
    """What was typed, as terms (at most `MAX_TERMS`, repeated words once)."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def parse(cls, typed: str) -> Query:
        """The terms of a typed query; its last word is a prefix unless a space follows it."""
        found = list(dict.fromkeys(words(typed)))[:MAX_TERMS]
        typing = bool(found) and not typed[-1:].isspace() and len(found[-1]) >= PREFIX_MIN
        terms = [Term(word) for word in found]
        if typing:
            terms[-1] = Term(found[-1], prefix=True)
        return cls(tuple(terms))

    def typo_candidates(self) -> list[str]:
        """The typed words long enough to be looked up for typos."""
        return [term.word for term in self.terms if len(term.word) >= TYPO_MIN]

    def with_alternatives(self, near: Mapping[str, Iterable[str]]) -> Query:
        """The same terms, each with the vocabulary's words one typo away from it, unless it is
        a word of the vocabulary itself: "garcia" is no typo of "gracia"."""
        terms = []
        for term in self.terms:
            known = set(near.get(term.word, ()))
            if term.word in known:
                terms.append(term)
                continue
            found = sorted(w for w in known if one_edit_apart(term.word, w))
            terms.append(Term(term.word, term.prefix, tuple(found[:MAX_ALTERNATIVES])))
        return Query(tuple(terms))

    @property
    def has_alternatives(self) -> bool:
        return any(term.alternatives for term in self.terms)


# How well a document's text matches, best first: every term in the name; every term somewhere
# as typed; some term only through a typo.
NAME, TEXT, TYPO = 0, 1, 2


@dataclass
class TextMatch:
    """Which fields each term matched in one document, and the words a typo stood for."""

    fields: dict[str, set[str]] = field(default_factory=dict)  # field → typed words it matched
    corrections: dict[str, str] = field(default_factory=dict)  # typed word → word found
    level: int = NAME


def match_document(query: Query, document: Mapping[str, str]) -> TextMatch | None:
    """How the document's fields match the query, or None when some term matches nowhere (the
    engines found it, so that only happens when the index changed in between)."""
    result = TextMatch()
    split = {name: document[name].split() for name in FIELDS}
    for term in query.terms:
        exact = [name for name in FIELDS if any(term.matches(t) for t in split[name])]
        if exact:
            for name in exact:
                result.fields.setdefault(name, set()).add(term.word)
            if "name" not in exact:
                result.level = max(result.level, TEXT)
            continue
        corrected = [
            (name, token) for name in FIELDS for token in split[name] if term.corrected_by(token)
        ]
        if not corrected:
            return None
        result.level = TYPO
        for name, token in corrected:
            result.fields.setdefault(name, set()).add(term.word)
            result.corrections.setdefault(term.word, token)
    return result
