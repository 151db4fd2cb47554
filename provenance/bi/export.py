"""Copies of the database to hand to a colleague: ``provenance export``.

- ``sqlite``: the whole database as one SQLite file, views included. From SQLite a consistent
  copy through SQLite's backup API; from PostgreSQL a new file created by the migrations (so the
  schema and views are the same), then every table copied in foreign-key order.
- ``csv``: a folder with one CSV file per view (``--tables``: and per table).
- ``xlsx``: one workbook, one sheet per view (and per table).
- ``json``: one file: ``{"schema_revision": ..., "views": {name: [row, ...]}, "tables": {...}}``.
- ``ftm``: FollowTheMoney entities as JSON lines (``provenance.bi.ftm``, docs/ftm.md), for Aleph,
  nomenklatura and OpenSanctions tooling.

CSV and XLSX cells that a spreadsheet would run as formulas are quoted (``publish.formats``); the
SQLite and JSON copies keep every value as stored. The output is written under a temporary name
and renamed when complete, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Select,
    column,
    func,
    insert,
    null,
    select,
    table,
    update,
)

from provenance import migrate
from provenance.bi import ftm
from provenance.bi.export_evidence import GPS_COLUMNS, EvidenceCopy, copy_evidence
from provenance.db import make_engine, write_transaction
from provenance.errors import ExportError
from provenance.evidence.store import Store
from provenance.models import Base, EvidenceFile
from provenance.publish.formats import plain, spreadsheet_cell, write_xlsx
from provenance.reference import install
from provenance.views import VIEWS

EXPORT_FORMATS = ("sqlite", "csv", "xlsx", "json", "ftm")
#: Rows per sheet that Excel can open, the header row not counted.
XLSX_MAX_ROWS = 1_048_575
_CHUNK = 2_000
_SUFFIXES = {
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".xlsx": "xlsx",
    ".json": "json",
    ".ftm": "ftm",
}


@dataclass
class ExportSummary:
    path: Path
    format: str
    #: view or table name -> rows written
    rows: dict[str, int] = field(default_factory=dict)
    #: the evidence files carried beside the export (``<OUT>.evidence``)
    evidence: EvidenceCopy = field(default_factory=EvidenceCopy)


def format_for(path: Path) -> str | None:
    """The format a file name suggests (.db/.sqlite -> sqlite, .xlsx, .json, .ftm.json,
    .ftm.jsonl or .ftm -> ftm), if any."""
    if path.name.lower().endswith((".ftm.json", ".ftm.jsonl")):
        return "ftm"
    return _SUFFIXES.get(path.suffix.lower())


@dataclass
class _Object:
    name: str
    columns: list[str]
    query: Select[Any]


def _objects(with_tables: bool, strip_gps: bool = False) -> list[_Object]:
    """The views (sorted by their key), then, when asked, the tables (by primary key); with
    ``strip_gps`` the GPS columns NULL."""

    def shown(c: Any) -> Any:
        return null().label(c.name) if strip_gps and c.name in GPS_COLUMNS else c

    out = []
    for v in VIEWS:
        t = table(v.name, *(column(c) for c in v.column_names))
        query = select(*(shown(c) for c in t.c)).order_by(*(t.c[k] for k in v.key))
        out.append(_Object(v.name, v.column_names, query))
    if with_tables:
        for tbl in Base.metadata.sorted_tables:
            query = select(*(shown(c) for c in tbl.c)).order_by(*tbl.primary_key.columns)
            out.append(_Object(tbl.name, [c.name for c in tbl.columns], query))
    return out


def _stream(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    result = conn.execution_options(yield_per=_CHUNK).execute(query)
    for partition in result.partitions():
        yield from (tuple(r) for r in partition)


def export(
    engine: Engine,
    out: Path,
    fmt: str,
    *,
    tables: bool = False,
    store: Store | None = None,
    evidence: bool = True,
    strip_gps: bool = False,
) -> ExportSummary:
    """Write the database (sqlite), its views (and with ``tables`` its tables) or (ftm) its
    FollowTheMoney entities to ``out``, and (unless not ``evidence``) the evidence files it
    names from ``store`` to ``<out>.evidence`` (see ``provenance.bi.export_evidence``;
    ``strip_gps``: no GPS position in the copy). ``summary.rows``: rows per view or table; for
    ftm, entities per FtM schema."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    if tables and fmt == "ftm":
        raise ExportError("the tables are for csv, xlsx and json: ftm writes entities")
    if out.exists() or out.is_symlink():
        raise ExportError(f"{out} already exists: remove it or choose another name")
    if not out.parent.is_dir():
        raise ExportError(f"the folder {out.parent} does not exist")
    beside = out.parent / f"{out.name}.evidence"
    if evidence and (beside.exists() or beside.is_symlink()):
        raise ExportError(f"{beside} already exists: remove it or choose another name")
    migrate.ensure_current(engine)
    tag = uuid.uuid4().hex[:8]
    partial = out.parent / f".{out.name}.partial-{tag}"
    partial_evidence = out.parent / f".{out.name}.evidence.partial-{tag}"
    summary = ExportSummary(out, fmt)
    try:
        _write(engine, partial, tables, summary, strip_gps)
        if evidence:
            summary.evidence = copy_evidence(
                engine,
                store,
                partial_evidence,
                strip_gps=strip_gps,
                sqlite_copy=partial if fmt == "sqlite" else None,
            )
        elif strip_gps and fmt == "sqlite":
            _record_no_gps(partial)
        if summary.evidence.folder is not None:
            os.replace(partial_evidence, beside)
            summary.evidence.folder = beside
        os.replace(partial, out)
    except BaseException:
        if summary.evidence.folder == beside:
            shutil.rmtree(beside, ignore_errors=True)
        raise
    finally:
        _remove(partial, partial_evidence)
    return summary


def _write(
    engine: Engine, partial: Path, tables: bool, summary: ExportSummary, strip_gps: bool
) -> None:
    if summary.format == "sqlite":
        _sqlite(engine, partial, summary)
    elif summary.format == "csv":
        _csv(engine, partial, tables, summary, strip_gps)
    elif summary.format == "xlsx":
        _xlsx(engine, partial, tables, summary, strip_gps)
    elif summary.format == "ftm":  # never a GPS position (provenance.bi.ftm)
        summary.rows.update(sorted(ftm.write(engine, partial).items()))
    else:
        _json(engine, partial, tables, summary, strip_gps)


def _remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _record_no_gps(path: Path) -> None:
    copy = make_engine(f"sqlite:///{path}")
    try:
        with write_transaction(copy) as conn:
            conn.execute(update(EvidenceFile).values(gps_latitude=None, gps_longitude=None))
    finally:
        copy.dispose()


# --- sqlite ------------------------------------------------------------------------------------


def _sqlite(engine: Engine, path: Path, summary: ExportSummary) -> None:
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine, path)
    else:
        _copy_into_new_sqlite(engine, path)
    target = make_engine(f"sqlite:///{path}")
    try:
        with target.connect() as conn:
            for tbl in Base.metadata.sorted_tables:
                count = select(func.count()).select_from(tbl)
                summary.rows[tbl.name] = conn.execute(count).scalar_one()
    finally:
        target.dispose()


def _sqlite_backup(engine: Engine, path: Path) -> None:
    source_name = engine.url.database
    if not source_name or source_name == ":memory:":
        raise ExportError("export needs a SQLite database file, e.g. --db sqlite:///findings.db")
    source_path = Path(source_name).resolve()
    source = sqlite3.connect(f"{source_path.as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path)
        try:
            source.backup(target)  # a consistent snapshot, even while someone writes
        finally:
            target.close()
    finally:
        source.close()


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def _copy_into_new_sqlite(engine: Engine, path: Path) -> None:
    """Create the file with the migrations, then copy every row over (reference rows too)."""
    target = make_engine(f"sqlite:///{path}")
    try:
        install.upgrade(target)
        tables = Base.metadata.sorted_tables  # parents before children
        with engine.connect() as src, write_transaction(target) as dst:
            # A manufacturer's parent may come after it: check foreign keys at commit.
            dst.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for tbl in reversed(tables):  # what the migrations filled in, replaced by the source
                dst.execute(tbl.delete())
            for tbl in tables:
                times = [c.name for c in tbl.columns if isinstance(c.type, DateTime)]
                result = src.execution_options(yield_per=_CHUNK).execute(select(tbl))
                for partition in result.partitions():
                    rows = [dict(r._mapping) for r in partition]
                    for r in rows:
                        for name in times:
                            r[name] = _utc(r[name])
                    dst.execute(insert(tbl), rows)
    finally:
        target.dispose()


# --- csv, xlsx, json ---------------------------------------------------------------------------


def _csv(
    engine: Engine, folder: Path, tables: bool, summary: ExportSummary, strip_gps: bool
) -> None:
    folder.mkdir()
    with engine.connect() as conn:
        for obj in _objects(tables, strip_gps):
            n = 0
            with (folder / f"{obj.name}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(obj.columns)
                for row in _stream(conn, obj.query):
                    writer.writerow([spreadsheet_cell(v) for v in row])
                    n += 1
            summary.rows[obj.name] = n


def _counted(
    name: str, rows: Iterable[tuple[Any, ...]], summary: ExportSummary
) -> Iterator[tuple[Any, ...]]:
    summary.rows[name] = 0
    for row in rows:
        summary.rows[name] += 1
        if summary.rows[name] > XLSX_MAX_ROWS:
            raise ExportError(
                f"{name} has more rows than an Excel sheet holds ({XLSX_MAX_ROWS}): "
                "export --format csv or sqlite instead"
            )
        yield row


def _xlsx(
    engine: Engine, path: Path, tables: bool, summary: ExportSummary, strip_gps: bool
) -> None:
    with engine.connect() as conn:
        objects = _objects(tables, strip_gps)
        sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = [
            (o.name, o.columns, _counted(o.name, _stream(conn, o.query), summary)) for o in objects
        ]
        write_xlsx(path, sheets)


def _json_value(value: Any) -> Any:
    return plain(value) if value is not None else None


def _write_json_rows(handle: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    n = 0
    for row in rows:
        item = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        handle.write(",\n    " if n else "\n    ")
        handle.write(json.dumps(item, ensure_ascii=False, default=str))
        n += 1
    handle.write("\n  ]" if n else "]")
    return n


def _json(
    engine: Engine, path: Path, tables: bool, summary: ExportSummary, strip_gps: bool
) -> None:
    """One JSON document, written as it is read (a large database need not fit in memory)."""
    objects = _objects(tables, strip_gps)
    groups = [("views", [o for o in objects if o.name in {v.name for v in VIEWS}])]
    if tables:
        groups.append(("tables", [o for o in objects if o.name not in {v.name for v in VIEWS}]))
    revision = migrate.current_revision(engine)
    with engine.connect() as conn, path.open("w", encoding="utf-8") as handle:
        handle.write("{\n" + f'"schema_revision": {json.dumps(revision)}')
        for group, members in groups:
            handle.write(f',\n"{group}": {{')
            for i, obj in enumerate(members):
                handle.write(("," if i else "") + f"\n  {json.dumps(obj.name)}: [")
                summary.rows[obj.name] = _write_json_rows(
                    handle, obj.columns, _stream(conn, obj.query)
                )
            handle.write("\n}")
        handle.write("\n}\n")
