"""Text for what is not a report: what a load or ``seed`` did, and the rows of any query (a
terminal table, CSV, JSON, Markdown or an Excel workbook).

The reports themselves are documents (:mod:`provenance.publish.documents`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provenance.ingest.loader import LoadSummary
from provenance.publish.formats import (
    csv_text,
    json_text,
    plain,
    table_text,
    unique_names,
    write_xlsx,
)
from provenance.reference.sync import ReferenceSummary

#: The formats of load and seed summaries.
SUMMARY_FORMATS = ("table", "json")
#: The formats of ``rows``; xlsx needs an output file.
ROW_FORMATS = ("table", "csv", "json", "markdown", "xlsx")


def load_summaries(summaries: Sequence[LoadSummary], fmt: str = "table") -> str:
    """What a load added, matched and skipped, per file."""
    if fmt == "json":
        return json_text([dataclasses.asdict(s) for s in summaries])
    out: list[str] = []
    for s in summaries:
        out.append(f"{s.file}: {s.rows_read} rows read" + _kind_note(s.kind))
        out += _findings_lines(s) if s.kind == "findings" else _reference_lines(s)
        if s.rows_rejected:
            where = f"written to {s.rejects_file}" if s.rejects_file else "not loaded"
            out.append(f"  rows rejected: {s.rows_rejected} ({where})")
        if s.batch_id is not None:
            out.append(f"  load batch {s.batch_id} (sha256 {s.sha256[:12]}...)")
        out.extend(f"  warning: {w}" for w in s.warnings)
    return "\n".join(out) + "\n"


def _kind_note(kind: str) -> str:
    return "" if kind == "findings" else f" ({kind.replace('_', ' ')})"


def _findings_lines(s: LoadSummary) -> list[str]:
    verb = "would add (dry run, nothing written)" if s.dry_run else "added"
    lines = [
        f"  components: {s.components_added} {verb}, {s.components_matched} already known"
        f" ({s.duplicate_rows} duplicate rows skipped); citations added: {s.citations_added}"
    ]
    if s.matched_by_record_id or s.matched_by_attributes:
        lines.append(
            f"  matched to known components: {s.matched_by_record_id} by the source's record id,"
            f" {s.matched_by_attributes} by what they say"
            + (
                f"; {s.known_components_filled} given values they lacked"
                if s.known_components_filled
                else ""
            )
        )
    if s.date_codes_by_maker_rule:
        lines.append(f"  date codes read by their makers' own rules: {s.date_codes_by_maker_rule}")
    if s.evidence_files_added or s.evidence_links_added:
        lines.append(
            f"  evidence files: {s.evidence_files_added} new in the store,"
            f" {s.evidence_links_added} linked to components"
        )
    lines.append(
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
    return lines


def _reference_lines(s: LoadSummary) -> list[str]:
    """What a file of weapon systems, manufacturers or sources created and filled in."""
    verb = "would be created (dry run, nothing written)" if s.dry_run else "created"
    if s.kind == "weapon_systems":
        return [
            f"  weapon systems: {s.weapon_systems_created} {verb},"
            f" {s.weapon_systems_updated} known ones filled in (producer, category, users);"
            f" aliases added: {s.weapon_system_aliases_added}"
        ]
    if s.kind == "manufacturers":
        return [
            f"  manufacturers: {s.manufacturers_created} {verb} (parents included),"
            f" {s.manufacturers_updated} known ones given a headquarters country or parent;"
            f" aliases added: {s.manufacturer_aliases_added}"
        ]
    return [f"  sources: {s.sources_created} {verb}, {s.sources_updated} known ones filled in"]


def seed_summary(ref: ReferenceSummary, loaded: Sequence[LoadSummary], fmt: str = "table") -> str:
    """What `seed` created from the reference file and loaded from the shipped findings."""
    if fmt == "json":
        return json_text(
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


def rows(
    header: Sequence[str],
    data: Sequence[Sequence[Any]],
    fmt: str = "table",
    output: Path | None = None,
) -> str:
    """Rows of any query in one of ``ROW_FORMATS``.

    xlsx is written to ``output`` (required) and "" returned; CSV and XLSX cells that a
    spreadsheet would run as formulas are quoted (``safe_cell``).
    """
    if fmt == "xlsx":
        if output is None:
            raise ValueError("the xlsx format needs an output file")
        write_xlsx(output, [("result", header, data)])
        return ""
    if fmt == "json":
        names = unique_names(header)
        items = [dict(zip(names, (plain(v) for v in r), strict=True)) for r in data]
        return json_text(items)
    if fmt == "csv":
        cells = [["" if v is None else plain(v) for v in r] for r in data]
        return csv_text(header, cells)
    if fmt not in ("table", "markdown"):
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(ROW_FORMATS)}")
    cells = [["" if v is None else plain(v) for v in r] for r in data]
    text = table_text(cells, header, fmt, [60] * len(header)) if header else ""
    return text + "\n"
