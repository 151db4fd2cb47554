"""Documents: the one output stack of every report. A document is a title, a header that states
the basis and filters, tables, and the sources behind the numbers; :func:`render` writes it as a
terminal table, Markdown, CSV, JSON or an Excel workbook (xlsx), :func:`to_html` as an HTML
fragment (for the dossier).

Each report becomes a document in :mod:`provenance.publish.report_documents`. Tables are plain
header + rows; shares are :class:`Share` values (a fraction, shown as a percentage), or
:class:`NotApplicable` when there is nothing to take a share of; lists of names are
:class:`Names` (a terminal shows the first few). A document is laid out as text in one of two
ways (:class:`Layout`), and may give its own flat tables for CSV and xlsx and its own JSON, so
that reports whose outputs scripts already read keep them exactly.

Reading at scale: a table can be kept out of the text (``DocTable.text``, e.g. 200 per-weapon
tables shown only when asked for) or out of the data (``DocTable.data``, e.g. the top of a long
list); a matrix can carry its long form (``DocTable.long_form``), which the text shows when the
matrix would be wider than the width asked for (``to_text(width=...)``), unless ``wide``.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import html
import io
import re
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from provenance.publish.formats import (
    fit_widths,
    is_number,
    json_text,
    md_cell,
    render_markdown,
    render_table,
    safe_cell,
    table_text,
    write_xlsx,
)
from provenance.reports.core import Scope
from provenance.reports.sources import SourceRow, SourcesReport

#: Every format a document is written in (xlsx as bytes, the others as text).
FORMATS = ("table", "csv", "json", "markdown", "xlsx")


class Share(float):
    """A fraction (0.25), shown as a percentage (25.0%)."""


@dataclass(frozen=True)
class NotApplicable:
    """A share of nothing (no parts, no part of known origin, no dated part): "n/a" in a
    table, with the reason in the table's notes; empty in CSV and xlsx, null in JSON."""

    reason: str


def share(part: int, whole: int, reason: str) -> Share | NotApplicable:
    """``part`` over ``whole`` as a :class:`Share`, or n/a for ``reason`` when ``whole`` is 0."""
    return Share(part / whole) if whole else NotApplicable(reason)


#: How many names a terminal or Markdown table shows of a :class:`Names` cell.
NAMES_SHOWN = 5


class Names(list[str]):
    """Names in one cell (the weapon systems a maker's parts were found in, ...): a terminal or
    Markdown table shows the first :data:`NAMES_SHOWN` and "+N more"; CSV, JSON, xlsx and HTML
    every one of them."""

    sep = "; "

    def shown(self, limit: int = NAMES_SHOWN) -> str:
        if len(self) <= limit:
            return self.sep.join(self)
        return self.sep.join(self[:limit]) + f"{self.sep}+{len(self) - limit} more"


class CommaNames(Names):
    """:class:`Names` written with commas."""

    sep = ", "


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
    #: Shown in the terminal, Markdown and HTML; in CSV, JSON and xlsx.
    text: bool = True
    data: bool = True
    #: The same figures one row per cell (weapon system, origin, parts, share), shown instead of
    #: this matrix when it is wider than the text's width (and not ``wide``).
    long_form: DocTable | None = None


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
    #: What makes the document's JSON, when the report has its own layout of it (kept for the
    #: scripts that read it); otherwise the JSON is the title, header, scope and tables. Called
    #: only when JSON is asked for: the other formats do not pay for it.
    data: Callable[[], dict[str, Any]] | None = None


# Cells -----------------------------------------------------------------------------------------


def _text(value: Any, short: bool = False) -> str:
    """A cell as text; ``short``: a :class:`Names` cell as its first few names."""
    if value is None:
        return ""
    if isinstance(value, Names):
        return value.shown() if short else value.sep.join(value)
    if isinstance(value, NotApplicable):
        return "n/a"
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


def na_notes(table: DocTable) -> list[str]:
    """The reasons of the table's n/a cells, once each: "n/a: ..." lines."""
    reasons: dict[str, None] = {}
    for row in table.rows:
        for value in row:
            if isinstance(value, NotApplicable):
                reasons[value.reason] = None
    return [f"n/a: {reason}" for reason in reasons]


def _notes(table: DocTable) -> list[str]:
    return ([table.note] if table.note else []) + na_notes(table)


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


def source_rows(sources: Sequence[SourceRow]) -> list[list[Any]]:
    """Sources as rows of :data:`SOURCE_HEADER`."""
    return [
        [s.publisher, s.title, s.published, s.reliability, s.url, s.components, s.parts]
        for s in sources
    ]


def sources_tables(report: SourcesReport) -> list[DocTable]:
    rows = source_rows(report.sources)
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
    """The tables the text (terminal, Markdown, HTML) shows."""
    shown = [t for t in doc.tables if t.text]
    return shown + (sources_tables(doc.sources) if doc.sources else [])


def _data_of(doc: Document) -> list[DocTable]:
    """The tables CSV and JSON hold."""
    return [t for t in doc.tables if t.data]


def _data_tables(doc: Document) -> list[DocTable]:
    """The tables for CSV and xlsx: the document's flat ones, else the ones it holds."""
    tables = doc.data_tables or _data_of(doc)
    return tables + (sources_tables(doc.sources) if doc.sources else [])


#: The widest a text cell of a report's table is before it wraps.
CELL_WIDTH = 40


def _right(table: DocTable) -> list[bool]:
    """The columns of numbers and shares (right-aligned; an HS code such as 8534.00 is text)."""
    body = table.rows[: len(table.rows) - table.total_rows] or table.rows

    def numeric(v: Any) -> bool:
        return is_number(v) or isinstance(v, NotApplicable) or v is None

    return [
        all(numeric(r[i]) for r in body) and any(r[i] is not None for r in body)
        for i in range(len(table.header))
    ]


def _laid_out(
    table: DocTable, caps: Sequence[int | None], markdown: bool, width: int | None
) -> tuple[str, int]:
    """The table as text (made to fit ``width`` when it can), and how wide it is."""
    right = _right(table)
    cells = [[_text(v, short=True) for v in row] for row in table.rows]
    if markdown:
        text = render_markdown(
            [md_cell(h) for h in table.header], [[md_cell(c) for c in r] for r in cells], right
        )
    else:
        columns = [[r[i] for r in cells] for i in range(len(table.header))]
        widths = fit_widths(table.header, columns, right, caps, width)
        text = render_table(table.header, cells, right, widths)
    return text, max(len(line) for line in text.split("\n"))


def _table_text(
    table: DocTable,
    caps: Sequence[int | None],
    markdown: bool,
    width: int | None,
    wide: bool,
) -> tuple[str, list[str]]:
    """The table as text and its notes; its long form instead when it is too wide."""
    text, wide_as = _laid_out(table, caps, markdown, width)
    long = table.long_form
    if long is None or wide or width is None or wide_as <= width or not long.rows:
        return text, _notes(table)
    long_text, _ = _laid_out(long, [CELL_WIDTH] * len(long.header), markdown, width)
    note = (
        f"Shown in long form, one row per {long.header[0]} and {long.header[1]}: as a table "
        f"it would be {wide_as} characters wide, more than the {width} available (the "
        "terminal's width or --max-columns). --wide shows the table; CSV, JSON and xlsx always "
        "hold it."
    )
    return long_text, [note, *_notes(long)]


def _prose(lines: Sequence[str], width: int | None) -> list[str]:
    """Lines of text wrapped at ``width`` (those longer than it; none without a width)."""
    if width is None:
        return list(lines)
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, width, subsequent_indent="  ") if len(line) > width else [line]
    return out


def to_text(
    doc: Document,
    markdown: bool = False,
    level: int = 1,
    width: int | None = None,
    wide: bool = False,
) -> str:
    """A terminal table, or Markdown (``level``: the heading level of the title).

    ``width``: the characters a line may take (a terminal's width): tables are made to fit it
    where they can (long cells wrapped), and a matrix that cannot is shown in its long form,
    unless ``wide``.
    """
    if doc.layout is Layout.PLAIN:
        return _plain_text(doc, markdown, level, width)
    out: list[str] = []
    if markdown:
        out.append(f"{'#' * level} {_md(doc.title)}")
        out.append("")
        out += [f"- {_md(line)}" for line in doc.header]
    else:
        out.append(doc.title)
        out.append("=" * len(doc.title))
        out += _prose(doc.header, width)
    for table in _all_tables(doc):
        out.append("")
        out.append(f"{'#' * (level + 1)} {_md(table.name)}" if markdown else table.name)
        out.append("")
        if not table.rows:
            out.append("(none)")
            continue
        text, notes = _table_text(table, [CELL_WIDTH] * len(table.header), markdown, width, wide)
        out.append(text)
        if notes:
            out.append("")
            out += [_md(n) for n in notes] if markdown else _prose(notes, width)
    return "\n".join(out) + "\n"


def _plain_text(doc: Document, markdown: bool, level: int, width: int | None) -> str:
    """``to_text`` in :attr:`Layout.PLAIN`."""
    out: list[str] = []
    if doc.title:
        out.append(f"{'#' * level} {doc.title}" if markdown else doc.title)
    out += doc.header if markdown else _prose(doc.header, width)
    for table in _all_tables(doc):
        if out:
            out.append("")
        if table.name:
            out.append(f"{'#' * (level + 1)} {table.name}" if markdown else table.name)
        out += table.lead if markdown else _prose(table.lead, width)
        if table.name or table.lead:
            out.append("")
        cells = [
            [_text(v, short=True) if isinstance(v, Share | Names | NotApplicable) else v for v in r]
            for r in table.rows
        ]
        widths = table.widths or [None] * len(table.header)
        fmt = "markdown" if markdown else "table"
        out.append(table_text(cells, table.header, fmt, widths, width))
        notes = na_notes(table)
        if notes:
            out.append("")
            out += notes if markdown else _prose(notes, width)
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
        main = _data_of(doc)[0]
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
        return doc.data()

    def table(t: DocTable) -> dict[str, Any]:
        return {
            "name": t.name,
            "columns": t.header,
            "rows": [dict(zip(t.header, map(_data, row), strict=True)) for row in t.rows],
            "total_rows": t.total_rows,
            "notes": _notes(t),
        }

    data: dict[str, Any] = {
        "report": doc.report,
        "title": doc.title,
        "header": doc.header,
        "scope": None if doc.scope is None else asdict(doc.scope),
        "tables": [table(t) for t in _data_of(doc)],
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
        notes = _notes(table)
        if notes:
            rows += [[], *([n] for n in notes)]
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
            all(isinstance(r[i], int | float | NotApplicable) or r[i] is None for r in table.rows)
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
        out += [f'<p class="note">{e(n)}</p>' for n in _notes(table)]
    out.append("</section>")
    return "\n".join(out)


def _html_cell(value: Any) -> str:
    text = _text(value)
    if isinstance(value, str) and re.fullmatch(r"https?://\S+", value):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(text)


def render(doc: Document, fmt: str, width: int | None = None, wide: bool = False) -> str | bytes:
    """The document in one of ``FORMATS`` (xlsx as bytes, the others as text); ``width`` and
    ``wide``: of the terminal table and Markdown (:func:`to_text`)."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        return to_csv(doc)
    if fmt == "xlsx":
        return to_xlsx(doc)
    return to_text(doc, markdown=fmt == "markdown", width=width, wide=wide)
