"""`provenance export`: copies of the database or of its views, from SQLite and PostgreSQL.

- sqlite: a round trip gives the same reports (and, from SQLite, the same rows) in the copy;
- csv: one file per view (and per table with --tables), the documented columns, formulas quoted;
- xlsx: one sheet per view, formulas stored as text; json: one document with every view's rows;
- an existing OUT is never overwritten, and a failed export leaves nothing behind.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine, func, literal_column, select, table

from provenance import migrate, views
from provenance.bi import export
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine
from provenance.errors import DatabaseNotReadyError, ExportError
from provenance.ingest.loader import load_files
from provenance.models import Base
from provenance.reports import foreign_parts as reports
from provenance.reports.components import components
from provenance.reports.core import Basis
from tests import bi_data
from tests.helpers import dump

VIEW_NAMES = [v.name for v in views.VIEWS]


def _invoke(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    data = tmp_path / "data"
    data.mkdir()
    bi_data.load(engine, data)
    return engine


def _view_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in VIEW_NAMES
        }


def _reports(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return [reports.foreign_parts(conn, None, basis) for basis in Basis] + [components(conn)]


def _normalised_dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: sorted((tuple(bi_data.normalise(v) for v in r) for r in rows), key=repr)
        for name, rows in dump(engine).items()
    }


# --- sqlite ---------------------------------------------------------------------------------------


def test_sqlite_round_trip(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "copy.db"
    result = _invoke(["export", str(out), "--db", db_url])
    assert result.output.startswith(f"{out}: sqlite, ")

    copy = make_engine(f"sqlite:///{out}")
    try:
        migrate.ensure_current(copy)
        assert _reports(copy) == _reports(loaded)
        assert _view_counts(copy) == _view_counts(loaded)
        assert _normalised_dump(copy) == _normalised_dump(loaded)
        if loaded.dialect.name == "sqlite":
            assert dump(copy) == dump(loaded)
        # The copy is a working database: loading the same findings again adds nothing.
        more = tmp_path / "more"
        more.mkdir()
        again = load_files(copy, bi_data.findings(more))
        assert [(s.components_added, s.citations_added) for s in again] == [(0, 0), (0, 0)]
    finally:
        copy.dispose()


def test_sqlite_export_keeps_the_reference_rows(
    loaded: Engine, db_url: str, tmp_path: Path
) -> None:
    """The copy holds the source's rows, not what migrating a new file would fill in."""
    out = tmp_path / "copy.db"
    summary = export.export(loaded, out, "sqlite")
    assert set(summary.rows) == {t.name for t in Base.metadata.sorted_tables}
    copy = make_engine(f"sqlite:///{out}")
    try:
        for name in ("countries", "country_aliases", "chpl_lists", "chpl_entries"):
            assert len(dump(copy)[name]) == len(dump(loaded)[name]), name
        assert summary.rows["components"] == 7
    finally:
        copy.dispose()


# --- csv, xlsx, json ------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_folder_one_file_per_view(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "views-csv"
    _invoke(["export", "--format", "csv", str(out), "--db", db_url])
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in VIEW_NAMES)
    counts = _view_counts(loaded)
    for v in views.VIEWS:
        rows = _read_csv(out / f"{v.name}.csv")
        assert rows[0] == v.column_names
        assert len(rows) - 1 == counts[v.name]
    components = _read_csv(out / "v_components.csv")
    marking = components[0].index("marking")
    assert "'" + bi_data.FORMULA_MARKING in [r[marking] for r in components[1:]]


def test_csv_with_tables(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "all-csv"
    _invoke(["export", "--format", "csv", "--tables", str(out), "--db", db_url])
    names = {p.stem for p in out.iterdir()}
    assert names == set(VIEW_NAMES) | {t.name for t in Base.metadata.sorted_tables}
    components = _read_csv(out / "components.csv")
    assert components[0] == [c.name for c in Base.metadata.tables["components"].columns]
    assert len(components) == 8


def test_xlsx_one_sheet_per_view(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "views.xlsx"
    _invoke(["export", str(out), "--db", db_url])  # the format from the extension
    workbook = load_workbook(out)
    assert workbook.sheetnames == VIEW_NAMES
    counts = _view_counts(loaded)
    for v in views.VIEWS:
        rows = list(workbook[v.name].iter_rows(values_only=True))
        assert list(rows[0]) == v.column_names
        assert len(rows) - 1 == counts[v.name]
    sheet = workbook["v_components"]
    marking = [c.value for c in sheet[1]].index("marking") + 1
    cells = [sheet.cell(row=r, column=marking) for r in range(2, sheet.max_row + 1)]
    formula = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.data_type, c.value) for c in formula] == [("s", "'" + bi_data.FORMULA_MARKING)]


def test_xlsx_with_tables(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "all.xlsx"
    _invoke(["export", "--format", "xlsx", "--tables", str(out), "--db", db_url])
    sheets = load_workbook(out, read_only=True).sheetnames
    assert sheets[: len(VIEW_NAMES)] == VIEW_NAMES
    assert set(sheets[len(VIEW_NAMES) :]) == {t.name for t in Base.metadata.sorted_tables}


def test_json_one_document(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "views.json"
    _invoke(["export", str(out), "--db", db_url])
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["schema_revision"] == migrate.head_revision()
    assert list(document["views"]) == VIEW_NAMES
    assert "tables" not in document
    counts = _view_counts(loaded)
    for v in views.VIEWS:
        rows = document["views"][v.name]
        assert len(rows) == counts[v.name]
        assert all(list(r) == v.column_names for r in rows)
    xp = next(r for r in document["views"]["v_components"] if r["component"] == "voltage converter")
    assert (xp["manufactured_on"], xp["chpl_tier"], xp["made_in_code"]) == (
        "2023-02-01",
        "3.A",
        None,
    )
    capacitor = next(r for r in document["views"]["v_components"] if r["component"] == "capacitor")
    assert capacitor["marking"] == bi_data.FORMULA_MARKING  # JSON keeps values as stored


def test_json_with_tables(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    _invoke(["export", "--tables", str(out), "--db", db_url])
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document["tables"]) == {t.name for t in Base.metadata.sorted_tables}
    assert len(document["tables"]["components"]) == 7
    assert document["tables"]["chpl_lists"][0]["version"] == "2023-05-19"


def test_empty_views_export(engine: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "empty.json"
    _invoke(["export", str(out), "--db", db_url])
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["views"] == {name: [] for name in VIEW_NAMES}


# --- refusals -------------------------------------------------------------------------------------


def test_never_overwrites(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "exists.db"
    out.write_text("precious", encoding="utf-8")
    result = _invoke(["export", str(out), "--db", db_url], code=1)
    assert result.output.startswith(f"Error: {out} already exists")
    assert out.read_text(encoding="utf-8") == "precious"


def test_format_is_needed_when_the_name_does_not_say(db_url: str, tmp_path: Path) -> None:
    result = _invoke(["export", str(tmp_path / "out"), "--db", db_url], code=2)
    assert "give --format" in result.output
    result = _invoke(["export", "--tables", str(tmp_path / "x.db"), "--db", db_url], code=2)
    assert "--tables is for csv, xlsx and json" in result.output


def test_a_failed_export_leaves_nothing(empty_engine: Engine, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for fmt in export.EXPORT_FORMATS:
        with pytest.raises(DatabaseNotReadyError):
            export.export(empty_engine, out_dir / f"x.{fmt}", fmt)
    assert list(out_dir.iterdir()) == []


def test_an_interrupted_export_leaves_nothing(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)  # v_components has 7 rows
    with pytest.raises(ExportError, match="more rows than an Excel sheet holds"):
        export.export(loaded, out_dir / "big.xlsx", "xlsx")
    assert list(out_dir.iterdir()) == []


def test_unknown_format() -> None:
    with pytest.raises(ExportError, match="unknown export format"):
        export.export(None, Path("x"), "parquet")  # type: ignore[arg-type]


def test_views_in_the_copy_are_queryable(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "copy.db"
    export.export(loaded, out, "sqlite")
    copy = make_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as conn:
            view = table("v_foreign_share_by_weapon")
            assert len(conn.execute(select(literal_column("*")).select_from(view)).all()) == 4
    finally:
        copy.dispose()
