"""The countries report: weapon systems × origin countries, parts and shares with totals, and per
weapon system its foreign, domestic and unknown-origin parts; or the origin countries put into
the members of a country group, other countries and unknown origin.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, case, func

from provenance.models import Component, WeaponSystem
from provenance.reference import groups
from provenance.reports.core import (
    UNKNOWN_ORIGIN,
    FilteredParts,
    Filters,
    ForeignShare,
    ReferenceRow,
    Scope,
    as_int,
    components_joined,
    foreign_condition,
    fraction,
)


@dataclass
class WeaponTotals(ForeignShare):
    designation: str
    producer_code: str | None
    producer: str
    parts: int
    foreign_parts: int
    domestic_parts: int
    unknown_origin_parts: int
    #: Parts of known origin that are neither foreign nor domestic: the producer is not known.
    unknown_producer_parts: int = 0


@dataclass
class OriginRow:
    """One row of the matrix: an origin country (or a group bucket), parts per weapon system."""

    key: str | None  # ISO code, group bucket key, or None for unknown origin
    label: str
    parts_by_weapon: dict[str, int]
    total: int
    countries: list[str] = field(default_factory=list)  # grouped: the countries in the bucket


@dataclass
class CountriesReport:
    scope: Scope
    weapons: list[WeaponTotals]
    total: WeaponTotals  # all weapon systems together
    rows: list[OriginRow]  # origins, largest first; unknown origin last
    group: groups.GroupInfo | None = None
    group_on: dt.date | None = None
    references: list[ReferenceRow] = field(default_factory=list)

    def share(self, row: OriginRow, weapon: str | None) -> float:
        if weapon is None:
            return fraction(row.total, self.total.parts)
        return fraction(row.parts_by_weapon.get(weapon, 0), self._parts_of[weapon])

    @functools.cached_property
    def _parts_of(self) -> dict[str, int]:
        """Each weapon system's parts, by designation (share() is called for every cell)."""
        parts: dict[str, int] = {}
        for w in self.weapons:
            parts.setdefault(w.designation, w.parts)  # the first, as a search would find
        return parts


def countries(
    conn: Connection,
    filters: Filters | None = None,
    group: str | None = None,
    group_on: dt.date | None = None,
) -> CountriesReport:
    """Weapon systems × origin countries: parts and shares, with totals.

    With ``group`` the origin countries are put in three rows: members of the group on
    ``group_on`` (default: today), other countries, unknown origin.
    """
    filters = filters or Filters()
    ctx = FilteredParts(conn, filters)
    origin = ctx.origin.label("origin")
    producer = WeaponSystem.producer_country_code
    qty = Component.quantity
    foreign = foreign_condition(origin, producer)
    domestic = and_(origin.is_not(None), origin == producer)
    weapon_rows = conn.execute(
        components_joined(
            WeaponSystem.designation,
            producer,
            func.sum(qty),
            func.sum(case((foreign, qty), else_=0)),
            func.sum(case((origin.is_(None), qty), else_=0)),
            func.sum(case((domestic, qty), else_=0)),
        )
        .where(*ctx.where)
        .group_by(WeaponSystem.designation, producer)
        .order_by(WeaponSystem.designation)
    ).all()
    weapons = [
        WeaponTotals(
            designation=d,
            producer_code=p,
            producer=ctx.producer_name(p),
            parts=as_int(n),
            foreign_parts=as_int(f),
            domestic_parts=as_int(h),
            unknown_origin_parts=as_int(u),
            unknown_producer_parts=as_int(n) - as_int(f) - as_int(h) - as_int(u),
        )
        for d, p, n, f, u, h in weapon_rows
    ]
    cells: dict[str | None, dict[str, int]] = defaultdict(dict)
    for designation, code, n in conn.execute(
        components_joined(WeaponSystem.designation, origin, func.sum(qty))
        .where(*ctx.where)
        .group_by(WeaponSystem.designation, origin)
    ):
        cells[code][designation] = as_int(n)

    total = WeaponTotals(
        designation="All weapon systems",
        producer_code=None,
        producer="",
        parts=sum(w.parts for w in weapons),
        foreign_parts=sum(w.foreign_parts for w in weapons),
        domestic_parts=sum(w.domestic_parts for w in weapons),
        unknown_origin_parts=sum(w.unknown_origin_parts for w in weapons),
        unknown_producer_parts=sum(w.unknown_producer_parts for w in weapons),
    )
    if group is None:
        rows = [
            OriginRow(code, ctx.country_name(code), by_weapon, sum(by_weapon.values()))
            for code, by_weapon in cells.items()
        ]
        rows.sort(key=lambda r: (r.key is None, -r.total, r.label))
        return CountriesReport(ctx.scope, weapons, total, rows, group_on=group_on)
    info = groups.get_group(conn, group)
    group_on = group_on or dt.date.today()
    members = groups.members_on(conn, info.code, group_on)
    return CountriesReport(
        ctx.scope,
        weapons,
        total,
        _grouped(cells, info, group_on, members, ctx),
        info,
        group_on,
        [ReferenceRow("country group", f"{info.name} ({info.code})", info.basis)],
    )


def _grouped(
    cells: dict[str | None, dict[str, int]],
    info: groups.GroupInfo,
    group_on: dt.date,
    members: Collection[str],
    ctx: FilteredParts,
) -> list[OriginRow]:
    """The origin countries' parts put in three rows: members of the group, other countries,
    unknown origin (that one only when there is some)."""
    buckets: dict[str | None, OriginRow] = {
        "in": OriginRow("in", f"{info.name} (members on {group_on})", {}, 0),
        "out": OriginRow("out", f"Outside {info.code}", {}, 0),
        None: OriginRow(None, UNKNOWN_ORIGIN, {}, 0),
    }
    for code, by_weapon in sorted(cells.items(), key=lambda kv: ctx.country_name(kv[0])):
        bucket = buckets[None if code is None else "in" if code in members else "out"]
        for designation, n in by_weapon.items():
            bucket.parts_by_weapon[designation] = bucket.parts_by_weapon.get(designation, 0) + n
            bucket.total += n
        if code is not None:
            bucket.countries.append(ctx.country_name(code))
    return [b for b in buckets.values() if b.total or b.key is not None]
