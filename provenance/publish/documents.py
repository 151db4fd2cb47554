"""The researcher's reports as documents: a title, a header that states the basis and filters,
tables, and the sources behind the numbers; written as a terminal table, Markdown, CSV, JSON,
an Excel workbook (xlsx) or an HTML fragment (for the dossier).

A :class:`Document` is built from a report of :mod:`provenance.reports` by the
``*_document`` functions and rendered by :func:`render`. Tables are plain header + rows; shares are
:class:`Share` values (a fraction, shown as a percentage).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tabulate import tabulate

from provenance.publish.render import write_xlsx
from provenance.reference import chpl
from provenance.reports.chpl import NOT_LISTED, ChplReport
from provenance.reports.core import Basis, ReferenceRow, RollUp, Scope
from provenance.reports.countries import CountriesReport
from provenance.reports.manufacturers import ManufacturersReport, ManufacturerTable
from provenance.reports.sources import SourcesReport
from provenance.reports.timeline import LAG_METHOD, TimelineReport

FORMATS = ("table", "csv", "json", "markdown", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Share(float):
    """A fraction (0.25), shown as a percentage (25.0%)."""


@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]
    total_rows: int = 0  # the last rows that are totals (bold in HTML and xlsx)
    note: str | None = None


@dataclass
class Document:
    report: str  # countries, manufacturers, chpl, timeline, sources
    title: str
    header: list[str]
    tables: list[Table]
    scope: Scope
    sources: SourcesReport | None = None
    notes: list[str] = field(default_factory=list)


# Cells -----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Share):
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    """A cell for CSV and JSON: numbers stay numbers (shares as fractions)."""
    if value is None:
        return None
    if isinstance(value, Share):
        return round(float(value), 6)
    if isinstance(value, int | float):
        return value
    return _text(value)


def _safe(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


# Sources as tables -----------------------------------------------------------------------------

SOURCE_HEADER = [
    "publisher",
    "title",
    "published",
    "reliability",
    "url",
    "components",
    "parts",
]
REFERENCE_HEADER = ["reference data", "citation", "basis"]


def sources_tables(report: SourcesReport) -> list[Table]:
    rows = [
        [s.publisher, s.title, s.published, s.reliability, s.url, s.components, s.parts]
        for s in report.sources
    ]
    tables = [
        Table(
            "Sources",
            SOURCE_HEADER,
            rows,
            note=(
                "A component reported by several sources counts for each of them, so the "
                "column sums can exceed the report's totals."
            ),
        )
    ]
    if report.references:
        tables.append(
            Table(
                "Reference data",
                REFERENCE_HEADER,
                [[r.kind, r.citation, r.basis] for r in report.references],
            )
        )
    return tables


def _reference_lines(references: Sequence[ReferenceRow]) -> list[str]:
    return [f"Reference data: {r.kind}: {r.citation}." for r in references]


# Reports as documents --------------------------------------------------------------------------


def countries_document(report: CountriesReport, sources: SourcesReport | None = None) -> Document:
    single = len(report.weapons) == 1
    grouped = report.group is not None
    header = ["origin"] + (["countries"] if grouped else [])
    for w in report.weapons:
        header += (
            ["parts", "share"] if single else [f"{w.designation} parts", f"{w.designation} share"]
        )
    if not single:
        header += ["all parts", "all share"]
    rows: list[list[Any]] = []
    for r in report.rows:
        line: list[Any] = [r.label] + ([r.countries] if grouped else [])
        for w in report.weapons:
            line += [r.parts_by_weapon.get(w.designation, 0), Share(report.share(r, w.designation))]
        if not single:
            line += [r.total, Share(report.share(r, None))]
        rows.append(line)
    total: list[Any] = ["Total"] + ([""] if grouped else [])
    for w in report.weapons:
        total += [w.parts, Share(1.0 if w.parts else 0.0)]
    if not single:
        total += [report.total.parts, Share(1.0 if report.total.parts else 0.0)]
    rows.append(total)
    summary = [
        [
            w.designation,
            w.producer,
            w.parts,
            w.foreign_parts,
            Share(w.foreign_share),
            w.domestic_parts,
            w.unknown_origin_parts,
        ]
        for w in [*report.weapons, report.total]
    ]
    lines = report.scope.lines()
    if report.group is not None:
        lines.append(
            f"Grouped by country group {report.group.code} ({report.group.name}): members on "
            f"{report.group_on}."
        )
    lines.append(
        "Shares are of each weapon system's parts; a part is foreign when its origin differs "
        "from the weapon system's producer country."
    )
    lines += _reference_lines(report.references)
    title = "Origin countries of parts per weapon system"
    if report.scope.weapon:
        title = f"Origin countries of the parts of the {report.scope.weapon}"
    if report.group is not None:
        title += f", by country group ({report.group.code})"
    return Document(
        "countries",
        title,
        lines,
        [
            Table("Parts by origin", header, rows, total_rows=1),
            Table(
                "Foreign, domestic and unknown origin per weapon system",
                [
                    "weapon system",
                    "producer",
                    "parts",
                    "foreign",
                    "foreign share",
                    "domestic",
                    "unknown origin",
                ],
                summary,
                total_rows=1,
            ),
        ],
        report.scope,
        sources,
    )


def _manufacturer_table(report: ManufacturersReport, t: ManufacturerTable) -> Table:
    made_in = report.scope.basis is Basis.MADE_IN
    header = [
        "rank",
        "manufacturer",
        "headquarters",
        "includes" if report.roll_up is RollUp.PARENT else "parent",
        "parts",
        "components",
        "weapon systems",
        "first made",
        "last made",
    ]
    if made_in:
        header.append("made in (parts)")
    rows: list[list[Any]] = []
    for r in t.rows:
        line: list[Any] = [
            r.rank,
            r.name,
            r.country,
            r.includes if report.roll_up is RollUp.PARENT else r.parent,
            r.parts,
            r.components,
            r.weapon_systems,
            r.first_made,
            r.last_made,
        ]
        if made_in:
            line.append([f"{c} {n}" for c, n in r.made_in])
        rows.append(line)
    extra = 0
    if t.other_parts or t.other_components:
        others = t.manufacturers - len(t.rows)
        rows.append(
            ["", f"{others} other manufacturers", "", None, t.other_parts, t.other_components]
            + [None] * (len(header) - 6)
        )
        extra = 1
    rows.append(["", "Total", "", None, t.parts, t.components] + [None] * (len(header) - 6))
    name = f"Top manufacturers: {t.weapon}" if t.weapon else "Top manufacturers: all weapon systems"
    return Table(name, header, rows, total_rows=1 + extra)


def manufacturers_document(
    report: ManufacturersReport, sources: SourcesReport | None = None
) -> Document:
    lines = report.scope.lines()
    lines.append(
        f"The {report.top} manufacturers with the most parts"
        + (
            ", each counted under its topmost parent company."
            if report.roll_up is RollUp.PARENT
            else "."
        )
        + " First and last made: the manufacture dates seen, as precisely as they are known."
    )
    tables = [_manufacturer_table(report, report.overall)]
    if len(report.per_weapon) > 1:
        tables += [_manufacturer_table(report, t) for t in report.per_weapon]
    title = "Manufacturers of the parts"
    if report.scope.weapon:
        title = f"Manufacturers of the parts of the {report.scope.weapon}"
    return Document("manufacturers", title, lines, tables, report.scope, sources)


def _category_label(category: str) -> str:
    return f"tier {category}" if category in chpl.TIERS or "." in category else category


def chpl_document(report: ChplReport, sources: SourcesReport | None = None) -> Document:
    v = report.version
    header = (
        ["weapon system", "parts"]
        + [_category_label(c) for c in report.categories]
        + [
            "foreign parts",
            "foreign on the list",
            "share of foreign parts",
            "share of foreign parts with an HS-6 code",
        ]
    )
    rows = [
        [w.designation, w.parts]
        + [w.by_category.get(c, 0) for c in report.categories]
        + [
            w.foreign_parts,
            w.foreign_listed,
            Share(w.foreign_listed_share),
            Share(w.foreign_listed_share_of_coded),
        ]
        for w in [*report.weapons, report.total]
    ]
    codes = [
        [
            c.weapon,
            chpl.format_hs6(c.hs6),
            f"tier {c.tier}" if c.tier else NOT_LISTED,
            c.components,
            c.parts,
            c.foreign_parts,
        ]
        for c in report.codes
    ]
    lines = report.scope.lines()
    lines += [
        f"List: Common High Priority List version {v.version}, published on "
        f"{v.published_on} by {v.publisher} ({v.codes} HS-6 codes).",
        "A part's tier is the tier of its HS-6 code (the first six digits of its HS code) on "
        "that list. Parts without an HS code, or with one of fewer than six digits, are counted "
        "in their own columns and as not listed in the shares.",
        "An HS code on the list is a lead for export-control review, not a legal classification.",
    ]
    title = "Parts on the Common High Priority List"
    if report.scope.weapon:
        title = f"Parts of the {report.scope.weapon} on the Common High Priority List"
    return Document(
        "chpl",
        title,
        lines,
        [
            Table("Parts per CHPL tier", header, rows, total_rows=1),
            Table(
                "Parts by HS code",
                ["weapon system", "HS code", "tier", "components", "parts", "foreign parts"],
                codes,
            ),
        ],
        report.scope,
        sources,
    )


def timeline_document(report: TimelineReport, sources: SourcesReport | None = None) -> Document:
    weapons = report.weapons
    single = len(weapons) == 1
    header = [report.period.value] + (["parts"] if single else [*weapons, "all"])
    rows: list[list[Any]] = []
    for b in report.buckets:
        cells = [b.parts_by_weapon.get(w, 0) for w in weapons]
        rows.append([b.label, *cells] if single else [b.label, *cells, b.total])
    totals = [sum(b.parts_by_weapon.get(w, 0) for b in report.buckets) for w in weapons]
    rows.append(["Total", *totals] if single else ["Total", *totals, sum(totals)])
    controls = [
        [
            c.designation,
            c.parts,
            c.after,
            Share(c.after / c.parts if c.parts else 0.0),
            c.before,
            c.undetermined,
            c.no_date,
            c.no_controls,
            c.unknown_origin,
        ]
        for c in report.controls
    ]
    lag = [
        [
            r.designation,
            r.parts,
            r.median,
            r.q1,
            r.q3,
            r.minimum,
            r.maximum,
            r.year_only,
            r.missing,
            r.negative,
        ]
        for r in report.lag
    ]
    dates = ", ".join(d.isoformat() for d in report.controls_dates) or "none recorded"
    lines = report.scope.lines()
    lines += [
        f"Export controls: the day each origin country's controls took effect, from the country "
        f"group {report.controls_group.code} ({report.controls_group.name}); dates: {dates}.",
        "Made after the controls: the manufacture period starts on or after that day; before: "
        "the whole period ends before it; undetermined: the period (e.g. a year) contains it.",
        f"Lag from manufacture to recovery, in days: {LAG_METHOD}.",
    ]
    lines += _reference_lines(report.references)
    title = f"Manufacture dates of the parts, by {report.period.value}"
    if report.scope.weapon:
        title = f"Manufacture dates of the parts of the {report.scope.weapon}"
    return Document(
        "timeline",
        title,
        lines,
        [
            Table(f"Parts by manufacture {report.period.value}", header, rows, total_rows=1),
            Table(
                "Made after the export controls of the origin country",
                [
                    "weapon system",
                    "parts",
                    "made after",
                    "share made after",
                    "made before",
                    "undetermined",
                    "no manufacture date",
                    "origin without controls",
                    "unknown origin",
                ],
                controls,
                total_rows=1,
            ),
            Table(
                "Days from manufacture to recovery",
                [
                    "weapon system",
                    "parts",
                    "median",
                    "first quartile",
                    "third quartile",
                    "min",
                    "max",
                    "left out: year only",
                    "left out: a date missing",
                    "recovered before made",
                ],
                lag,
                total_rows=1,
            ),
        ],
        report.scope,
        sources,
    )


def sources_document(report: SourcesReport) -> Document:
    lines = report.scope.lines()
    lines.append(
        f"Components without any source: {report.components_without_source} "
        "(every finding should cite one)."
    )
    title = "Sources behind the figures"
    if report.scope.weapon:
        title = f"Sources behind the figures for the {report.scope.weapon}"
    return Document("sources", title, lines, sources_tables(report), report.scope)


# Rendering -------------------------------------------------------------------------------------


def _all_tables(doc: Document) -> list[Table]:
    return doc.tables + (sources_tables(doc.sources) if doc.sources else [])


def _text_columns(table: Table) -> list[int]:
    """The columns holding text (an HS code such as 8534.00 must not be read as a number)."""
    return [
        i
        for i in range(len(table.header))
        if any(
            isinstance(row[i], str) and row[i]
            for row in table.rows[: len(table.rows) - table.total_rows]
        )
    ]


def to_text(doc: Document, markdown: bool = False, level: int = 1) -> str:
    """A terminal table, or Markdown (``level``: the heading level of the title)."""
    out: list[str] = []
    if markdown:
        out.append(f"{'#' * level} {_md(doc.title)}")
        out.append("")
        out += [f"- {_md(line)}" for line in doc.header]
    else:
        out.append(doc.title)
        out.append("=" * len(doc.title))
        out += doc.header
    for table in _all_tables(doc):
        out.append("")
        out.append(f"{'#' * (level + 1)} {_md(table.name)}" if markdown else table.name)
        out.append("")
        if not table.rows:
            out.append("(none)")
            continue
        if markdown:
            cells = [[_md(_text(v)) for v in row] for row in table.rows]
            out.append(
                tabulate(
                    cells,
                    headers=[_md(h) for h in table.header],
                    tablefmt="github",
                    disable_numparse=_text_columns(table),
                )
            )
        else:
            cells = [[_text(v) for v in row] for row in table.rows]
            out.append(
                tabulate(
                    cells,
                    headers=table.header,
                    tablefmt="simple",
                    maxcolwidths=[40] * len(table.header),
                    disable_numparse=_text_columns(table),
                )
            )
        if table.note:
            out.append("")
            out.append(_md(table.note) if markdown else table.note)
    return "\n".join(out) + "\n"


def to_csv(doc: Document) -> str:
    """The report's main table, each row led by its basis and filters; with sources, the
    sources follow as a second table after one empty line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    main = doc.tables[0]
    writer.writerow(["basis", "filters", *main.header])
    summary = doc.scope.summary()
    for row in main.rows:
        writer.writerow([_safe(v) for v in [doc.scope.basis.value, summary, *map(_plain, row)]])
    if doc.sources:
        for table in sources_tables(doc.sources):
            writer.writerow([])
            writer.writerow(table.header)
            writer.writerows([[_safe(_plain(v)) for v in row] for row in table.rows])
    return out.getvalue()


def to_json_data(doc: Document) -> dict[str, Any]:
    def table(t: Table) -> dict[str, Any]:
        return {
            "name": t.name,
            "columns": t.header,
            "rows": [dict(zip(t.header, map(_plain, row), strict=True)) for row in t.rows],
            "total_rows": t.total_rows,
        }

    scope = asdict(doc.scope)
    data: dict[str, Any] = {
        "report": doc.report,
        "title": doc.title,
        "header": doc.header,
        "scope": scope,
        "tables": [table(t) for t in doc.tables],
    }
    if doc.sources:
        data["sources"] = [table(t) for t in sources_tables(doc.sources)]
    return data


def to_json(doc: Document) -> str:
    return json.dumps(to_json_data(doc), ensure_ascii=False, indent=2, default=str) + "\n"


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: Sequence[str]) -> list[str]:
    """Sheet names Excel accepts: no []:*?/\\, at most 31 characters, unique (any case)."""
    used = {"report"}
    out = []
    for name in names:
        name = _SHEET_BAD.sub(" ", name)[:31].strip() or "Table"
        base, n = name, 2
        while name.lower() in used:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        used.add(name.lower())
        out.append(name)
    return out


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Share):
        return round(float(value), 6)
    if isinstance(value, int | float) or value is None:
        return value
    return _text(value)


def to_xlsx(doc: Document) -> bytes:
    """A workbook: a "Report" sheet with the title and the header lines, then one sheet per
    table (shares as fractions). Written by ``render.write_xlsx``, which quotes cells that a
    spreadsheet would run as formulas."""
    tables = _all_tables(doc)
    sheets: list[tuple[str, Sequence[str], list[list[Any]]]] = [
        ("Report", [doc.title], [[line] for line in doc.header])
    ]
    for name, table in zip(_sheet_names([t.name for t in tables]), tables, strict=True):
        rows = [[_xlsx_value(v) for v in row] for row in table.rows]
        if table.note:
            rows += [[], [table.note]]
        sheets.append((name, table.header, rows))
    with tempfile.TemporaryDirectory(prefix="provenance-xlsx-") as folder:
        path = Path(folder) / "report.xlsx"
        write_xlsx(path, sheets)
        return path.read_bytes()


def to_html(doc: Document, level: int = 2, charts: Sequence[tuple[str, str]] = ()) -> str:
    """An HTML fragment (a <section>) for the document; ``charts`` are (data URI, alt text)
    pairs shown after the header."""
    e = html.escape
    h, h2 = f"h{level}", f"h{level + 1}"
    out = [f'<section class="report" id="report-{e(doc.report)}">', f"<{h}>{e(doc.title)}</{h}>"]
    out.append('<ul class="header">')
    out += [f"<li>{e(line)}</li>" for line in doc.header]
    out.append("</ul>")
    for uri, alt in charts:
        out.append(
            f'<figure><img src="{e(uri)}" alt="{e(alt)}"><figcaption>{e(alt)}</figcaption></figure>'
        )
    for table in _all_tables(doc):
        out.append(f"<{h2}>{e(table.name)}</{h2}>")
        if not table.rows:
            out.append("<p>(none)</p>")
            continue
        numeric = [
            all(isinstance(r[i], int | float) or r[i] is None for r in table.rows)
            for i in range(len(table.header))
        ]
        out.append("<table>")
        out.append(
            "<thead><tr>"
            + "".join(
                f"<th{' class=num' if numeric[i] else ''}>{e(col)}</th>"
                for i, col in enumerate(table.header)
            )
            + "</tr></thead>"
        )
        out.append("<tbody>")
        first_total = len(table.rows) - table.total_rows
        for r_index, row in enumerate(table.rows):
            cls = ' class="total"' if r_index >= first_total else ""
            cells = "".join(
                f"<td{' class=num' if numeric[i] else ''}>{_html_cell(v)}</td>"
                for i, v in enumerate(row)
            )
            out.append(f"<tr{cls}>{cells}</tr>")
        out.append("</tbody></table>")
        if table.note:
            out.append(f'<p class="note">{e(table.note)}</p>')
    out.append("</section>")
    return "\n".join(out)


def _html_cell(value: Any) -> str:
    text = _text(value)
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(text)


def render(doc: Document, fmt: str) -> str | bytes:
    """The document in one of ``FORMATS`` (xlsx as bytes, the others as text)."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        return to_csv(doc)
    if fmt == "xlsx":
        return to_xlsx(doc)
    return to_text(doc, markdown=fmt == "markdown")
