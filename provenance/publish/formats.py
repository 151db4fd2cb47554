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
import functools
import io
import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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
    """A Markdown table cell: a "|" in the text would end the cell, a newline the row."""
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    return value


def cell_text(value: Any) -> str:
    """A cell as a terminal table shows it: NULL empty, floats as ``%g``, dates ISO."""
    if type(value) is str:  # most cells, and str() of one is itself
        return value
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


#: A text column is never made narrower than this to fit a table into the width asked for.
MIN_TEXT_WIDTH = 12


#: Whitespace textwrap treats apart from a single space: its own (tabs, ...) and Unicode spaces
#: (which it drops at the ends of lines).
_OTHER_SPACE = re.compile(r"[^\S ]")
#: textwrap's split of a word into the pieces a line may end after ("DC-" "DC").
_WORD_PIECES = textwrap.TextWrapper.wordsep_re


def _chunks(line: str) -> list[str] | None:
    """The line as textwrap cuts it: words (split after their hyphens as textwrap splits them)
    and the single spaces between them; None for any other line (two spaces in a row, a space
    at an end, other whitespace)."""
    words = line.split(" ")
    if not all(words) or _OTHER_SPACE.search(line):
        return None
    chunks: list[str] = []
    for i, word in enumerate(words):
        if i:
            chunks.append(" ")
        if "-" in word:
            chunks += [piece for piece in _WORD_PIECES.split(word) if piece]
        else:
            chunks.append(word)
    return chunks


def wrap_line(line: str, width: int) -> list[str]:
    """``textwrap.wrap(line, width)``, computed directly for the common line (see
    :func:`_chunks`) with no piece wider than ``width``: each line takes as many pieces as fit,
    without the space it would end or start with. Any other line goes to textwrap itself (the
    same result, about three times slower on a report's long cells)."""
    chunks = _chunks(line)
    if chunks is None or max(map(len, chunks)) > width:
        return textwrap.wrap(line, width)
    lines: list[str] = []
    current: list[str] = []
    length = 0
    for chunk in chunks:
        if length + len(chunk) <= width:
            current.append(chunk)
            length += len(chunk)
            continue
        if current[-1] == " ":
            current.pop()
        lines.append("".join(current))
        current, length = ([], 0) if chunk == " " else ([chunk], len(chunk))
    if current:
        lines.append("".join(current))
    return lines


@functools.lru_cache(maxsize=16384)
def _wrap(text: str, width: int) -> tuple[str, ...]:
    """The lines of a cell wrapped at ``width`` (its own line breaks kept). Remembered: a long
    listing repeats the same makers, parts and sources in row after row."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines += wrap_line(line, width) or [""]
    return tuple(lines)


def _natural(texts: Sequence[str]) -> int:
    """The width of a column's widest line."""
    widest = 0
    for text in texts:
        n = max(map(len, text.split("\n"))) if "\n" in text else len(text)
        widest = max(widest, n)
    return widest


def fit_widths(
    header: Sequence[str],
    columns: Sequence[Sequence[str]],
    right: Sequence[bool],
    caps: Sequence[int | None],
    max_width: int | None,
) -> list[int]:
    """Each column's width: its widest cell, at most its cap; then, while the table is wider
    than ``max_width``, the widest column that may shrink is made narrower (a text column down
    to :data:`MIN_TEXT_WIDTH`, a header down to its longest word; numbers never wrap)."""
    natural = [_natural(c) for c in columns]
    widths, floors = [], []
    for i, name in enumerate(header):
        cap = caps[i]
        width = max(natural[i], len(name))
        if cap is not None and not right[i]:
            width = min(width, max(cap, 1))
        word = max((len(w) for w in name.split()), default=0)
        floor = max(natural[i], word) if right[i] else min(width, max(MIN_TEXT_WIDTH, word))
        widths.append(width)
        floors.append(min(floor, width))
    if max_width is None:
        return widths
    room = max_width - 2 * (len(widths) - 1)

    def capped(level: int) -> list[int]:
        return [max(f, min(w, level)) for w, f in zip(widths, floors, strict=True)]

    if sum(widths) <= room:
        return widths
    # The highest level every column is cut down to (never below its floor) that fits.
    low, high = 0, max(widths)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(capped(mid)) <= room:
            low = mid
        else:
            high = mid - 1
    return capped(low)


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[bool],
    widths: Sequence[int],
) -> str:
    """A plain terminal table (the layout of tabulate's "simple"): a header, a rule of dashes,
    then the rows; columns two spaces apart, numbers right-aligned. Only the cells wider than
    their column are wrapped (at word boundaries), into extra lines of their row."""
    justify = [str.rjust if r else str.ljust for r in right]
    blanks = [" " * w for w in widths]
    out: list[str] = []

    def emit(cells: Sequence[Sequence[str]]) -> None:
        """One row of cells, each a list of lines: as many lines as its tallest cell."""
        height = max(map(len, cells))
        columns = [
            [just(text, w) for text in lines] + [blank] * (height - len(lines))
            for lines, just, w, blank in zip(cells, justify, widths, blanks, strict=True)
        ]
        out.extend("  ".join(line).rstrip() for line in zip(*columns, strict=True))

    head = [_wrap(h, w) if len(h) > w else (h,) for h, w in zip(header, widths, strict=True)]
    # Headers sit on their last line, as tabulate puts them.
    depth = max(map(len, head)) if head else 1
    emit([("",) * (depth - len(h)) + h for h in head])
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        if all(len(c) <= w and "\n" not in c for c, w in zip(row, widths, strict=True)):
            out.append(
                "  ".join(
                    just(c, w) for c, just, w in zip(row, justify, widths, strict=True)
                ).rstrip()
            )
        else:
            emit(
                [
                    _wrap(c, w) if len(c) > w or "\n" in c else (c,)
                    for c, w in zip(row, widths, strict=True)
                ]
            )
    return "\n".join(out)


def render_markdown(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]
) -> str:
    """A GitHub Markdown table, one line per row (cells already escaped with :func:`md_cell`)."""
    widths = [max([len(h), 3, *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(widths[i]) if right[i] else c.ljust(widths[i]) for i, c in enumerate(cells)
            )
            + " |"
        )

    rule = (
        "|"
        + "|".join("-" * (w + 1) + ":" if right[i] else "-" * (w + 2) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(header), rule, *map(line, rows)])


_PERCENT = re.compile(r"\d+(\.\d+)?%|n/a")


def _is_percent(value: Any) -> bool:
    """A share already written as text ("25.0%", "n/a"): aligned like a number."""
    return isinstance(value, str) and _PERCENT.fullmatch(value) is not None


def table_text(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str],
    fmt: str,
    widths: Sequence[int | None],
    max_width: int | None = None,
) -> str:
    """A terminal table (cells longer than ``widths`` wrapped, and the table made to fit
    ``max_width`` when it can), or a GitHub Markdown table (one line per row: a wrapped cell
    would turn into extra rows). Numbers are right-aligned."""
    right = [
        bool(rows)
        and all(is_number(r[i]) or r[i] is None or _is_percent(r[i]) for r in rows)
        and any(r[i] is not None for r in rows)
        for i in range(len(header))
    ]
    if fmt == "markdown":
        cells = [[md_cell(cell_text(v)) for v in r] for r in rows]
        return render_markdown([md_cell(h) for h in header], cells, right)
    # Text cells as they are without a call each (a listing has a million of them).
    cells = [[v if type(v) is str else cell_text(v) for v in r] for r in rows]
    columns = [[r[i] for r in cells] for i in range(len(header))]
    fitted = fit_widths(header, columns, right, widths, max_width)
    return render_table(header, cells, right, fitted)


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
