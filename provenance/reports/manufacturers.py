"""The manufacturers report: the top manufacturers (by parts) per weapon system and overall, with
headquarters, parent (or, rolled up, the companies counted under each), parts, components,
weapon systems and the first and last manufacture dates seen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select, tuple_
from sqlalchemy.orm import aliased

from provenance.errors import FilterError
from provenance.models import (
    Component,
    DatePrecision,
    Manufacturer,
    ScreeningCandidate,
    ScreeningDecision,
    WeaponSystem,
)
from provenance.reports.core import (
    Basis,
    FilteredParts,
    Filters,
    ReferenceRow,
    RollUp,
    Scope,
    as_int,
    components_joined,
    period_end,
    roll_up_joins,
)
from provenance.values.dates import format_partial_date


@dataclass
class RankedManufacturer:
    """One manufacturer (or, rolled up, parent company) in a top list."""

    rank: int
    name: str
    country_code: str | None  # headquarters
    country: str
    parent: str | None  # the direct parent (without roll-up)
    includes: list[str]  # with roll-up: the names counted under this one
    parts: int
    components: int
    weapon_systems: list[str]
    first_made: str
    last_made: str
    made_in: list[tuple[str, int]] = field(default_factory=list)  # basis made-in: where made
    #: Entities of sanctions lists a person confirmed this manufacturer (or, rolled up, one it
    #: includes) to be (``provenance screen review --accept``): "NAME (OpenSanctions id)".
    sanctions_matches: list[str] = field(default_factory=list)


@dataclass
class ManufacturerTable:
    weapon: str | None  # None: all weapon systems of the report
    parts: int
    components: int
    rows: list[RankedManufacturer]
    manufacturers: int  # how many there are in all (the table shows the top ones)
    other_parts: int  # the parts of the manufacturers not shown
    other_components: int
    #: Parts whose manufacturer the source could not identify: in ``parts``, never ranked.
    unidentified_parts: int = 0
    unidentified_components: int = 0


@dataclass
class ManufacturersReport:
    scope: Scope
    top: int
    roll_up: RollUp
    overall: ManufacturerTable
    per_weapon: list[ManufacturerTable]
    references: list[ReferenceRow] = field(default_factory=list)
    top_per_weapon: int = 10  # how many each per-weapon table lists


def _first_last(
    dates: Iterable[tuple[dt.date, DatePrecision | None]],
) -> tuple[str, str]:
    """The earliest and the latest manufacture date, as precisely as each is known."""
    items = list(dates)
    if not items:
        return "", ""
    first = min(items, key=lambda d: (d[0], period_end(*d)))
    last = max(items, key=lambda d: (period_end(*d), d[0]))
    return format_partial_date(*first), format_partial_date(*last)


#: (weapon system designation, or None for all of them; company id)
_Key = tuple[str | None, int]
#: How many (weapon system, company) pairs one statement names.
_PAIRS_AT_ONCE = 5000
#: Separates the weapon systems of a company in one aggregated text (no designation holds it).
_SEPARATOR = "\x1f"


@dataclass
class _Totals:
    """One table's figures over every company in it."""

    parts: int = 0
    components: int = 0
    manufacturers: int = 0  # identified ones
    unidentified_parts: int = 0
    unidentified_components: int = 0


@dataclass
class _Tally:
    """What the database says of the companies each table can show (``maker`` below).

    Each table's companies are ranked in SQL; only those that can make its top (every company
    tied with the last one included) come back, with their totals, so a report over a million
    components reads a few thousand rows."""

    #: weapon system (None: all) -> (maker, parts, components) of its top companies (and ties)
    per_weapon: dict[str | None, list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    totals: dict[str | None, _Totals] = field(default_factory=lambda: defaultdict(_Totals))
    dates: dict[_Key, list[tuple[dt.date, DatePrecision | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    weapons_of: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: rolled up: the manufacturers counted under each company, in name order
    names_under: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: basis made-in: parts per country of manufacture
    made_in: dict[_Key, dict[str | None, int]] = field(default_factory=lambda: defaultdict(dict))


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _PAIRS_AT_ONCE):
        yield items[start : start + _PAIRS_AT_ONCE]


class _Reader:
    """The statements of one report: the filtered components, counted under ``key`` (the
    manufacturer, or its top parent)."""

    def __init__(self, conn: Connection, ctx: FilteredParts, roll_up: RollUp) -> None:
        self.conn = conn
        self.joined, company = roll_up_joins(components_joined(), roll_up)
        self.key: ColumnElement[int] = company.id.label("maker")
        self.where = ctx.where

    def base(self, *columns: Any) -> Select[Any]:
        return self.joined.add_columns(*columns).where(*self.where)

    def ranked(self, out: _Tally, per_weapon: bool, limit: int) -> None:
        """Each table's totals, and its companies that can make its top ``limit``, in one
        statement: RANK keeps every company tied with the last one that fits (the final order,
        by parts and then name, is made in Python); the unidentified parts come as a company
        of their own (maker NULL), outside the ranking."""
        ws, key = WeaponSystem.designation, self.key
        groups = [ws.label("w"), key] if per_weapon else [key]
        pairs = (
            self.base(*groups, func.sum(Component.quantity).label("parts"))
            .add_columns(func.count(Component.id).label("n"))
            .group_by(*groups)
            .subquery()
        )
        table = [pairs.c.w] if per_weapon else []
        identified = pairs.c.maker.is_not(None)
        within = [*table, identified]
        ranked = select(
            *table,
            pairs.c.maker,
            pairs.c.parts,
            pairs.c.n,
            func.rank().over(partition_by=within, order_by=pairs.c.parts.desc()).label("rk"),
            func.sum(pairs.c.parts).over(partition_by=within).label("all_parts"),
            func.sum(pairs.c.n).over(partition_by=within).label("all_n"),
            func.count().over(partition_by=within).label("makers"),
        ).subquery()
        for row in self.conn.execute(
            select(*ranked.c).where((ranked.c.rk <= limit) | ranked.c.maker.is_(None))
        ):
            weapon = row.w if per_weapon else None
            totals = out.totals[weapon]
            if row.maker is None:
                totals.unidentified_parts = as_int(row.parts)
                totals.unidentified_components = as_int(row.n)
                totals.parts += as_int(row.parts)
                totals.components += as_int(row.n)
                continue
            if row.rk == 1 and not totals.manufacturers:  # the first row of the table's makers
                totals.manufacturers = as_int(row.makers)
                totals.parts += as_int(row.all_parts)
                totals.components += as_int(row.all_n)
            out.per_weapon[weapon].append((row.maker, as_int(row.parts), as_int(row.n)))

    def dates(self, out: _Tally, makers: list[int], pairs: list[tuple[str, int]]) -> None:
        """First and last dates. Per precision, the earliest and the latest start are the
        earliest and latest periods (a later start of the same precision ends later): at most
        two dates per precision."""
        ws, key = WeaponSystem.designation, self.key
        made, precision = Component.manufactured_on, Component.manufactured_precision
        span = (precision, func.min(made), func.max(made))
        for chunk in _chunks(makers):
            query = self.base(key, *span).where(made.isnot(None), key.in_(chunk))
            for maker, precise, first, last in self.conn.execute(query.group_by(key, precision)):
                out.dates[(None, maker)] += [(on, precise) for on in {first, last}]
        for pair_chunk in _chunks(pairs):
            query = self.base(ws, key, *span).where(
                made.isnot(None), tuple_(ws, key).in_(pair_chunk)
            )
            for designation, maker, precise, first, last in self.conn.execute(
                query.group_by(ws, key, precision)
            ):
                out.dates[(designation, maker)] += [(on, precise) for on in {first, last}]

    def made_in(self, out: _Tally, makers: list[int], pairs: list[tuple[str, int]]) -> None:
        """Basis made-in: parts per country of manufacture."""
        ws, key, code = WeaponSystem.designation, self.key, Component.made_in_code
        parts = func.sum(Component.quantity)
        for chunk in _chunks(makers):
            query = self.base(key, code, parts).where(key.in_(chunk)).group_by(key, code)
            for maker, country, n in self.conn.execute(query):
                out.made_in[(None, maker)][country] = as_int(n)
        for pair_chunk in _chunks(pairs):
            query = self.base(ws, key, code, parts).where(tuple_(ws, key).in_(pair_chunk))
            for designation, maker, country, n in self.conn.execute(query.group_by(ws, key, code)):
                out.made_in[(designation, maker)][country] = as_int(n)

    def names(self, out: _Tally, makers: list[int], roll_up: RollUp) -> None:
        """Each company's weapon systems; rolled up, the manufacturers counted under it."""
        ws, key = WeaponSystem.designation, self.key
        for chunk in _chunks(makers):
            weapons = self.base(key, ws).where(key.in_(chunk)).group_by(key, ws).subquery()
            for maker, designations in self.conn.execute(
                select(
                    weapons.c.maker, func.aggregate_strings(weapons.c.designation, _SEPARATOR)
                ).group_by(weapons.c.maker)
            ):
                out.weapons_of[maker] = sorted(str(designations).split(_SEPARATOR))
            if roll_up is RollUp.PARENT:
                for maker, name in self.conn.execute(
                    self.base(key, Manufacturer.name)
                    .where(key.in_(chunk))
                    .group_by(key, Manufacturer.name)
                    .order_by(Manufacturer.name)
                ):
                    out.names_under[maker].append(name)


def _tally(
    conn: Connection, ctx: FilteredParts, roll_up: RollUp, top: int, top_per_weapon: int
) -> _Tally:
    reader = _Reader(conn, ctx, roll_up)
    out = _Tally()
    reader.ranked(out, per_weapon=False, limit=top)
    reader.ranked(out, per_weapon=True, limit=top_per_weapon)
    overall = sorted({m for m, _, _ in out.per_weapon.get(None, [])})
    pairs = sorted(
        {(t, m) for t, rows in out.per_weapon.items() if t is not None for m, _, _ in rows}
    )
    reader.dates(out, overall, pairs)
    if ctx.filters.basis is Basis.MADE_IN:
        reader.made_in(out, overall, pairs)
    reader.names(out, sorted(set(overall) | {m for _, m in pairs}), roll_up)
    return out


def _confirmed_hits(conn: Connection) -> defaultdict[str, list[str]]:
    """Manufacturer name -> the sanctions-list entities a person confirmed it to be."""
    c = ScreeningCandidate
    out: defaultdict[str, list[str]] = defaultdict(list)
    for name, entity, key in conn.execute(
        select(Manufacturer.name, c.entity_name, c.entity_key)
        .join(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .where(c.decision == ScreeningDecision.ACCEPTED)
    ):
        out[name].append(f"{entity} ({key})")
    return out


def manufacturers(
    conn: Connection,
    filters: Filters | None = None,
    top: int = 10,
    roll_up: RollUp = RollUp.NONE,
    top_per_weapon: int | None = None,
) -> ManufacturersReport:
    """The top manufacturers (by parts) per weapon system and overall: ``top`` overall and
    ``top_per_weapon`` (default: ``top``) in each weapon system's table.

    With ``roll_up=RollUp.PARENT`` each manufacturer counts under its top parent company.
    """
    if top < 1 or (top_per_weapon is not None and top_per_weapon < 1):
        raise FilterError("--top must be 1 or more")
    filters = filters or Filters()
    ctx = FilteredParts(conn, filters)
    tally = _tally(conn, ctx, roll_up, top, top if top_per_weapon is None else top_per_weapon)
    makers = {m for rows in tally.per_weapon.values() for m, _, _ in rows if m is not None}
    parent = aliased(Manufacturer)
    info = (
        {
            id_: (name, code, parent_name)
            for id_, name, code, parent_name in conn.execute(
                select(Manufacturer.id, Manufacturer.name, Manufacturer.country_code, parent.name)
                .outerjoin(parent, parent.id == Manufacturer.parent_id)
                .where(Manufacturer.id.in_(sorted(makers)))
            )
        }
        if makers
        else {}
    )

    hits = _confirmed_hits(conn)

    def table(weapon: str | None) -> ManufacturerTable:
        totals = tally.totals[weapon]
        entries = sorted(
            tally.per_weapon.get(weapon, []),
            key=lambda e: (-e[1], info[e[0]][0].casefold(), e[0]),
        )
        n = top if weapon is None or top_per_weapon is None else top_per_weapon
        shown = entries[:n]
        rows = []
        for rank, (maker, parts, n) in enumerate(shown, start=1):
            name, code, parent_name = info[maker]
            first, last = _first_last(tally.dates.get((weapon, maker), []))
            made_in = tally.made_in.get((weapon, maker), {})
            where_made = sorted(
                ((ctx.country_name(c), p) for c, p in made_in.items()),
                key=lambda cp: (-cp[1], cp[0]),
            )
            rows.append(
                RankedManufacturer(
                    rank=rank,
                    name=name,
                    country_code=code,
                    country=ctx.country_name(code) if code else "(unknown)",
                    parent=None if roll_up is RollUp.PARENT else parent_name,
                    includes=[x for x in tally.names_under.get(maker, []) if x != name],
                    parts=parts,
                    components=n,
                    weapon_systems=tally.weapons_of.get(maker, []),
                    first_made=first,
                    last_made=last,
                    made_in=where_made,
                    sanctions_matches=sorted(
                        {h for n in (name, *tally.names_under.get(maker, [])) for h in hits[n]}
                    ),
                )
            )
        identified = (
            totals.parts - totals.unidentified_parts,
            totals.components - totals.unidentified_components,
        )
        return ManufacturerTable(
            weapon=weapon,
            parts=totals.parts,
            components=totals.components,
            rows=rows,
            manufacturers=totals.manufacturers,
            other_parts=identified[0] - sum(e[1] for e in shown),
            other_components=identified[1] - sum(e[2] for e in shown),
            unidentified_parts=totals.unidentified_parts,
            unidentified_components=totals.unidentified_components,
        )

    weapon_names = sorted(w for w in tally.totals if w is not None)
    return ManufacturersReport(
        ctx.scope,
        top,
        roll_up,
        table(None),
        [table(w) for w in weapon_names],
        top_per_weapon=top if top_per_weapon is None else top_per_weapon,
    )
