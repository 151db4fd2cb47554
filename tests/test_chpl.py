"""The Common High Priority List: HS code normalisation, the shipped list, tiers, versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select

from provenance.db import write_transaction
from provenance.errors import ChplError, InvalidDataError
from provenance.ingest.loader import load_files
from provenance.models import ChplEntry, ChplList, Component
from provenance.reference import chpl
from provenance.reference.sync import load_reference_lists, sync_reference_lists
from provenance.resources import seeds_path
from provenance.values import hs
from tests.analysis_data import ensure_reference_lists
from tests.helpers import dump, row, write_csv

# The list of 23 February 2024 as the domain brief gives it: 50 HS-6 codes in six tiers.
FEBRUARY_2024 = {
    "1": "8542.31 8542.32 8542.33 8542.39",
    "2": "8517.62 8526.91 8532.21 8532.24 8548.00",
    "3.A": "8471.50 8504.40 8517.69 8525.89 8529.10 8529.90 8536.69 8536.90 8541.10 8541.21 "
    "8541.29 8541.30 8541.49 8541.51 8541.59 8541.60",
    "3.B": "8482.10 8482.20 8482.30 8482.50 8807.30 9013.10 9013.80 9014.20 9014.80",
    "4.A": "8471.80 8486.10 8486.20 8486.40 8534.00 8543.20 9027.50 9030.20 9030.32 9030.39 "
    "9030.82",
    "4.B": "8457.10 8458.11 8458.91 8459.61 8466.93",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8504.40", "850440"),
        ("850440", "850440"),
        ("8504.40.00", "850440"),
        ("8504 40", "850440"),
        (" 8504.40.00.90 ", "850440"),
        ("8504", None),  # a heading: fewer than six digits, no tier
        ("85.04", None),
        ("", None),
        (None, None),
        ("8504-40", None),
        ("HS 8504.40", None),
    ],
)
def test_normalize_hs6(text: str | None, expected: str | None) -> None:
    assert hs.normalize_hs6(text) == expected


@given(st.text(alphabet="0123456789", min_size=6, max_size=10), st.sampled_from([".", " ", ""]))
def test_normalize_hs6_ignores_separators(digits: str, separator: str) -> None:
    written = separator.join([digits[:4], digits[4:6], digits[6:]]).strip(separator)
    assert hs.normalize_hs6(written) == digits[:6]


def test_format_hs6() -> None:
    assert hs.format_hs6("850440") == "8504.40"


def test_shipped_file_is_the_february_2024_list() -> None:
    data = yaml.safe_load((seeds_path() / "chpl.yaml").read_text(encoding="utf-8"))
    assert data["version"] == 1
    (listed,) = data["chpl_lists"]
    assert listed["version"] == "2024-02-23" and listed["published_on"] == "2024-02-23"
    assert listed["publisher"] == "US Department of Commerce, Bureau of Industry and Security"
    assert listed["url"] is None
    shipped = {
        tier: [c["hs"] if isinstance(c, dict) else c for c in codes]
        for tier, codes in listed["tiers"].items()
    }
    assert shipped == {tier: codes.split() for tier, codes in FEBRUARY_2024.items()}
    assert sum(len(codes) for codes in shipped.values()) == 50


def test_shipped_list_in_the_database(engine: Engine) -> None:
    ensure_reference_lists(engine)
    with engine.connect() as conn:
        (version,) = chpl.list_versions(conn)
        assert (version.version, version.published_on, version.codes) == (
            "2024-02-23",
            dt.date(2024, 2, 23),
            50,
        )
        per_tier = dict(
            conn.execute(select(ChplEntry.tier, func.count()).group_by(ChplEntry.tier)).all()
        )
        assert per_tier == {"1": 4, "2": 5, "3.A": 16, "3.B": 9, "4.A": 11, "4.B": 5}
        # The XP Power converter of the domain brief: a static converter, tier 3.A.
        for written in ("8504.40", "850440", "8504.40.00", "8504 40"):
            assert chpl.tier_of(conn, written) == "3.A"
        assert chpl.tier_of(conn, "8542.31") == "1"
        assert chpl.tier_of(conn, "8533.21") is None  # not on the list
        assert chpl.tier_of(conn, "8504") is None  # too short to place
        assert chpl.tier_of(conn, None) is None


def test_sync_is_idempotent(engine: Engine) -> None:
    ensure_reference_lists(engine)
    before = dump(engine)
    with write_transaction(engine) as conn:
        summary = sync_reference_lists(conn)
    assert (summary.chpl_lists_created, summary.chpl_entries_created) == (0, 0)
    assert (summary.groups_created, summary.members_created) == (0, 0)
    assert dump(engine) == before


def _list_file(path: Path, version: str, published: str, tiers: dict[str, list[str]]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "chpl_lists": [
                    {
                        "version": version,
                        "published_on": published,
                        "publisher": "Test publisher",
                        "title": f"Test list {version}",
                        "tiers": tiers,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_versions_newest_wins_unless_named(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    older = _list_file(tmp_path / "old.yaml", "2023-05-19", "2023-05-19", {"1": ["8542.31"]})
    newer = _list_file(
        tmp_path / "new.yaml", "2099-01-01", "2099-01-01", {"2": ["8504.40", "8542.31"]}
    )
    load_reference_lists(engine, older)
    load_reference_lists(engine, newer)
    with engine.connect() as conn:
        assert [v.version for v in chpl.list_versions(conn)] == [
            "2099-01-01",
            "2024-02-23",
            "2023-05-19",
        ]
        assert chpl.tier_of(conn, "8504.40") == "2"
        assert chpl.tier_of(conn, "8504.40", version="2024-02-23") == "3.A"
        assert chpl.tier_of(conn, "8504.40", version="2023-05-19") is None
        with pytest.raises(ChplError, match="unknown CHPL version '1999'"):
            chpl.tier_of(conn, "8504.40", version="1999")


def test_a_published_version_does_not_change(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    moved = _list_file(tmp_path / "moved.yaml", "2024-02-23", "2024-02-23", {"1": ["8504.40"]})
    before = dump(engine)
    with pytest.raises(InvalidDataError, match=r"stored in tier 3\.A of version 2024-02-23"):
        load_reference_lists(engine, moved)
    assert dump(engine) == before


def test_bad_list_files(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    bad = _list_file(tmp_path / "bad.yaml", "x", "2024-13-01", {"1": ["8504"]})
    with pytest.raises(InvalidDataError, match="published_on: expected a date"):
        load_reference_lists(engine, bad)
    short = _list_file(tmp_path / "short.yaml", "x", "2024-03-01", {"1": ["8504"]})
    with pytest.raises(InvalidDataError, match="expected a six-digit HS code"):
        load_reference_lists(engine, short)
    unversioned = tmp_path / "unversioned.yaml"
    unversioned.write_text("chpl_lists: []\n", encoding="utf-8")
    with pytest.raises(InvalidDataError, match="version: expected one of 1"):
        load_reference_lists(engine, unversioned)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ChplList)) == 1


def test_no_list_in_the_database(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        conn.execute(delete(ChplEntry))
        conn.execute(delete(ChplList))
    with engine.connect() as conn, pytest.raises(ChplError, match="run `provenance init`"):
        chpl.resolve_version(conn)


@pytest.mark.parametrize(
    ("text", "stored"), [("8504.40.00", "850440"), ("8504 40", "850440"), ("8504", None)]
)
def test_the_loader_stores_the_hs6_the_list_is_keyed_on(
    engine: Engine, tmp_path: Path, text: str, stored: str | None
) -> None:
    load_files(engine, [write_csv(tmp_path / "f.csv", [row(hs_code=text)])])
    with engine.connect() as conn:
        assert conn.execute(select(Component.hs_code, Component.hs6)).one() == (
            text.replace(" ", ""),
            stored,
        )


def test_the_per_code_queries_read_the_rows_not_the_hs6_index(
    engine: Engine, tmp_path: Path
) -> None:
    """Nearly every component has an HS-6 code: SQLite reads them from the table, not through
    the hs6 index and a look-up per row (issue 14); the figures are those of any plan."""
    from sqlalchemy import event

    from provenance.reports.chpl import chpl_report

    ensure_reference_lists(engine)
    rows = [row(hs_code="8542.31", part_number=f"P{i}") for i in range(3)]
    load_files(engine, [write_csv(tmp_path / "f.csv", [*rows, row(hs_code="")])])
    statements: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if "hs6 IS NOT NULL" in statement:
            statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as conn:
            report = chpl_report(conn)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert [(c.hs6, c.parts) for c in report.codes] == [("854231", 3)]
    assert len(statements) == 2
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            for statement, params in statements:
                plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                assert not [step for step in plan if "ix_components__hs6" in str(step)]
