"""Reading findings files into records of text values, whatever the file's format and encoding.

Formats: delimited text (CSV with any of the delimiters ``, ; TAB |``, sniffed, or TSV), Excel
workbooks (``.xlsx``: every sheet, or the sheets asked for), JSON (an array of objects) and JSON
Lines (one object per line). The format is detected from the file's content (an Excel workbook is
a ZIP file; JSON starts with ``[`` or ``{``; anything else is delimited text), the extension only
tells a JSON array from JSON Lines; it can also be given (standard input has no name).

Text encodings: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text") and
Windows-1252 (cp1252, what Excel's plain "CSV" writes on Western Windows). A file is read as
cp1252 only when it is not UTF-8 and holds no UTF-8 characters at all; a file that mixes them, or
that is none of these encodings, is an error naming its first bad line.

Each file is one or more *tables* (an Excel workbook has one per sheet). A table's header is its
first non-empty row, or, when the caller says what a header looks like, the first of its first
rows that looks like one (a report annex often has a title above its header). Each record knows
where it came from (the line in a text file, the sheet and row in a workbook, the position in a
JSON array) so that every error can name it. Problems with a file as a whole raise
``InvalidDataError``; values are checked later, by the loader.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import itertools
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from provenance.errors import InvalidDataError, RowError
from provenance.values.text import strip_invisible

# A single cell may hold a long marking or notes; Python's default limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)

#: The input formats, as --input-format names them.
INPUT_FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "xlsx")
#: The delimiters a delimited text file may use (sniffed when not given).
DELIMITERS = ",;\t|"
#: How many non-empty rows at the top of a table are searched for the header.
HEADER_SEARCH_ROWS = 20
STDIN_NAME = "<stdin>"

_SAMPLE = 64 * 1024
_BLOCK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CP1252_UNDEFINED = re.compile(rb"[\x00\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF8_HINT = "save it as UTF-8 (in Excel: 'CSV UTF-8') or as an Excel workbook"


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


@dataclass
class _Scan:
    sha256: str = ""
    size: int = 0
    head: bytes = b""
    utf8: bool = True
    mixed: bool = False  # not UTF-8, but holding UTF-8 characters
    cp1252_bad: bool = False  # bytes that Windows-1252 does not use, or NUL
    nul: bool = False  # NUL bytes: no text file in UTF-8 or Windows-1252 has them


def _file_error(
    name: str, message: str, row: int = 0, column: str = "", value: str = ""
) -> InvalidDataError:
    return InvalidDataError([RowError(name, row, column, value, message)])


def copy_stream(stream: IO[bytes], folder: Path) -> Path:
    """Copy standard input (or any binary stream) into ``folder``, so it can be read twice."""
    path = folder / "stdin"
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, _BLOCK)
    return path


def _scan(path: Path) -> _Scan:
    """One pass over the bytes: the SHA-256, the first bytes, and what encodings fit."""
    scan = _Scan()
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen_non_ascii = False
    binary = False
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
            scan.size += len(block)
            if len(scan.head) < _SAMPLE:
                scan.head += block[: _SAMPLE - len(scan.head)]
                binary = scan.head.startswith((_ZIP_MAGIC, _OLE_MAGIC))
            if binary:
                continue
            if scan.utf8:
                try:
                    decoder.decode(block)
                    seen_non_ascii = seen_non_ascii or not block.isascii()
                except UnicodeDecodeError:
                    scan.utf8 = False
                    scan.mixed = seen_non_ascii or bool(_UTF8_MULTIBYTE.search(block))
            elif not scan.mixed:
                scan.mixed = bool(_UTF8_MULTIBYTE.search(block))
            scan.cp1252_bad = scan.cp1252_bad or bool(_CP1252_UNDEFINED.search(block))
            scan.nul = scan.nul or b"\x00" in block
    if scan.utf8 and not binary:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.utf8 = False
    scan.sha256 = digest.hexdigest()
    return scan


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when every other byte of the start is zero (ASCII in UTF-16)."""
    sample = head[:2000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _first_bad_line(path: Path, bad: Callable[[bytes], str | None]) -> tuple[int, str]:
    """The number of the first line for which ``bad`` has a complaint, and the complaint."""
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                complaint = bad(line)
                if complaint:
                    return number, complaint
    except OSError:
        pass
    return 0, ""


def _not_utf8(line: bytes) -> str | None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = line[exc.start : exc.start + 1].hex()
        return f"{exc.reason} 0x{byte}, byte {exc.start + 1} of the line"
    return None


def _not_cp1252(line: bytes) -> str | None:
    match = _CP1252_UNDEFINED.search(line)
    if match is None:
        return None
    return f"the byte 0x{match.group().hex()}, byte {match.start() + 1} of the line"


def _encoding(path: Path, name: str, scan: _Scan) -> str:
    head = scan.head
    if head.startswith(codecs.BOM_UTF8):
        if scan.utf8:
            return "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return utf16
        if len(_CONTROL.findall(head)) > max(2, len(head) // 100):
            raise _file_error(
                name,
                "not a text file (it holds control characters that text does not have) and not "
                f"an Excel workbook: {_UTF8_HINT}",
            )
        if scan.utf8 and not scan.nul:
            return "utf-8"
        if not scan.utf8 and not scan.mixed and not scan.cp1252_bad:
            return "cp1252"
    if scan.nul or scan.utf8 or not (scan.mixed or head.startswith(codecs.BOM_UTF8)):
        row, where = _first_bad_line(path, _not_cp1252)
        message = (
            "the file is not text in UTF-8, UTF-16 or Windows-1252 (cp1252)"
            + (f" ({where})" if where else "")
            + f": {_UTF8_HINT}"
        )
        raise _file_error(name, message, row=row)
    row, where = _first_bad_line(path, _not_utf8)
    message = (
        "the file is not UTF-8 text"
        + (f" ({where})" if where else "")
        + ", although other lines are: it mixes encodings; "
        + _UTF8_HINT
    )
    raise _file_error(name, message, row=row)


def detect_format(path: Path, head: bytes | None = None, encoding: str = "utf-8") -> str:
    """``xlsx``, ``json``, ``jsonl``, ``tsv`` or ``csv``, from the content first.

    A ZIP file is an Excel workbook; text that starts with ``[`` is a JSON array (JSON Lines if
    the extension says ``.jsonl``); text that starts with ``{`` is JSON Lines (a JSON document if
    the extension says ``.json``); anything else is delimited text (TSV if the extension says so).
    An empty file is what its extension says.
    """
    suffix = path.suffix.lower()
    if head is None:
        with path.open("rb") as handle:
            head = handle.read(_SAMPLE)
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    lines = suffix in {".jsonl", ".ndjson"}
    if text.startswith("["):
        return "jsonl" if lines else "json"
    if text.startswith("{"):
        return "json" if suffix == ".json" else "jsonl"
    if not text:
        by_suffix = {".json": "json", ".xlsx": "xlsx", ".tsv": "tsv", ".tab": "tsv"}
        return "jsonl" if lines else by_suffix.get(suffix, "csv")
    return "tsv" if suffix in {".tsv", ".tab"} else "csv"


def inspect_file(path: Path, name: str | None = None, input_format: str | None = None) -> InputFile:
    """Hash the file and find its format and encoding; InvalidDataError when it cannot be read."""
    name = name or str(path)
    scan = _scan(path)
    if scan.head.startswith(_OLE_MAGIC):
        raise _file_error(
            name,
            "an Excel 97-2003 workbook (.xls) or another Office file: save it as an Excel "
            "workbook (.xlsx) or as CSV UTF-8",
        )
    zipped = scan.head.startswith(_ZIP_MAGIC)
    if input_format == "xlsx" or (input_format is None and zipped):
        if not zipped:
            raise _file_error(name, "not an Excel workbook (.xlsx): it is not a ZIP file")
        return InputFile(path, name, scan.sha256, scan.size, "xlsx")
    if zipped:
        raise _file_error(
            name, f"a ZIP file (an Excel workbook?), not {input_format}: leave out --input-format"
        )
    encoding = _encoding(path, name, scan)
    fmt = input_format or detect_format(Path(name), scan.head, encoding)
    return InputFile(path, name, scan.sha256, scan.size, fmt, encoding)


HeaderTest = Callable[[Sequence[str]], bool]


def read_tables(
    source: InputFile,
    *,
    sheets: Sequence[str] = (),
    delimiter: str | None = None,
    looks_like_header: HeaderTest | None = None,
    warnings: list[str] | None = None,
) -> Iterator[Table]:
    """The tables of a file: one for text files, one per sheet (or per sheet asked for) for a
    workbook. Records are read lazily, as the table's ``records`` are iterated.

    Hidden sheets of a workbook are skipped, with a note in ``warnings``, unless asked for."""
    if source.format == "xlsx":
        yield from _read_xlsx(source, sheets, looks_like_header, warnings)
    elif source.format in {"json", "jsonl"}:
        yield _read_json(source)
    else:
        yield _read_delimited(source, delimiter, looks_like_header)


def _blank(cells: Iterable[Any]) -> bool:
    return not any(c is not None and str(c).strip() for c in cells)


_Row = tuple[int, list[Any]]


def _find_header(
    rows: Iterator[_Row],
    looks_like_header: HeaderTest | None,
    cell_values: Callable[[list[Any]], list[Any]] = lambda cells: cells,
) -> tuple[_Row | None, int, Iterator[_Row]]:
    """The header row, how many non-empty rows above it were skipped, and the rows after it.

    Without a test the header is the first non-empty row; with one, the first of the first
    ``HEADER_SEARCH_ROWS`` non-empty rows that passes it, else again the first non-empty row.
    """
    buffered: list[_Row] = []
    for number, cells in rows:
        texts = cell_values(cells)
        if _blank(texts):
            continue
        item = (number, texts)
        if looks_like_header is None:
            return item, 0, rows
        buffered.append((number, cells))
        if looks_like_header([_header_text(c) for c in texts]):
            return item, len(buffered) - 1, rows
        if len(buffered) >= HEADER_SEARCH_ROWS:
            break
    if not buffered:
        return None, 0, rows
    first = (buffered[0][0], cell_values(buffered[0][1]))
    return first, 0, itertools.chain(buffered[1:], rows)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_invisible(str(value)).strip()  # a stray BOM or zero-width space in a name


def _columns(name: str, row: int, header: Sequence[Any]) -> list[str]:
    columns = [_header_text(c) for c in header]
    while columns and not columns[-1]:
        columns.pop()  # trailing empty cells (Excel, or a trailing delimiter)
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise _file_error(name, "the header has an empty column name", row=row)
        if column in seen:
            raise _file_error(name, "the header names this column twice", row=row, column=column)
        seen.add(column)
    return columns


# Delimited text ------------------------------------------------------------------------------


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of a text sample: csv.Sniffer's guess among ``DELIMITERS`` when the first
    lines use it, else the one the first lines use most (a comma when they use none)."""
    lines = [line for line in sample.splitlines()[:-1] or sample.splitlines() if line.strip()]
    top = lines[:HEADER_SEARCH_ROWS]
    counts = {d: sum(line.count(d) for line in top) for d in DELIMITERS}
    try:
        sniffed: str | None = (
            csv.Sniffer().sniff("\n".join(lines[:200]), delimiters=DELIMITERS).delimiter
        )
    except csv.Error:
        sniffed = None
    if sniffed is not None and counts.get(sniffed, 0) > 0:
        return sniffed
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


# Branches for each trap of real files (encodings, delimiters, field sizes, blank and ragged
# rows) in one pass over the rows, which is the hot path of a load.
def _read_delimited(  # noqa: C901
    source: InputFile, delimiter: str | None, looks_like_header: HeaderTest | None
) -> Table:
    name = source.name
    encoding = source.encoding or "utf-8"

    def decoding_error(exc: UnicodeDecodeError) -> InvalidDataError:
        if encoding.startswith("utf-16"):
            return _file_error(name, f"not valid UTF-16 text ({exc.reason})")
        row, where = _first_bad_line(source.path, _not_utf8)
        return _file_error(name, f"the file is not {encoding} text ({where or exc.reason})", row)

    try:
        with source.path.open(encoding=encoding, newline="") as handle:
            sample = handle.read(_SAMPLE)
    except UnicodeDecodeError as exc:
        raise decoding_error(exc) from None
    if not sample.lstrip("\ufeff").strip():
        raise _file_error(name, "the file is empty: expected a header line and findings")
    if delimiter is None:
        delimiter = "\t" if source.format == "tsv" else _sniff_delimiter(sample)

    handle = source.path.open(encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        line = reader.line_num
        try:
            for fields in reader:
                start, line = line + 1, reader.line_num
                yield start, fields  # a new list each time
        except csv.Error as exc:  # named by the line the bad row starts on
            raise _file_error(name, f"not a readable CSV row ({exc})", row=line + 1) from None

    rows = numbered()
    try:
        header, skipped, rest = _find_header(rows, looks_like_header)
        if header is None:
            raise _file_error(name, "the file is empty: expected a header line and findings")
        columns = _columns(name, header[0], header[1])
    except UnicodeDecodeError as exc:
        handle.close()
        raise decoding_error(exc) from None
    except BaseException:
        handle.close()
        raise

    def records() -> Iterator[Record]:
        width = len(columns)
        with handle:
            try:
                for start, fields in rest:
                    if not "".join(fields).strip():  # a blank line (csv gives text only)
                        continue
                    if len(fields) > width and _blank(fields[width:]):
                        del fields[width:]  # trailing delimiters
                    if len(fields) != width:
                        message = f"expected {width} fields as in the header, found {len(fields)}"
                        error = RowError(name, start, "", "", message)
                        yield Record(start, {}, errors=(error,), source=name, fields=tuple(fields))
                        continue
                    yield Record(start, dict(zip(columns, fields, strict=True)), source=name)
            except UnicodeDecodeError as exc:
                raise decoding_error(exc) from None

    return Table(name, None, columns, records(), skipped_rows=skipped)


# Excel ---------------------------------------------------------------------------------------

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


def _read_xlsx(
    source: InputFile,
    sheets: Sequence[str],
    looks_like_header: HeaderTest | None,
    warnings: list[str] | None = None,
) -> Iterator[Table]:
    # Imported here: openpyxl takes a while to import and only workbooks need it.
    import openpyxl

    name = source.name
    try:
        # Two views of the workbook, read side by side: the values Excel stored for the cells,
        # and the cells themselves (to tell a formula without a stored result from an empty cell).
        values_book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
        formula_book = openpyxl.load_workbook(source.path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _file_error(
            name, f"not a readable Excel workbook (.xlsx) ({exc.__class__.__name__}: {exc})"
        ) from None
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
        raise _file_error(
            name,
            f"the workbook has no sheet {', '.join(map(repr, missing))}; its sheets: "
            + ", ".join(map(repr, titles)),
        )
    try:
        for title in wanted:
            table = _read_sheet(
                name, title, values_book[title], formula_book[title], looks_like_header
            )
            if table is not None:
                yield table
    finally:
        values_book.close()
        formula_book.close()


# One branch per kind of Excel cell (text, number format, date, formula without a result).
def _read_sheet(  # noqa: C901
    file_name: str, title: str, values: Any, formulas: Any, looks_like_header: HeaderTest | None
) -> Table | None:
    from openpyxl.utils import get_column_letter

    name = f"{file_name}[{title}]"
    values.reset_dimensions()
    formulas.reset_dimensions()

    def numbered() -> Iterator[_Row]:
        pairs = zip(values.iter_rows(), formulas.iter_rows(), strict=False)
        for number, (cells, raw) in enumerate(pairs, start=1):
            yield number, list(zip(cells, raw, strict=False))

    header, skipped, rest = _find_header(
        numbered(), looks_like_header, lambda row: [cell.value for cell, _ in row]
    )
    if header is None:
        return None  # an empty sheet
    columns = _columns(name, header[0], header[1])
    width = len(columns)

    def cell_error(number: int, index: int, value: str, message: str) -> RowError:
        column = columns[index] if index < width else ""
        where = f"cell {get_column_letter(index + 1)}{number}"
        return RowError(name, number, column, value, f"{where} {message}")

    def records() -> Iterator[Record]:
        for number, row in rest:
            texts: list[str | None] = []
            errors: list[RowError] = []
            for index, (cell, raw) in enumerate(row):
                value = cell.value
                if value is None and isinstance(raw.value, str) and raw.value.startswith("="):
                    message = (
                        "holds a formula without a stored result: open and save the workbook "
                        "in Excel or LibreOffice (so that it stores the results), or paste the "
                        "values"
                    )
                    errors.append(cell_error(number, index, raw.value[:80], message))
                    texts.append(None)
                elif getattr(cell, "data_type", None) == "e":
                    errors.append(
                        cell_error(number, index, str(value), f"holds the Excel error {value}")
                    )
                    texts.append(None)
                else:
                    texts.append(_cell_text(value, getattr(cell, "number_format", None)))
            if _blank(texts) and not errors:
                continue
            if len(texts) > width and _blank(texts[width:]):
                del texts[width:]
            if len(texts) < width:
                texts += [None] * (width - len(texts))
            if len(texts) > width:
                extra = next(i for i in range(width, len(texts)) if texts[i] is not None)
                message = f"has a value, but its column has no header ({width} columns have one)"
                errors.append(cell_error(number, extra, str(texts[extra]), message))
                fields = tuple(t or "" for t in texts)
                yield Record(number, {}, errors=tuple(errors), source=name, fields=fields)
                continue
            record_values = dict(zip(columns, texts, strict=True))
            yield Record(number, record_values, errors=tuple(errors), source=name)

    return Table(name, title, columns, records(), skipped_rows=skipped)


# JSON ----------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError("expected a single value, not a list or object")


def _json_record(
    name: str, row: int, item: Any, kind: str, columns: list[str], known: set[str]
) -> Record:
    if not isinstance(item, dict):
        error = RowError(name, row, "", str(item)[:80], "expected a JSON object", kind)
        return Record(row, {}, kind, errors=(error,), source=name, fields=(json.dumps(item),))
    values: dict[str, str | None] = {}
    errors: list[RowError] = []
    for key, value in item.items():
        column = str(key).strip()
        try:
            values[column] = _text(value)
        except ValueError as exc:
            values[column] = json.dumps(value, ensure_ascii=False)
            errors.append(RowError(name, row, column, str(value)[:80], str(exc), kind))
        if column not in known:
            known.add(column)
            columns.append(column)
    return Record(row, values, kind, errors=tuple(errors), source=name)


# JSON or JSON Lines, each with its own errors (not an array, not an object, bad line).
def _read_json(source: InputFile) -> Table:  # noqa: C901
    name = source.name
    encoding = source.encoding or "utf-8"
    columns: list[str] = []
    known: set[str] = set()
    if source.format == "json":
        try:
            text = source.path.read_text(encoding=encoding)
        except UnicodeDecodeError as exc:
            raise _file_error(name, f"the file is not {encoding} text ({exc.reason})") from None
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise _file_error(name, "the file is empty: expected findings")
        try:
            data = json.loads(text, parse_float=str)
        except json.JSONDecodeError as exc:
            raise _file_error(name, f"invalid JSON ({exc.msg})", row=exc.lineno) from None
        if not isinstance(data, list):
            raise _file_error(name, "expected a JSON array of objects, one per finding")
        # The columns are known before the records are read: the array is in memory anyway.
        items = [
            _json_record(name, row, item, "record", columns, known)
            for row, item in enumerate(data, start=1)
        ]
        del data
        return Table(name, None, columns, iter(items), "record")

    handle = source.path.open(encoding=encoding, newline="")
    try:
        first = handle.read(_SAMPLE)
    except UnicodeDecodeError as exc:
        handle.close()
        raise _file_error(name, f"the file is not {encoding} text ({exc.reason})") from None
    if not first.lstrip("\ufeff").strip():
        handle.close()
        raise _file_error(name, "the file is empty: expected findings")
    handle.seek(0)

    def records() -> Iterator[Record]:
        with handle:
            try:
                for number, line in enumerate(handle, start=1):
                    line = line.lstrip("\ufeff") if number == 1 else line
                    if not line.strip():
                        continue
                    try:
                        item = json.loads(line, parse_float=str)
                    except json.JSONDecodeError as exc:
                        raise _file_error(name, f"invalid JSON ({exc.msg})", row=number) from None
                    yield _json_record(name, number, item, "line", columns, known)
            except UnicodeDecodeError as exc:
                raise _file_error(name, f"the file is not {encoding} text ({exc.reason})") from None

    return Table(name, None, columns, records(), "line", fixed_columns=False)
