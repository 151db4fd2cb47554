"""Values that the rows of one load give for the same thing, decided whatever the order of the
rows and files.

A row that names a weapon system, manufacturer, source or specimen may give one of its values (a
producer country, a headquarters, a parent, a URL, a recovery date). The first good row to give a
value that the database does not hold sets it; a later row that gives another value *contradicts*
it. Neither wins: the contradicting row is reported at once, the rows that gave the first value
when the load ends, and the load fails (nothing is kept). With a rejects file the load runs again,
and every row that gives that value (any of them) is rejected: which rows are rejected depends on
what the rows say, not on their order. The same holds for two new manufacturers whose names are
probably one company, for one component given different values by two rows, and for a new weapon
system that no row gives a producer country for.

The rows that gave a value are not kept (a load keeps no list of its rows): each value keeps the
first place that gave it, which is what the messages show.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from provenance.errors import RowError

__all__ = ["Conflict", "ConflictKey", "Conflicts", "Place"]

#: What a conflict is about: (kind of thing, its key, what of it), e.g.
#: ("manufacturer", "xp power", "country_code").
ConflictKey = tuple[str, Hashable, str]


@dataclass(frozen=True)
class Place:
    """Where a value was given: a file's row."""

    file: str
    row: int
    row_kind: str = "line"

    def __str__(self) -> str:
        if self.row_kind == "record":
            return f"{self.file}: record {self.row}"
        return f"{self.file}:{self.row}"


@dataclass
class Conflict:
    key: ConflictKey
    #: What the rows disagree about, in words: "the headquarters of manufacturer Peak Electronics"
    subject: str
    #: The column (ours) of the values
    column: str
    #: Each value as shown -> the first place that gave it, in the order they came
    values: dict[str, Place] = field(default_factory=dict)
    #: Said instead of listing the values (a component's rows that differ, a missing producer)
    note: str | None = None
    #: For counting like errors together (RowError's code, subject, rows and hint)
    code: str = ""
    subject_name: str = ""
    rows: int = 1
    hint: str = ""

    def message(self) -> str:
        if self.note is not None:
            return self.note
        given = "; ".join(f"{value} ({place})" for value, place in self.values.items())
        return (
            f"the rows of this load disagree about {self.subject}: {given}. Nothing is chosen: "
            "make them agree (or leave the value out of all but one)"
        )


class Conflicts:
    """The conflicts a load finds, and those an earlier run of the same load found (``decided``:
    every row that touches one of them is rejected)."""

    def __init__(self, decided: Mapping[ConflictKey, str] | None = None) -> None:
        self.found: dict[ConflictKey, Conflict] = {}
        self.decided: dict[ConflictKey, str] = dict(decided or {})
        #: key -> the conflict it belongs to (the first of two near names, say)
        self.linked: dict[ConflictKey, ConflictKey] = {}
        #: More to say when the load ends (conflicts past those listed)
        self.notes: list[RowError] = []

    def refused(self, key: ConflictKey) -> str | None:
        """Why a row that touches ``key`` is rejected in this run (None: it is not)."""
        return self.decided.get(key)

    def disagree(
        self,
        key: ConflictKey,
        subject: str,
        column: str,
        first: tuple[str, Place],
        other: tuple[str, Place],
        also: Sequence[ConflictKey] = (),
    ) -> str:
        """Record that ``other`` contradicts ``first``; the message for the row of ``other``.
        ``also``: more keys whose rows the next run rejects (the other of two names)."""
        conflict = self.found.get(key)
        if conflict is None:
            conflict = self.found[key] = Conflict(key, subject, column)
        for more in also:
            self.linked.setdefault(more, key)
        conflict.values.setdefault(*first)
        conflict.values.setdefault(*other)
        value, place = first
        return (
            f"contradicts {place}, which gives {value} for {subject}: the rows of this load must "
            "agree (nothing is chosen by their order)"
        )

    def add(
        self,
        key: ConflictKey,
        subject: str,
        column: str,
        note: str,
        *places: Place,
        code: str = "",
        rows: int = 1,
        hint: str = "",
    ) -> None:
        """A conflict found when the load ends (its places are reported then)."""
        conflict = self.found.setdefault(
            key,
            Conflict(
                key,
                subject,
                column,
                note=note,
                code=code,
                subject_name=subject,
                rows=rows,
                hint=hint,
            ),
        )
        for place in places:
            conflict.values.setdefault(str(place), place)

    def errors(self) -> list[RowError]:
        """An error for the first place of each value of each conflict (the rows that
        contradicted a first value were reported as they came)."""
        out: list[RowError] = []
        for conflict in self.found.values():
            places = list(conflict.values.values())
            shown = places[:1] if conflict.note is None else places
            for place in shown:
                out.append(
                    RowError(
                        place.file,
                        place.row,
                        conflict.column,
                        "",
                        conflict.message(),
                        place.row_kind,
                        code=conflict.code,
                        subject=conflict.subject_name if conflict.code else "",
                        rows=conflict.rows,
                        hint=conflict.hint,
                    )
                )
        return out + self.notes

    def verdicts(self) -> dict[ConflictKey, str]:
        """What the next run of the load rejects: every conflict found so far."""
        out = dict(self.decided)
        for key, conflict in self.found.items():
            out.setdefault(key, f"rejected: {conflict.message()}")
        for key, target in self.linked.items():
            out.setdefault(key, f"rejected: {self.found[target].message()}")
        return out
