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
import hashlib
import json
import os
import re
import reprlib
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from provenance.errors import InvalidDataError, ProvenanceError, RowError
from provenance.ingest.tables import (
    HEADER_SEARCH_ROWS,
    HeaderTest,
    InputFile,
    Record,
    Table,
    blank,
    file_error,
    find_header,
    header_columns,
)
from provenance.ingest.xlsx import read_xlsx
from provenance.limits import Limits, size_text

__all__ = [
    "DELIMITERS",
    "HEADER_SEARCH_ROWS",
    "INPUT_FORMATS",
    "STDIN_NAME",
    "HeaderTest",
    "InputFile",
    "Record",
    "Table",
    "copy_stream",
    "detect_format",
    "inspect_file",
    "read_tables",
    "stage_input",
]

#: The input formats, as --input-format names them.
INPUT_FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "xlsx")
#: The delimiters a delimited text file may use (sniffed when not given).
DELIMITERS = ",;\t|"
STDIN_NAME = "<stdin>"
_DEFAULT = Limits()

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


@dataclass
class _Scan:
    sha256: str = ""
    size: int = 0
    head: bytes = b""
    utf8: bool = True
    mixed: bool = False  # not UTF-8, but holding UTF-8 characters
    cp1252_bad: bool = False  # bytes that Windows-1252 does not use, or NUL
    nul: bool = False  # NUL bytes: no text file in UTF-8 or Windows-1252 has them


def copy_stream(
    stream: IO[bytes],
    folder: Path,
    name: str = STDIN_NAME,
    max_size: int = _DEFAULT.file_size,
    filename: str = "stdin",
) -> Path:
    """Copy standard input (or a pipe, or any binary stream) into ``folder``, so that it can be
    read twice; InvalidDataError past ``max_size`` bytes, ProvenanceError when it cannot be
    written (a full disk)."""
    path = folder / filename
    size = 0
    try:
        with path.open("wb") as out:
            for block in iter(lambda: stream.read(_BLOCK), b""):
                size += len(block)
                if size > max_size:
                    raise _too_big(name, max_size)
                out.write(block)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise ProvenanceError(
            f"{name}: cannot copy it to a temporary file in {folder} ({exc.strerror or exc}): "
            "free some disk space there, or set TMPDIR to a folder with room"
        ) from None
    except InvalidDataError:
        path.unlink(missing_ok=True)
        raise
    return path


def _too_big(name: str, max_size: int) -> InvalidDataError:
    return file_error(
        name,
        f"the file is larger than {size_text(max_size)}, the limit on one file: split it, or "
        "raise the limit with --limit file-size=SIZE",
    )


def stage_input(path: Path, name: str, folder: Path, limits: Limits = _DEFAULT) -> Path:
    """The path to read for a file given to a load: a regular file as it is; a pipe (a FIFO,
    ``<(...)`` process substitution, ``/dev/stdin``) copied once into ``folder``, since it can be
    read only once; anything else (a device such as ``/dev/zero``, a folder) refused."""
    try:
        status = os.stat(path)
    except OSError:
        return path  # reported with the problems of the other files, when it is read
    mode = status.st_mode
    if stat.S_ISREG(mode):
        if status.st_size > limits.file_size:
            raise _too_big(name, limits.file_size)
        return path
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        with path.open("rb") as stream:
            staged = f"pipe-{len(list(folder.iterdir()))}{Path(name).suffix}"
            return copy_stream(stream, folder, name, limits.file_size, staged)
    kind = "a folder" if stat.S_ISDIR(mode) else "a device or other special file"
    raise file_error(
        name, f"not a regular file ({kind}): give a findings file, a pipe or - (standard input)"
    )


def _scan(path: Path, name: str, max_size: int) -> _Scan:
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
            if scan.size > max_size:  # a file that grew since it was looked at
                raise _too_big(name, max_size)
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
            raise file_error(
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
        raise file_error(name, message, row=row)
    row, where = _first_bad_line(path, _not_utf8)
    message = (
        "the file is not UTF-8 text"
        + (f" ({where})" if where else "")
        + ", although other lines are: it mixes encodings; "
        + _UTF8_HINT
    )
    raise file_error(name, message, row=row)


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


def inspect_file(
    path: Path,
    name: str | None = None,
    input_format: str | None = None,
    limits: Limits = _DEFAULT,
) -> InputFile:
    """Hash the file and find its format and encoding; InvalidDataError when it cannot be read
    or is larger than ``limits.file_size``."""
    name = name or str(path)
    scan = _scan(path, name, limits.file_size)
    if scan.head.startswith(_OLE_MAGIC):
        raise file_error(
            name,
            "an Excel 97-2003 workbook (.xls) or another Office file: save it as an Excel "
            "workbook (.xlsx) or as CSV UTF-8",
        )
    zipped = scan.head.startswith(_ZIP_MAGIC)
    if input_format == "xlsx" or (input_format is None and zipped):
        if not zipped:
            raise file_error(name, "not an Excel workbook (.xlsx): it is not a ZIP file")
        return InputFile(path, name, scan.sha256, scan.size, "xlsx")
    if zipped:
        raise file_error(
            name, f"a ZIP file (an Excel workbook?), not {input_format}: leave out --input-format"
        )
    encoding = _encoding(path, name, scan)
    fmt = input_format or detect_format(Path(name), scan.head, encoding)
    return InputFile(path, name, scan.sha256, scan.size, fmt, encoding)


def read_tables(
    source: InputFile,
    *,
    sheets: Sequence[str] = (),
    delimiter: str | None = None,
    looks_like_header: HeaderTest | None = None,
    warnings: list[str] | None = None,
    limits: Limits = _DEFAULT,
) -> Iterator[Table]:
    """The tables of a file: one for text files, one per sheet (or per sheet asked for) for a
    workbook. Records are read lazily, as the table's ``records`` are iterated.

    Hidden sheets of a workbook are skipped, with a note in ``warnings``, unless asked for.
    Past one of ``limits`` (a cell, a workbook's size or rows, JSON's size or depth) the reading
    stops with InvalidDataError naming the place and the limit."""
    if source.format == "xlsx":
        yield from read_xlsx(source, sheets, looks_like_header, warnings, limits)
    elif source.format in {"json", "jsonl"}:
        yield _read_json(source, limits)
    else:
        yield _read_delimited(source, delimiter, looks_like_header, limits)


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
    source: InputFile, delimiter: str | None, looks_like_header: HeaderTest | None, limits: Limits
) -> Table:
    name = source.name
    encoding = source.encoding or "utf-8"

    def decoding_error(exc: UnicodeDecodeError) -> InvalidDataError:
        if encoding.startswith("utf-16"):
            return file_error(name, f"not valid UTF-16 text ({exc.reason})")
        row, where = _first_bad_line(source.path, _not_utf8)
        return file_error(name, f"the file is not {encoding} text ({where or exc.reason})", row)

    try:
        with source.path.open(encoding=encoding, newline="") as handle:
            sample = handle.read(_SAMPLE)
    except UnicodeDecodeError as exc:
        raise decoding_error(exc) from None
    if not sample.lstrip("\ufeff").strip():
        raise file_error(name, "the file is empty: expected a header line and findings")
    if delimiter is None:
        delimiter = "\t" if source.format == "tsv" else _sniff_delimiter(sample)

    handle = source.path.open(encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        line = reader.line_num
        # Process-wide in the csv module: set for this file's limit as its reading starts.
        csv.field_size_limit(limits.cell_size)
        try:
            for fields in reader:
                start, line = line + 1, reader.line_num
                yield start, fields  # a new list each time
        except csv.Error as exc:  # named by the line the bad row starts on
            if "field limit" in str(exc):
                raise file_error(name, _cell_too_long(limits), row=line + 1) from None
            raise file_error(name, f"not a readable CSV row ({exc})", row=line + 1) from None

    rows = numbered()
    try:
        header, skipped, rest = find_header(rows, looks_like_header)
        if header is None:
            raise file_error(name, "the file is empty: expected a header line and findings")
        columns = header_columns(name, header[0], header[1])
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
                    joined = "".join(fields)
                    if not joined.strip():  # a blank line (csv gives text only)
                        continue
                    if "\x00" in joined:  # UTF-16 text can spell NUL; no finding holds it
                        error = RowError(name, start, "", "", _NUL)
                        yield Record(start, {}, errors=(error,), source=name, fields=tuple(fields))
                        continue
                    if len(fields) > width and blank(fields[width:]):
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


# JSON ----------------------------------------------------------------------------------------

_NUL = "holds a NUL character (U+0000), which no text value may hold: remove it"
_SURROGATE = re.compile("[\ud800-\udfff]")
_PREVIEW = reprlib.Repr()
_PREVIEW.maxlevel, _PREVIEW.maxstring, _PREVIEW.maxother = 2, 80, 80


def _cell_too_long(limits: Limits) -> str:
    return (
        f"a value is longer than {limits.cell_size:,} characters, the limit on one cell: "
        "raise it with --limit cell-size=N"
    )


def _text(value: Any, limits: Limits) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_NUL)
        if _SURROGATE.search(value):
            raise ValueError(
                "holds half of a UTF-16 surrogate pair (an escape such as \\ud800 alone), "
                "which is not text: fix the file's escapes"
            )
        if len(value) > limits.cell_size:
            raise ValueError(_cell_too_long(limits))
        return value
    if isinstance(value, int | float):
        return str(value)
    raise ValueError("expected a single value, not a list or object")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest in ``value`` more than ``limit`` levels (without
    recursion: the point is a value too deep for it)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _too_deep(name: str, limits: Limits, row: int = 0, kind: str = "line") -> InvalidDataError:
    message = (
        f"lists and objects nested more than {limits.json_depth} levels deep, the limit on "
        "JSON nesting (a finding is an object in an array): raise it with --limit json-depth=N"
    )
    return InvalidDataError([RowError(name, row, "", "", message, kind)])


def _json_record(
    name: str, row: int, item: Any, kind: str, columns: list[str], known: set[str], limits: Limits
) -> Record:
    depth = limits.json_depth - (1 if kind == "record" else 0)  # inside an array: one level
    if isinstance(item, dict | list) and _deeper_than(item, depth):
        raise _too_deep(name, limits, row, kind)
    if not isinstance(item, dict):
        error = RowError(name, row, "", _PREVIEW.repr(item), "expected a JSON object", kind)
        return Record(row, {}, kind, errors=(error,), source=name, fields=(json.dumps(item),))
    values: dict[str, str | None] = {}
    errors: list[RowError] = []
    for key, value in item.items():
        column = str(key).strip()
        try:
            if "\x00" in column or _SURROGATE.search(column):
                raise ValueError(f"the name of this column {_NUL[6:]}")
            values[column] = _text(value, limits)
        except ValueError as exc:
            values[column] = json.dumps(value, ensure_ascii=False)
            shown = _PREVIEW.repr(value) if not isinstance(value, str) else value
            errors.append(RowError(name, row, column, shown, str(exc), kind))
        if column not in known:
            known.add(column)
            columns.append(column)
    return Record(row, values, kind, errors=tuple(errors), source=name)


def _parse_json(name: str, text: str, limits: Limits, row: int = 0) -> Any:
    """``text`` parsed: numbers kept as text (a 5,000-digit number is a bad value, not a
    failure of the reader), InvalidDataError for bad JSON or JSON nested too deep to read."""
    try:
        return json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise file_error(name, f"invalid JSON ({exc.msg})", row=row or exc.lineno) from None
    except RecursionError:
        raise _too_deep(name, limits, row) from None


# JSON or JSON Lines, each with its own errors (not an array, not an object, bad line).
def _read_json(source: InputFile, limits: Limits) -> Table:  # noqa: C901
    name = source.name
    encoding = source.encoding or "utf-8"
    columns: list[str] = []
    known: set[str] = set()
    if source.format == "json":
        if source.size > limits.json_size:
            raise file_error(
                name,
                f"a JSON array larger than {size_text(limits.json_size)} (the limit on a JSON "
                "array, which is read whole): write it as JSON Lines, one finding per line, or "
                "raise the limit with --limit json-size=SIZE",
            )
        try:
            text = source.path.read_text(encoding=encoding)
        except UnicodeDecodeError as exc:
            raise file_error(name, f"the file is not {encoding} text ({exc.reason})") from None
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise file_error(name, "the file is empty: expected findings")
        data = _parse_json(name, text, limits)
        del text
        if not isinstance(data, list):
            raise file_error(name, "expected a JSON array of objects, one per finding")
        # The columns are known before the records are read: the array is in memory anyway.
        items = [
            _json_record(name, row, item, "record", columns, known, limits)
            for row, item in enumerate(data, start=1)
        ]
        del data
        return Table(name, None, columns, iter(items), "record")

    handle = source.path.open(encoding=encoding, newline="")
    try:
        first = handle.read(_SAMPLE)
    except UnicodeDecodeError as exc:
        handle.close()
        raise file_error(name, f"the file is not {encoding} text ({exc.reason})") from None
    if not first.lstrip("\ufeff").strip():
        handle.close()
        raise file_error(name, "the file is empty: expected findings")
    handle.seek(0)

    def records() -> Iterator[Record]:
        with handle:
            try:
                for number, line in enumerate(_lines(handle, limits.line_size + 1), start=1):
                    if len(line) > limits.line_size:
                        raise file_error(
                            name,
                            f"a line longer than {limits.line_size:,} characters, the limit on "
                            "one line of JSON Lines: raise it with --limit line-size=SIZE",
                            row=number,
                        )
                    line = line.lstrip("\ufeff") if number == 1 else line
                    if not line.strip():
                        continue
                    item = _parse_json(name, line, limits, row=number)
                    yield _json_record(name, number, item, "line", columns, known, limits)
            except UnicodeDecodeError as exc:
                raise file_error(name, f"the file is not {encoding} text ({exc.reason})") from None

    return Table(name, None, columns, records(), "line", fixed_columns=False)


def _lines(handle: IO[str], most: int) -> Iterator[str]:
    """The lines of ``handle``, each read up to ``most`` characters: a longer one is cut there
    (the caller refuses it) and the rest of it is not read."""
    while line := handle.readline(most):
        yield line
        if len(line) >= most and not line.endswith("\n"):
            return
