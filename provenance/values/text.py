"""Cleaning free text from findings files, and the keys names are matched on."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# The key names are matched on (countries, manufacturers, weapon systems) ----------------------

# Removed before anything else: zero-width space/joiners, word joiner, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Latin letters that carry a "diacritic" but do not decompose under NFD.
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_DROPPED = re.compile(r"[.'`\u2018\u2019\u02bc\u00b4]")
_SEPARATORS = re.compile(r"[\s\-_,()\u2010-\u2015]+")


def _is_diacritic(ch: str) -> bool:
    """Combining accents (the diacritical-mark blocks only: Japanese and Hangul marks stay)."""
    cp = ord(ch)
    return (
        0x0300 <= cp <= 0x036F
        or 0x1AB0 <= cp <= 0x1AFF
        or 0x1DC0 <= cp <= 0x1DFF
        or 0x20D0 <= cp <= 0x20FF
        or 0xFE20 <= cp <= 0xFE2F
    )


def normalize_key(text: str) -> str:
    """The matching key of a name: case, accents, dots, zero-width chars and spacing ignored."""
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    text = unicodedata.normalize("NFC", "".join(c for c in decomposed if not _is_diacritic(c)))
    text = _DROPPED.sub("", text.translate(_LETTERS))
    return _SEPARATORS.sub(" ", text).strip()


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


@dataclass(frozen=True)
class Folded:
    """A text whose mixed-script words were folded to one script: what it became and why."""

    text: str
    #: (the word as written, the word folded), in the order they occur
    words: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        changes = ", ".join(f"{before!r} -> {after!r}" for before, after in self.words)
        return f"letters of another script read as look-alikes: {changes}"


def _letter_scripts(text: str) -> Counter[str]:
    return Counter(s for s in map(_script, text) if s is not None)


@functools.lru_cache(maxsize=4096)
def _look_alike(char: str, script: str) -> str | None:
    """The letter of ``script`` that Unicode's confusables list gives for ``char``, if one."""
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, greedy=True, preferred_aliases=[script.lower()])
    for entry in found or ():
        for glyph in entry["homoglyphs"]:
            candidate = glyph["c"]
            if len(candidate) == 1 and _script(candidate) == script:
                return str(candidate)
    return None


def _targets(scripts: Counter[str]) -> list[str]:
    """The scripts to try folding to: the most letters first; on a tie Latin, Cyrillic, Greek."""
    return sorted(scripts, key=lambda s: (-scripts[s], _CONFUSABLE_SCRIPTS.index(s)))


def _fold_word(word: str, target: str) -> str | None:
    out = []
    for char in word:
        script = _script(char)
        if script is None or script == target:
            out.append(char)
            continue
        alike = _look_alike(char, target)
        if alike is None:
            return None
        out.append(alike)
    return "".join(out)


def fold_mixed_script(text: str) -> Folded | None:
    """``text`` with every word that mixes Latin, Cyrillic or Greek letters folded to one script,
    or None when no word mixes scripts or a word cannot be folded.

    A word is folded to the script of the rest of the text ("Peak Еlectronics" with a Cyrillic Е:
    Latin, from "Peak"), or, in a text of one word, to the script of most of its letters (on a tie,
    or when that fails, to the next: Latin first). Each letter of another script becomes its
    look-alike in that script as listed in Unicode's confusables (Cyrillic Е is Latin E, Сomp is
    Comp). A letter without a look-alike there (a Cyrillic Ж in a Latin word) means the word is not
    a look-alike spelling: None.
    """
    if text.isascii() or mixed_script(text) is None:
        return None
    words = _WORD.findall(text)
    changes: list[tuple[str, str]] = []
    for i, word in enumerate(words):
        scripts = _letter_scripts(word)
        if len(scripts) < 2:
            continue
        rest = _letter_scripts(" ".join(words[:i] + words[i + 1 :]))
        folded = next(filter(None, (_fold_word(word, s) for s in _targets(rest or scripts))), None)
        if folded is None:
            return None
        changes.append((word, folded))
    result = text
    for before, after in changes:
        result = result.replace(before, after, 1)
    return Folded(result, tuple(changes))


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

# Legal forms written before the name (Russian and Belarusian companies: "ОАО Интеграл", "АО
# «НПП Исток»", "JSC Chip and Dip"), dropped from its start as the others are from its end.
PREFIX_LEGAL_FORMS: tuple[str, ...] = (
    "оао",
    "ао",
    "зао",
    "пао",
    "ооо",
    "нао",
    "одо",
    "чуп",
    "фгуп",
    "гуп",
    "jsc",
    "ojsc",
    "cjsc",
    "pjsc",
    "ooo",
    "oao",
    "zao",
    "pao",
)
_PREFIXES = frozenset(PREFIX_LEGAL_FORMS)


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
    while len(tokens) > 1 and tokens[0] in _PREFIXES:
        tokens = tokens[1:]
    changed = True
    while changed:
        changed = False
        for size in range(min(_LONGEST_FORM, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in forms:
                tokens = tokens[:-size]
                changed = True
                break
    return " ".join(tokens)


def is_legal_form(text: str) -> bool:
    """Whether ``text`` is nothing but a legal form ("Ltd.", "Co., Ltd", "Inc.")."""
    tokens = _fold(text).split()
    forms = _legal_form_tokens()
    while tokens:
        for size in range(min(_LONGEST_FORM, len(tokens)), 0, -1):
            if tuple(tokens[-size:]) in forms:
                tokens = tokens[:-size]
                break
        else:
            return False
    return True


def split_parents(text: str | None, separators: Iterable[str]) -> list[str]:
    """A chain of parent companies written in one cell, nearest first: "Cypress Semiconductor,
    Infineon Technologies" with the separator ", " is two companies. A piece that is only a
    legal form belongs to the name before it ("Cree, Inc." stays one name)."""
    if text is None:
        return []
    pieces = [text]
    for separator in separators:
        pieces = [part for piece in pieces for part in _split_keeping(piece, separator)]
    return [p for p in (clean_text(p) for p in pieces) if p]


def _split_keeping(text: str, separator: str) -> list[str]:
    out: list[str] = []
    for part in text.split(separator):
        if out and (not part.strip() or is_legal_form(part)):
            out[-1] += separator + part
        else:
            out.append(part)
    return out


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


# Cyrillic letters in Latin (Russian, Ukrainian and Belarusian; after BGN/PCGN, simplified): a
# sanctions list writes "Mikron" where a marking says "Микрон". For comparing keys, not showing.
_CYRILLIC_LATIN = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэіґў", "abvgdeziyklmnoprstufyeigu", strict=True)),
        **{"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        **{"ъ": "", "ь": "", "ю": "yu", "я": "ya", "ї": "yi", "є": "ye"},
    }
)


def latin_key(key: str) -> str:
    """A key (``manufacturer_key``'s, lower case) with its Cyrillic letters in Latin ones:
    ``микрон`` is ``mikron``. A key without Cyrillic letters is returned as it is."""
    return key.translate(_CYRILLIC_LATIN)
