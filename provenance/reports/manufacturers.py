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

from sqlalchemy import ColumnElement, Connection, Select, func, select
from sqlalchemy.orm import aliased

from provenance.errors import FilterError
from provenance.models import Component, DatePrecision, Manufacturer, WeaponSystem
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


@dataclass
class _Tally:
    """What the database says of each company parts count under (``maker`` below)."""

    #: weapon system (None: all) -> (maker, parts, components) of each of its makers
    per_weapon: dict[str | None, list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    dates: dict[_Key, list[tuple[dt.date, DatePrecision | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    weapons_of: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: rolled up: the manufacturers counted under each company, in name order
    names_under: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: basis made-in: parts per country of manufacture
    made_in: dict[_Key, dict[str | None, int]] = field(default_factory=lambda: defaultdict(dict))


def _tally(conn: Connection, ctx: FilteredParts, roll_up: RollUp) -> _Tally:
    qty = Component.quantity
    joined, company = roll_up_joins(components_joined(), roll_up)
    key: ColumnElement[int] = company.id.label("maker")

    def base(*columns: Any) -> Select[Any]:
        return joined.add_columns(*columns).where(*ctx.where)

    ws = WeaponSystem.designation
    out = _Tally()
    for designation, maker, parts, n in conn.execute(
        base(ws, key, func.sum(qty), func.count(Component.id)).group_by(ws, key)
    ):
        out.per_weapon[designation].append((maker, as_int(parts), as_int(n)))
    for maker, parts, n in conn.execute(
        base(key, func.sum(qty), func.count(Component.id)).group_by(key)
    ):
        out.per_weapon[None].append((maker, as_int(parts), as_int(n)))
    # Per precision, the earliest and the latest start are the earliest and latest periods
    # (a later start of the same precision ends later): at most two dates per precision.
    made, precision = Component.manufactured_on, Component.manufactured_precision
    for designation, maker, precise, earliest, latest in conn.execute(
        base(ws, key, precision, func.min(made), func.max(made))
        .where(made.isnot(None))
        .group_by(ws, key, precision)
    ):
        for on in {earliest, latest}:
            out.dates[(designation, maker)].append((on, precise))
            out.dates[(None, maker)].append((on, precise))
    for maker, designation in conn.execute(base(key, ws).group_by(key, ws).order_by(ws)):
        out.weapons_of[maker].append(designation)
    if roll_up is RollUp.PARENT:
        for maker, name in conn.execute(
            base(key, Manufacturer.name)
            .group_by(key, Manufacturer.name)
            .order_by(Manufacturer.name)
        ):
            out.names_under[maker].append(name)
    if ctx.filters.basis is Basis.MADE_IN:
        for designation, maker, code, parts in conn.execute(
            base(ws, key, Component.made_in_code, func.sum(qty)).group_by(
                ws, key, Component.made_in_code
            )
        ):
            for k in ((designation, maker), (None, maker)):
                out.made_in[k][code] = out.made_in[k].get(code, 0) + as_int(parts)
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
    tally = _tally(conn, ctx, roll_up)
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

    def table(weapon: str | None) -> ManufacturerTable:
        every = tally.per_weapon.get(weapon, [])
        unidentified = [e for e in every if e[0] is None]  # no manufacturer: not a company
        entries = sorted(
            (e for e in every if e[0] is not None),
            key=lambda e: (-e[1], info[e[0]][0].casefold(), e[0]),
        )
        n = top if weapon is None or top_per_weapon is None else top_per_weapon
        shown = entries[:n]
        rest = entries[n:]
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
                )
            )
        return ManufacturerTable(
            weapon=weapon,
            parts=sum(e[1] for e in every),
            components=sum(e[2] for e in every),
            rows=rows,
            manufacturers=len(entries),
            other_parts=sum(e[1] for e in rest),
            other_components=sum(e[2] for e in rest),
            unidentified_parts=sum(e[1] for e in unidentified),
            unidentified_components=sum(e[2] for e in unidentified),
        )

    weapon_names = sorted(w for w in tally.per_weapon if w is not None)
    return ManufacturersReport(
        ctx.scope,
        top,
        roll_up,
        table(None),
        [table(w) for w in weapon_names],
        top_per_weapon=top if top_per_weapon is None else top_per_weapon,
    )
