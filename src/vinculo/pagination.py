"""Cursor pagination: a page of items and an opaque cursor naming where the next page starts."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from vinculo.db import ID_MAX
from vinculo.errors import N_, InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Ours are a few short values; a much longer one is not ours, and is not decoded.
CURSOR_MAX = 8192

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(key: Key) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, shape: tuple[type, ...]) -> Key:
    """The sort key a cursor carries; a cursor that is not one of ours is invalid input."""
    values = None
    if len(cursor) <= CURSOR_MAX:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, RecursionError):
            values = None
    if (
        not isinstance(values, list)
        or len(values) != len(shape)
        or not all(_fits(value, kind) for value, kind in zip(values, shape, strict=True))
    ):
        raise InvalidInput.for_field("cursor", N_("This cursor is not valid."))
    return tuple(values)


def _fits(value: object, kind: type) -> bool:
    """Whether a cursor value is of its kind and one the databases can compare with."""
    if type(value) is not kind:
        return False
    if isinstance(value, int):
        return -ID_MAX - 1 <= value <= ID_MAX
    return not isinstance(value, str) or _storable(value)


def _storable(text: str) -> bool:
    """Whether a database can compare with this text: no NUL, and no lone surrogate (JSON may
    carry one, UTF-8 cannot)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def cut_page(rows: Sequence[T], *, limit: int, key: Callable[[T], Key]) -> Page[T]:
    """Given up to `limit + 1` rows in order, the page of `limit` and the cursor after it."""
    if len(rows) > limit:
        shown = rows[:limit]
        return Page(items=shown, next_cursor=encode_cursor(key(shown[-1])))
    return Page(items=rows, next_cursor=None)
