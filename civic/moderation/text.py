"""Matching the administrators' list of watched words: case- and accent-insensitive, whole
words only ("ass" does not match "class"; "idiot" matches "IDIOT!" and "ïdiot")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower case without accents: ``"Élodie ÇA"`` → ``"elodie ca"`` (compatibility forms too)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


def normalize_phrase(phrase: str | None) -> str:
    """The form stored in ``ModerationWord.normalized``: folded, spaces collapsed."""
    return _SPACES.sub(" ", fold(phrase)).strip()


def pattern_for(phrases: Iterable[str]) -> re.Pattern | None:
    """One regular expression matching any of the (normalized) phrases as whole words."""
    parts = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not parts:
        return None
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in parts)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def matches(text: str | None, phrases: Iterable[str]) -> list[str]:
    """The watched phrases found in ``text`` (folded forms, each once, in order of appearance)."""
    pattern = pattern_for(phrases)
    if pattern is None:
        return []
    found: list[str] = []
    for m in pattern.finditer(fold(text)):
        word = _SPACES.sub(" ", m.group(0))
        if word not in found:
            found.append(word)
    return found
