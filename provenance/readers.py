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


def _file_error(path: Path, message: str, row: int = 0, column: str = "", value: str = "") -> Any:
    return InvalidDataError([RowError(str(path), row, column, value, message)])


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
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        reader = csv.reader(handle)
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        raise _file_error(path, f"the file is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise _file_error(path, f"not a readable CSV file ({exc})", row=1) from None
    if header is None:
        handle.close()
        raise _file_error(path, "the file is empty: expected a header line and findings")
    columns = [(name or "").strip() for name in header]
    _check_header(path, columns)

    def records() -> Iterator[Record]:
        with handle:
            line = reader.line_num
            try:
                for fields in reader:
                    start, line = line + 1, reader.line_num
                    if not any(f.strip() for f in fields):
                        continue  # blank line
                    if len(fields) != len(columns):
                        raise _file_error(
                            path,
                            f"expected {len(columns)} fields as in the header, found {len(fields)}",
                            row=start,
                        )
                    yield Record(start, dict(zip(columns, fields, strict=True)))
            except UnicodeDecodeError as exc:
                raise _file_error(
                    path, f"the file is not UTF-8 text ({exc.reason})", row=line + 1
                ) from None
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
        raise _file_error(path, f"the file is not UTF-8 text ({exc.reason})") from None
    items: list[tuple[int, Any]] = []
    kind = "line"
    if fmt == "json":
        try:
            data = json.loads(text)
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
                items.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise _file_error(path, f"invalid JSON ({exc.msg})", row=number) from None
    columns: list[str] = []
    records: list[Record] = []
    errors: list[RowError] = []
    for row, item in items:
        if not isinstance(item, dict):
            errors.append(
                RowError(str(path), row, "", str(item)[:80], "expected a JSON object", kind)
            )
            continue
        values: dict[str, str | None] = {}
        for key, value in item.items():
            name = str(key).strip()
            try:
                values[name] = _text(value)
            except ValueError as exc:
                errors.append(RowError(str(path), row, name, str(value)[:80], str(exc), kind))
            if name not in columns:
                columns.append(name)
        records.append(Record(row, values, kind))
    if errors:
        raise InvalidDataError(errors)
    return columns, iter(records)
