"""One exception tree for the library; the CLI turns these into "Error: ..." and exit 1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ProvenanceError(Exception):
    """Base class of every error the library raises on purpose."""


class UnknownCountryError(ProvenanceError, ValueError):
    """A country name, code or alias that the resolver does not know."""

    def __init__(self, value: str, suggestions: Sequence[str] = ()) -> None:
        self.value = value
        self.suggestions = list(suggestions)
        hint = f"; closest matches: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(f"unknown country {value!r}{hint}")


@dataclass(frozen=True)
class RowError:
    """One bad value in an input file: where it is, what it was, what was expected."""

    file: str
    row: int  # line number (the CSV header is line 1), or record number in a JSON array; 0: file
    column: str
    value: str
    message: str
    row_kind: str = "line"  # "line" or "record"

    def __str__(self) -> str:
        where = self.file
        if self.row and self.row_kind == "line":
            where += f":{self.row}"
        elif self.row:
            where += f": record {self.row}"
        what = f"{self.column}: {self.message}" if self.column else self.message
        got = f" (got {self.value!r})" if self.value else ""
        return f"{where}: {what}{got}"


class InvalidDataError(ProvenanceError):
    """An input file with one or more bad rows; nothing from it was written."""

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        lines = [str(e) for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"... and {self.total - len(self.errors)} more errors")
        super().__init__("\n".join(lines))


class DatabaseNotReadyError(ProvenanceError):
    """The database has no schema yet, or is at another schema version than the code."""
