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
from provenance.evidence.custody import evidence_rows, verify
from provenance.evidence.store import ENV_VAR as STORE_VAR
from provenance.evidence.store import store_for
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
def loaded(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The BI data set; its evidence store named by $PROVENANCE_EVIDENCE_STORE."""
    data = tmp_path / "data"
    data.mkdir()
    bi_data.load(engine, data)
    monkeypatch.setenv(STORE_VAR, str(data / "evidence"))
    return engine


def _without_copied_events(
    rows: dict[str, list[tuple[Any, ...]]],
) -> dict[str, list[tuple[Any, ...]]]:
    """A copy's dump without the ``copied`` custody events the export adds to it."""
    event = [c.name for c in Base.metadata.tables["custody_events"].columns].index("event")
    kept = [r for r in rows["custody_events"] if str(r[event]) != "copied"]
    return rows | {"custody_events": kept}


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
        assert _without_copied_events(_normalised_dump(copy)) == _normalised_dump(loaded)
        if loaded.dialect.name == "sqlite":
            assert _without_copied_events(dump(copy)) == dump(loaded)
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
    summary = export.export(loaded, out, "sqlite", store=store_for(loaded))
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
        export.export(loaded, out_dir / "big.xlsx", "xlsx", store=store_for(loaded))
    assert list(out_dir.iterdir()) == []


def test_unknown_format() -> None:
    with pytest.raises(ExportError, match="unknown export format"):
        export.export(None, Path("x"), "parquet")  # type: ignore[arg-type]


def test_views_in_the_copy_are_queryable(loaded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "copy.db"
    export.export(loaded, out, "sqlite", evidence=False)
    copy = make_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as conn:
            view = table("v_foreign_share_by_weapon")
            assert len(conn.execute(select(literal_column("*")).select_from(view)).all()) == 4
    finally:
        copy.dispose()


# --- evidence ------------------------------------------------------------------------------------


def _evidence_facts(engine: Engine) -> list[tuple[str, str, float | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                table(
                    "evidence_files",
                    *(literal_column(c) for c in ("sha256", "media_type", "gps_latitude")),
                )
            )
        ).all()
    return sorted((str(a), str(b), c) for a, b, c in rows)


def test_an_export_carries_the_evidence_store(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "copy.db"
    summary = export.export(loaded, out, "sqlite", store=store_for(loaded))
    monkeypatch.delenv(STORE_VAR)
    assert summary.evidence.folder == tmp_path / "copy.db.evidence"
    assert (summary.evidence.files, summary.evidence.stripped) == (2, 0)
    copy = make_engine(f"sqlite:///{out}")
    try:
        report = verify(copy, store_for(copy))  # the copy finds its store beside it
        assert (report.checked, report.ok) == (2, 2)
        assert _evidence_facts(copy) == _evidence_facts(loaded)
        with copy.connect() as conn:
            assert len(evidence_rows(conn)) == 2
            copied = conn.execute(
                select(func.count())
                .select_from(table("custody_events"))
                .where(literal_column("event") == "copied")
            ).scalar_one()
        assert copied == 2
    finally:
        copy.dispose()


def test_strip_gps_leaves_no_position_in_the_copy(loaded: Engine, tmp_path: Path) -> None:
    before = _evidence_facts(loaded)
    photo = next(sha for sha, media, _gps in before if media == "image/jpeg")
    out = tmp_path / "nogps.db"
    source = store_for(loaded)
    summary = export.export(loaded, out, "sqlite", store=source, strip_gps=True)
    assert (summary.evidence.files, summary.evidence.stripped) == (2, 1)
    copy = make_engine(f"sqlite:///{out}")
    try:
        after = _evidence_facts(copy)
        assert [gps for _s, _m, gps in after] == [None, None]
        assert photo not in {sha for sha, _m, _g in after}  # new bytes, new hash
        beside = store_for(copy, tmp_path / "nogps.db.evidence")
        assert verify(copy, beside).passed
        (stripped,) = [sha for sha, media, _g in after if media == "image/jpeg"]
        data = beside.path_for(stripped).read_bytes()
        assert b"Exif" not in data[:200] and b"TestCam" not in data
        with copy.connect() as conn:
            notes: list[str] = list(
                conn.execute(
                    select(literal_column("note")).select_from(table("custody_events"))
                ).scalars()
            )
            assert f"exported with the EXIF block removed (GPS); original {photo}" in notes
    finally:
        copy.dispose()
    assert _evidence_facts(loaded) == before  # the source is only read

    csv_out = tmp_path / "nogps"
    summary = export.export(loaded, csv_out, "csv", store=source, strip_gps=True)
    assert (summary.evidence.files, summary.evidence.withheld) == (1, 1)
    with (csv_out / "v_evidence.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["gps_latitude"] for r in rows} == {""}
    assert not store_for(loaded, tmp_path / "nogps.evidence").has(photo)


def test_an_export_stops_when_evidence_is_altered(loaded: Engine, tmp_path: Path) -> None:
    store = store_for(loaded)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for victim in sorted(store.root.glob("??/??/*")):
        victim.chmod(0o644)
        victim.write_bytes(victim.read_bytes() + b"x")
        for strip_gps in (False, True):  # copied whole, or read to strip its EXIF
            with pytest.raises(ExportError, match=rf"{victim.name[:12]} altered; run `provenance"):
                export.export(
                    loaded, out_dir / "copy.db", "sqlite", store=store, strip_gps=strip_gps
                )
            assert list(out_dir.iterdir()) == []
        victim.write_bytes(victim.read_bytes()[:-1])


def test_an_export_stops_when_evidence_is_missing(loaded: Engine, tmp_path: Path) -> None:
    store = store_for(loaded)
    victim = next(p for p in store.root.glob("??/??/*"))
    victim.chmod(0o644)
    victim.unlink()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ExportError, match=r"missing; run `provenance evidence verify`"):
        export.export(loaded, out_dir / "copy.db", "sqlite", store=store)
    with pytest.raises(ExportError, match="no evidence store was given"):
        export.export(loaded, out_dir / "copy.db", "sqlite", store=None)
    assert list(out_dir.iterdir()) == []
    export.export(loaded, out_dir / "copy.db", "sqlite", evidence=False)
    assert sorted(p.name for p in out_dir.iterdir()) == ["copy.db"]
