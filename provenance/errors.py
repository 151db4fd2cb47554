"""One exception tree for the library; the CLI turns these into "Error: ..." and exit 1."""

from __future__ import annotations

import difflib
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


# provenance.values.countries ---------------------------------------------------------------------


class CountryAliasError(ProvenanceError, ValueError):
    """An alias table (shipped or user) with an entry that cannot be used."""


# provenance.ingest.mapping -----------------------------------------------------------------------


class MappingError(ProvenanceError):
    """A mapping file that cannot be used; the message lists every problem."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(f"{path}: {p}" for p in self.problems))


# provenance.reference.chpl -----------------------------------------------------------------------


class ChplError(ProvenanceError):
    """No CHPL list in the database, or an unknown version."""


# provenance.reference.groups ---------------------------------------------------------------------


class UnknownGroupError(ProvenanceError):
    def __init__(self, value: str, known: list[str]) -> None:
        hint = f"; known groups: {', '.join(known)}" if known else ""
        super().__init__(
            f"unknown country group {value!r}{hint} (add groups with `provenance reference load`)"
        )


# provenance.reference.manufacturers --------------------------------------------------------------


class UnknownManufacturerError(ProvenanceError):
    def __init__(self, value: str, suggestions: list[str]) -> None:
        self.value = value
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown manufacturer {value!r}{hint}")


class ManufacturerError(ProvenanceError):
    """A change to manufacturers that cannot be made (an alias taken, a merge into itself)."""


# provenance.reports ------------------------------------------------------------------------------


#: Up to this many weapon systems, an unknown name's message lists them all.
LIST_ALL_WEAPONS = 10


def _folded(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def closest_names(value: str, names: Sequence[str], n: int = 5) -> list[str]:
    """The names closest to ``value`` (case, spaces and punctuation ignored), closest first."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(_folded(name), name)
    keys = difflib.get_close_matches(_folded(value), list(by_key), n=n, cutoff=0.5)
    return [by_key[k] for k in keys]


class UnknownWeaponError(ProvenanceError):
    """A weapon system name that is neither a designation nor an alias: the message lists the
    known ones when there are few, else the closest designations and aliases."""

    def __init__(self, value: str, known: list[str], aliases: Sequence[str] = ()) -> None:
        self.value = value
        self.suggestions = closest_names(value, [*known, *aliases])
        if not known:
            hint = ""
        elif len(known) <= LIST_ALL_WEAPONS:
            hint = f"; known weapon systems: {', '.join(known)}"
        elif self.suggestions:
            hint = f"; did you mean {', '.join(self.suggestions)}?"
        else:
            hint = f"; no close name among the {len(known)} weapon systems"
        super().__init__(f"unknown weapon system {value!r}{hint}")


class FilterError(ProvenanceError):
    """A report filter that cannot be used (a bad date, an empty date range)."""


# provenance.publish.charts -----------------------------------------------------------------------


class ChartError(ProvenanceError):
    """A chart file name that is neither .png nor .svg."""


# provenance.publish.dossier ----------------------------------------------------------------------


class DossierError(ProvenanceError):
    pass


# provenance.bi.sqlquery --------------------------------------------------------------------------


class QueryError(ProvenanceError):
    """The statement was refused, or the database could not run it."""


class QueryRefusedError(QueryError):
    """The statement is not one read-only SELECT."""

    REFUSED = "only one read-only SELECT statement is allowed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.REFUSED} ({reason})")


# provenance.bi.readonly --------------------------------------------------------------------------


class RoleError(ProvenanceError):
    """The role cannot be made a read-only role."""


# provenance.bi.export ----------------------------------------------------------------------------


class ExportError(ProvenanceError):
    """The export cannot be written."""
