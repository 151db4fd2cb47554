"""Dates as researchers write them, with the precision they carry, and date codes read off parts.

Every parser returns the first day of the period written and its precision (year, month, ISO week
or day). Weeks are ISO 8601 weeks: week 1 is the week with the year's first Thursday, and a week
starts on Monday. Raises ``ValueError`` with a message for the user.
"""

from __future__ import annotations

import datetime as dt
import enum
import re

from provenance.models import DatePrecision

_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_ISO_WEEK = re.compile(r"([0-9]{4})-?W([0-9]{1,2})", re.IGNORECASE)
# "13th week (March) of 2024", "13 week of 2024", "week 13 of 2024", "week 13, 2024"
_WORDY_WEEK = re.compile(
    r"([0-9]{1,2})\s*(?:st|nd|rd|th)?\s+week\s*(?:\(\s*([^()]*?)\s*\))?\s*(?:of|,)?\s*([0-9]{4})",
    re.IGNORECASE,
)
_WEEK_FIRST = re.compile(
    r"week\s+([0-9]{1,2})\s*(?:\(\s*([^()]*?)\s*\))?\s*(?:of|,)?\s*([0-9]{4})", re.IGNORECASE
)
_MONTH_YEAR = re.compile(r"([^\W\d_]+)\.?,?\s*([0-9]{4})")
_YEAR_MONTH = re.compile(r"([0-9]{4})\s+([^\W\d_]+)\.?")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

PERIOD_FORMS = (
    "YYYY, YYYY-MM or YYYY-MM-DD, a week as YYYY-Www or '13th week (March) of 2024', "
    "or a month as 'Feb 2023'"
)


class DateCodeOrder(enum.StrEnum):
    """How a date code of four digits is read."""

    YYWW = "yyww"  # 2413: 2024, week 13 (the usual order)
    WWYY = "wwyy"  # 1324: week 13 of 2024
    YYYY = "yyyy"  # 2024: the year 2024


def parse_partial_date(text: str) -> tuple[dt.date, DatePrecision]:
    """``2023`` -> (2023-01-01, year); ``2023-02`` -> (2023-02-01, month); ``2023-02-14`` -> day.

    The date is the first day of the period; the precision says how much of it is known.
    Raises ValueError with a message for the user.
    """
    match = _PARTIAL.fullmatch(text.strip())
    if not match:
        raise ValueError("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        if day is not None:
            return dt.date(int(year), int(month), int(day)), DatePrecision.DAY
        if month is not None:
            return dt.date(int(year), int(month), 1), DatePrecision.MONTH
        return dt.date(int(year), 1, 1), DatePrecision.YEAR
    except ValueError as exc:
        raise ValueError(f"not a real date ({exc})") from None


def iso_week_start(year: int, week: int) -> dt.date:
    """The Monday of ISO week ``week`` of ``year``; ValueError for a week the year does not have."""
    if not 1 <= year <= 9999:
        raise ValueError(f"not a real date (year {year} is out of range)")
    weeks = dt.date(year, 12, 28).isocalendar().week  # 52 or 53
    if not 1 <= week <= weeks:
        raise ValueError(f"{year} has weeks 1 to {weeks}, not week {week}")
    return dt.date.fromisocalendar(year, week, 1)


def _date(year: int, month: int, day: int = 1) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a real date ({exc})") from None


def _week(year: int, week: int) -> dt.date:
    try:
        return iso_week_start(year, week)
    except ValueError as exc:
        raise ValueError(f"not a real week ({exc})") from None


def _month_number(word: str) -> int | None:
    return _MONTHS.get(word.strip().rstrip(".").casefold())


def _wordy_week(week: str, month_word: str | None, year: str) -> tuple[dt.date, DatePrecision]:
    start = _week(int(year), int(week))
    if month_word:
        month = _month_number(month_word)
        if month is None:
            raise ValueError(f"{month_word!r} is not the name of a month")
        end = start + dt.timedelta(days=6)
        if month not in {start.month, end.month}:
            raise ValueError(
                f"week {int(week)} of {year} ({start.isoformat()} to {end.isoformat()}) is not "
                f"in {_MONTH_NAMES[month - 1]}"
            )
    return start, DatePrecision.WEEK


def _parse_words(text: str) -> tuple[dt.date, DatePrecision] | None:
    """The forms other than plain digits; None when ``text`` is in none of them."""
    match = _ISO_WEEK.fullmatch(text)
    if match:
        return _week(int(match[1]), int(match[2])), DatePrecision.WEEK
    match = _WORDY_WEEK.fullmatch(text) or _WEEK_FIRST.fullmatch(text)
    if match:
        return _wordy_week(match[1], match[2], match[3])
    match = _MONTH_YEAR.fullmatch(text)
    month = _month_number(match[1]) if match else None
    if match and month is not None:
        return _date(int(match[2]), month), DatePrecision.MONTH
    match = _YEAR_MONTH.fullmatch(text)
    month = _month_number(match[2]) if match else None
    if match and month is not None:
        return _date(int(match[1]), month), DatePrecision.MONTH
    return None


def parse_period(text: str) -> tuple[dt.date, DatePrecision]:
    """A date or period as written in a date column: ``2023``, ``2023-02``, ``2023-02-14``,
    ``2023-W13``, ``13th week (March) of 2024`` (the month must agree with the week) or
    ``Feb 2023``. Returns the first day of the period and its precision."""
    text = " ".join(text.split())
    if _PARTIAL.fullmatch(text):
        return parse_partial_date(text)
    found = _parse_words(text)
    if found is None:
        raise ValueError(f"expected a date as {PERIOD_FORMS}")
    return found


def two_digit_year(yy: int, today: dt.date | None = None) -> int:
    """20YY, unless that is more than a year ahead: then 19YY (old stock exists)."""
    this_year = (today or dt.date.today()).year
    return 2000 + yy if 2000 + yy <= this_year + 1 else 1900 + yy


def parse_date_code(
    text: str, order: DateCodeOrder = DateCodeOrder.YYWW, today: dt.date | None = None
) -> tuple[dt.date, DatePrecision] | None:
    """The manufacture period a date code stands for, or None when it is in no known form.

    Four digits are read by ``order``: YYWW (``2413``: 2024, week 13), WWYY or YYYY. A two-digit
    year is 20YY unless that is more than a year ahead of ``today``, then 19YY. The other forms
    are those of ``parse_period`` (``2023-02``, ``2023-W13``, ``Feb 2023`` ...). A code in a known
    form that is no real date (week 60, month 13) raises ValueError.
    """
    text = " ".join(text.split())
    if _FOUR_DIGITS.fullmatch(text):
        if order is DateCodeOrder.YYYY:
            return parse_partial_date(text)
        first, second = int(text[:2]), int(text[2:])
        yy, week = (first, second) if order is DateCodeOrder.YYWW else (second, first)
        year = two_digit_year(yy, today)
        try:
            return iso_week_start(year, week), DatePrecision.WEEK
        except ValueError as exc:
            raise ValueError(
                f"not a real date code read as {order.value.upper()} ({exc})"
            ) from None
    if _PARTIAL.fullmatch(text):
        return parse_partial_date(text)
    return _parse_words(text)


def parse_full_date(text: str) -> dt.date:
    """A calendar day written as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("expected a date as YYYY-MM-DD") from None


def format_partial_date(value: dt.date | None, precision: DatePrecision | None) -> str:
    """The date written only as precisely as it is known (2023-02 for a month)."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    if precision == DatePrecision.WEEK:
        year, week, _ = value.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return value.isoformat()


def utc_text(value: dt.datetime) -> str:
    """A stored time as ISO 8601 in UTC, to the second (SQLite gives back naive UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")
