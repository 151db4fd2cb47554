"""The researcher's reports: origin countries, manufacturers, the Common High Priority List,
time (manufacture, export controls, lag to recovery) and the sources behind every figure.

Every report is computed in the database (GROUP BY) and counts *parts*: the sum of the
components' quantities, as the foreign-origin report does. A part's origin country is, by the
basis chosen, its manufacturer's headquarters country or the country of manufacture marked on it;
parts whose origin is not known on that basis are counted apart, never dropped. Every report
carries a :class:`Scope` saying which filters it ran with and how many parts each filter left out,
so that its numbers add up to the parts counted.

Dates: a manufacture date known only to the year or month is stored as the first day of that
period (with its precision). ``--since``/``--until`` compare that stored day; "made after the
controls" and the lag to recovery take the precision into account (see :func:`timeline`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from provenance.errors import FilterError, UnknownGroupError
from provenance.models import (
    ChplEntry,
    Citation,
    Component,
    Country,
    DatePrecision,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.reference import chpl, groups
from provenance.reports.parts import Basis, resolve_weapon
from provenance.values.dates import format_partial_date, parse_partial_date

UNKNOWN_ORIGIN = "(unknown origin)"


class DateField(enum.StrEnum):
    """Which date ``--since``/``--until`` filter on."""

    MANUFACTURED = "manufactured"
    RECOVERED = "recovered"

    @property
    def description(self) -> str:
        if self is DateField.MANUFACTURED:
            return "manufacture date"
        return "recovery date (of the specimen)"


class Period(enum.StrEnum):
    YEAR = "year"
    MONTH = "month"


def period_end(start: dt.date, precision: DatePrecision | None) -> dt.date:
    """The last day of the period a partial date stands for (2023 -> 2023-12-31)."""
    if precision == DatePrecision.YEAR:
        return dt.date(start.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    if precision == DatePrecision.WEEK:
        return start + dt.timedelta(days=6)
    return start


def parse_bound(text: str | None, end: bool) -> dt.date | None:
    """A ``--since`` (first day of the period) or ``--until`` (last day) given as YYYY, YYYY-MM
    or YYYY-MM-DD."""
    if text is None or not text.strip():
        return None
    try:
        start, precision = parse_partial_date(text)
    except ValueError as exc:
        option = "--until" if end else "--since"
        raise FilterError(f"{option} {text!r}: {exc}") from None
    return period_end(start, precision) if end else start


@dataclass(frozen=True)
class Filters:
    """What a report counts: one weapon system or all, the basis, and a date range."""

    weapon: str | None = None
    basis: Basis = Basis.MANUFACTURER
    since: dt.date | None = None  # first day included
    until: dt.date | None = None  # last day included
    date_field: DateField = DateField.MANUFACTURED

    @classmethod
    def parse(
        cls,
        weapon: str | None = None,
        basis: str | Basis = Basis.MANUFACTURER,
        since: str | None = None,
        until: str | None = None,
        date_field: str | DateField = DateField.MANUFACTURED,
    ) -> Filters:
        filters = cls(
            weapon=weapon,
            basis=Basis(basis),
            since=parse_bound(since, end=False),
            until=parse_bound(until, end=True),
            date_field=DateField(date_field),
        )
        if filters.since and filters.until and filters.until < filters.since:
            raise FilterError(
                f"--until ({filters.until}) is before --since ({filters.since}): nothing to count"
            )
        return filters

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass
class Scope:
    """The filters a report ran with, and what each of them left out (in parts)."""

    weapon: str | None  # the designation, when one weapon system was asked for
    basis: Basis
    date_field: DateField
    since: dt.date | None
    until: dt.date | None
    parts_before_date_filter: int
    parts_without_date: int  # left out: the date filter was set and the date is not known
    parts_outside_range: int
    parts: int  # counted by the report
    components: int

    def lines(self) -> list[str]:
        """The report's header: basis and filters, in words."""
        out = [f"Basis: {self.basis.description}."]
        out.append(
            f"Weapon system: {self.weapon}." if self.weapon else "Weapon systems: all recorded."
        )
        if self.since or self.until:
            span = (
                f"from {self.since or 'the earliest'} to {self.until or 'the latest'} "
                "(both days included)"
            )
            out.append(f"Date filter: {self.date_field.description} {span}.")
            if self.date_field is DateField.MANUFACTURED:
                out.append(
                    "A manufacture date known only to the year or month counts as the first day "
                    "of that period for this filter."
                )
            out.append(
                f"Left out by the date filter: {self.parts_without_date} parts without a "
                f"{self.date_field.description}, {self.parts_outside_range} parts outside the "
                f"range (of {self.parts_before_date_filter} parts for these weapon systems)."
            )
        out.append(
            f"Counted: {self.parts} parts in {self.components} component records "
            "(parts = the sum of the components' quantities)."
        )
        return out

    def summary(self) -> str:
        """One line for CSV cells and chart captions."""
        bits = [f"basis={self.basis.value}", f"weapon={self.weapon or 'all'}"]
        if self.since or self.until:
            bits.append(
                f"{self.date_field.value} {self.since or '...'}..{self.until or '...'}"
                f" ({self.parts_without_date} parts without the date left out)"
            )
        return "; ".join(bits)


@dataclass(frozen=True)
class ReferenceRow:
    """Reference data a report's figures rest on (a list version, a country group)."""

    kind: str
    citation: str
    basis: str | None = None


# Building blocks -------------------------------------------------------------------------------


def origin_column(basis: Basis) -> ColumnElement[str | None]:
    if basis is Basis.MANUFACTURER:
        return Manufacturer.country_code.expression
    return Component.made_in_code.expression


def _date_column(field_: DateField) -> ColumnElement[dt.date | None]:
    if field_ is DateField.MANUFACTURED:
        return Component.manufactured_on.expression
    return Specimen.recovered_on.expression


def _joined(*columns: Any) -> Select[Any]:
    """Components with their specimen, weapon system and manufacturer."""
    return (
        select(*columns)
        .select_from(Component)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
    )


class _Context:
    """The resolved filters: the WHERE clauses every query of a report uses, and its scope."""

    def __init__(self, conn: Connection, filters: Filters) -> None:
        self.conn = conn
        self.filters = filters
        self.weapon_where: list[ColumnElement[bool]] = []
        designation: str | None = None
        if filters.weapon is not None:
            ws_id = resolve_weapon(conn, filters.weapon)
            self.weapon_where.append(WeaponSystem.id == ws_id)
            designation = conn.execute(
                select(WeaponSystem.designation).where(WeaponSystem.id == ws_id)
            ).scalar_one()
        date = _date_column(filters.date_field)
        in_range: list[ColumnElement[bool]] = []
        if filters.since is not None:
            in_range.append(date >= filters.since)
        if filters.until is not None:
            in_range.append(date <= filters.until)
        self.where = self.weapon_where + in_range
        qty = Component.quantity
        if in_range:
            totals = _joined(
                func.coalesce(func.sum(qty), 0),
                func.coalesce(func.sum(case((date.is_(None), qty), else_=0)), 0),
                func.coalesce(func.sum(case((and_(*in_range), qty), else_=0)), 0),
                func.count(case((and_(*in_range), Component.id))),
            ).where(*self.weapon_where)
            total, undated, counted, components = conn.execute(totals).one()
        else:
            total, components = conn.execute(
                _joined(func.coalesce(func.sum(qty), 0), func.count(Component.id)).where(
                    *self.weapon_where
                )
            ).one()
            undated, counted = 0, total
        self.scope = Scope(
            weapon=designation,
            basis=filters.basis,
            date_field=filters.date_field,
            since=filters.since,
            until=filters.until,
            parts_before_date_filter=int(total),
            parts_without_date=int(undated),
            parts_outside_range=int(total) - int(undated) - int(counted),
            parts=int(counted),
            components=int(components),
        )
        self.origin = origin_column(filters.basis)
        self._names: dict[str, str] | None = None

    def country_name(self, code: str | None) -> str:
        if code is None:
            return UNKNOWN_ORIGIN
        if self._names is None:
            self._names = dict(self.conn.execute(select(Country.code, Country.display_name)).all())
        return self._names.get(code, code)


def _int(value: Any) -> int:
    return int(value or 0)


# report countries ------------------------------------------------------------------------------


@dataclass
class WeaponTotals:
    designation: str
    producer_code: str | None
    producer: str
    parts: int
    foreign_parts: int
    domestic_parts: int
    unknown_origin_parts: int

    @property
    def foreign_share(self) -> float:
        return self.foreign_parts / self.parts if self.parts else 0.0


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
            return row.total / self.total.parts if self.total.parts else 0.0
        totals = next(w for w in self.weapons if w.designation == weapon)
        n = row.parts_by_weapon.get(weapon, 0)
        return n / totals.parts if totals.parts else 0.0


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
    ctx = _Context(conn, filters)
    origin = ctx.origin.label("origin")
    producer = WeaponSystem.producer_country_code
    qty = Component.quantity
    foreign = and_(origin.isnot(None), origin != producer)
    weapon_rows = conn.execute(
        _joined(
            WeaponSystem.designation,
            producer,
            func.sum(qty),
            func.sum(case((foreign, qty), else_=0)),
            func.sum(case((origin.is_(None), qty), else_=0)),
        )
        .where(*ctx.where)
        .group_by(WeaponSystem.designation, producer)
        .order_by(WeaponSystem.designation)
    ).all()
    weapons = [
        WeaponTotals(
            designation=d,
            producer_code=p,
            producer=ctx.country_name(p),
            parts=_int(n),
            foreign_parts=_int(f),
            domestic_parts=_int(n) - _int(f) - _int(u),
            unknown_origin_parts=_int(u),
        )
        for d, p, n, f, u in weapon_rows
    ]
    cells: dict[str | None, dict[str, int]] = defaultdict(dict)
    for designation, code, n in conn.execute(
        _joined(WeaponSystem.designation, origin, func.sum(qty))
        .where(*ctx.where)
        .group_by(WeaponSystem.designation, origin)
    ):
        cells[code][designation] = _int(n)

    total = WeaponTotals(
        designation="All weapon systems",
        producer_code=None,
        producer="",
        parts=sum(w.parts for w in weapons),
        foreign_parts=sum(w.foreign_parts for w in weapons),
        domestic_parts=sum(w.domestic_parts for w in weapons),
        unknown_origin_parts=sum(w.unknown_origin_parts for w in weapons),
    )
    references: list[ReferenceRow] = []
    info: groups.GroupInfo | None = None
    if group is None:
        rows = [
            OriginRow(code, ctx.country_name(code), by_weapon, sum(by_weapon.values()))
            for code, by_weapon in cells.items()
        ]
    else:
        info = groups.get_group(conn, group)
        group_on = group_on or dt.date.today()
        members = groups.members_on(conn, info.code, group_on)
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
        # Members, others, unknown origin: in that order (unknown only when there is some).
        rows = [b for b in buckets.values() if b.total or b.key is not None]
        references.append(ReferenceRow("country group", f"{info.name} ({info.code})", info.basis))
    if group is None:
        rows.sort(key=lambda r: (r.key is None, -r.total, r.label))
    return CountriesReport(ctx.scope, weapons, total, rows, info, group_on, references)


# report manufacturers --------------------------------------------------------------------------


@dataclass
class ManufacturerRow:
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
    rows: list[ManufacturerRow]
    manufacturers: int  # how many there are in all (the table shows the top ones)
    other_parts: int  # the parts of the manufacturers not shown
    other_components: int


@dataclass
class ManufacturersReport:
    scope: Scope
    top: int
    roll_up: bool
    overall: ManufacturerTable
    per_weapon: list[ManufacturerTable]
    references: list[ReferenceRow] = field(default_factory=list)


_MAX_PARENT_DEPTH = 20


def _top_parent() -> Any:
    """A subquery (id, top): each manufacturer with its topmost parent (itself if it has none).

    Walks ``parent_id`` upwards in a recursive CTE, at most 20 levels (a cycle in the data
    stops there and the manufacturer then counts as its own top).
    """
    walk = select(
        Manufacturer.id.label("id"),
        Manufacturer.id.label("top"),
        Manufacturer.parent_id.label("next"),
        literal(0).label("depth"),
    ).cte("parent_walk", recursive=True)
    parent = aliased(Manufacturer)
    walk = walk.union_all(
        select(walk.c.id, parent.id, parent.parent_id, walk.c.depth + 1).where(
            parent.id == walk.c.next, walk.c.depth < _MAX_PARENT_DEPTH
        )
    )
    return select(walk.c.id, walk.c.top).where(walk.c.next.is_(None)).subquery("top_parent")


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


def manufacturers(
    conn: Connection, filters: Filters | None = None, top: int = 10, roll_up: bool = False
) -> ManufacturersReport:
    """The top manufacturers (by parts) per weapon system and overall.

    With ``roll_up`` each manufacturer counts under its topmost parent company.
    """
    if top < 1:
        raise FilterError("--top must be 1 or more")
    filters = filters or Filters()
    ctx = _Context(conn, filters)
    qty = Component.quantity
    tops = _top_parent() if roll_up else None
    key: ColumnElement[int] = (
        func.coalesce(tops.c.top, Manufacturer.id).label("maker")
        if tops is not None
        else Manufacturer.id.label("maker")
    )

    def base(*columns: Any) -> Select[Any]:
        query = _joined(*columns)
        return query if tops is None else query.outerjoin(tops, tops.c.id == Manufacturer.id)

    ws = WeaponSystem.designation

    per_weapon: dict[str | None, list[tuple[int, int, int]]] = defaultdict(list)
    for designation, maker, parts, n in conn.execute(
        base(ws, key, func.sum(qty), func.count(Component.id)).where(*ctx.where).group_by(ws, key)
    ):
        per_weapon[designation].append((maker, _int(parts), _int(n)))
    for maker, parts, n in conn.execute(
        base(key, func.sum(qty), func.count(Component.id)).where(*ctx.where).group_by(key)
    ):
        per_weapon[None].append((maker, _int(parts), _int(n)))

    dates: dict[tuple[str | None, int], list[tuple[dt.date, DatePrecision | None]]] = defaultdict(
        list
    )
    for designation, maker, made, precision in conn.execute(
        base(ws, key, Component.manufactured_on, Component.manufactured_precision)
        .where(*ctx.where, Component.manufactured_on.isnot(None))
        .group_by(ws, key, Component.manufactured_on, Component.manufactured_precision)
    ):
        dates[(designation, maker)].append((made, precision))
        dates[(None, maker)].append((made, precision))
    weapons_of: dict[int, list[str]] = defaultdict(list)
    for maker, designation in conn.execute(
        base(key, ws).where(*ctx.where).group_by(key, ws).order_by(ws)
    ):
        weapons_of[maker].append(designation)
    names_under: dict[int, list[str]] = defaultdict(list)
    if roll_up:
        for maker, name in conn.execute(
            base(key, Manufacturer.name)
            .where(*ctx.where)
            .group_by(key, Manufacturer.name)
            .order_by(Manufacturer.name)
        ):
            names_under[maker].append(name)
    made_in: dict[tuple[str | None, int], dict[str | None, int]] = defaultdict(dict)
    if filters.basis is Basis.MADE_IN:
        for designation, maker, code, parts in conn.execute(
            base(ws, key, Component.made_in_code, func.sum(qty))
            .where(*ctx.where)
            .group_by(ws, key, Component.made_in_code)
        ):
            for k in ((designation, maker), (None, maker)):
                made_in[k][code] = made_in[k].get(code, 0) + _int(parts)

    makers = {m for rows in per_weapon.values() for m, _, _ in rows}
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
        entries = sorted(
            per_weapon.get(weapon, []), key=lambda e: (-e[1], info[e[0]][0].casefold(), e[0])
        )
        shown = entries[:top]
        rest = entries[top:]
        rows = []
        for rank, (maker, parts, n) in enumerate(shown, start=1):
            name, code, parent_name = info[maker]
            first, last = _first_last(dates.get((weapon, maker), []))
            where_made = sorted(
                ((ctx.country_name(c), p) for c, p in made_in.get((weapon, maker), {}).items()),
                key=lambda cp: (-cp[1], cp[0]),
            )
            rows.append(
                ManufacturerRow(
                    rank=rank,
                    name=name,
                    country_code=code,
                    country=ctx.country_name(code) if code else "(unknown)",
                    parent=None if roll_up else parent_name,
                    includes=[x for x in names_under.get(maker, []) if x != name],
                    parts=parts,
                    components=n,
                    weapon_systems=weapons_of.get(maker, []),
                    first_made=first,
                    last_made=last,
                    made_in=where_made,
                )
            )
        return ManufacturerTable(
            weapon=weapon,
            parts=sum(e[1] for e in entries),
            components=sum(e[2] for e in entries),
            rows=rows,
            manufacturers=len(entries),
            other_parts=sum(e[1] for e in rest),
            other_components=sum(e[2] for e in rest),
        )

    weapon_names = sorted(w for w in per_weapon if w is not None)
    return ManufacturersReport(
        ctx.scope, top, roll_up, table(None), [table(w) for w in weapon_names]
    )


# report chpl -----------------------------------------------------------------------------------

NOT_LISTED = "not on the list"
HS_TOO_SHORT = "HS code under 6 digits"
NO_HS = "no HS code"


@dataclass
class ChplWeapon:
    designation: str
    producer: str
    parts: int
    by_category: dict[str, int]  # tier, NOT_LISTED, HS_TOO_SHORT or NO_HS -> parts
    foreign_parts: int
    foreign_listed: int  # foreign parts whose HS-6 code is on the list
    foreign_coded: int  # foreign parts with an HS code of six digits or more

    @property
    def listed_parts(self) -> int:
        return sum(
            n for c, n in self.by_category.items() if c not in (NOT_LISTED, HS_TOO_SHORT, NO_HS)
        )

    @property
    def foreign_listed_share(self) -> float:
        """Listed foreign parts over all foreign parts (those without a code count as not
        listed: a lower bound)."""
        return self.foreign_listed / self.foreign_parts if self.foreign_parts else 0.0

    @property
    def foreign_listed_share_of_coded(self) -> float:
        """Listed foreign parts over the foreign parts whose six-digit code is known."""
        return self.foreign_listed / self.foreign_coded if self.foreign_coded else 0.0


@dataclass
class ChplCode:
    weapon: str
    hs6: str
    tier: str | None
    parts: int
    foreign_parts: int
    components: list[str]  # what the parts are (component functions)


@dataclass
class ChplReport:
    scope: Scope
    version: chpl.ChplVersion
    categories: list[str]  # the columns: tiers, then NOT_LISTED, HS_TOO_SHORT, NO_HS
    weapons: list[ChplWeapon]
    total: ChplWeapon
    codes: list[ChplCode]
    references: list[ReferenceRow] = field(default_factory=list)


def chpl_report(
    conn: Connection, filters: Filters | None = None, version: str | None = None
) -> ChplReport:
    """Parts per CHPL tier per weapon system, and the share of foreign parts on the list.

    A component's tier is the tier of its HS-6 code on the list version used (the newest unless
    ``version``). Components without an HS code, or with one shorter than six digits (a heading
    such as 8504 cannot be placed on the list), are counted in their own columns.
    """
    filters = filters or Filters()
    listed = chpl.resolve_version(conn, version)
    ctx = _Context(conn, filters)
    origin = ctx.origin
    qty = Component.quantity
    category = case(
        (Component.hs_code.is_(None), literal(NO_HS)),
        (Component.hs6.is_(None), literal(HS_TOO_SHORT)),
        (ChplEntry.tier.is_(None), literal(NOT_LISTED)),
        else_=ChplEntry.tier,
    ).label("category")
    is_foreign = case(
        (and_(origin.isnot(None), origin != WeaponSystem.producer_country_code), 1), else_=0
    ).label("is_foreign")

    def base(*columns: Any) -> Select[Any]:
        return _joined(*columns).outerjoin(
            ChplEntry, and_(ChplEntry.hs6 == Component.hs6, ChplEntry.list_id == listed.id)
        )

    rows = conn.execute(
        base(
            WeaponSystem.designation,
            WeaponSystem.producer_country_code,
            category,
            is_foreign,
            func.sum(qty),
        )
        .where(*ctx.where)
        .group_by(
            WeaponSystem.designation, WeaponSystem.producer_country_code, category, is_foreign
        )
    ).all()
    by_weapon: dict[str, ChplWeapon] = {}
    for designation, producer, cat, foreign, parts in rows:
        w = by_weapon.setdefault(
            designation,
            ChplWeapon(designation, ctx.country_name(producer), 0, {}, 0, 0, 0),
        )
        n = _int(parts)
        w.parts += n
        w.by_category[cat] = w.by_category.get(cat, 0) + n
        if foreign:
            w.foreign_parts += n
            if cat not in (NOT_LISTED, HS_TOO_SHORT, NO_HS):
                w.foreign_listed += n
            if cat not in (HS_TOO_SHORT, NO_HS):
                w.foreign_coded += n
    weapons = [by_weapon[k] for k in sorted(by_weapon)]
    total = ChplWeapon("All weapon systems", "", 0, {}, 0, 0, 0)
    for w in weapons:
        total.parts += w.parts
        total.foreign_parts += w.foreign_parts
        total.foreign_listed += w.foreign_listed
        total.foreign_coded += w.foreign_coded
        for c, n in w.by_category.items():
            total.by_category[c] = total.by_category.get(c, 0) + n
    tiers = sorted(
        set(conn.scalars(select(ChplEntry.tier).where(ChplEntry.list_id == listed.id).distinct())),
        key=chpl.tier_sort_key,
    )
    functions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for designation, hs6, function in conn.execute(
        base(WeaponSystem.designation, Component.hs6, Component.function)
        .where(*ctx.where, Component.hs6.isnot(None))
        .group_by(WeaponSystem.designation, Component.hs6, Component.function)
        .order_by(Component.function)
    ):
        functions[(designation, hs6)].append(function)
    codes = [
        ChplCode(d, hs6, tier, _int(parts), _int(foreign), functions[(d, hs6)])
        for d, hs6, tier, parts, foreign in conn.execute(
            base(
                WeaponSystem.designation,
                Component.hs6,
                ChplEntry.tier,
                func.sum(qty),
                func.sum(case((is_foreign == 1, qty), else_=0)),
            )
            .where(*ctx.where, Component.hs6.isnot(None))
            .group_by(WeaponSystem.designation, Component.hs6, ChplEntry.tier)
        )
    ]
    codes.sort(
        key=lambda c: (
            c.weapon,
            c.tier is None,
            chpl.tier_sort_key(c.tier or ""),
            -c.parts,
            c.hs6,
        )
    )
    return ChplReport(
        ctx.scope,
        listed,
        [*tiers, NOT_LISTED, HS_TOO_SHORT, NO_HS],
        weapons,
        total,
        codes,
        [ReferenceRow("export-control list", listed.citation, listed.notes)],
    )


# report timeline -------------------------------------------------------------------------------


class days_between(FunctionElement[int]):
    """Whole days from the second date to the first, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)})"
        f" - julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: date - date is a whole number of days.
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@dataclass
class TimelineBucket:
    label: str  # 2023, 2023-02, "2022 (month unknown)", "(no manufacture date)"
    year: int | None
    month: int | None
    parts_by_weapon: dict[str, int]
    total: int


@dataclass
class ControlsRow:
    """A weapon system's parts by whether they were made after their origin's controls."""

    designation: str
    parts: int
    after: int = 0  # made on or after the day the origin country's controls took effect
    before: int = 0  # the whole manufacture period lies before that day
    undetermined: int = 0  # the period (e.g. the year 2022) straddles that day
    no_date: int = 0  # no manufacture date
    no_controls: int = 0  # the origin country has no controls date in the group
    unknown_origin: int = 0


@dataclass
class LagRow:
    """Days from manufacture to recovery, over parts whose manufacture month or day is known."""

    designation: str
    parts: int  # parts with both dates, month precision or better
    year_only: int  # parts with both dates but the manufacture date known only to the year
    missing: int  # parts without a manufacture or recovery date
    negative: int  # parts recovered before their stated manufacture (a data problem)
    minimum: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    maximum: float | None = None


@dataclass
class TimelineReport:
    scope: Scope
    period: Period
    weapons: list[str]
    buckets: list[TimelineBucket]
    controls_group: groups.GroupInfo
    controls_dates: list[dt.date]  # the distinct controls dates of the group's members
    controls: list[ControlsRow]  # per weapon system, then all together
    lag: list[LagRow]  # per weapon system, then all together
    references: list[ReferenceRow] = field(default_factory=list)


LAG_METHOD = (
    "quartiles by statistics.quantiles(method='inclusive') over one value per part (a component "
    "of quantity 3 counts three times); the lag is counted from the first day of the "
    "manufacture month (or week, or the day); parts dated only to the year are left out"
)


def _quartiles(values: list[int]) -> tuple[float, float, float]:
    if len(values) == 1:
        v = float(values[0])
        return v, v, v
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def timeline(
    conn: Connection,
    filters: Filters | None = None,
    period: Period = Period.YEAR,
    controls_group: str = groups.CONTROLS_GROUP,
) -> TimelineReport:
    """Parts by manufacture year (or month) per weapon system; how many were made after the
    export controls of their origin country took effect; the lag from manufacture to recovery.

    "After the controls": the origin country's ``controls_from`` in ``controls_group``; a part
    counts as made after when its manufacture period starts on or after that day, before when
    the period ends before it, and undetermined when the period (e.g. the year 2022) contains it.
    """
    filters = filters or Filters()
    info = groups.get_group(conn, controls_group)
    ctx = _Context(conn, filters)
    qty = Component.quantity
    made = Component.manufactured_on
    ws = WeaponSystem.designation

    year = cast(extract("year", made), Integer).label("year")
    # By month, a date known only to the year has no month: it gets a bucket of its own.
    month: ColumnElement[Any] = case(
        (Component.manufactured_precision == DatePrecision.YEAR, null()),
        else_=cast(extract("month", made), Integer),
    ).label("month")
    keys: list[Any] = [ws, year, month] if period is Period.MONTH else [ws, year]
    cells: dict[tuple[int | None, int | None], dict[str, int]] = defaultdict(dict)
    for designation, y, *by_month, parts in conn.execute(
        _joined(*keys, func.sum(qty)).where(*ctx.where).group_by(*keys)
    ):
        cells[(y, by_month[0] if by_month else None)][designation] = _int(parts)
    buckets = []
    for (y, m), by_weapon in sorted(
        cells.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1] or 0)
    ):
        if y is None:
            label = "(no manufacture date)"
        elif period is Period.MONTH and m is None:
            label = f"{y} (month unknown)"
        elif m is None:
            label = str(y)
        else:
            label = f"{y}-{m:02d}"
        buckets.append(TimelineBucket(label, y, m, by_weapon, sum(by_weapon.values())))

    controls = groups.controls_subquery(info.id)
    origin = ctx.origin
    rows = conn.execute(
        _joined(
            ws,
            made,
            Component.manufactured_precision,
            origin.is_(None).label("no_origin"),
            controls.c.controls_from,
            func.sum(qty),
        )
        .outerjoin(controls, controls.c.country_code == origin)
        .where(*ctx.where)
        .group_by(
            ws,
            made,
            Component.manufactured_precision,
            origin.is_(None),
            controls.c.controls_from,
        )
    ).all()
    by_weapon_controls: dict[str, ControlsRow] = {}
    for designation, made_on, precision, no_origin, controls_from, parts in rows:
        row = by_weapon_controls.setdefault(designation, ControlsRow(designation, 0))
        n = _int(parts)
        row.parts += n
        if no_origin:
            row.unknown_origin += n
        elif controls_from is None:
            row.no_controls += n
        elif made_on is None:
            row.no_date += n
        elif made_on >= controls_from:
            row.after += n
        elif period_end(made_on, precision) < controls_from:
            row.before += n
        else:
            row.undetermined += n
    controls_rows = [by_weapon_controls[k] for k in sorted(by_weapon_controls)]
    all_controls = ControlsRow("All weapon systems", 0)
    for r in controls_rows:
        for name in ("parts", "after", "before", "undetermined", "no_date", "no_controls"):
            setattr(all_controls, name, getattr(all_controls, name) + getattr(r, name))
        all_controls.unknown_origin += r.unknown_origin

    lag_days = days_between(Specimen.recovered_on, made).label("lag")
    both = and_(made.isnot(None), Specimen.recovered_on.isnot(None))
    lag_values: dict[str, list[int]] = defaultdict(list)
    lag_rows: dict[str, LagRow] = {}
    for designation, precision, lag, parts in conn.execute(
        _joined(
            ws,
            Component.manufactured_precision,
            case((both, lag_days), else_=null()).label("lag"),
            func.sum(qty),
        )
        .where(*ctx.where)
        .group_by(ws, Component.manufactured_precision, case((both, lag_days), else_=null()))
    ):
        row_ = lag_rows.setdefault(designation, LagRow(designation, 0, 0, 0, 0))
        n = _int(parts)
        if lag is None:
            row_.missing += n
        elif precision == DatePrecision.YEAR:
            row_.year_only += n
        else:
            row_.parts += n
            if lag < 0:
                row_.negative += n
            lag_values[designation].extend([int(lag)] * n)

    def stats(row_: LagRow, values: list[int]) -> LagRow:
        if values:
            q1, q2, q3 = _quartiles(sorted(values))
            row_.minimum, row_.q1, row_.median, row_.q3, row_.maximum = (
                float(min(values)),
                q1,
                q2,
                q3,
                float(max(values)),
            )
        return row_

    lag = [stats(lag_rows[k], lag_values[k]) for k in sorted(lag_rows)]
    all_lag = LagRow(
        "All weapon systems",
        sum(r.parts for r in lag),
        sum(r.year_only for r in lag),
        sum(r.missing for r in lag),
        sum(r.negative for r in lag),
    )
    lag.append(stats(all_lag, [v for k in sorted(lag_values) for v in lag_values[k]]))
    dates = sorted(set(groups.controls_dates(conn, info.code).values()))
    return TimelineReport(
        scope=ctx.scope,
        period=period,
        weapons=sorted(by_weapon_controls),
        buckets=buckets,
        controls_group=info,
        controls_dates=dates,
        controls=[*controls_rows, all_controls],
        lag=lag,
        references=[
            ReferenceRow("country group (controls dates)", f"{info.name} ({info.code})", info.basis)
        ],
    )


# report sources --------------------------------------------------------------------------------


@dataclass
class SourceRow:
    publisher: str
    title: str
    url: str | None
    published: str
    reliability: str | None
    components: int  # component records it reports, within the report's filters
    parts: int


@dataclass
class SourcesReport:
    scope: Scope
    sources: list[SourceRow]
    components_without_source: int
    references: list[ReferenceRow] = field(default_factory=list)


def sources(
    conn: Connection,
    filters: Filters | None = None,
    references: Iterable[ReferenceRow] = (),
) -> SourcesReport:
    """The sources behind a report's numbers: every source citing a component the report counts,
    with how many components and parts it reports. A component reported by two sources counts
    for both; ``components_without_source`` should be 0 (every finding cites a source)."""
    filters = filters or Filters()
    ctx = _Context(conn, filters)
    rows = conn.execute(
        _joined(
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
            func.count(Component.id),
            func.sum(Component.quantity),
        )
        .join(Citation, Citation.component_id == Component.id)
        .join(Source, Source.id == Citation.source_id)
        .where(*ctx.where)
        .group_by(
            Source.id,
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
        )
    ).all()
    out = [
        SourceRow(
            publisher=pub,
            title=title,
            url=url,
            published=format_partial_date(on, precision),
            reliability=str(rel) if rel is not None else None,
            components=_int(n),
            parts=_int(parts),
        )
        for pub, title, url, on, precision, rel, n, parts in rows
    ]
    out.sort(key=lambda s: (-s.parts, s.publisher, s.title))
    cited = select(Citation.component_id)
    uncited = conn.execute(
        _joined(func.count(Component.id)).where(*ctx.where, Component.id.not_in(cited))
    ).scalar_one()
    return SourcesReport(ctx.scope, out, _int(uncited), list(references))


def reference_data(conn: Connection) -> list[ReferenceRow]:
    """The reference data the reports use by default: the newest CHPL version and the group
    whose controls dates the timeline uses (those present in the database)."""
    out: list[ReferenceRow] = []
    versions = chpl.list_versions(conn)
    if versions:
        out.append(ReferenceRow("export-control list", versions[0].citation, versions[0].notes))
    try:
        info = groups.get_group(conn, groups.CONTROLS_GROUP)
    except UnknownGroupError:
        return out
    out.append(
        ReferenceRow("country group (controls dates)", f"{info.name} ({info.code})", info.basis)
    )
    return out
