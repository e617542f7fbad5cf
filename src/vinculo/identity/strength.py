"""How guessable a new password is (the zxcvbn estimator), and why, in messages of our own that
the catalogs translate: zxcvbn's own feedback is English only."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zxcvbn import zxcvbn

from vinculo.errors import N_, InvalidInput
from vinculo.settings import get_settings
from vinculo.text import fold

# zxcvbn refuses longer passwords (its matching grows quadratically): the first 72 characters
# are judged, which a strong long password passes anyway.
JUDGED_LENGTH = 72
# zxcvbn keeps the words of the person in a dictionary of its module while it estimates, so two
# threads estimating at once would judge each other's passwords against the wrong person.
_estimating = threading.Lock()
# Words anyone guessing a password for this site tries first.
SITE_WORDS = ("vinculo", "vínculo")


class WeakPassword(InvalidInput):
    slug = "weak-password"
    title = N_("Password too easy to guess")
    default_detail = N_(
        "This password is too easy to guess. Use a few uncommon words together, "
        "such as a short phrase only you would think of."
    )


REASONS: Mapping[str, str] = {
    "common": N_(
        "This is one of the most common passwords. Use a few uncommon words together instead."
    ),
    "similar": N_(
        "This is a common password with small changes, which guessers try first. "
        "Use a few uncommon words together instead."
    ),
    "personal": N_(
        "It is built on your name or your email address. Choose words that are not about you."
    ),
    "site": N_(
        "It is built on the name of this site, which guessers try first. "
        "Use a few uncommon words together instead."
    ),
    "word": N_("A single common word is easy to guess. Add another word or two, uncommon ones."),
    "name": N_("Names and surnames are easy to guess. Add another word or two, uncommon ones."),
    "keyboard": N_(
        'Keyboard patterns such as "qwerty" or "asdf" are easy to guess. '
        "Use a few uncommon words together instead."
    ),
    "repeat": N_(
        'Repeats such as "aaa" or "abcabc" are easy to guess. Avoid repeated words and characters.'
    ),
    "sequence": N_(
        'Sequences such as "abc" or "6543" are easy to guess. Use a few uncommon words together.'
    ),
    "date": N_("Dates and years are easy to guess, above all those about you. Avoid them."),
}


def refuse_guessable(password: str, *, field: str, name: str, email: str) -> None:
    """Refuse (422 naming `field`) a password that scores below the community's minimum,
    judged with the member's name and email as words a guesser would try first."""
    weak = weakness(password, field=field, name=name, email=email)
    if weak is not None:
        raise weak


def weakness(password: str, *, field: str, name: str, email: str) -> WeakPassword | None:
    """The refusal `refuse_guessable` would raise, for a caller that must raise it later."""
    score, reason = estimate(password, personal=personal_words(name=name, email=email))
    if score >= get_settings().password_min_score:
        return None
    return WeakPassword.for_field(field, REASONS.get(reason, WeakPassword.default_detail))


def estimate(password: str, *, personal: Iterable[str] = ()) -> tuple[int, str]:
    """zxcvbn's score (0 to 4) and the reason a guesser would find it: the kind of its longest
    guessable part, "personal" whenever part of it is one of the `personal` words."""
    with _estimating:
        result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=[*personal, *SITE_WORDS])
    return int(result["score"]), _reason(result["sequence"])


# The reason for the kind of a password's longest guessable part (zxcvbn's "pattern").
_PATTERN_REASONS = {
    "spatial": "keyboard",
    "repeat": "repeat",
    "sequence": "sequence",
    "date": "date",
    "regex": "date",  # the one regex zxcvbn knows is a recent year
}
_NAME_DICTIONARIES = ("surnames", "male_names", "female_names")


def _reason(sequence: Sequence[Mapping[str, Any]]) -> str:
    context = [
        match["matched_word"]
        for match in sequence
        if match.get("dictionary_name") == "user_inputs" and len(match["token"]) >= 3
    ]
    if context:
        return "site" if all(word in SITE_WORDS for word in context) else "personal"
    if not sequence:
        return "weak"
    longest = max(sequence, key=lambda match: len(match["token"]))
    if longest["pattern"] != "dictionary":
        return _PATTERN_REASONS.get(longest["pattern"], "weak")
    dictionary = longest.get("dictionary_name")
    if dictionary == "passwords":
        changed = longest.get("l33t") or longest.get("reversed") or len(sequence) > 1
        return "similar" if changed else "common"
    return "name" if dictionary in _NAME_DICTIONARIES else "word"


def personal_words(*, name: str, email: str) -> list[str]:
    """The words of a member's name and email address, as a guesser would try them: the whole,
    each word, with and without accents."""
    local, _, domain = email.lower().partition("@")
    words = [name, "".join(name.split()), email, local, *re.split(r"[\s.+_-]+", f"{local} {name}")]
    words += re.split(r"[.-]+", domain)[:-1]
    found = dict.fromkeys(word.strip().lower() for word in words)
    found.update(dict.fromkeys(fold(word) for word in list(found)))
    return [word for word in found if len(word) >= 3]
