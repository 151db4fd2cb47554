"""Rows of one load that file one component: what they say of it, merged whatever their order.

Two rows file one component when they give the same source record, or (without records) the
same specimen, function, part number, marking, manufacturer and date code. When the load ends,
the components it created whose rows say different things (``Finding.said``) are looked at value
by value: a value one row leaves blank and another gives is filled in; notes are joined; two rows
that give different values (quantities 1 and 3, two countries of manufacture) are a conflict
(:mod:`provenance.ingest.conflicts`), reported with the rows on each side. A component that the
database held before the load keeps its values; rows that give the same source record again
(``check_known_records``) fill in what it lacks, and a value that differs from the stored one is
a conflict naming the row (nothing a source said is dropped without a word).

The rows a load wrote are in its temporary rows table (:data:`provenance.ingest.write.ROWS`);
the components are read and updated a few hundred at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import Connection, Table, and_, func, select, tuple_, update

from provenance.errors import RowError
from provenance.ingest.catalogue import (
    FINDING_VALUES,
    SAID,
    SAID_SEPARATOR,
    chunks,
    preferred_spelling,
    said_text,
)
from provenance.ingest.conflicts import Conflicts, Place
from provenance.ingest.write import ROWS
from provenance.models import Authenticity, Component, LoadBatch, Manufacturer, Specimen
from provenance.values.identity import unknown_maker_key
from provenance.values.text import name_key

__all__ = ["check_known_records", "merge_components"]

#: How many components are merged at a time.
_BATCH = 500
#: How many components a load names as in conflict (the rest are counted).
_SHOWN = 50
#: A value of SAID -> the column (ours) that gives it, as messages name it.
_COLUMN = {
    "function": "component",
    "made_in_code": "made_in",
    "reported_maker_country_code": "manufacturer_country",
    "manufactured_precision": "manufactured_on",
    "hs6": "hs_code",
}
#: Values that go together: the second follows the first.
_PAIRED = {"manufactured_precision": "manufactured_on", "hs6": "hs_code"}
#: Per citation, not per component: compared among the rows of one source only (authenticity,
#: country of manufacture and manufacture date are each source's statement: provenance.claims).
_PER_SOURCE = (
    "evidence_url",
    "source_record_url",
    "authenticity",
    "made_in_code",
    "manufactured_on",
)
#: Text compared on its key (case and spacing aside); of its spellings the preferred one is kept
#: (``preferred_spelling``), whatever the order of the rows.
_KEYED = ("function", "part_number", "marking", "date_code")
#: Joined, not compared: what each source notes of a part.
_JOINED = "notes"
_NOTES_SEPARATOR = " | "


@dataclass
class _Group:
    """The rows of one new component that do not all say the same."""

    specimen_id: int
    identity: str
    label_key: str
    subject: str
    #: (what the row says, its source, where it is), in the order of the load
    rows: list[tuple[list[str], int, Place]] = field(default_factory=list)


def merge_components(
    conn: Connection,
    batches: Sequence[int],
    names: Mapping[int, str],
    conflicts: Conflicts,
) -> None:
    """Fill in and check the components new in this load (``batches``) whose rows differ.
    ``names``: file index -> file name, for the places of conflicts."""
    shown = 0
    extra = 0
    for group in _groups(conn, batches, names):
        problems = _problems(group)
        if problems:
            if shown >= _SHOWN:
                extra += 1
                continue
            shown += 1
            _conflict(
                conflicts,
                group,
                problems,
                f"rows that file one component ({group.subject}: the same source record, or "
                "the same function, part number, marking, manufacturer and date code) give ",
                ": make them agree, or give each its source's record id (source_record_id) "
                "if they are different parts",
                "components",
            )
            continue
        _fill(conn, group)
    if extra:
        first = next(iter(names.values()), "")
        conflicts.notes.append(
            RowError(first, 0, "component", "", f"and {extra} more components whose rows disagree")
        )


def _conflict(
    conflicts: Conflicts,
    group: _Group,
    problems: Sequence[tuple[str, str]],
    before: str,
    after: str,
    code: str,
) -> None:
    """The rows of one component in conflict: ``problems`` (column, what differs), said
    between ``before`` and ``after``, at every row of the group."""
    conflicts.add(
        ("component", (group.label_key, group.identity), "values"),
        group.subject,
        problems[0][0],
        before + "; ".join(text for _, text in problems) + after,
        *dict.fromkeys(place for _, _, place in group.rows),
        code=code,
    )


def _groups(conn: Connection, batches: Sequence[int], names: Mapping[int, str]) -> Iterator[_Group]:
    components: Table = Component.__table__  # type: ignore[assignment]
    t, c = ROWS.c, components.c
    differing = (
        select(t.specimen_id, t.identity)
        .join_from(ROWS, components, (c.specimen_id == t.specimen_id) & (c.identity == t.identity))
        .where(c.batch_id.in_(list(batches)))
        .group_by(t.specimen_id, t.identity)
        .having(func.count(t.fingerprint.distinct()) > 1)
        .order_by(t.specimen_id, t.identity)
    )
    keys = [tuple(k) for k in conn.execute(differing)]
    for chunk in chunks(keys, _BATCH):
        query = (
            select(
                t.specimen_id,
                t.identity,
                Specimen.label,
                Specimen.label_key,
                c.function,
                c.part_number,
                t.said,
                t.source_id,
                t.file_index,
                t.row,
                t.is_record,
            )
            .join_from(ROWS, Specimen, Specimen.id == t.specimen_id)
            .join(components, and_(c.specimen_id == t.specimen_id, c.identity == t.identity))
            .where(tuple_(t.specimen_id, t.identity).in_(chunk))
            .order_by(t.specimen_id, t.identity, t.file_index, t.row)
        )
        group: _Group | None = None
        for (
            sid,
            identity,
            label,
            label_key,
            function,
            part,
            said,
            source,
            index,
            row,
            rec,
        ) in conn.execute(query):
            if group is None or (group.specimen_id, group.identity) != (sid, identity):
                if group is not None:
                    yield group
                part_text = function + (f" {part}" if part else "")
                group = _Group(sid, identity, label_key, f"{part_text} in specimen {label}")
            place = Place(names[index], row, "record" if rec else "line")
            group.rows.append((str(said).split(SAID_SEPARATOR), int(source), place))
        if group is not None:
            yield group


#: The values compared and filled: (name, their indices in SAID); a pair goes together.
_FIELDS: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
    (name, (index, *(SAID.index(p) for p, of in _PAIRED.items() if of == name)))
    for index, name in enumerate(SAID)
    if name not in _PAIRED
)


def _given(group: _Group, indices: tuple[int, ...], source: int | None = None) -> dict[str, Place]:
    """The values the group's rows give at ``indices`` of SAID (blanks aside), each with the
    first place that gives it."""
    out: dict[str, Place] = {}
    for values, row_source, place in group.rows:
        if source is not None and row_source != source:
            continue
        value = SAID_SEPARATOR.join(values[i] for i in indices)
        if values[indices[0]]:
            out.setdefault(value, place)
    return out


def _problems(group: _Group) -> list[tuple[str, str]]:
    """(column, what differs) of each value the group's rows give differently."""
    problems = []
    for name, indices in _FIELDS:
        if name == _JOINED:
            continue
        sources = sorted({s for _, s, _ in group.rows}) if name in _PER_SOURCE else [None]
        for source in sources:
            given = _given(group, indices, source)
            if name in _KEYED:
                given = {name_key(v): p for v, p in reversed(given.items())}
            if len(given) > 1:
                column = _COLUMN.get(name, name)
                shown = ", ".join(f"{_shown(name, v)} ({p})" for v, p in given.items())
                problems.append((column, f"different {column.replace('_', ' ')}: {shown}"))
    return problems


def _shown(name: str, value: str) -> str:
    if name == "manufacturer" and value.startswith("\x1d"):
        country = value.split()[-1] if len(value.split()) > 1 else ""
        return "not identified" + (f" ({country})" if country else "")
    return repr(value.split(SAID_SEPARATOR)[0])


def _fill(conn: Connection, group: _Group) -> None:
    """Give the component what its rows say together: blanks filled, notes joined."""
    values: dict[str, object] = {}
    for name, indices in _FIELDS:
        if name in _PER_SOURCE or name == "manufacturer":
            continue
        given = list(_given(group, indices))
        if name == _JOINED:
            values[name] = _NOTES_SEPARATOR.join(sorted(given)) or None
        elif name in _KEYED:
            values[name] = min(given, key=preferred_spelling) if given else None
        elif given:
            for index, text in zip(indices, given[0].split(SAID_SEPARATOR), strict=True):
                values[SAID[index]] = _typed(SAID[index], text)
    if values.get("authenticity") is None:
        values["authenticity"] = Authenticity.UNKNOWN
    conn.execute(
        update(Component)
        .where(Component.specimen_id == group.specimen_id, Component.identity == group.identity)
        .values(values)
    )


def _typed(name: str, text: str) -> object:
    if not text:
        return None
    if name == "manufactured_on":
        return dt.date.fromisoformat(text)
    if name == "quantity":
        return int(text)
    return text


def check_known_records(
    conn: Connection,
    batches: Sequence[int],
    names: Mapping[int, str],
    conflicts: Conflicts,
) -> dict[int, int]:
    """Rows of this load that give a source record the database already held (a component of
    an earlier load, matched by ``source_record_id`` or page): a value the stored component
    lacks is filled in (the rows agreeing on it), one that differs from the stored value is a
    conflict naming the row and the load that stored it. Returns how many components were
    filled in, by the file index of their first row."""
    components: Table = Component.__table__  # type: ignore[assignment]
    t, c = ROWS.c, components.c
    query = (
        select(
            t.specimen_id,
            t.identity,
            Specimen.label,
            Specimen.label_key,
            c.batch_id,
            LoadBatch.file_name,
            Manufacturer.name_key,
            *(c[name] for name in FINDING_VALUES),
            t.said,
            t.source_id,
            t.file_index,
            t.row,
            t.is_record,
        )
        .join_from(ROWS, components, (c.specimen_id == t.specimen_id) & (c.identity == t.identity))
        .join(Specimen, Specimen.id == t.specimen_id)
        .join(LoadBatch, LoadBatch.id == c.batch_id, isouter=True)
        .join(Manufacturer, Manufacturer.id == c.manufacturer_id, isouter=True)
        .where(
            c.batch_id.not_in(list(batches)) | c.batch_id.is_(None),
            t.record_id.is_not(None) | t.record_url.is_not(None),
        )
        .order_by(t.specimen_id, t.identity, t.file_index, t.row)
    )
    filled: dict[int, int] = {}
    for _, rows in groupby(conn.execute(query), key=lambda r: (r.specimen_id, r.identity)):
        first, *more = rows
        values = {name: first._mapping[c[name]] for name in FINDING_VALUES}
        reported = values["reported_maker_country_code"]
        maker = first.name_key if first.name_key is not None else unknown_maker_key(reported)
        stored = said_text(values, maker, None, None).split(SAID_SEPARATOR)
        part = values["function"] + (f" {values['part_number']}" if values["part_number"] else "")
        subject = f"{part} in specimen {first.label}"
        group = _Group(first.specimen_id, first.identity, first.label_key, subject)
        for r in (first, *more):
            place = Place(names[r.file_index], r.row, "record" if r.is_record else "line")
            group.rows.append((str(r.said).split(SAID_SEPARATOR), int(r.source_id), place))
        stored_by = f"load batch {first.batch_id}" + (
            f", {first.file_name}" if first.file_name else ""
        )
        if _settle_known(conn, group, stored, stored_by, conflicts):
            filled[first.file_index] = filled.get(first.file_index, 0) + 1
    return filled


def _settle_known(
    conn: Connection, group: _Group, stored: list[str], stored_by: str, conflicts: Conflicts
) -> bool:
    """One known component and this load's rows that give its record: True when its blanks
    were filled in."""
    changes: dict[str, object] = {}
    problems: list[tuple[str, str]] = []
    for name, indices in _FIELDS:
        if name in _PER_SOURCE:
            continue
        if name == _JOINED:
            have = stored[indices[0]]
            new = sorted(v for v in _given(group, indices) if v not in have)
            if new:
                changes[name] = _NOTES_SEPARATOR.join(([have] if have else []) + new)
            continue
        problem = _against_stored(group, name, indices, stored, stored_by, changes)
        if problem:
            problems.append((_COLUMN.get(name, name), problem))
    if problems:
        _conflict(
            conflicts,
            group,
            problems,
            f"rows give a source record the database already holds ({group.subject}) and say "
            "something else of it: ",
            ": make the rows agree with the stored component (a correction by another source "
            "is that source's own finding)",
            "known-records",
        )
        return False
    if not changes:
        return False
    conn.execute(
        update(Component)
        .where(Component.specimen_id == group.specimen_id, Component.identity == group.identity)
        .values(changes)
    )
    return True


def _against_stored(
    group: _Group,
    name: str,
    indices: tuple[int, ...],
    stored: list[str],
    stored_by: str,
    changes: dict[str, object],
) -> str:
    """What the rows give of one value against the stored component: a blank they agree on is
    put in ``changes``; the problem, when they differ from the stored value or each other."""
    given = _given(group, indices)
    same: Callable[[str], str] = name_key if name in _KEYED else str
    column = _COLUMN.get(name, name).replace("_", " ")
    if stored[indices[0]]:
        had = SAID_SEPARATOR.join(stored[i] for i in indices)
        differ = {v: p for v, p in given.items() if same(v) != same(had)}
        if not differ:
            return ""
        shown = ", ".join(f"{_shown(name, v)} ({p})" for v, p in differ.items())
        verb = "says it is" if len(differ) == 1 else "say it is"
        return (
            f"the database has {column} {_shown(name, had)} (a component of {stored_by}), "
            f"but {shown} {verb} different"
        )
    distinct = {same(v): (v, p) for v, p in reversed(given.items())}
    if len(distinct) > 1:
        return f"different {column}: " + ", ".join(
            f"{_shown(name, v)} ({p})" for v, p in reversed(distinct.values())
        )
    if distinct and name != "manufacturer":
        value = min(given, key=preferred_spelling) if name in _KEYED else next(iter(given))
        for index, text in zip(indices, value.split(SAID_SEPARATOR), strict=True):
            changes[SAID[index]] = _typed(SAID[index], text)
    return ""
