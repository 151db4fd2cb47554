"""Cleaning free text from findings files, and the keys names are matched on."""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str | None:
    """NFKC-normalised text without zero-width characters or surrounding and repeated blanks;
    None for a missing or blank value."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def name_key(value: str) -> str:
    """The key a name is matched on: cleaned and case-folded ("XP POWER" == "xp power")."""
    return (clean_text(value) or "").casefold()
