"""Reading findings files (CSV, JSON, JSON Lines) into records of text values.

Each record knows where it came from (the line in a CSV or JSON Lines file, the position in a JSON
array) so that every error can name it. Problems with the file as a whole raise
``InvalidDataError``; values are checked later, by the loader.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import InvalidDataError, RowError

# A single cell may hold a long marking or notes; Python's default limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Record:
    row: int  # line number (CSV, JSON Lines) or 1-based position (JSON array)
    values: dict[str, str | None]
    row_kind: str = "line"
    #: Problems with the record's shape (wrong field count, a list for a value): the loader
    #: reports them and checks no further values of the record, but goes on to the next ones.
    errors: tuple[RowError, ...] = ()


def _file_error(path: Path, message: str, row: int = 0, column: str = "", value: str = "") -> Any:
    return InvalidDataError([RowError(str(path), row, column, value, message)])


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> InvalidDataError:
    """The error for a file that is not UTF-8, naming its first line that is not.

    Text is decoded in blocks, so the line being read when decoding failed may come before the
    bad one: the file is read again, line by line, to find it.
    """
    hint = "save it as UTF-8 (in Excel: 'CSV UTF-8')"
    row, message = 0, f"the file is not UTF-8 text ({exc.reason}): {hint}"
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    byte = line[bad.start : bad.start + 1].hex()
                    row = number
                    message = (
                        f"the file is not UTF-8 text ({bad.reason} 0x{byte}, "
                        f"byte {bad.start + 1} of the line): {hint}"
                    )
                    break
    except OSError:
        pass
    return InvalidDataError([RowError(str(path), row, "", "", message)])


def detect_format(path: Path) -> str:
    """``csv``, ``json`` or ``jsonl``: from the extension, else from the first character."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".json", ".jsonl"}:
        return suffix[1:]
    if suffix == ".ndjson":
        return "jsonl"
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    return "csv"


def read_records(path: Path) -> tuple[list[str], Iterator[Record]]:
    """The file's column names and an iterator over its records."""
    fmt = detect_format(path)
    if fmt == "csv":
        return _read_csv(path)
    return _read_json(path, fmt)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError("expected a single value, not a list or object")


def _read_csv(path: Path) -> tuple[list[str], Iterator[Record]]:
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise _file_error(path, "the file is empty: expected a header line and findings")
        columns = [(name or "").strip() for name in header]
        _check_header(path, columns)
    except UnicodeDecodeError as exc:
        handle.close()
        raise _not_utf8(path, exc) from None
    except csv.Error as exc:
        handle.close()
        raise _file_error(path, f"not a readable CSV file ({exc})", row=1) from None
    except BaseException:
        handle.close()
        raise

    def records() -> Iterator[Record]:
        with handle:
            line = reader.line_num
            try:
                for fields in reader:
                    start, line = line + 1, reader.line_num
                    if not any(f.strip() for f in fields):
                        continue  # blank line
                    if len(fields) != len(columns):
                        message = (
                            f"expected {len(columns)} fields as in the header, found {len(fields)}"
                        )
                        error = RowError(str(path), start, "", "", message)
                        yield Record(start, {}, errors=(error,))
                        continue
                    yield Record(start, dict(zip(columns, fields, strict=True)))
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, exc) from None
            except csv.Error as exc:
                raise _file_error(path, f"not a readable CSV row ({exc})", row=line + 1) from None

    return columns, records()


def _check_header(path: Path, columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise _file_error(path, "the header has an empty column name", row=1)
        if name in seen:
            raise _file_error(path, "the header names this column twice", row=1, column=name)
        seen.add(name)


def _read_json(path: Path, fmt: str) -> tuple[list[str], Iterator[Record]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    if not text.strip():
        raise _file_error(path, "the file is empty: expected findings")
    items: list[tuple[int, Any]] = []
    kind = "line"
    if fmt == "json":
        try:
            data = json.loads(text, parse_float=str)
        except json.JSONDecodeError as exc:
            raise _file_error(path, f"invalid JSON ({exc.msg})", row=exc.lineno) from None
        if not isinstance(data, list):
            raise _file_error(path, "expected a JSON array of objects, one per finding")
        items = list(enumerate(data, start=1))
        kind = "record"
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, json.loads(line, parse_float=str)))
            except json.JSONDecodeError as exc:
                raise _file_error(path, f"invalid JSON ({exc.msg})", row=number) from None
    columns: list[str] = []
    records: list[Record] = []
    for row, item in items:
        if not isinstance(item, dict):
            error = RowError(str(path), row, "", str(item)[:80], "expected a JSON object", kind)
            records.append(Record(row, {}, kind, errors=(error,)))
            continue
        values: dict[str, str | None] = {}
        errors: list[RowError] = []
        for key, value in item.items():
            name = str(key).strip()
            try:
                values[name] = _text(value)
            except ValueError as exc:
                errors.append(RowError(str(path), row, name, str(value)[:80], str(exc), kind))
            if name not in columns:
                columns.append(name)
        records.append(Record(row, values, kind, errors=tuple(errors)))
    return columns, iter(records)
