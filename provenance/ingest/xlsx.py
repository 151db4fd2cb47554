"""Reading Excel workbooks (``.xlsx``) into tables, one per sheet, in bounded memory.

Before anything is inflated, the sizes that the ZIP's directory declares are added up and
checked against ``Limits.xlsx_size`` (Python's zipfile never inflates a part past its declared
size, so a part that lies about its size is a broken file, not a bomb). Sheets are streamed with
openpyxl's read-only worksheets, with one change: openpyxl looks for a sheet's ``<dimension>``
when it opens a workbook and, when the sheet has none, parses the whole sheet into memory to
find it (gigabytes for a small file of empty rows). provenance ignores the dimension (it is
often wrong) and counts the rows as it reads them instead, up to ``Limits.xlsx_rows``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from provenance.errors import InvalidDataError, RowError
from provenance.ingest.tables import (
    HeaderTest,
    InputFile,
    Record,
    Row,
    Table,
    blank,
    file_error,
    find_header,
    header_columns,
)
from provenance.limits import Limits, size_text

__all__ = ["read_xlsx"]

#: What a damaged workbook raises while it is read (a part cut short, bad XML, a bad CRC).
_BROKEN = (zipfile.BadZipFile, zlib.error, ParseError, KeyError, ValueError, EOFError, OSError)
_FORMULA_WITHOUT_RESULT = (
    "holds a formula without a stored result: open and save the workbook in Excel or "
    "LibreOffice (so that it stores the results), or paste the values"
)


def _broken(name: str, exc: BaseException) -> InvalidDataError:
    detail = " ".join(str(exc).split())[:200]
    return file_error(
        name, f"not a readable Excel workbook (.xlsx) ({exc.__class__.__name__}: {detail})"
    )


def _check_size(path: Path, name: str, limits: Limits) -> None:
    """The workbook's parts, once uncompressed, within ``limits.xlsx_size``: read from the ZIP's
    directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except _BROKEN as exc:
        raise _broken(name, exc) from None
    total = sum(p.file_size for p in parts)
    if total > limits.xlsx_size:
        largest = max(parts, key=lambda p: p.file_size)
        raise file_error(
            name,
            f"the workbook inflates to {total:,} bytes ({largest.filename}: "
            f"{largest.file_size:,}), more than {size_text(limits.xlsx_size)}, the limit on a "
            "workbook's uncompressed size: is it a real findings workbook? Raise the limit "
            "with --limit xlsx-size=SIZE",
        )


@functools.cache
def _reader_class() -> Any:
    """openpyxl's reader of a workbook, with read-only worksheets that do not look for their
    dimension (see the module's docstring). Made on first use: openpyxl takes a while to
    import, and only workbooks need it."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            """No dimension: rows are counted as they are read."""

    class Reader(ExcelReader):
        def __init__(self, path: Path, data_only: bool, strings: list[str] | None) -> None:
            super().__init__(path, read_only=True, data_only=data_only, keep_links=False)
            self.strings = strings

        def read_strings(self) -> None:
            if self.strings is None:
                super().read_strings()
            else:  # the other view of the same workbook: its strings are read once
                self.shared_strings = self.strings

        def read_worksheets(self) -> None:
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state or "visible"
                self.wb._sheets.append(ws)  # type: ignore[attr-defined]

    return Reader


def _books(path: Path) -> tuple[Any, Any]:
    """Two views of the workbook, read side by side: the values Excel stored for the cells,
    and the cells themselves (to tell a formula without a stored result from an empty cell)."""
    reader = _reader_class()
    values = reader(path, True, None)
    values.read()
    formulas = reader(path, False, values.shared_strings)
    try:
        formulas.read()
    except BaseException:
        values.wb.close()
        raise
    return values.wb, formulas.wb


_PLAIN_NUMBER_FORMAT = re.compile(r"(0+)(?:\.(0+))?")


def _number_text(value: int | float, number_format: str | None) -> str:
    """A number as the cell shows it: ``0000`` keeps 823 as ``0823``, ``0.00`` keeps 8504.40."""
    match = _PLAIN_NUMBER_FORMAT.fullmatch(number_format or "")
    if match:
        width, decimals = len(match[1]), len(match[2] or "")
        if decimals:
            return f"{value:0{width + decimals + 1}.{decimals}f}"
        if float(value).is_integer():
            return f"{int(value):0{width}d}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _cell_text(value: Any, number_format: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value, number_format)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def read_xlsx(
    source: InputFile,
    sheets: Sequence[str],
    looks_like_header: HeaderTest | None,
    warnings: list[str] | None,
    limits: Limits,
) -> Iterator[Table]:
    """The tables of a workbook: its visible sheets, or the ``sheets`` asked for."""
    name = source.name
    _check_size(source.path, name, limits)
    try:
        values_book, formula_book = _books(source.path)
    except _BROKEN as exc:
        raise _broken(name, exc) from None
    titles = [ws.title for ws in values_book.worksheets]
    hidden = [ws.title for ws in values_book.worksheets if ws.sheet_state != "visible"]
    wanted = list(sheets) or [t for t in titles if t not in hidden]
    if not sheets and hidden and warnings is not None:
        warnings.extend(
            f"{name}[{title}]: a hidden sheet, skipped: name it with --sheet to load it"
            for title in hidden
        )
    missing = [s for s in wanted if s not in titles]
    if missing:
        values_book.close()
        formula_book.close()
        raise file_error(
            name,
            f"the workbook has no sheet {', '.join(map(repr, missing))}; its sheets: "
            + ", ".join(map(repr, titles)),
        )
    try:
        for title in wanted:
            sheet = _Sheet(name, title, values_book[title], formula_book[title], limits)
            table = sheet.table(looks_like_header)
            if table is not None:
                yield table
    finally:
        values_book.close()
        formula_book.close()


class _Sheet:
    """One sheet, read as a table: its rows counted, each cell checked."""

    def __init__(self, file_name: str, title: str, values: Any, formulas: Any, limits: Limits):
        self.file_name = file_name
        self.title = title
        self.name = f"{file_name}[{title}]"
        self.values = values
        self.formulas = formulas
        self.limits = limits
        self.columns: list[str] = []

    def numbered(self) -> Iterator[Row]:
        """(row number, cells) of every row, up to the limit on rows; a damaged part is a
        clean error."""
        most = self.limits.xlsx_rows
        try:
            pairs = zip(self.values.iter_rows(), self.formulas.iter_rows(), strict=False)
            for number, (cells, raw) in enumerate(pairs, start=1):
                if number > most:
                    raise file_error(
                        self.name,
                        f"the sheet has more than {most:,} rows, the limit on one sheet (Excel's "
                        "own maximum): raise it with --limit xlsx-rows=N",
                        row=number,
                    )
                yield number, list(zip(cells, raw, strict=False))
        except _BROKEN as exc:
            raise _broken(self.file_name, exc) from None

    def table(self, looks_like_header: HeaderTest | None) -> Table | None:
        header, skipped, rest = find_header(
            self.numbered(), looks_like_header, lambda row: [cell.value for cell, _ in row]
        )
        if header is None:
            return None  # an empty sheet
        self.columns = header_columns(self.name, header[0], header[1])
        return Table(self.name, self.title, self.columns, self.records(rest), skipped_rows=skipped)

    def cell_error(self, number: int, index: int, value: str, message: str) -> RowError:
        from openpyxl.utils import get_column_letter

        column = self.columns[index] if index < len(self.columns) else ""
        where = f"cell {get_column_letter(index + 1)}{number}"
        return RowError(self.name, number, column, value[:80], f"{where} {message}")

    def text(self, number: int, index: int, cell: Any, raw: Any, errors: list[RowError]) -> Any:
        """The text of one cell, or None with its problem in ``errors``."""
        value = cell.value
        if value is None and isinstance(raw.value, str) and raw.value.startswith("="):
            errors.append(self.cell_error(number, index, raw.value, _FORMULA_WITHOUT_RESULT))
            return None
        if getattr(cell, "data_type", None) == "e":
            errors.append(
                self.cell_error(number, index, str(value), f"holds the Excel error {value}")
            )
            return None
        text = _cell_text(value, getattr(cell, "number_format", None))
        if text is not None and len(text) > self.limits.cell_size:
            message = (
                f"is longer than {self.limits.cell_size:,} characters, the limit on one cell: "
                "raise it with --limit cell-size=N"
            )
            errors.append(self.cell_error(number, index, text, message))
            return None
        if text is not None and "\x00" in text:
            errors.append(self.cell_error(number, index, text, "holds a NUL character (U+0000)"))
            return None
        return text

    def records(self, rest: Iterator[Row]) -> Iterator[Record]:
        name, columns = self.name, self.columns
        width = len(columns)
        for number, row in rest:
            errors: list[RowError] = []
            texts = [self.text(number, i, cell, raw, errors) for i, (cell, raw) in enumerate(row)]
            if blank(texts) and not errors:
                continue
            if len(texts) > width and blank(texts[width:]):
                del texts[width:]
            if len(texts) < width:
                texts += [None] * (width - len(texts))
            if len(texts) > width:
                extra = next(i for i in range(width, len(texts)) if texts[i] is not None)
                message = f"has a value, but its column has no header ({width} columns have one)"
                errors.append(self.cell_error(number, extra, str(texts[extra]), message))
                fields = tuple(t or "" for t in texts)
                yield Record(number, {}, errors=tuple(errors), source=name, fields=fields)
                continue
            yield Record(
                number, dict(zip(columns, texts, strict=True)), errors=tuple(errors), source=name
            )
