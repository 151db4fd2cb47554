"""The shapes every reader gives: records, tables and files, and the header of a table.

A findings file is one or more *tables* (a workbook has one per sheet) of *records*; each record
knows where it came from, so that every error can name it. ``provenance.ingest.readers`` reads
text and JSON files into these, ``provenance.ingest.xlsx`` Excel workbooks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import InvalidDataError, RowError
from provenance.values.text import strip_invisible

#: How many non-empty rows at the top of a table are searched for the header.
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Record:
    row: int  # line number (text), sheet row (Excel) or 1-based position (JSON array)
    values: dict[str, str | None]  # column name as in the file -> text
    row_kind: str = "line"
    #: Problems with the record's shape (wrong field count, a list for a value): the loader
    #: reports them and checks no further values of the record, but goes on to the next ones.
    errors: tuple[RowError, ...] = ()
    #: Where the record is, for messages: the file, or ``file[sheet]`` for a workbook.
    source: str = ""
    #: The fields of a record whose shape is wrong (they could not be given names).
    fields: tuple[str, ...] = ()


@dataclass
class Table:
    """One table of a file: a delimited text or JSON file, or one sheet of a workbook."""

    name: str  # for messages: the file, or file[sheet]
    sheet: str | None
    #: The column names, in the file's order. For JSON it grows while the records are read.
    columns: list[str]
    records: Iterator[Record]
    row_kind: str = "line"
    #: True when every column is known before the records are read (not so for JSON).
    fixed_columns: bool = True
    #: Rows above the header that were skipped (a title, notes).
    skipped_rows: int = 0


@dataclass(frozen=True)
class InputFile:
    """A file to read, checked once: its hash, size, format and text encoding."""

    path: Path  # the file read (a temporary copy for standard input)
    name: str  # as named in messages
    sha256: str
    size: int
    format: str  # one of INPUT_FORMATS
    encoding: str | None = None  # for text formats
    delimiter: str | None = None  # for delimited text, when given


def file_error(
    name: str, message: str, row: int = 0, column: str = "", value: str = ""
) -> InvalidDataError:
    return InvalidDataError([RowError(name, row, column, value, message)])


HeaderTest = Callable[[Sequence[str]], bool]


def blank(cells: Iterable[Any]) -> bool:
    return not any(c is not None and str(c).strip() for c in cells)


Row = tuple[int, list[Any]]


def find_header(
    rows: Iterator[Row],
    looks_like_header: HeaderTest | None,
    cell_values: Callable[[list[Any]], list[Any]] = lambda cells: cells,
) -> tuple[Row | None, int, Iterator[Row]]:
    """The header row, how many non-empty rows above it were skipped, and the rows after it.

    Without a test the header is the first non-empty row; with one, the first of the first
    ``HEADER_SEARCH_ROWS`` non-empty rows that passes it, else again the first non-empty row.
    """
    buffered: list[Row] = []
    for number, cells in rows:
        texts = cell_values(cells)
        if blank(texts):
            continue
        item = (number, texts)
        if looks_like_header is None:
            return item, 0, rows
        buffered.append((number, cells))
        if looks_like_header([header_text(c) for c in texts]):
            return item, len(buffered) - 1, rows
        if len(buffered) >= HEADER_SEARCH_ROWS:
            break
    if not buffered:
        return None, 0, rows
    first = (buffered[0][0], cell_values(buffered[0][1]))
    return first, 0, itertools.chain(buffered[1:], rows)


def header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_invisible(str(value)).strip()  # a stray BOM or zero-width space in a name


def header_columns(name: str, row: int, header: Sequence[Any]) -> list[str]:
    columns = [header_text(c) for c in header]
    while columns and not columns[-1]:
        columns.pop()  # trailing empty cells (Excel, or a trailing delimiter)
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise file_error(name, "the header has an empty column name", row=row)
        if column in seen:
            raise file_error(name, "the header names this column twice", row=row, column=column)
        seen.add(column)
    return columns
