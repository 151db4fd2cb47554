"""Turning reports into text: a terminal table, CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from provenance.ingest.loader import LoadSummary
from provenance.reference.sync import ReferenceSummary
from provenance.reports.components import ComponentRow
from provenance.reports.core import RollUp
from provenance.reports.foreign_parts import ForeignPartsReport

FORMATS = ("table", "csv", "json", "markdown")
#: The formats of load and seed summaries.
SUMMARY_FORMATS = ("table", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def _md_cell(value: Any) -> Any:
    """A Markdown table cell: a "|" in the text would end the cell."""
    if isinstance(value, str):
        return value.replace("|", "\\|")
    return value


def _tabulate(
    rows: Sequence[Sequence[Any]], header: Sequence[str], fmt: str, widths: Sequence[int | None]
) -> str:
    """A terminal table (long cells wrapped), or a GitHub Markdown table (one line per row:
    a wrapped cell would turn into extra rows)."""
    if fmt == "markdown":
        cells = [[_md_cell(v) for v in r] for r in rows]
        return tabulate(cells, headers=list(header), tablefmt="github")
    return tabulate(rows, headers=list(header), tablefmt="simple", maxcolwidths=list(widths))


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def foreign_parts(report: ForeignPartsReport, fmt: str = "table") -> str:
    """The foreign-origin report in one of ``FORMATS``."""
    if fmt == "json":
        weapons = []
        for w in report.weapons:
            item = dataclasses.asdict(w)
            item["foreign_share"] = round(w.foreign_share, 6)
            for origin in item["origins"]:
                origin["share"] = round(origin["share"], 6)
            weapons.append(item)
        return _json(
            {
                "report": "foreign-parts",
                "basis": report.basis.value,
                "roll_up": report.roll_up.value,
                "weapons": weapons,
            }
        )
    header = ["country", "parts", "share", "foreign", "manufacturers"]
    if fmt == "csv":
        flat = [
            [
                report.basis.value
                + ("" if report.roll_up is RollUp.NONE else f", roll-up: {report.roll_up.value}"),
                w.designation,
                w.producer,
                w.sources,
                o.country_code or "",
                o.country,
                {True: "yes", False: "no", None: "unknown"}[o.foreign],
                o.parts,
                f"{o.share:.4f}",
                "; ".join(o.manufacturers),
            ]
            for w in report.weapons
            for o in w.origins
        ]
        return _csv(
            [
                "basis",
                "weapon_system",
                "producer_country",
                "sources",
                "origin_country_code",
                "origin_country",
                "foreign",
                "parts",
                "share",
                "manufacturers",
            ],
            flat,
        )
    markdown = fmt == "markdown"
    out: list[str] = []
    title = "Foreign-origin parts per weapon system"
    out.append(f"# {title}" if markdown else title)
    out.append(f"Basis: {report.basis.description}.")
    if report.roll_up is not RollUp.NONE:
        out.append(f"Roll-up: {report.roll_up.description}.")
    if report.weapon:
        out.append(f"Filter: weapon system {report.weapon}.")
    if not report.weapons:
        out.append("No components recorded for the weapon systems asked for.")
    for w in report.weapons:
        out.append("")
        heading = f"{w.designation} (producer: {w.producer})"
        out.append(f"## {heading}" if markdown else heading)
        out.append(
            f"{w.parts} parts, {w.foreign_parts} foreign ({_pct(w.foreign_share)}), "
            f"{w.domestic_parts} domestic, {w.unknown_origin_parts} of unknown origin; "
            f"reported by {w.sources} source{'s' if w.sources != 1 else ''}."
        )
        out.append("")
        rows = [
            [
                o.country,
                o.parts,
                _pct(o.share),
                {True: "yes", False: "no", None: "?"}[o.foreign],
                ", ".join(o.manufacturers),
            ]
            for o in w.origins
        ]
        out.append(_tabulate(rows, header, fmt, [None] * 4 + [60]))
    return "\n".join(out) + "\n"


COMPONENT_COLUMNS = (
    "weapon_system",
    "specimen",
    "component",
    "part_number",
    "manufacturer",
    "manufacturer_country",
    "made_in",
    "manufactured",
    "quantity",
    "authenticity",
    "sources",
)


def components(rows: Sequence[ComponentRow], fmt: str = "table") -> str:
    """The component listing in one of ``FORMATS``."""
    if fmt == "json":
        return _json({"report": "components", "components": [dataclasses.asdict(r) for r in rows]})
    table = [
        [
            r.weapon_system,
            r.specimen,
            r.component,
            r.part_number or "",
            r.manufacturer,
            r.manufacturer_country or "",
            r.made_in or "",
            r.manufactured,
            r.quantity,
            r.authenticity,
            "; ".join(r.sources),
        ]
        for r in rows
    ]
    if fmt == "csv":
        return _csv(COMPONENT_COLUMNS, table)
    return _tabulate(table, COMPONENT_COLUMNS, fmt, [None] * 10 + [50]) + "\n"


def load_summaries(summaries: Sequence[LoadSummary], fmt: str = "table") -> str:
    """What a load added, matched and skipped, per file."""
    if fmt == "json":
        return _json([dataclasses.asdict(s) for s in summaries])
    out: list[str] = []
    for s in summaries:
        verb = "would add (dry run, nothing written)" if s.dry_run else "added"
        out.append(f"{s.file}: {s.rows_read} rows read")
        out.append(
            f"  components: {s.components_added} {verb}, {s.components_matched} already known"
            f" ({s.duplicate_rows} duplicate rows skipped); citations added: {s.citations_added}"
        )
        out.append(
            f"  created: {s.weapon_systems_created} weapon systems,"
            f" {s.specimens_created} specimens, {s.manufacturers_created} manufacturers,"
            f" {s.sources_created} sources;"
            f" manufacturers given a headquarters country or parent: {s.manufacturers_updated}"
            + (
                f"; manufacturer aliases added: {s.manufacturer_aliases_added}"
                if s.manufacturer_aliases_added
                else ""
            )
        )
        if s.rows_rejected:
            where = f"written to {s.rejects_file}" if s.rejects_file else "not loaded"
            out.append(f"  rows rejected: {s.rows_rejected} ({where})")
        if s.batch_id is not None:
            out.append(f"  load batch {s.batch_id} (sha256 {s.sha256[:12]}...)")
        out.extend(f"  warning: {w}" for w in s.warnings)
    return "\n".join(out) + "\n"


def seed_summary(ref: ReferenceSummary, loaded: Sequence[LoadSummary], fmt: str = "table") -> str:
    """What `seed` created from the reference file and loaded from the shipped findings."""
    if fmt == "json":
        return _json(
            {
                "reference": dataclasses.asdict(ref),
                "findings": [dataclasses.asdict(s) for s in loaded],
            }
        )
    head = (
        f"reference: {ref.weapon_systems_created} weapon systems, {ref.aliases_created} aliases,"
        f" {ref.sources_created} sources created\n"
    )
    return head + load_summaries(loaded, fmt)


# Generic rows: query results and exports -------------------------------------------------------

#: The formats of ``rows``; xlsx needs an output file.
ROW_FORMATS = ("table", "csv", "json", "markdown", "xlsx")


def _plain(value: Any) -> Any:
    """A value JSON, CSV and spreadsheets can hold: exact numbers stay numbers, dates ISO text."""
    import base64
    import datetime as dt
    import decimal
    import enum

    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _unique_names(header: Sequence[str]) -> list[str]:
    """Column names as JSON keys: a repeated name gets _2, _3, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _xlsx_cell(value: Any) -> Any:
    """A cell value for openpyxl: formulas neutralised (openpyxl would store "=..." as a formula),
    characters Excel cannot hold removed, times without time zone (in UTC)."""
    import datetime as dt

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.date | dt.time | int | float) and not isinstance(value, bool):
        return value
    value = _plain(value)
    if isinstance(value, str):
        return _safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def write_xlsx(
    path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
) -> None:
    """An Excel workbook with one sheet per (title, header, rows); the header row is frozen."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    written = []
    try:
        for title, header, data in sheets:
            sheet = workbook.create_sheet(title[:31])
            written.append(sheet)
            sheet.freeze_panes = "A2"
            sheet.append([_xlsx_cell(h) for h in header])
            for row in data:
                sheet.append([_xlsx_cell(v) for v in row])
    except BaseException:
        for sheet in written:  # close the sheets' temporary files; nothing is saved
            sheet.close()
        raise
    workbook.save(path)


def rows(
    header: Sequence[str],
    data: Sequence[Sequence[Any]],
    fmt: str = "table",
    output: Path | None = None,
) -> str:
    """Rows of any query in one of ``ROW_FORMATS``.

    xlsx is written to ``output`` (required) and "" returned; CSV and XLSX cells that a
    spreadsheet would run as formulas are quoted (``_safe_cell``).
    """
    if fmt == "xlsx":
        if output is None:
            raise ValueError("the xlsx format needs an output file")
        write_xlsx(output, [("result", header, data)])
        return ""
    if fmt == "json":
        names = _unique_names(header)
        items = [dict(zip(names, (_plain(v) for v in r), strict=True)) for r in data]
        return _json(items)
    if fmt == "csv":
        plain = [["" if v is None else _plain(v) for v in r] for r in data]
        return _csv(header, plain)
    if fmt not in ("table", "markdown"):
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(ROW_FORMATS)}")
    cells = [["" if v is None else _plain(v) for v in r] for r in data]
    text = _tabulate(cells, header, fmt, [60] * len(header)) if header else ""
    return text + "\n"


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell: NULL empty, dates ISO text, text that a spreadsheet would run as a formula
    quoted (``_safe_cell``)."""
    return "" if value is None else _safe_cell(_plain(value))
