"""The cell rules and writers every output shares: CSV, JSON, terminal and Markdown tables, Excel
workbooks.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return) as a
formula: every CSV and xlsx cell provenance writes goes through :func:`safe_cell`, which quotes
it.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import enum
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

#: What a cell that a spreadsheet would run as a formula starts with.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def plain(value: Any) -> Any:
    """A value JSON, CSV and spreadsheets can hold: exact numbers stay numbers, dates ISO text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell: NULL empty, dates ISO text, text that a spreadsheet would run as a formula
    quoted (:func:`safe_cell`)."""
    return "" if value is None else safe_cell(plain(value))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row; cells a spreadsheet would run as formulas are quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def json_text(data: Any) -> str:
    """Indented JSON (non-ASCII text as it is), ending in a newline."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def md_cell(value: Any) -> Any:
    """A Markdown table cell: a "|" in the text would end the cell."""
    if isinstance(value, str):
        return value.replace("|", "\\|")
    return value


def table_text(
    rows: Sequence[Sequence[Any]], header: Sequence[str], fmt: str, widths: Sequence[int | None]
) -> str:
    """A terminal table (long cells wrapped at ``widths``), or a GitHub Markdown table (one line
    per row: a wrapped cell would turn into extra rows)."""
    if fmt == "markdown":
        cells = [[md_cell(v) for v in r] for r in rows]
        return tabulate(cells, headers=list(header), tablefmt="github")
    return tabulate(rows, headers=list(header), tablefmt="simple", maxcolwidths=list(widths))


def unique_names(header: Sequence[str]) -> list[str]:
    """Column names as JSON keys: a repeated name gets _2, _3, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def xlsx_cell(value: Any) -> Any:
    """A cell value for openpyxl: formulas neutralised (openpyxl would store "=..." as a formula),
    characters Excel cannot hold removed, times without time zone (in UTC)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.date | dt.time | int | float) and not isinstance(value, bool):
        return value
    value = plain(value)
    if isinstance(value, str):
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
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
            sheet.append([xlsx_cell(h) for h in header])
            for row in data:
                sheet.append([xlsx_cell(v) for v in row])
    except BaseException:
        for sheet in written:  # close the sheets' temporary files; nothing is saved
            sheet.close()
        raise
    workbook.save(path)
