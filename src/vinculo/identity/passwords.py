"""Password hashing with argon2id, tuned by the settings. The hashing (tens of milliseconds of
CPU, the GIL released) runs off the event loop when a request calls it there. And the SHA-256 by
which random tokens (sessions, mailed links) are stored: enough for 256 random bits."""

from __future__ import annotations

import hashlib
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vinculo.db import off_the_loop
from vinculo.settings import get_settings


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def _current() -> PasswordHasher:
    settings = get_settings()
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(password: str) -> str:
    return off_the_loop(_current().hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return off_the_loop(_current().verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's settings."""
    return _current().check_needs_rehash(password_hash)


@cache
def _decoy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("decoy password, never anyone's")


def spend_verification_time() -> None:
    """Do one verification's work, so an unknown email answers as slowly as a known one."""
    settings = get_settings()
    decoy = _decoy_hash(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    verify_password(decoy, "not the decoy password")


def token_hash(token: str) -> str:
    """How a random token is stored: a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()
