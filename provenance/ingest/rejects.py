"""The rejects file: the bad rows of a load, with their original columns and what is wrong with
each, so that they can be fixed and loaded again."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from provenance.errors import RowError
from provenance.ingest.columns import ERROR_COLUMN
from provenance.ingest.readers import Record
from provenance.ingest.summary import FileLoad

__all__ = ["error_text", "write_rejects"]


def error_text(errors: Sequence[RowError]) -> str:
    """The problems of one row, as its rejects line says them."""
    parts = []
    for e in errors:
        what = f"{e.column}: {e.message}" if e.column else e.message
        parts.append(what + (f" (got {e.value!r})" if e.value else ""))
    return "; ".join(parts)


def _where(record: Record) -> str:
    if record.row_kind == "record":
        return f"{record.source}: record {record.row}"
    return f"{record.source}:{record.row}"


def write_rejects(path: Path, files: Sequence[FileLoad]) -> None:
    """The rejected rows with their original columns and an ``error`` column first, as CSV in
    UTF-8 with a byte-order mark (so that Excel opens it as UTF-8)."""
    columns: list[str] = []
    for file in files:
        columns += [c for c in file.columns if c not in columns]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([ERROR_COLUMN, *columns])
        for file in files:
            for record, error in file.rejected:
                if record.values:
                    cells = [record.values.get(c) or "" for c in columns]
                else:  # a row whose fields could not be given names: as they were
                    cells = list(record.fields)
                writer.writerow([f"{_where(record)}: {error}", *cells])
