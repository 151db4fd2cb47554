"""Cleaning free text from findings files, and the keys names are matched on."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from provenance.values.countries import normalize_key

# Invisible characters a value may carry from a web page or a PDF: zero-width spaces and joiners,
# the word joiner, a byte-order mark, the soft hyphen, direction marks and invisible operators.
_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u180e\u2061\u2062\u2063\u2064")
)
_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str | None:
    """NFKC-normalised text without zero-width characters or surrounding and repeated blanks;
    None for a missing or blank value."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text.isascii():  # the common case, and NFKC leaves ASCII as it is
        return " ".join(text.split()) or None
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def strip_invisible(text: str) -> str:
    """``text`` without the zero-width and other invisible characters ``clean_text`` drops."""
    return text.translate(_ZERO_WIDTH)


#: Scripts whose letters look alike: a name or part number mixing them in one word is a
#: confusable ("ТI" with a Cyrillic Т), not something NFKC can fold safely.
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_WORD = re.compile(r"\S+")


#: Greek letters that are unit symbols next to Latin ones: micro (NFKC turns µ into μ) and ohm.
_UNIT_SYMBOLS = frozenset("\u03bc\u03a9")


def _script(char: str) -> str | None:
    if not char.isalpha() or char in _UNIT_SYMBOLS:
        return None
    name = unicodedata.name(char, "")
    return next((s for s in _CONFUSABLE_SCRIPTS if name.startswith(s + " ")), None)


def mixed_script(text: str) -> str | None:
    """Why ``text`` (cleaned) is suspect, or None: a word (between blanks) that mixes Latin,
    Cyrillic or Greek letters, e.g. "mixes Latin and Cyrillic letters (U+0422 CYRILLIC CAPITAL
    LETTER TE)"; the character named is the first of the second script (Latin, Cyrillic, Greek)."""
    if text.isascii():
        return None
    for word in _WORD.findall(text):
        scripts: dict[str, str] = {}  # script -> its first letter in the word
        for char in word:
            script = _script(char)
            if script is not None:
                scripts.setdefault(script, char)
        if len(scripts) < 2:
            continue
        ordered = [s for s in _CONFUSABLE_SCRIPTS if s in scripts]
        odd = scripts[ordered[1]]
        names = " and ".join(s.title() for s in ordered)
        return f"mixes {names} letters (U+{ord(odd):04X} {unicodedata.name(odd)})"
    return None


def name_key(value: str) -> str:
    """The key a name is matched on: cleaned and case-folded ("XP POWER" == "xp power")."""
    return (clean_text(value) or "").casefold()


# Legal forms dropped from the end of a manufacturer's name (after the key's folding, which
# drops dots and turns other punctuation into spaces: "Co., Ltd." is "co ltd", "A/S" is "a s").
# Dropped repeatedly, so "Foo Co., Ltd." and "Foo GmbH & Co. KG" lose every form they end with.
LEGAL_FORMS: tuple[str, ...] = (
    "ltd",
    "limited",
    "plc",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "ag",
    "sa",
    "s.a.",
    "spa",
    "s.p.a.",
    "srl",
    "s.r.l.",
    "bv",
    "b.v.",
    "nv",
    "n.v.",
    "ab",
    "as",
    "a/s",
    "oy",
    "oyj",
    "kk",
    "k.k.",
    "pte ltd",
    "pty ltd",
    "sas",
    "sarl",
    "kg",
    "gmbh & co kg",
    "se",
    "co. ltd",
)
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def _fold(value: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", normalize_key(value)).split())


@functools.cache
def _legal_form_tokens() -> frozenset[tuple[str, ...]]:
    forms: set[tuple[str, ...]] = set()
    for form in LEGAL_FORMS:
        forms.add(tuple(_fold(form).split()))
        if "." in form:  # "S. A." is written with spaces too
            forms.add(tuple(c for c in form if c.isalpha()))
    return frozenset(forms)


_LONGEST_FORM = max(len(f.split()) for f in LEGAL_FORMS) + 2


@functools.lru_cache(maxsize=1 << 16)
def manufacturer_key(name: str) -> str:
    """The key a manufacturer's name is matched on.

    Case, accents, punctuation and spacing are ignored, and legal forms at the end of the name are
    dropped: "XP POWER LTD", "XP Power Limited" and "XP Power plc" all have the key ``xp power``.
    A name that is nothing but a legal form keeps it ("AG" stays ``ag``); a name without letters or
    digits falls back to ``name_key``.
    """
    forms = _legal_form_tokens()
    tokens = _fold(name).split()
    if not tokens:
        return name_key(name)
    changed = True
    while changed:
        changed = False
        for size in range(min(_LONGEST_FORM, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in forms:
                tokens = tokens[:-size]
                changed = True
                break
    return " ".join(tokens)


#: Two manufacturer keys this similar (rapidfuzz's token_sort_ratio, 0-100: the words sorted, then
#: the edit distance; "texas instrument" and "texas instruments" score 97) are a probable
#: duplicate: a load does not create the second one silently.
NEAR_DUPLICATE_SCORE = 90.0
_DIGITS = re.compile(r"[0-9]+")


class NearDuplicates:
    """The known manufacturer keys, to find the one closest to a new key.

    Keys are only compared with keys that have the same numbers in them ("maker 1" and
    "maker 10", "Group 4" and "Group 5" are different companies, however alike the rest is).
    Each key is kept with its words sorted, once: token_sort_ratio is the plain ratio of the
    sorted words, so a look-up need not sort every known key's words again.
    """

    def __init__(self, keys: Iterable[str] = ()) -> None:
        #: numbers -> the sorted-word forms of the keys with those numbers, in order of arrival
        self._by_numbers: dict[tuple[str, ...], list[str]] = {}
        self._keys: dict[tuple[tuple[str, ...], str], list[str]] = {}  # (numbers, form) -> keys
        self._known: set[str] = set()
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        if key in self._known:
            return
        self._known.add(key)
        numbers = tuple(_DIGITS.findall(key))
        form = _sorted_words(key)
        same_form = self._keys.setdefault((numbers, form), [])
        if not same_form:
            self._by_numbers.setdefault(numbers, []).append(form)
        same_form.append(key)

    def closest(self, key: str) -> tuple[str, float] | None:
        """The known key most like ``key`` and its score, if it scores NEAR_DUPLICATE_SCORE or
        more (``key`` itself excluded)."""
        from rapidfuzz import fuzz, process

        numbers = tuple(_DIGITS.findall(key))
        forms = self._by_numbers.get(numbers)
        if not forms:
            return None
        found = process.extract(
            _sorted_words(key), forms, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE_SCORE, limit=2
        )
        for form, score, _ in found:
            for match in self._keys[(numbers, form)]:
                if match != key:
                    return match, float(score)
        return None


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))
