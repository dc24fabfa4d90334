"""Password hashing (Argon2id, memory-hard) and the password policy.

Policy (NIST SP 800-63B, OWASP ASVS 5.0 level 2): at least 8 characters, up to 128 accepted,
every character allowed (spaces and emoji too), no composition rules, and refused when it
appears in the list of common passwords shipped in ``data/common-passwords.txt``.
"""

from __future__ import annotations

import functools
import os
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

_DATA = os.path.join(os.path.dirname(__file__), "data", "common-passwords.txt")

# OWASP: Argon2id with m=19 MiB, t=2, p=1 as a minimum; we use 64 MiB, t=3.
_STRONG = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("ARGON2_FAST"):
        return _FAST
    return _STRONG


def normalise(password: str) -> str:
    """NFKC-normalise so the same password typed on another keyboard still matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher().hash(normalise(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check, so timing does not reveal unknown accounts.
        _hasher().hash(normalise(password or "x"))
        return False
    try:
        return _hasher().verify(stored_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@functools.cache
def common_passwords() -> frozenset[str]:
    with open(_DATA, encoding="utf-8") as fh:
        return frozenset(
            line.strip().lower() for line in fh if line.strip() and not line.startswith("#")
        )


def is_common(password: str) -> bool:
    return normalise(password).strip().lower() in common_passwords()
