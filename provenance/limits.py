"""The limits on what a load reads: every input has one, checked before the work it bounds.

Each default is far beyond any real findings file (a findings workbook has thousands of rows,
not a million; a cell holds a marking or a note, not a megabyte), and each can be raised for a
load with ``provenance load --limit NAME=VALUE`` (``Limits.with_changes``). Past a limit a load
stops with an error naming the file, the place and the limit; nothing is written.

The limits on YAML inputs (mappings, reference files) are fixed: those files are written by hand
and are a few kilobytes long (see ``provenance.yamlfile``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provenance.errors import LimitError

__all__ = ["Limits", "size_text"]

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


@dataclass(frozen=True)
class Limits:
    """How much of each kind a load reads at most."""

    #: Bytes of one file (also standard input or a pipe, which are copied first).
    file_size: int = 4 * GIB
    #: Bytes of an Excel workbook once uncompressed: every part of the ZIP, read from its
    #: directory before anything is inflated.
    xlsx_size: int = 1 * GIB
    #: Rows of one sheet (Excel's own maximum is 1,048,576), counted as they are read.
    xlsx_rows: int = 1_048_576
    #: Characters of one cell (Excel's own maximum is 32,767).
    cell_size: int = 1 * MIB
    #: Bytes of a JSON array (it is read whole; JSON Lines are read a line at a time).
    json_size: int = 256 * MIB
    #: Levels of nesting in JSON (a finding is 2: an array of objects).
    json_depth: int = 32
    #: Bytes of one line of JSON Lines.
    line_size: int = 16 * MIB
    #: Bytes of one evidence file (a photo or document a findings file or `evidence add` names).
    evidence_size: int = 1 * GIB
    #: Seconds a mapping's split pattern may take on one cell.
    pattern_time: float = 1.0

    def with_changes(self, items: Iterable[str]) -> Limits:
        """These limits with ``NAME=VALUE`` changes (names with - or _, sizes with K, M, G)."""
        changes: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for item in items:
            name, sep, value = item.partition("=")
            key = name.strip().replace("-", "_")
            if not sep or key not in fields:
                known = ", ".join(n.replace("_", "-") for n in fields)
                raise LimitError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {known}")
            changes[key] = _value(item, value.strip(), float if key == "pattern_time" else int)
        return dataclasses.replace(self, **changes)


_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([kmg]i?b?)?", re.IGNORECASE)
_UNITS = {"k": KIB, "m": MIB, "g": GIB}


def _value(item: str, text: str, kind: type[float] | type[int]) -> float | int:
    match = _SIZE.fullmatch(text)
    if match is None or float(match[1]) <= 0:
        raise LimitError(f"--limit {item!r}: expected a positive number, e.g. 2000000 or 2G")
    unit = _UNITS[match[2][0].lower()] if match[2] else 1
    value = float(match[1]) * unit
    return value if kind is float else int(value)


def size_text(size: int) -> str:
    """``1073741824`` -> ``1 GiB``; sizes that are no whole unit in bytes."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size:,} bytes"
