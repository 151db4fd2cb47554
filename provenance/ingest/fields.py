"""The typed columns of a findings row, and how a cell of each becomes a value.

Each typed column has a parser: text in, a value out, or ``ValueError`` with a message that says
what was expected. ``Fields`` compiles them once per load (the countries it knows, the order of
its date codes) into one parser of a row's cells, which remembers what it made of each value:
most values of a column repeat (countries, dates, quantities), and are parsed once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from provenance.errors import shorten
from provenance.ingest.readers import Record
from provenance.models import Authenticity, Confidence, Reliability
from provenance.values.countries import CountryResolver
from provenance.values.datecodes import DateCodeRule
from provenance.values.dates import DateCodeOrder, parse_date_code, parse_full_date, parse_period
from provenance.values.hs import normalize_hs6
from provenance.values.text import clean_text, name_key

__all__ = [
    "CACHE_LIMIT",
    "MAX_QUANTITY",
    "SINGLE_SCRIPT",
    "Bad",
    "Fields",
    "clean",
    "hs6",
    "key",
    "listing",
    "parse_hs_code",
    "parse_quantity",
    "parse_url",
    "repeats_header",
    "shorten",
]

#: Most values of a column repeat (countries, dates, weapons, makers): what is made of a value is
#: kept for the next row, up to this many values (then forgotten, to keep memory flat).
CACHE_LIMIT = 1 << 16
#: ``clean_text``, ``name_key`` and ``normalize_hs6``, remembering their last values (each
#: distinct value of a load is normalised once; ``manufacturer_key`` remembers its own).
clean = functools.lru_cache(maxsize=CACHE_LIMIT)(clean_text)
key = functools.lru_cache(maxsize=CACHE_LIMIT)(name_key)
hs6 = functools.lru_cache(maxsize=CACHE_LIMIT)(normalize_hs6)

#: Told of a problem with a row: the column (ours) and what is wrong.
Bad = Callable[[str, str], None]

#: Columns whose words must not mix Latin, Cyrillic and Greek letters (look-alike confusables).
SINGLE_SCRIPT = ("part_number", "manufacturer", "manufacturer_parent")


def listing(names: Sequence[str], most: int = 20) -> str:
    """``names`` joined for a message: the first ``most`` of them, then how many more."""
    shown = ", ".join(shorten(n, 80) for n in names[:most])
    return shown + (f", ... and {len(names) - most:,} more" if len(names) > most else "")


_folded = functools.lru_cache(maxsize=1024)(str.casefold)


def repeats_header(record: Record) -> bool:
    """True for a row whose values are its columns' names: a header repeated further down (two
    files joined into one, a page header of an export); at least two, and half the filled ones."""
    same = other = 0  # filled values that are, and are not, their column's name
    left = len(record.values)  # values not yet looked at
    for column, val in record.values.items():  # every row: stops as soon as it cannot be one
        left -= 1
        if not val:
            continue
        text = val.strip()
        if not text:
            continue
        if text.casefold() == _folded(column):
            same += 1
        else:
            other += 1
            if other > same + left:  # half the filled ones can no longer be the names
                return False
    return same >= 2 and same >= other


def enum_value(enum_cls: type[Enum], text: str) -> Any:
    """The member of ``enum_cls`` whose value ``text`` is (case, hyphens and spaces aside)."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    for member in enum_cls:
        if member.value == wanted:
            return member
    choices = ", ".join(m.value for m in enum_cls)
    raise ValueError(f"expected one of: {choices}")


_WHOLE_NUMBER = re.compile(r"[0-9]+")  # not int(): it takes "1_000", "+3" and other scripts' digits
_HS_CODE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


#: The most parts one row may count: PostgreSQL's ``integer``, so that a file loads (or fails)
#: the same way on SQLite and PostgreSQL. Sums stay far within both databases' 64-bit integers.
MAX_QUANTITY = 2**31 - 1


def parse_quantity(text: str) -> int:
    """A number of parts: a whole number from 1 to ``MAX_QUANTITY``."""
    digits = text.lstrip("0")
    # Length first: int() of thousands of digits is slow, and past 4,300 an error of its own.
    if not _WHOLE_NUMBER.fullmatch(text) or len(digits) > 10 or not 1 <= int(text) <= MAX_QUANTITY:
        raise ValueError(f"expected a whole number of parts, 1 or more (at most {MAX_QUANTITY:,})")
    return int(text)


def parse_hs_code(text: str) -> str:
    """An HS code as written (spaces dropped): 4 to 10 digits, dots between groups."""
    compact = text.replace(" ", "")
    digits = compact.replace(".", "")
    if not _HS_CODE.fullmatch(compact) or not 4 <= len(digits) <= 10:
        raise ValueError("expected an HS code of 4 to 10 digits, e.g. 8504.40 or 850440")
    return compact


def parse_url(text: str) -> str:
    """A web address, http or https."""
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in text:
        raise ValueError("expected a web address starting with http:// or https://")
    return text


_EXCEL_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")


def _excel_serial_hint(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` for a date column, whose error says when the value looks like an Excel serial
    date number (45000 is 2023-03-15): a date cell that lost its date format."""

    def parse_date(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            if _EXCEL_SERIAL.fullmatch(text):
                raise ValueError(
                    f"{exc}; {text} looks like an Excel serial date number: format the cell as "
                    "a date in the workbook, or write the date as YYYY-MM-DD"
                ) from None
            raise

    return parse_date


parse_period_cell = _excel_serial_hint(parse_period)
parse_full_date_cell = _excel_serial_hint(parse_full_date)


def _country_parser(countries: CountryResolver) -> Callable[[str], str]:
    def parse_country(text: str) -> str:
        code = countries.lookup(text)
        if code is None:
            close = countries.suggest(text)
            hint = f"; closest: {', '.join(close)}" if close else ""
            raise ValueError(f"unknown country{hint}")
        return code

    return parse_country


class Fields:
    """The typed columns of a findings row, compiled once per load into one parser of cells."""

    def __init__(
        self,
        countries: CountryResolver,
        date_codes: DateCodeOrder,
        rules: tuple[DateCodeRule, ...] = (),
    ) -> None:
        #: The makers' own date-code rules, read before the generic forms.
        self.rules = rules
        country = _country_parser(countries)
        #: Each typed column and its parser, in the order a row's problems are reported.
        self.parsers: tuple[tuple[str, Callable[[str], Any]], ...] = (
            ("weapon_producer_country", country),
            ("manufacturer_country", country),
            ("manufacturer_parent_country", country),
            ("made_in", country),
            ("manufactured_on", parse_period_cell),
            ("date_code", functools.partial(parse_date_code, order=date_codes)),
            ("recovered_on", parse_full_date_cell),
            ("source_published_on", parse_period_cell),
            ("quantity", parse_quantity),
            ("hs_code", parse_hs_code),
            ("source_url", parse_url),
            ("source_record_url", parse_url),
            ("evidence_url", parse_url),
            ("authenticity", functools.partial(enum_value, Authenticity)),
            ("identification_confidence", functools.partial(enum_value, Confidence)),
            ("source_reliability", functools.partial(enum_value, Reliability)),
        )
        #: (column, text) -> the value made of it and the problem with it.
        self.made: dict[tuple[str, str], tuple[Any, str | None]] = {}

    def parse(self, cells: Mapping[str, str | None], bad: Bad) -> dict[str, Any]:
        """The value of each typed column from a row's cleaned ``cells``: None when blank, or
        when bad (``bad`` is then told why)."""
        made = self.made
        values: dict[str, Any] = {}
        for column, parse in self.parsers:
            text = cells.get(column)
            if text is None:
                values[column] = None
                continue
            cell = (column, text)
            found = made.get(cell)
            if found is None:
                try:
                    found = (parse(text), None)
                except ValueError as exc:
                    found = (None, str(exc))
                if len(made) >= CACHE_LIMIT:
                    made.clear()
                made[cell] = found
            if found[1] is not None:
                bad(column, found[1])
            values[column] = found[0]
        return values
