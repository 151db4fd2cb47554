"""One exception tree for the library; the CLI turns these into "Error: ..." and exit 1."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field


class ProvenanceError(Exception):
    """Base class of every error the library raises on purpose."""


#: How much of a value an error message shows.
SHOWN = 200


def shorten(text: str, limit: int = SHOWN) -> str:
    """``text`` as an error message shows it: its start, and its length when it is long."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


class LimitError(ProvenanceError):
    """A limit on input that cannot be used (``--limit`` with an unknown name or a bad value)."""


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
    #: Errors of one kind with different messages share a code, to be counted together
    #: ("required for a weapon system not yet in the database (X)", for every X).
    code: str = ""
    #: What the message is about (the X above), counted per group.
    subject: str = ""
    #: How many rows the error stands for (one error for the rows that name one weapon system).
    rows: int = 1
    #: What to do, said once per group.
    hint: str = ""

    def place(self) -> str:
        where = self.file
        if self.row and self.row_kind == "line":
            where += f":{self.row}"
        elif self.row:
            where += f": record {self.row}"
        return where

    def __str__(self) -> str:
        what = f"{self.column}: {self.message}" if self.column else self.message
        got = f" (got {shorten(self.value, 2 * SHOWN)!r})" if self.value else ""
        hint = f": {self.hint}" if self.hint else ""
        return f"{self.place()}: {shorten(what, 4 * SHOWN)}{got}{hint}"

    def group_key(self) -> tuple[str, str, str]:
        return (self.file, self.column, self.code or self.message)


#: A group is shown error by error when it has at most this many.
GROUP_SHOWN_WHOLE = 3
#: How many examples (rows and values) a group's line shows.
GROUP_EXAMPLES = 3
#: How many distinct subjects a group counts (then it says "or more").
_SUBJECTS_COUNTED = 10_000


@dataclass
class ErrorGroup:
    """Errors of one kind in one column of one file: how many, and the first of them."""

    first: RowError
    errors: int = 0
    rows: int = 0
    examples: list[RowError] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)

    def merge(self, other: ErrorGroup) -> None:
        """Count ``other``'s errors too (errors of the same kind that came later)."""
        self.errors += other.errors
        self.rows += other.rows
        self.examples += other.examples[: GROUP_EXAMPLES - len(self.examples)]
        self.subjects |= set(list(other.subjects)[: _SUBJECTS_COUNTED - len(self.subjects)])

    def add(self, error: RowError) -> None:
        self.errors += 1
        self.rows += error.rows
        if len(self.examples) < GROUP_EXAMPLES:
            self.examples.append(error)
        if error.subject and len(self.subjects) < _SUBJECTS_COUNTED:
            self.subjects.add(error.subject)

    def __str__(self) -> str:
        first = self.first
        message = first.message if not first.code else _generic(first)
        examples = ", ".join(
            (f"row {e.row}" if e.row_kind == "line" else f"record {e.row}")
            + (f" {e.value!r}" if e.value else "")
            for e in self.examples
        )
        more = ", ..." if self.errors > len(self.examples) else ""
        subjects = ""
        if self.subjects:
            shown = ", ".join(sorted(self.subjects)[:GROUP_EXAMPLES])
            n = len(self.subjects)
            over = " or more" if n >= _SUBJECTS_COUNTED else ""
            subjects = f" ({n}{over} {first.code.replace('_', ' ')}, e.g. {shown})"
        column = f"{first.column}: " if first.column else ""
        hint = f": {first.hint}" if first.hint else ""
        return (
            f"{first.file}: {self.rows:,} rows: {column}{message}{subjects}"
            f" (e.g. {examples}{more}){hint}"
        )


def _generic(error: RowError) -> str:
    """An error's message without its subject, to say once for a group."""
    text = error.message
    if error.subject:
        text = text.split(f" ({error.subject}")[0].replace(error.subject, "...")
    return text


def group_errors(
    errors: Sequence[RowError], into: dict[tuple[str, str, str], ErrorGroup] | None = None
) -> dict[tuple[str, str, str], ErrorGroup]:
    """``errors`` counted by file, column and kind (added to ``into``, when given)."""
    groups = {} if into is None else into
    for error in errors:
        key = error.group_key()
        group = groups.get(key)
        if group is None:
            group = groups[key] = ErrorGroup(error)
        group.add(error)
    return groups


class InvalidDataError(ProvenanceError):
    """An input file with one or more bad rows; nothing from it was written.

    ``errors`` holds the first errors; ``groups`` counts every error by file, column and kind
    (including those past the first). The message lists a small group error by error, and says a
    larger one in one line: how many rows, the first rows and values, and what to do.
    """

    def __init__(
        self,
        errors: Sequence[RowError],
        total: int | None = None,
        groups: dict[tuple[str, str, str], ErrorGroup] | None = None,
    ) -> None:
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        self.groups = groups if groups is not None else group_errors(self.errors)
        super().__init__(self._text())

    def _text(self) -> str:
        if self.total <= GROUP_SHOWN_WHOLE * 2 and self.total == len(self.errors):
            return "\n".join(str(e) for e in self.errors)
        lines: list[str] = []
        for group in self.groups.values():
            if group.errors <= GROUP_SHOWN_WHOLE and group.rows == group.errors:
                lines += [str(e) for e in group.examples]
            else:
                lines.append(str(group))
        counted = sum(g.errors for g in self.groups.values())
        if self.total > counted:
            lines.append(f"... and {self.total - counted} more errors")
        return "\n".join(lines)


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


class PatternTimeoutError(ProvenanceError):
    """A mapping's split pattern that ran longer than its time limit on a value (the load
    reports it as an error of the file, with the row)."""

    def __init__(self, value: str, timeout: float) -> None:
        self.value = value
        self.timeout = timeout
        super().__init__(f"the pattern ran longer than {timeout:g} s on {shorten(value)!r}")


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


#: How close (difflib's ratio) a name, or one of its words, must be to be suggested.
_CLOSE = 0.6


def _folded(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def closest_names(value: str, names: Sequence[str], n: int = 5) -> list[str]:
    """The names closest to ``value`` (case, spaces and punctuation ignored), closest first:
    close as a whole, or by one of their words ("KN-25" finds "Ballistic Missile KN-24")."""
    target = _folded(value)
    scored: dict[str, tuple[float, float, str]] = {}
    for name in names:
        key = _folded(name)
        if not key or key in scored:
            continue
        whole = difflib.SequenceMatcher(None, target, key).ratio()
        # Words of three characters or more: "No" and "of" would match anything short.
        words = {w for w in map(_folded, name.replace("/", " ").split()) if len(w) >= 3}
        best = max([whole, *(difflib.SequenceMatcher(None, target, w).ratio() for w in words)])
        scored[key] = (best, whole, name)
    close = sorted(
        (v for v in scored.values() if v[0] >= _CLOSE), key=lambda v: (-v[0], -v[1], v[2])
    )
    return [name for _, _, name in close[:n]]


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


class EvidenceError(ProvenanceError):
    """An evidence file that cannot be added, found or verified, or a store that cannot be used."""


class EvidenceChangedError(EvidenceError):
    """A file's bytes are not those of the hash it is stored under (it changed, or was altered)."""


# provenance.ingest.screening ---------------------------------------------------------------------


class ScreeningError(ProvenanceError):
    """A screening step that cannot be done: a file that is no sanctions list, an unknown
    candidate, a decision without the name of who made it."""


# provenance.ingest.customs -----------------------------------------------------------------------


class CustomsError(ProvenanceError):
    """A customs step that cannot be done: a missing file, an unknown link or rule, a decision
    without the name of who made it."""


# provenance.chain ----------------------------------------------------------------------------


class ChainError(ProvenanceError):
    """A supply-chain step that cannot be done: an unknown party, component or trace request, a
    trace request answered twice, a party named twice."""
