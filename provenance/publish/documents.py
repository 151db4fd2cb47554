"""Documents: the one output stack of every report. A document is a title, a header that states
the basis and filters, tables, and the sources behind the numbers; :func:`render` writes it as a
terminal table, Markdown, CSV, JSON or an Excel workbook (xlsx), :func:`to_html` as an HTML
fragment (for the dossier).

Each report becomes a document in :mod:`provenance.publish.report_documents`. Tables are plain
header + rows; shares are :class:`Share` values (a fraction, shown as a percentage). A document is
laid out as text in one of two ways (:class:`Layout`), and may give its own flat tables for CSV and
xlsx and its own JSON, so that reports whose outputs scripts already read keep them exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import html
import io
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tabulate import tabulate

from provenance.publish.formats import json_text, safe_cell, table_text, write_xlsx
from provenance.reports.core import Scope
from provenance.reports.sources import SourcesReport

#: Every format a document is written in (xlsx as bytes, the others as text).
FORMATS = ("table", "csv", "json", "markdown", "xlsx")


class Share(float):
    """A fraction (0.25), shown as a percentage (25.0%)."""


class NotApplicable:
    """A figure that is not defined (a share of no known parts): "n/a" in text, empty (null) in
    CSV, JSON and xlsx."""

    def __str__(self) -> str:
        return "n/a"


NOT_APPLICABLE = NotApplicable()


def share_cell(value: float | None) -> Share | NotApplicable:
    """A share's cell: the share, or n/a when it is not defined (None)."""
    return NOT_APPLICABLE if value is None else Share(value)


class Layout(enum.Enum):
    """How a document is laid out as a terminal table and as Markdown."""

    #: The title underlined (in Markdown: a heading, then the header lines as a list); each table
    #: under its name, long cells wrapped at 40 characters, text columns never read as numbers.
    REPORT = "report"
    #: The title and the header lines as they are, then each table under its name and its lead
    #: lines, long cells wrapped at the table's ``widths``, cells as they are (tabulate finds
    #: the numbers). The foreign-origin report's layout; a document without title, header and
    #: table names is just its tables (the component listing).
    PLAIN = "plain"


@dataclass
class DocTable:
    """One table of a document."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    total_rows: int = 0  # the last rows that are totals (bold in HTML and xlsx)
    note: str | None = None
    lead: list[str] = field(default_factory=list)  # lines between the name and the table
    widths: list[int | None] | None = None  # Layout.PLAIN: where to wrap each column's cells


@dataclass
class Document:
    report: str  # foreign-parts, components, countries, manufacturers, chpl, timeline, sources
    title: str
    header: list[str]
    tables: list[DocTable]
    scope: Scope | None = None  # the filters, for the reports that take them
    sources: SourcesReport | None = None
    layout: Layout = Layout.REPORT
    #: The flat tables written to CSV (the first) and xlsx instead of ``tables`` (a report
    #: shown as one table per weapon system is one flat table in a spreadsheet).
    data_tables: list[DocTable] = field(default_factory=list)
    #: The document's JSON, when the report has its own layout of it (kept for the scripts that
    #: read it); otherwise the JSON is the title, header, scope and tables.
    data: dict[str, Any] | None = None


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


def _data(value: Any) -> Any:
    """A cell for CSV and JSON: numbers stay numbers (shares as fractions)."""
    if value is None or isinstance(value, NotApplicable):
        return None
    if isinstance(value, Share):
        return round(float(value), 6)
    if isinstance(value, int | float):
        return value
    return _text(value)


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


def sources_tables(report: SourcesReport) -> list[DocTable]:
    rows = [
        [s.publisher, s.title, s.published, s.reliability, s.url, s.components, s.parts]
        for s in report.sources
    ]
    tables = [
        DocTable(
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
            DocTable(
                "Reference data",
                REFERENCE_HEADER,
                [[r.kind, r.citation, r.basis] for r in report.references],
            )
        )
    return tables


# Rendering -------------------------------------------------------------------------------------


def _all_tables(doc: Document) -> list[DocTable]:
    return doc.tables + (sources_tables(doc.sources) if doc.sources else [])


def _data_tables(doc: Document) -> list[DocTable]:
    """The tables for CSV and xlsx: the document's flat ones, else the ones it shows."""
    tables = doc.data_tables or doc.tables
    return tables + (sources_tables(doc.sources) if doc.sources else [])


def _text_columns(table: DocTable) -> list[int]:
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
    if doc.layout is Layout.PLAIN:
        return _plain_text(doc, markdown, level)
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


def _plain_text(doc: Document, markdown: bool, level: int) -> str:
    """``to_text`` in :attr:`Layout.PLAIN`."""
    out: list[str] = []
    if doc.title:
        out.append(f"{'#' * level} {doc.title}" if markdown else doc.title)
    out += doc.header
    for table in _all_tables(doc):
        if out:
            out.append("")
        if table.name:
            out.append(f"{'#' * (level + 1)} {table.name}" if markdown else table.name)
        out += table.lead
        if table.name or table.lead:
            out.append("")
        cells = [[_text(v) if isinstance(v, Share) else v for v in row] for row in table.rows]
        widths = table.widths or [None] * len(table.header)
        out.append(table_text(cells, table.header, "markdown" if markdown else "table", widths))
    return "\n".join(out) + "\n"


def to_csv(doc: Document) -> str:
    """The report's main table; with sources, the sources follow as a second table after one
    empty line.

    The main table's rows are led by the basis and filters, unless the document has its own flat
    tables (``data_tables``): then the first of them, as it is.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if doc.data_tables:
        main = doc.data_tables[0]
        writer.writerow(main.header)
        writer.writerows([[safe_cell(_data(v)) for v in row] for row in main.rows])
    else:
        main = doc.tables[0]
        writer.writerow(["basis", "filters", *main.header])
        basis, summary = _scope_cells(doc)
        for row in main.rows:
            writer.writerow([safe_cell(v) for v in [basis, summary, *map(_data, row)]])
    if doc.sources:
        for table in sources_tables(doc.sources):
            writer.writerow([])
            writer.writerow(table.header)
            writer.writerows([[safe_cell(_data(v)) for v in row] for row in table.rows])
    return out.getvalue()


def _scope_cells(doc: Document) -> tuple[str, str]:
    """The basis and the filters in one line, for the CSV of a document with a scope."""
    if doc.scope is None:
        raise ValueError(f"the {doc.report} document has no scope to lead its CSV rows with")
    return doc.scope.basis.value, doc.scope.summary()


def to_json_data(doc: Document) -> dict[str, Any]:
    """The document as JSON data: its own (``Document.data``), or the title, header, scope and
    tables (and sources)."""
    if doc.data is not None:
        return doc.data

    def table(t: DocTable) -> dict[str, Any]:
        return {
            "name": t.name,
            "columns": t.header,
            "rows": [dict(zip(t.header, map(_data, row), strict=True)) for row in t.rows],
            "total_rows": t.total_rows,
        }

    data: dict[str, Any] = {
        "report": doc.report,
        "title": doc.title,
        "header": doc.header,
        "scope": None if doc.scope is None else asdict(doc.scope),
        "tables": [table(t) for t in doc.tables],
    }
    if doc.sources:
        data["sources"] = [table(t) for t in sources_tables(doc.sources)]
    return data


def to_json(doc: Document) -> str:
    return json_text(to_json_data(doc))


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
    if isinstance(value, NotApplicable):
        return None
    if isinstance(value, Share):
        return round(float(value), 6)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float) or value is None:
        return value
    return _text(value)


def to_xlsx(doc: Document) -> bytes:
    """A workbook: a "Report" sheet with the title and the header lines (when the document has
    a title), then one sheet per table (shares as fractions; the flat ``data_tables`` when the
    document has them). Written by ``formats.write_xlsx``, which quotes cells that a
    spreadsheet would run as formulas."""
    tables = _data_tables(doc)
    sheets: list[tuple[str, Sequence[str], list[list[Any]]]] = []
    if doc.title:
        sheets.append(("Report", [doc.title], [[line] for line in doc.header]))
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
        out += [f'<p class="lead">{e(line)}</p>' for line in table.lead]
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
