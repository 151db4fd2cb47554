"""Date codes as manufacturers write them: rules per maker, read before the generic forms.

A rule is data (``seeds/date_codes.yaml``): the maker it is for, a regular expression that must
match the whole code, and what its named groups mean:

- ``yyyy``: the year; ``yy``: a two-digit year (20YY, or 19YY when that would be more than a
  year after the reference date); ``y``: the last digit of the year, resolved against the
  reference date (the specimen's recovery, else the source's date): the latest year with that
  last digit that is not after it. Without a reference date a one-digit year is ambiguous.
- ``ww``: an ISO week (week precision); ``m``: a month written as one character, ``1``-``9``
  then ``A``, ``B``, ``C`` for October to December (``O``, ``N``, ``D`` too); ``mm``: a
  two-digit month (month precision). Without a week or month the code gives a year.

Any other text the pattern allows (a lot suffix) is ignored. A code that two rules of its maker
read as different dates is ambiguous: it is kept as written, without a date.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import regex

from provenance.models import DatePrecision
from provenance.values.dates import iso_week_start, two_digit_year

__all__ = ["MONTH_LETTERS", "DateCodeRule", "Decoded", "Outcome", "decode"]

#: One-character months after 9.
MONTH_LETTERS = {"A": 10, "B": 11, "C": 12, "O": 10, "N": 11, "D": 12}
#: How long a rule's pattern may run on one code (seconds): a rule is data, so a pattern that
#: backtracks without end must not hang a load.
PATTERN_TIME = 0.5
#: The named groups a rule's pattern may use.
GROUPS = frozenset({"yyyy", "yy", "y", "ww", "m", "mm"})


@dataclass(frozen=True)
class DateCodeRule:
    """One way a maker writes its date codes."""

    name: str
    maker_keys: frozenset[str]  # the maker's manufacturer keys (name and aliases)
    pattern: regex.Pattern[str]
    source: str  # where the rule comes from


class Outcome(enum.Enum):
    DECODED = "decoded"
    AMBIGUOUS = "ambiguous"  # rules disagree, or a one-digit year without a reference date
    NO_RULE = "no rule"  # no rule of the maker matches: the generic forms apply


@dataclass(frozen=True)
class Decoded:
    outcome: Outcome
    date: dt.date | None = None
    precision: DatePrecision | None = None
    rule: str | None = None  # the rule that decoded it
    why: str = ""  # for an ambiguous code


def _year(groups: dict[str, str], reference: dt.date | None) -> int | None:
    if groups.get("yyyy"):
        return int(groups["yyyy"])
    if groups.get("yy"):
        return two_digit_year(int(groups["yy"]), reference)
    digit = groups.get("y")
    if digit is None or reference is None:
        return None
    year = reference.year - (reference.year - int(digit)) % 10
    return year


def _read(rule: DateCodeRule, code: str, reference: dt.date | None) -> Decoded | None:
    """What ``rule`` reads in ``code``: None when it does not match or gives no real date."""
    try:
        found = rule.pattern.fullmatch(code, timeout=PATTERN_TIME)
    except TimeoutError:
        return Decoded(Outcome.AMBIGUOUS, rule=rule.name, why=f"rule {rule.name} ran too long")
    if found is None:
        return None
    groups = {k: v for k, v in found.groupdict().items() if v is not None}
    year = _year(groups, reference)
    if year is None:
        return Decoded(Outcome.AMBIGUOUS, rule=rule.name, why="a one-digit year needs a date")
    try:
        if "ww" in groups:
            return Decoded(
                Outcome.DECODED, iso_week_start(year, int(groups["ww"])), DatePrecision.WEEK
            )
        month_text = groups.get("mm") or groups.get("m")
        if month_text is not None:
            month = MONTH_LETTERS.get(month_text.upper()) or int(month_text)
            return Decoded(Outcome.DECODED, dt.date(year, month, 1), DatePrecision.MONTH)
        return Decoded(Outcome.DECODED, dt.date(year, 1, 1), DatePrecision.YEAR)
    except ValueError:  # week 60, month 0: this rule does not read the code
        return None


def decode(
    rules: Sequence[DateCodeRule],
    maker: str | Collection[str],
    code: str,
    reference: dt.date | None,
) -> Decoded:
    """``code`` read by the rules of the maker (its manufacturer key, or every key it is known
    by: all its rules are tried together); ``reference`` is the date a one-digit year is
    resolved against."""
    keys = {maker} if isinstance(maker, str) else set(maker)
    text = " ".join(code.split()).upper()
    readings: dict[tuple[dt.date | None, DatePrecision | None], Decoded] = {}
    ambiguous: Decoded | None = None
    for rule in rules:
        if rule.maker_keys.isdisjoint(keys):
            continue
        read = _read(rule, text, reference)
        if read is None:
            continue
        if read.outcome is Outcome.AMBIGUOUS:
            ambiguous = ambiguous or read
            continue
        readings.setdefault(
            (read.date, read.precision),
            Decoded(read.outcome, read.date, read.precision, rule.name),
        )
    if len(readings) == 1 and ambiguous is None:
        return next(iter(readings.values()))
    if len(readings) > 1:
        names = ", ".join(sorted(str(r.rule) for r in readings.values()))
        return Decoded(Outcome.AMBIGUOUS, why=f"the maker's rules {names} read it differently")
    if ambiguous is not None:
        return ambiguous
    return Decoded(Outcome.NO_RULE)
