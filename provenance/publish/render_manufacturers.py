"""Turning manufacturer listings, details and merges into text (a table, CSV, JSON, Markdown)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from provenance.publish.formats import csv_text, json_text, table_text
from provenance.reference.manufacturers import (
    AliasAdded,
    ManufacturerDetail,
    ManufacturerRow,
    MergeSummary,
)

#: The formats of the manufacturer listings and details.
FORMATS = ("table", "csv", "json", "markdown")

LIST_COLUMNS = ("manufacturer", "country", "parent", "components", "parts", "aliases")


def manufacturer_list(rows: Sequence[ManufacturerRow], fmt: str = "table") -> str:
    if fmt == "json":
        return json_text({"manufacturers": [dataclasses.asdict(r) for r in rows]})
    table = [
        [r.name, r.country or "", r.parent or "", r.components, r.parts, "; ".join(r.aliases)]
        for r in rows
    ]
    if fmt == "csv":
        return csv_text(LIST_COLUMNS, table)
    if not rows:
        return "No manufacturers.\n"
    return table_text(table, LIST_COLUMNS, fmt, [40, 20, 30, None, None, 50]) + "\n"


def manufacturer_detail(d: ManufacturerDetail, fmt: str = "table") -> str:
    if fmt == "json":
        return json_text(dataclasses.asdict(d))
    markdown = fmt == "markdown"
    out = [f"# {d.name}" if markdown else d.name]
    out.append(f"headquarters: {d.country or '(unknown)'}")
    if d.parents:
        out.append(f"parent: {' > '.join(d.parents)}")
    if d.subsidiaries:
        out.append(f"subsidiaries: {', '.join(d.subsidiaries)}")
    if d.aliases:
        out.append("also written: " + "; ".join(f"{a.alias} ({a.kind})" for a in d.aliases))
    out.append(f"{d.components} components ({d.parts} parts)")
    for w in d.weapon_systems:
        out.append(f"  {w.weapon_system}: {w.components} components, {w.parts} parts")
    for m in d.merges:
        when = m.merged_at.date().isoformat() if m.merged_at else ""
        note = f"; {m.note}" if m.note else ""
        out.append(
            f"merged in {when}: {m.merged_name} ({m.components_moved} components, "
            f"{m.aliases_moved} aliases){note}"
        )
    return "\n".join(out) + "\n"


def merge_summary(s: MergeSummary, fmt: str = "table") -> str:
    if fmt == "json":
        return json_text(dataclasses.asdict(s))
    combined = (
        f" ({s.components_combined} of them combined with {s.kept}'s identical components, "
        f"{s.citations_moved} citations moved)"
        if s.components_combined
        else ""
    )
    return (
        f"merged {s.merged} into {s.kept}: {s.components_moved} components moved{combined}, "
        f"{s.aliases_moved} aliases moved, {s.subsidiaries_moved} subsidiaries moved; "
        f"{s.merged!r} is now an alias of {s.kept} (merge record {s.merge_id})\n"
    )


def alias_added(a: AliasAdded, fmt: str = "table") -> str:
    if fmt == "json":
        return json_text(dataclasses.asdict(a))
    return f"{a.alias!r} is now an alias ({a.kind}) of {a.manufacturer}\n"
