"""Dates and date codes as researchers meet them: every form, and the impossible ones.

Weeks are ISO 8601 weeks (starting on Monday); a period is stored as its first day with its
precision.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from provenance.errors import InvalidDataError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import parse_mapping
from provenance.models import Component, DatePrecision
from provenance.values.dates import (
    DateCodeOrder,
    format_partial_date,
    iso_week_start,
    parse_date_code,
    parse_period,
)
from tests.helpers import dump, row, write_csv

TODAY = dt.date(2026, 6, 1)
YEAR, MONTH, WEEK, DAY = (
    DatePrecision.YEAR,
    DatePrecision.MONTH,
    DatePrecision.WEEK,
    DatePrecision.DAY,
)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2413", DateCodeOrder.YYWW, (dt.date(2024, 3, 25), WEEK)),  # 2024, week 13
        ("2301", DateCodeOrder.YYWW, (dt.date(2023, 1, 2), WEEK)),
        ("2053", DateCodeOrder.YYWW, (dt.date(2020, 12, 28), WEEK)),  # 2020 had 53 weeks
        ("9912", DateCodeOrder.YYWW, (dt.date(1999, 3, 22), WEEK)),  # old stock: 1999
        ("1324", DateCodeOrder.WWYY, (dt.date(2024, 3, 25), WEEK)),
        ("0823", DateCodeOrder.WWYY, (dt.date(2023, 2, 20), WEEK)),
        ("2024", DateCodeOrder.YYYY, (dt.date(2024, 1, 1), YEAR)),
        ("2023-02", DateCodeOrder.YYWW, (dt.date(2023, 2, 1), MONTH)),
        ("2023", DateCodeOrder.YYYY, (dt.date(2023, 1, 1), YEAR)),
        ("2023-W13", DateCodeOrder.YYWW, (dt.date(2023, 3, 27), WEEK)),
        ("2023w5", DateCodeOrder.YYWW, (dt.date(2023, 1, 30), WEEK)),
        ("13th week (March) of 2024", DateCodeOrder.YYWW, (dt.date(2024, 3, 25), WEEK)),
        ("Feb 2023", DateCodeOrder.YYWW, (dt.date(2023, 2, 1), MONTH)),
        ("2023-02-14", DateCodeOrder.YYWW, (dt.date(2023, 2, 14), DAY)),
    ],
)
def test_date_codes(
    text: str, order: DateCodeOrder, expected: tuple[dt.date, DatePrecision]
) -> None:
    assert parse_date_code(text, order, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "order", "message"),
    [
        ("2460", DateCodeOrder.YYWW, "read as YYWW (2024 has weeks 1 to 52, not week 60)"),
        ("2400", DateCodeOrder.YYWW, "not week 0"),
        ("2353", DateCodeOrder.YYWW, "2023 has weeks 1 to 52, not week 53"),
        ("6024", DateCodeOrder.WWYY, "read as WWYY (2024 has weeks 1 to 52, not week 60)"),
        ("2023-W60", DateCodeOrder.YYWW, "not a real week"),
        ("2023-13", DateCodeOrder.YYWW, "not a real date"),
        ("60th week of 2024", DateCodeOrder.YYWW, "not a real week"),
        ("13th week (May) of 2024", DateCodeOrder.YYWW, "is not in May"),
        ("0000", DateCodeOrder.YYYY, "not a real date"),
    ],
)
def test_impossible_date_codes(text: str, order: DateCodeOrder, message: str) -> None:
    with pytest.raises(ValueError, match="not") as caught:
        parse_date_code(text, order, today=TODAY)
    assert message in str(caught.value)


@pytest.mark.parametrize("text", ["A2413", "GH229", "24-13", "e3", "2413A", "ＸＸ"])
def test_codes_in_no_known_form(text: str) -> None:
    assert parse_date_code(text, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", (dt.date(2023, 1, 1), YEAR)),
        ("2023-02", (dt.date(2023, 2, 1), MONTH)),
        ("2023-02-14", (dt.date(2023, 2, 14), DAY)),
        ("2023-W13", (dt.date(2023, 3, 27), WEEK)),
        ("13th week (March) of 2024", (dt.date(2024, 3, 25), WEEK)),
        ("1st week (January) of 2021", (dt.date(2021, 1, 4), WEEK)),
        ("week 13 of 2024", (dt.date(2024, 3, 25), WEEK)),
        # Week 9 of 2024 runs from 26 February to 3 March: either month is right.
        ("9th week (March) of 2024", (dt.date(2024, 2, 26), WEEK)),
        ("9th week (February) of 2024", (dt.date(2024, 2, 26), WEEK)),
        ("Feb 2023", (dt.date(2023, 2, 1), MONTH)),
        ("february 2023", (dt.date(2023, 2, 1), MONTH)),
        ("Sept. 2022", (dt.date(2022, 9, 1), MONTH)),
        ("2023 Feb", (dt.date(2023, 2, 1), MONTH)),
    ],
)
def test_periods(text: str, expected: tuple[dt.date, DatePrecision]) -> None:
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Febr 2023", "expected a date as YYYY, YYYY-MM or YYYY-MM-DD"),
        ("13th week (Mai) of 2024", "'Mai' is not the name of a month"),
        ("53rd week of 2023", "2023 has weeks 1 to 52, not week 53"),
        ("spring 2023", "'Feb 2023'"),
    ],
)
def test_bad_periods(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_period(text)
    assert message in str(caught.value)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_weeks_round_trip(day: dt.date) -> None:
    year, week, _ = day.isocalendar()
    monday = day - dt.timedelta(days=day.weekday())
    assert iso_week_start(year, week) == monday
    assert parse_period(f"{year}-W{week:02d}") == (monday, WEEK)
    assert format_partial_date(monday, WEEK) == f"{year:04d}-W{week:02d}"
    if 2000 <= year <= TODAY.year:
        code = f"{year % 100:02d}{week:02d}"
        assert parse_date_code(code, DateCodeOrder.YYWW, today=TODAY) == (monday, WEEK)
        code = f"{week:02d}{year % 100:02d}"
        assert parse_date_code(code, DateCodeOrder.WWYY, today=TODAY) == (monday, WEEK)


# Loading: the raw code is kept, the date derived, its precision stored ---------------------------


def stored(engine: Engine) -> list[tuple[str | None, dt.date | None, str | None]]:
    with engine.connect() as conn:
        return [
            (r.date_code, r.manufactured_on, r.manufactured_precision)
            for r in conn.execute(
                select(
                    Component.date_code, Component.manufactured_on, Component.manufactured_precision
                ).order_by(Component.id)
            )
        ]


def test_a_date_code_gives_the_manufacture_date(engine: Engine, tmp_path: Path) -> None:
    rows = [
        row(component="a", date_code="2413", manufactured_on=""),
        row(component="b", date_code="2413", manufactured_on="2024-03"),  # the date wins
        row(component="c", date_code="GH229", manufactured_on=""),  # kept as written
        row(component="d", date_code="", manufactured_on="13th week (March) of 2024"),
        row(component="e", date_code="Feb 2023", manufactured_on=""),
    ]
    [summary] = load_files(engine, [write_csv(tmp_path / "codes.csv", rows)])
    assert stored(engine) == [
        ("2413", dt.date(2024, 3, 25), "week"),
        ("2413", dt.date(2024, 3, 1), "month"),
        ("GH229", None, None),
        (None, dt.date(2024, 3, 25), "week"),
        ("Feb 2023", dt.date(2023, 2, 1), "month"),
    ]
    [warning] = summary.warnings
    assert "1 date codes in no known form were kept as written" in warning
    assert "'GH229'" in warning


def test_an_impossible_date_code_names_row_and_column(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [row(), row(component="relay", date_code="2460")])
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path])
    assert dump(engine) == before
    [problem] = caught.value.errors
    assert (problem.file, problem.row, problem.column, problem.value) == (
        str(path),
        3,
        "date_code",
        "2460",
    )
    assert str(problem) == (
        f"{path}:3: date_code: not a real date code read as YYWW "
        "(2024 has weeks 1 to 52, not week 60) (got '2460')"
    )


def test_a_mapping_reads_week_first(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wwyy.csv", [row(date_code="1324", manufactured_on="")])
    options = LoadOptions(mapping=parse_mapping({"date_codes": "wwyy"}))
    load_files(engine, [path], options=options)
    assert stored(engine) == [("1324", dt.date(2024, 3, 25), "week")]
