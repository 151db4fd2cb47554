"""Partly bad files: ``--rejects FILE`` loads the good rows and writes the bad ones to FILE, with
their original columns and an ``error`` column, ready to be fixed and loaded again."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError, ProvenanceError
from provenance.ingest.columns import COLUMNS
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import parse_mapping
from provenance.models import LoadBatch
from tests.helpers import count, dump, row, write_csv, write_json


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = [
    row(),
    row(component="relay", manufacturer="Omron", manufacturer_country="Japan"),
    row(component="relay", manufacturer="Omron", manufacturer_country="Japan"),  # a duplicate
]
BAD = [
    row(component="GNSS module", quantity="0"),
    row(component="gyro", manufacturer="Acme", manufacturer_country="Atlantis"),
    row(component="op amp", date_code="2460"),
    row(component="MCU", manufacturer="XP Powers"),  # close to XP Power
]


def test_rejects_round_trip(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "partner.csv", [GOOD[0], BAD[0], GOOD[1], BAD[1], BAD[2], GOOD[2], BAD[3]]
    )
    rejects = tmp_path / "rejects.csv"

    [summary] = load_files(engine, [path], options=LoadOptions(rejects=rejects))

    # Issue 18: XP Power and XP Powers are both new, and probably one company: which of the two
    # came first does not decide which is the duplicate, so both rows are rejected.
    assert (summary.rows_read, summary.rows_rejected, summary.duplicate_rows) == (7, 5, 1)
    assert summary.components_added == 1
    assert summary.rejects_file == str(rejects)
    with engine.connect() as conn:
        batch = conn.execute(select(LoadBatch)).one()
    assert (batch.rows_read, batch.rows_rejected, batch.duplicate_rows) == (7, 5, 1)

    bad_rows = read_rejects(rejects)
    assert list(bad_rows[0]) == ["error", *COLUMNS]  # the file's own columns, after the error
    assert [r["component"] for r in bad_rows] == [
        "voltage converter",
        "GNSS module",
        "gyro",
        "op amp",
        "MCU",
    ]
    errors = [r["error"] for r in bad_rows]
    assert errors[0].startswith(f"{path}:2: manufacturer: rejected: the rows of this load")
    assert "probably one company" in errors[0] and "'XP Powers'" in errors[0]
    assert errors[1].startswith(f"{path}:3: quantity: expected a whole number")
    assert errors[2].startswith(f"{path}:5: manufacturer_country: unknown country")
    assert errors[3].startswith(f"{path}:6: date_code: not a real date code")
    assert errors[4].startswith(f"{path}:8: manufacturer: rejected: the rows of this load")
    for bad, original in zip(bad_rows, [GOOD[0], *BAD], strict=True):
        assert {k: v for k, v in bad.items() if k != "error"} == original

    # Fix the rejects and load them again: everything is in.
    fixes = {
        "quantity": "1",
        "manufacturer_country": "USA",
        "date_code": "2413",
        "manufacturer": "XP Power",
    }
    for bad in bad_rows:
        column = bad["error"].split(": ")[1]  # file:line: column: message
        bad[column] = fixes[column]
    [again] = load_files(engine, [write_rows(tmp_path / "fixed.csv", bad_rows)])
    assert (again.rows_read, again.components_added, again.rows_rejected) == (5, 5, 0)
    assert again.warnings == []  # the error column is known
    assert count(engine, "components") == 6
    fixed_original = [GOOD[0], {**BAD[0], "quantity": "1"}, GOOD[1],
                      {**BAD[1], "manufacturer_country": "USA"}, {**BAD[2], "date_code": "2413"},
                      GOOD[2], {**BAD[3], "manufacturer": "XP Power"}]  # fmt: skip
    [check] = load_files(engine, [write_csv(tmp_path / "all.csv", fixed_original)])
    assert (check.components_added, check.citations_added) == (0, 0)


def test_a_rejected_row_leaves_no_trace(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row()])])
    shahed = {"weapon_system": "Shahed-136", "weapon_producer_country": "Iran"}
    path = write_csv(
        tmp_path / "b.csv",
        [
            # Resolves a new weapon system and manufacturer, then contradicts the specimen.
            row(**shahed, manufacturer="NewCo", manufacturer_country="Japan"),
            # So the weapon system is still unknown here, and NewCo has no headquarters.
            row(
                weapon_system="Shahed-136",
                weapon_producer_country="",
                specimen="SPEC-2",
                manufacturer="NewCo",
                manufacturer_country="",
            ),
            row(
                specimen="SPEC-3", component="relay", manufacturer="NewCo", manufacturer_country=""
            ),
        ],
    )
    rejects = tmp_path / "rejects.csv"
    [summary] = load_files(engine, [path], options=LoadOptions(rejects=rejects))
    assert (summary.rows_rejected, summary.components_added) == (2, 1)
    assert summary.weapon_systems_created == 0
    errors = [r["error"] for r in read_rejects(rejects)]
    assert "specimen SPEC-1 is recorded as a KN-23" in errors[0]
    assert "required for a weapon system not yet in the database" in errors[1]
    with engine.connect() as conn:
        from provenance.models import Manufacturer

        assert (
            conn.execute(
                select(Manufacturer.country_code).where(Manufacturer.name == "NewCo")
            ).scalar_one()
            is None
        )


def test_problems_with_a_whole_file_still_stop_the_load(engine: Engine, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [row(), BAD[0]])
    broken = tmp_path / "broken.json"
    broken.write_text("[{", "utf-8")
    rejects = tmp_path / "rejects.csv"
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [good, broken], options=LoadOptions(rejects=rejects))
    assert "invalid JSON" in str(caught.value)
    assert dump(engine) == before
    assert not rejects.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_rejects_from_json_and_a_dry_run(engine: Engine, tmp_path: Path) -> None:
    records = [row(), {**row(component="x", quantity="many"), "analyst": "J. Doe"}]
    path = write_json(tmp_path / "f.json", records)
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    before = dump(engine)
    [summary] = load_files(engine, [path], dry_run=True, options=LoadOptions(rejects=rejects))
    assert dump(engine) == before
    assert (summary.rows_rejected, summary.components_added, summary.dry_run) == (1, 1, True)
    [bad] = read_rejects(rejects)
    assert bad["analyst"] == "J. Doe"
    assert bad["error"].startswith(f"{path}: record 2: quantity:")


def test_the_rejects_file_is_not_an_input(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [row()])
    with pytest.raises(ProvenanceError, match="cannot be a file being loaded"):
        load_files(engine, [path], options=LoadOptions(rejects=path))


def test_rejects_of_a_workbook_load_again_with_the_mapping(engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Parts"
    sheet.append(["Annex 1 (a title)"])
    sheet.append(["Item", "Maker", "Qty", "Code"])
    sheet.append(["relay", "Omron", 1, "2413"])
    sheet.append(["MCU", "NXP", 0, "2460"])
    path = tmp_path / "annex.xlsx"
    book.save(path)
    mapping = parse_mapping(
        {
            "columns": {"Item": "component", "Maker": "manufacturer", "Qty": "quantity",
                        "Code": "date_code"},
            "constants": {"weapon_system": "KN-23", "weapon_producer_country": "DPRK",
                          "specimen": "ANNEX-1", "source_publisher": "P", "source_title": "T"},
        }
    )  # fmt: skip
    rejects = tmp_path / "rejects.csv"
    [summary] = load_files(engine, [path], options=LoadOptions(mapping=mapping, rejects=rejects))
    assert (summary.components_added, summary.rows_rejected) == (1, 1)
    [bad] = read_rejects(rejects)
    assert bad["error"] == (
        f"{path}[Parts]:4: Code (date_code): not a real date code read as YYWW (2024 has weeks 1 "
        "to 52, not week 60) (got '2460'); Qty (quantity): expected a whole number of parts, 1 or "
        "more (at most 2,147,483,647) (got '0')"
    )
    bad.update(Qty="2", Code="2413")
    write_rows(rejects, [bad])
    [again] = load_files(engine, [rejects], options=LoadOptions(mapping=mapping))
    assert (again.components_added, again.warnings) == (1, [])
    assert count(engine, "components") == 2


def test_cli_rejects(db_url: str, engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [row(), BAD[0]])
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        cli, ["load", "--db", db_url, "--rejects", str(rejects), str(path)], env={ENV_VAR: None}
    )
    assert result.exit_code == 0, result.output
    assert f"rows rejected: 1 (written to {rejects})" in result.output
    result = CliRunner().invoke(
        cli,
        ["load", "--db", db_url, "--rejects", str(rejects), "--format", "json", str(path)],
        env={ENV_VAR: None},
    )
    [summary] = json.loads(result.output)
    assert (summary["rows_rejected"], summary["rejects_file"]) == (1, str(rejects))
