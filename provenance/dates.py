"""Dates as researchers write them, with the precision they carry."""

from __future__ import annotations

import datetime as dt
import re

from provenance.models import DatePrecision

_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")


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
