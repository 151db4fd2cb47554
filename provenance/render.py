"""Turning reports into text: a terminal table, CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from provenance.loader import LoadSummary
from provenance.reference import ReferenceSummary
from provenance.reports import ComponentRow, ForeignPartsReport

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
        return _json({"report": "foreign-parts", "basis": report.basis.value, "weapons": weapons})
    header = ["country", "parts", "share", "foreign", "manufacturers"]
    if fmt == "csv":
        flat = [
            [
                report.basis.value,
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
            f" manufacturers given a headquarters country: {s.manufacturers_updated}"
        )
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
