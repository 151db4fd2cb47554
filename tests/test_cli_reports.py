"""The report commands and `provenance reference`, through Click's test runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from tests.analysis_data import ALL_COMPONENTS, ALL_PARTS, KN23_PARTS, load_sample

REPORTS = ("countries", "manufacturers", "chpl", "timeline", "sources")
README = Path(__file__).resolve().parent.parent / "README.md"


def _invoke(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def db(engine: Engine, db_url: str, tmp_path: Path) -> str:
    load_sample(engine, tmp_path)
    return db_url


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for args in (
        *(["report", r] for r in (*REPORTS, "dossier")),
        ["reference"],
        ["reference", "show"],
        ["reference", "load"],
    ):
        text = _invoke([*args, "--help"]).output
        assert "Example" in text, args
        assert f"provenance {' '.join(args)}" in readme, args


@pytest.mark.parametrize("name", REPORTS)
def test_reports_as_table_and_markdown(db: str, name: str) -> None:
    table = _invoke(["report", name, "--db", db]).output
    assert "Basis: origin = the manufacturer's headquarters country." in table
    assert f"Counted: {ALL_PARTS} parts in 13 component records" in table
    markdown = _invoke(["report", name, "--db", db, "--format", "markdown", "--weapon", "KN-23"])
    assert markdown.output.startswith("# ")
    assert "- Weapon system: KN-23." in markdown.output


def test_countries_csv_and_json(db: str) -> None:
    out = _invoke(["report", "countries", "--db", db, "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[-1]["origin"] == "Total" and rows[-1]["all parts"] == str(ALL_PARTS)
    assert sum(int(r["all parts"]) for r in rows[:-1]) == ALL_PARTS
    assert {r["basis"] for r in rows} == {"manufacturer"}
    assert rows[0]["origin"] == "United States" and rows[0]["KN-23 share"] == "0.6"

    data = json.loads(_invoke(["report", "countries", "--db", db, "--format", "json"]).output)
    assert data["report"] == "countries"
    assert data["scope"]["parts"] == ALL_PARTS
    matrix = data["tables"][0]
    assert matrix["rows"][-1]["all parts"] == ALL_PARTS


def test_countries_grouped(db: str) -> None:
    out = _invoke(
        ["report", "countries", "--db", db, "--group", "coalition", "--group-on", "2025-01-01"]
    ).output
    assert "Grouped by country group coalition" in out and "members on 2025-01-01" in out
    assert "Outside coalition" in out


def test_date_filter_header_states_what_was_left_out(db: str) -> None:
    out = _invoke(
        ["report", "chpl", "--db", db, "--since", "2022", "--until", "2022", "--format", "json"]
    ).output
    data = json.loads(out)
    assert data["scope"]["parts"] == 5 and data["scope"]["parts_without_date"] == 5
    assert any("5 parts without a manufacture date" in line for line in data["header"])


def test_with_sources_and_charts(db: str, tmp_path: Path) -> None:
    chart = tmp_path / "kn23.svg"
    result = _invoke(
        [
            "report",
            "timeline",
            "--db",
            db,
            "--weapon",
            "KN-23",
            "--with-sources",
            "--chart",
            str(chart),
            "--by",
            "month",
        ]
    )
    assert "Sources" in result.output and "Conflict Armament Research" in result.output
    assert "Reference data" in result.output
    assert chart.read_bytes().lstrip().startswith(b"<?xml")
    csv_out = _invoke(["report", "countries", "--db", db, "--format", "csv", "--with-sources"])
    _, _, sources = csv_out.output.partition("\n\n")
    assert sources.startswith("publisher,title,published")


def test_xlsx(db: str, tmp_path: Path) -> None:
    path = tmp_path / "chpl.xlsx"
    _invoke(["report", "chpl", "--db", db, "--format", "xlsx", "-o", str(path), "--with-sources"])
    book = load_workbook(path)
    assert book.sheetnames == ["Report", "Parts per CHPL tier", "Parts by HS code", "Sources",
                               "Reference data"]  # fmt: skip
    tiers = book["Parts per CHPL tier"]
    header = [c.value for c in tiers[1]]
    assert header[:3] == ["weapon system", "parts", "tier 1"]
    assert [c.value for c in tiers[2]][:3] == ["KN-23", KN23_PARTS, 4]
    assert book["Report"]["A1"].value == "Parts on the Common High Priority List"
    # To a redirected stdout the workbook's bytes go out as they are.
    result = _invoke(["report", "countries", "--db", db, "--format", "xlsx"])
    assert result.stdout_bytes.startswith(b"PK")


def test_dossier_command(db: str, tmp_path: Path) -> None:
    out = tmp_path / "dossier"
    result = _invoke(["report", "dossier", "--db", db, "--weapon", "KN-23", "--out", str(out)])
    assert f"KN-23: wrote {out / 'kn-23.html'}" in result.output
    assert (out / "kn-23.md").exists() and (out / "kn-23-timeline.png").exists()


def test_errors_are_clean(db: str, tmp_path: Path) -> None:
    result = _invoke(["report", "countries", "--db", db, "--weapon", "Tomahawk"], code=1)
    assert result.output.startswith("Error: unknown weapon system 'Tomahawk'")
    result = _invoke(["report", "timeline", "--db", db, "--since", "2022-13"], code=1)
    assert "Error: --since '2022-13'" in result.output
    result = _invoke(["report", "chpl", "--db", db, "--chpl-version", "1999"], code=1)
    assert "Error: unknown CHPL version '1999'" in result.output
    result = _invoke(["report", "countries", "--db", db, "--group", "nato"], code=1)
    assert "Error: unknown country group 'nato'" in result.output
    result = _invoke(["report", "countries", "--db", db, "--chart", "x.jpg"], code=2)
    assert "must end in .png or .svg" in result.output
    result = _invoke(["report", "dossier", "--db", db, "--out", str(tmp_path)], code=2)
    assert "Missing option '--weapon'" in result.output


def test_reference_show_and_load(db: str, tmp_path: Path) -> None:
    out = _invoke(["reference", "show", "--db", db]).output
    assert "2024-02-23  50 codes" in out
    assert "coalition  40 countries" in out and "eu  28 countries" in out
    eu = _invoke(["reference", "show", "--db", db, "--group", "eu"]).output
    assert "GB  from 1973-01-01 until 2020-01-31" in eu
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "version: 1\ncountry_groups:\n"
        '  - {code: aukus, name: AUKUS, members: ["AU", "GB", "US"]}\n',
        encoding="utf-8",
    )
    result = _invoke(["reference", "load", str(mine), "--db", db])
    assert "1 groups and 3 memberships added" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 7\n", encoding="utf-8")
    result = _invoke(["reference", "load", str(bad), "--db", db], code=1)
    assert "version: expected one of 1" in result.output


def test_report_without_a_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'missing.db'}"
    for name in (*REPORTS, "dossier"):
        args = ["report", name, "--db", db, "--weapon", "KN-23"]
        result = _invoke([*args, "--out", str(tmp_path)] if name == "dossier" else args, code=1)
        assert result.output.startswith("Error: ")


# The foreign-origin report and the component listing as documents -----------------------------


def _csv_rows(args: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_invoke([*args, "--format", "csv"]).output)))


def _sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    return [[c.value for c in row] for row in load_workbook(path)[sheet].iter_rows()]


def test_foreign_parts_as_xlsx_holds_the_csv_rows(db: str, tmp_path: Path) -> None:
    args = ["report", "foreign-parts", "--db", db, "--basis", "made-in"]
    path = tmp_path / "foreign-parts.xlsx"
    _invoke([*args, "--format", "xlsx", "--output", str(path)])
    assert load_workbook(path).sheetnames == ["Report", "Parts by origin", "Weapon systems"]
    header, *rows = _csv_rows(args)
    sheet_header, *sheet_rows = _sheet_rows(path, "Parts by origin")
    assert sheet_header == header
    share = header.index("share")
    assert len(sheet_rows) == len(rows) > 0
    for row, cells in zip(rows, sheet_rows, strict=True):
        assert cells[share] == pytest.approx(float(row[share]))  # a number, not text
        assert ["" if c is None else str(c) for i, c in enumerate(cells) if i != share] == [
            v for i, v in enumerate(row) if i != share
        ]
    report = _sheet_rows(path, "Report")
    assert report[0] == ["Foreign-origin parts per weapon system"]
    assert report[1] == ["Basis: origin = the country of manufacture marked on the part."]
    figures = _sheet_rows(path, "Weapon systems")
    assert figures[0][:3] == ["weapon system", "producer", "parts"]
    parts = [r[2] for r in figures[1:]]
    counts = [p for p in parts if isinstance(p, int)]
    assert counts == parts  # numbers, not text
    assert sum(counts) == ALL_PARTS


def test_components_as_xlsx_holds_the_csv_rows(db: str, tmp_path: Path) -> None:
    args = ["report", "components", "--db", db, "--roll-up", "parent"]
    path = tmp_path / "components.xlsx"
    _invoke([*args, "--format", "xlsx", "-o", str(path)])
    assert load_workbook(path).sheetnames == ["Components"]
    header, *rows = _csv_rows(args)
    sheet_header, *sheet_rows = _sheet_rows(path, "Components")
    assert sheet_header == header
    assert len(sheet_rows) == len(rows) == ALL_COMPONENTS
    assert [["" if c is None else str(c) for c in cells] for cells in sheet_rows] == rows
    assert {type(cells[header.index("quantity")]) for cells in sheet_rows} == {int}


def test_foreign_parts_output_file_and_chart(db: str, tmp_path: Path) -> None:
    out, chart = tmp_path / "kn23.md", tmp_path / "kn23.svg"
    args = ["report", "foreign-parts", "--db", db, "--weapon", "KN-23", "--format", "markdown"]
    result = _invoke([*args, "--output", str(out), "--chart", str(chart)])
    assert out.read_text(encoding="utf-8") == _invoke(args).output
    assert f"wrote {out}" in result.output and f"wrote {chart}" in result.output
    assert chart.read_bytes().lstrip().startswith(b"<?xml")


def test_manufacturers_roll_up_flag_and_choice_agree(db: str) -> None:
    base = ["report", "manufacturers", "--db", db, "--format", "json", "--top", "3"]
    flag = _invoke([*base, "--roll-up"]).output
    assert _invoke([*base, "--roll-up", "parent"]).output == flag
    assert _invoke([*base, "--roll-up=parent"]).output == flag
    assert _invoke(["report", "manufacturers", "--roll-up", "--db", db, "--format", "json",
                    "--top", "3"]).output == flag  # fmt: skip
    plain = _invoke(base).output
    assert _invoke([*base, "--roll-up", "none"]).output == plain
    assert plain != flag
    assert json.loads(flag)["tables"][0]["columns"][3] == "includes"
    assert json.loads(plain)["tables"][0]["columns"][3] == "parent"
