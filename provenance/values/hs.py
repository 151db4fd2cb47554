"""HS (Harmonized System) customs codes as researchers write them: ``8504.40``, ``850440``,
``8504.40.00``, ``8504 40``. All of them are read as their digits; the first six digits are the
HS-6 code that export-control lists (the CHPL, ``provenance.reference.chpl``) are keyed on.
"""

from __future__ import annotations

import re

from provenance.values.text import clean_text

_HS_TEXT = re.compile(r"[0-9]+(?:[ .][0-9]+)*")


def hs_digits(text: str | None) -> str | None:
    """The digits of an HS code written with dots or spaces (``8504.40.00`` -> ``85044000``).

    None for an empty value or one that is not an HS code (letters, other punctuation).
    """
    cleaned = clean_text(text)
    if cleaned is None or not _HS_TEXT.fullmatch(cleaned):
        return None
    return re.sub(r"[ .]", "", cleaned)


def normalize_hs6(text: str | None) -> str | None:
    """The six-digit HS code the list is keyed on: ``8504.40``, ``850440``, ``8504.40.00`` and
    ``8504 40`` all give ``850440``. None when there are fewer than six digits (or no code)."""
    digits = hs_digits(text)
    if digits is None or len(digits) < 6:
        return None
    return digits[:6]


def format_hs6(hs6: str) -> str:
    """``850440`` -> ``8504.40``, as the list writes its codes."""
    return f"{hs6[:4]}.{hs6[4:]}" if len(hs6) == 6 else hs6
