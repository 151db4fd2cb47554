"""Date codes as makers write them (issue 15): rules per maker in seeds/date_codes.yaml, read
before the generic forms, a one-digit year resolved against the recovery or the source's date,
ambiguous codes kept without a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from provenance.errors import MappingError
from provenance.ingest.datecodes import date_code_rules, read_rules, shipped_rules
from provenance.ingest.loader import LoadOptions, load_files
from provenance.models import Component, DatePrecision
from provenance.values.datecodes import Outcome, decode
from provenance.values.text import manufacturer_key
from tests.helpers import dump, row, write_csv

TI = manufacturer_key("Texas Instruments")
ST = manufacturer_key("STMicroelectronics")
ADI = manufacturer_key("Analog Devices")
JAN_2024 = dt.date(2024, 1, 2)


@pytest.mark.parametrize(
    ("maker", "code", "reference", "date", "precision", "rule"),
    [
        # Texas Instruments: year digit, month 1-9 then A B C.
        (TI, "3A", JAN_2024, dt.date(2023, 10, 1), DatePrecision.MONTH, "texas-instruments"),
        (TI, "4c", dt.date(2024, 12, 31), dt.date(2024, 12, 1), DatePrecision.MONTH, "texas"),
        (TI, "59", JAN_2024, dt.date(2015, 9, 1), DatePrecision.MONTH, "texas"),  # not 2025
        # STMicroelectronics: YWW.
        (ST, "312", JAN_2024, dt.date(2023, 3, 20), DatePrecision.WEEK, "stmicroelectronics"),
        (ST, "401", JAN_2024, dt.date(2024, 1, 1), DatePrecision.WEEK, "stmicro"),
        # Analog Devices: YYWW and a lot suffix.
        (ADI, "2213B4", None, dt.date(2022, 3, 28), DatePrecision.WEEK, "analog-devices"),
    ],
)
def test_each_shipped_rule_reads_its_makers_codes(
    maker: str,
    code: str,
    reference: dt.date | None,
    date: dt.date,
    precision: DatePrecision,
    rule: str,
) -> None:
    decoded = decode(shipped_rules(), maker, code, reference)
    assert decoded.outcome is Outcome.DECODED
    assert (decoded.date, decoded.precision) == (date, precision)
    assert decoded.rule is not None and decoded.rule.startswith(rule)


def test_a_rule_reads_only_its_makers_codes_and_real_dates() -> None:
    assert decode(shipped_rules(), ST, "3A", JAN_2024).outcome is Outcome.NO_RULE
    assert decode(shipped_rules(), manufacturer_key("XP Power"), "312", JAN_2024).outcome is (
        Outcome.NO_RULE
    )
    assert decode(shipped_rules(), ST, "360", JAN_2024).outcome is Outcome.NO_RULE  # week 60
    assert decode(shipped_rules(), TI, "3D", JAN_2024).outcome is Outcome.NO_RULE  # month D?
    # By an alias of the rule's maker.
    assert decode(shipped_rules(), manufacturer_key("TI"), "3A", JAN_2024).date == dt.date(
        2023, 10, 1
    )


def test_a_one_digit_year_without_a_reference_date_is_ambiguous() -> None:
    decoded = decode(shipped_rules(), TI, "3A", None)
    assert decoded.outcome is Outcome.AMBIGUOUS
    assert "one-digit year" in decoded.why


def _rules_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(body, "utf-8")
    return path


def test_rules_that_read_a_code_differently_make_it_ambiguous(tmp_path: Path) -> None:
    path = _rules_file(
        tmp_path,
        """rules:
  - name: maker-yyww
    maker: Maker One
    pattern: '(?P<yy>\\d\\d)(?P<ww>\\d\\d)'
    source: test
  - name: maker-wwyy
    maker: Maker One
    pattern: '(?P<ww>\\d\\d)(?P<yy>\\d\\d)'
    source: test
""",
    )
    rules = read_rules(path)
    decoded = decode(rules, manufacturer_key("Maker One"), "2213", JAN_2024)
    assert decoded.outcome is Outcome.AMBIGUOUS
    assert "maker-wwyy, maker-yyww" in decoded.why
    # Both read 0101 as the same week of 2001: one date.
    assert decode(rules, manufacturer_key("Maker One"), "0101", JAN_2024).date == dt.date(
        2001, 1, 1
    )


def test_a_bad_rules_file_lists_every_problem(tmp_path: Path) -> None:
    path = _rules_file(
        tmp_path,
        """rules:
  - name: a
    maker: M
    pattern: '(?P<ww>\\d\\d)'
    source: s
  - name: b
    maker: M
    pattern: '(?P<year>\\d\\d)'
    source: s
  - name: c
    maker: M
    pattern: '(?P<y>\\d'
    source: s
  - name: d
    maker: M
    pattern: '(?P<y>\\d)'
""",
    )
    with pytest.raises(MappingError) as caught:
        read_rules(path)
    text = str(caught.value)
    assert "rules[1].pattern: needs a year group" in text
    assert "rules[2].pattern: unknown groups ['year']" in text
    assert "rules[3].pattern: not a regular expression" in text
    assert "rules[4].source" in text


def test_a_pattern_that_backtracks_is_stopped(tmp_path: Path) -> None:
    """(A|AA)+ against 40 A's and a '!' backtracks for hours: the rule gives up after its time
    limit and the code is ambiguous (kept, without a date), the load goes on."""
    rules = read_rules(
        _rules_file(
            tmp_path,
            "rules:\n  - {name: slow, maker: M, pattern: '(?P<y>\\d)(A|AA)+', source: s}\n",
        )
    )
    decoded = decode(rules, manufacturer_key("M"), "1" + "A" * 40 + "!", JAN_2024)
    assert decoded.outcome is Outcome.AMBIGUOUS and "ran too long" in decoded.why


def test_an_added_rule_replaces_a_shipped_one_of_its_name(tmp_path: Path) -> None:
    path = _rules_file(
        tmp_path,
        """rules:
  - name: stmicroelectronics-yww
    maker: STMicroelectronics
    pattern: '(?P<yy>\\d\\d)(?P<ww>\\d\\d)X'
    source: our own reading
""",
    )
    rules = date_code_rules(path)
    assert len(rules) == len(shipped_rules())
    assert decode(rules, ST, "312", JAN_2024).outcome is Outcome.NO_RULE
    assert decode(rules, ST, "2312X", JAN_2024).date == dt.date(2023, 3, 20)


def _dates(engine: Engine) -> dict[str, tuple[dt.date | None, DatePrecision | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Component.part_number, Component.manufactured_on, Component.manufactured_precision
            )
        ).all()
    return {str(r[0]): (r[1], r[2]) for r in rows}


def test_a_load_reads_the_makers_rules_first(engine: Engine, tmp_path: Path) -> None:
    findings = [
        row(part_number="OPA1", manufacturer="Texas Instruments", manufacturer_country="US",
            date_code="3A", manufactured_on="", recovered_on="2024-01-02"),
        row(part_number="STM32", manufacturer="STMicroelectronics", manufacturer_country="CH",
            date_code="312", manufactured_on="", recovered_on="2024-01-02"),
        # The generic YYWW for a maker without rules.
        row(part_number="TSM0505S", date_code="2413", manufactured_on=""),
        # A one-digit year: the source's date when the specimen has no recovery date.
        row(part_number="OPA2", manufacturer="Texas Instruments", manufacturer_country="US",
            specimen="SPEC-2", recovered_on="", date_code="49", manufactured_on="",
            source_published_on="2024-11"),
        # No date to resolve it against: kept without a date.
        row(part_number="OPA3", manufacturer="Texas Instruments", manufacturer_country="US",
            specimen="SPEC-3", recovered_on="", date_code="4B", manufactured_on="",
            source_title="Another report", source_published_on=""),
    ]  # fmt: skip
    (summary,) = load_files(engine, [write_csv(tmp_path / "codes.csv", findings)])
    assert _dates(engine) == {
        "OPA1": (dt.date(2023, 10, 1), DatePrecision.MONTH),
        "STM32": (dt.date(2023, 3, 20), DatePrecision.WEEK),
        "TSM0505S": (dt.date(2024, 3, 25), DatePrecision.WEEK),
        "OPA2": (dt.date(2024, 9, 1), DatePrecision.MONTH),
        "OPA3": (None, None),
    }
    assert (summary.date_codes_by_maker_rule, summary.ambiguous_date_codes) == (3, 1)
    assert any("'4B' (a one-digit year needs a date)" in w for w in summary.warnings)
    assert not any("in no known form" in w for w in summary.warnings)
    with engine.connect() as conn:
        kept = conn.execute(
            select(Component.date_code).where(Component.part_number == "OPA3")
        ).scalar_one()
    assert kept == "4B"  # the code as written


def test_a_bad_rules_file_stops_the_load_before_any_row(engine: Engine, tmp_path: Path) -> None:
    bad = _rules_file(tmp_path, "rules:\n  - {name: x, maker: M, pattern: '(', source: s}\n")
    before = dump(engine)
    with pytest.raises(MappingError):
        load_files(
            engine,
            [write_csv(tmp_path / "f.csv", [row()])],
            options=LoadOptions(date_codes=bad),
        )
    assert dump(engine) == before
