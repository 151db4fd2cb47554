"""What every report shares: the basis, the roll-up, the filters and the rules of counting.

Counts are numbers of *parts*: the sum of the components' quantities (a row with quantity 3 is
three parts). A part's origin country is, by the basis chosen, its manufacturer's headquarters
country or the country of manufacture marked on it (:func:`origin_column`). On the manufacturer
basis, a part whose manufacturer's headquarters is not recorded (or whose manufacturer the source
could not identify) takes the country the source reported for its maker ("Not identified,
China"); when both are known and differ, the recorded headquarters counts (the load warned of the
difference). A part is *foreign* to a weapon system when its origin differs from the weapon
system's producer country, *domestic* when it is the same, and of *unknown origin* when the origin
is not known on that basis: those parts are counted apart, never as foreign or domestic, never
dropped (:func:`is_foreign`, :func:`foreign_condition`). When the weapon system's producer country
is not known, its parts are neither foreign nor domestic, whatever their origin, and its foreign
share is not defined (None).

With a roll-up, a part counts under its manufacturer's top parent company (:func:`top_parents`),
on the manufacturer basis from the parent's headquarters (the subsidiary's when the parent's is
not recorded).

Every report of :mod:`provenance.reports` carries a :class:`Scope` saying which filters it ran
with and how many parts each filter left out, so that its numbers add up to the parts counted.
Dates: a manufacture date known only to the year or month is stored as the first day of that
period (with its precision); ``--since``/``--until`` compare that stored day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from provenance.errors import FilterError, UnknownWeaponError
from provenance.models import (
    Citation,
    Component,
    Country,
    DatePrecision,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
)
from provenance.values.dates import parse_partial_date
from provenance.values.text import name_key

#: The label of the parts whose origin is not known on the basis chosen.
UNKNOWN_ORIGIN = "(unknown origin)"
#: The label of the parts whose manufacturer the source could not identify (never a company).
UNKNOWN_MANUFACTURER = "(manufacturer not identified)"
#: How a weapon system's unknown producer country is shown.
UNKNOWN_PRODUCER = "(unknown producer)"


class Basis(enum.StrEnum):
    """What a part's origin country is taken to be."""

    MANUFACTURER = "manufacturer"  # the manufacturer's headquarters country
    MADE_IN = "made-in"  # the country of manufacture marked on the part

    @property
    def description(self) -> str:
        if self is Basis.MANUFACTURER:
            return "origin = the manufacturer's headquarters country"
        return "origin = the country of manufacture marked on the part"


class RollUp(enum.StrEnum):
    """Which company a part counts under."""

    NONE = "none"  # the manufacturer as marked
    PARENT = "parent"  # its top parent company (Maxim Integrated -> Analog Devices)

    @property
    def description(self) -> str:
        if self is RollUp.PARENT:
            return (
                "manufacturers rolled up to their top parent company (on the manufacturer "
                "basis, the parent's headquarters; the subsidiary's when the parent's is not "
                "recorded)"
            )
        return "manufacturers as marked"


class DateField(enum.StrEnum):
    """Which date ``--since``/``--until`` filter on."""

    MANUFACTURED = "manufactured"
    RECOVERED = "recovered"

    @property
    def description(self) -> str:
        if self is DateField.MANUFACTURED:
            return "manufacture date"
        return "recovery date (of the specimen)"


# Foreign, domestic, unknown --------------------------------------------------------------------


def headquarters_column(company: Any = Manufacturer) -> ColumnElement[str | None]:
    """The headquarters country of the company a part counts under (:func:`roll_up_joins`),
    else of its manufacturer (NULL: not recorded, or no manufacturer)."""
    if company is Manufacturer:
        return Manufacturer.country_code.expression
    return func.coalesce(company.country_code, Manufacturer.country_code)


def origin_column(basis: Basis, company: Any = Manufacturer) -> ColumnElement[str | None]:
    """A part's origin country code on ``basis`` (NULL: not known on that basis).

    ``company`` is the table of the company the part counts under (:func:`roll_up_joins`): on
    the manufacturer basis its headquarters, else the manufacturer's own, else the country the
    source reported for the part's maker (:func:`maker_origin`).
    """
    if basis is Basis.MADE_IN:
        return Component.made_in_code.expression
    reported = Component.reported_maker_country_code
    if company is Manufacturer:
        return func.coalesce(Manufacturer.country_code, reported)
    return func.coalesce(company.country_code, Manufacturer.country_code, reported)


def maker_origin(headquarters: str | None, reported: str | None) -> str | None:
    """:func:`origin_column` on the manufacturer basis, in Python: the company's headquarters
    (:func:`headquarters_column`), else the country the source reported for the maker."""
    return headquarters if headquarters is not None else reported


def is_foreign(origin: str | None, producer: str | None) -> bool | None:
    """True for a foreign part, False for a domestic one, None when its origin or the weapon
    system's producer country is unknown."""
    if origin is None or producer is None:
        return None
    return origin != producer


def foreign_condition(
    origin: ColumnElement[str | None], producer: ColumnElement[str | None] | Any
) -> ColumnElement[bool]:
    """:func:`is_foreign` in SQL: true for foreign parts only (never for an unknown origin or
    producer)."""
    return and_(origin.is_not(None), producer.is_not(None), origin != producer)


def fraction(part: int, whole: int) -> float:
    """``part`` as a fraction of ``whole`` (0 when there is nothing)."""
    return part / whole if whole else 0.0


class ForeignShare:
    """The foreign share of a weapon system's (or several's) parts.

    Parts of unknown origin, and parts of a weapon system whose producer is not known, count in
    ``parts`` but are neither foreign nor domestic. When no part is either (every origin unknown,
    or the producer unknown), the share is not defined: None, never a misleading 0%."""

    parts: int
    foreign_parts: int
    domestic_parts: int

    @property
    def foreign_share(self) -> float | None:
        """The foreign parts' share of all parts; None when no part is foreign or domestic."""
        if self.foreign_parts + self.domestic_parts == 0:
            return None
        return fraction(self.foreign_parts, self.parts)


# Roll-up ---------------------------------------------------------------------------------------

#: How many parent levels a roll-up follows (a guard; real groups have a few).
MAX_PARENT_LEVELS = 50


def top_parents() -> CTE:
    """(id, top_id): the manufacturers with their top parent company (themselves at the top).

    Walks down from the companies without a parent, at most :data:`MAX_PARENT_LEVELS` levels. A
    manufacturer it does not reach (deeper, or in a cycle of parents) has no row: it counts as
    its own top (:func:`roll_up_joins`).
    """
    m = Manufacturer.__table__
    tops = (
        select(m.c.id.label("id"), m.c.id.label("top_id"), literal(0).label("depth"))
        .where(m.c.parent_id.is_(None))
        .cte("manufacturer_tops", recursive=True)
    )
    child = m.alias("child")
    return tops.union_all(
        select(child.c.id, tops.c.top_id, tops.c.depth + 1).where(
            child.c.parent_id == tops.c.id, tops.c.depth < MAX_PARENT_LEVELS
        )
    )


def roll_up_joins(query: Select[Any], roll_up: RollUp) -> tuple[Select[Any], Any]:
    """``query`` (joined to Manufacturer) joined to the company parts count under, and that
    company's table (Manufacturer itself without a roll-up)."""
    if roll_up is RollUp.NONE:
        return query, Manufacturer
    tops = top_parents()
    top = aliased(Manufacturer, name="top_manufacturer")
    query = query.outerjoin(tops, tops.c.id == Manufacturer.id).outerjoin(
        top, top.id == func.coalesce(tops.c.top_id, Manufacturer.id)
    )
    return query, top


def components_joined(*columns: Any) -> Select[Any]:
    """``columns`` of the components with their specimen, weapon system and manufacturer."""
    return (
        select(*columns)
        .select_from(Component)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .outerjoin(Manufacturer, Manufacturer.id == Component.manufacturer_id)
    )


class unindexed_id(FunctionElement[int]):
    """An id column read from the row rather than through an index of it (SQLite's unary +).

    Grouping by a column with an index of its own (``specimens.weapon_system_id``,
    ``citations.source_id``), SQLite walks that index to skip the sort and looks up each row of
    the larger table at random; read in the larger table's own order the look-ups are in order
    and the sort is cheaper (issue 14: at 1M components 4.1 s -> 2.6 s for the timeline's pass,
    3.4 s -> 1.0 s for the sources' count). Other databases: the column."""

    type = Integer()
    inherit_cache = True
    name = "unindexed_id"


@compiles(unindexed_id, "sqlite")
def _unindexed_id_sqlite(element: unindexed_id, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"


@compiles(unindexed_id)
def _unindexed_id_default(element: unindexed_id, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return str(compiler.process(column, **kw))


# Filters ---------------------------------------------------------------------------------------


def weapon_names(weapon: str | Sequence[str] | None) -> tuple[str, ...]:
    """The weapon systems asked for, as a tuple (empty: all)."""
    if weapon is None:
        return ()
    if isinstance(weapon, str):
        return (weapon,)
    return tuple(dict.fromkeys(weapon))


def resolve_weapons(conn: Connection, weapon: str | Sequence[str] | None) -> list[int] | None:
    """The ids of the weapon systems asked for (None: all of them)."""
    names = weapon_names(weapon)
    return list(dict.fromkeys(resolve_weapon(conn, n) for n in names)) if names else None


def resolve_weapon(conn: Connection, text: str) -> int:
    """The id of the weapon system with this designation or alias (any case); an unknown name
    gets the closest designations and aliases as suggestions."""
    key = name_key(text)
    found = conn.execute(
        select(WeaponSystem.id).where(WeaponSystem.designation_key == key)
    ).scalar_one_or_none()
    if found is None:
        found = conn.execute(
            select(WeaponSystemAlias.weapon_system_id).where(WeaponSystemAlias.alias_key == key)
        ).scalar_one_or_none()
    if found is None:
        known = list(
            conn.scalars(select(WeaponSystem.designation).order_by(WeaponSystem.designation))
        )
        aliases = list(conn.scalars(select(WeaponSystemAlias.alias)))
        raise UnknownWeaponError(text, known, aliases)
    return found


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
    """What a report counts: one weapon system, several (a tuple) or all, the basis, and a date
    range."""

    weapon: str | tuple[str, ...] | None = None
    basis: Basis = Basis.MANUFACTURER
    since: dt.date | None = None  # first day included
    until: dt.date | None = None  # last day included
    date_field: DateField = DateField.MANUFACTURED

    @classmethod
    def parse(
        cls,
        weapon: str | Sequence[str] | None = None,
        basis: str | Basis = Basis.MANUFACTURER,
        since: str | None = None,
        until: str | None = None,
        date_field: str | DateField = DateField.MANUFACTURED,
    ) -> Filters:
        names = weapon_names(weapon)
        filters = cls(
            weapon=None if not names else names[0] if len(names) == 1 else names,
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

    weapon: str | None  # the designation(s) asked for ("KN-23 and KN-24"); None: all
    basis: Basis
    date_field: DateField
    since: dt.date | None
    until: dt.date | None
    parts_before_date_filter: int
    parts_without_date: int  # left out: the date filter was set and the date is not known
    parts_outside_range: int
    parts: int  # counted by the report
    components: int
    #: the designations asked for, when weapon systems were (one or several)
    weapons: list[str] = field(default_factory=list)
    #: what the counted parts cover: weapon systems with parts counted, sources citing them
    weapon_systems: int = 0
    sources: int = 0

    def lines(self) -> list[str]:
        """The report's header: basis and filters, in words."""
        out = [f"Basis: {self.basis.description}."]
        if len(self.weapons) > 1:
            out.append(f"Weapon systems: {', '.join(self.weapons)}.")
        else:
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
        out.append(coverage_line(self.weapon_systems, self.parts, self.sources))
        return out

    def summary(self) -> str:
        """One line for CSV cells and chart captions."""
        weapon = ",".join(self.weapons) if self.weapons else "all"
        bits = [f"basis={self.basis.value}", f"weapon={weapon}"]
        if self.since or self.until:
            bits.append(
                f"{self.date_field.value} {self.since or '...'}..{self.until or '...'}"
                f" ({self.parts_without_date} parts without the date left out)"
            )
        return "; ".join(bits)


def coverage_line(weapon_systems: int, parts: int, sources: int) -> str:
    """The header line every report carries: what its figures cover."""

    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    return (
        f"Covers {n(weapon_systems, 'weapon system', 'weapon systems')}, "
        f"{n(parts, 'part', 'parts')} and {n(sources, 'source', 'sources')}."
    )


def covered(conn: Connection, where: Sequence[ColumnElement[bool]]) -> tuple[int, int]:
    """(weapon systems, sources) of the components ``where`` selects (WHERE clauses over
    :func:`components_joined`): the weapon systems they belong to and the sources citing them.

    Without a filter, one look-up per weapon system and per source; with one, a pass over the
    components (and their citations) it selects."""
    if not where:
        has_parts = exists(
            select(Specimen.id)
            .join(Component, Component.specimen_id == Specimen.id)
            .where(Specimen.weapon_system_id == WeaponSystem.id)
        )
        cites = exists(select(Citation.source_id).where(Citation.source_id == Source.id))
        count = select(func.count())
        weapons = conn.execute(count.select_from(WeaponSystem).where(has_parts)).scalar_one()
        sources = conn.execute(count.select_from(Source).where(cites)).scalar_one()
        return as_int(weapons), as_int(sources)
    weapons = conn.execute(
        components_joined(func.count(func.distinct(WeaponSystem.id))).where(*where)
    ).scalar_one()
    sources = conn.execute(
        components_joined(func.count(func.distinct(Citation.source_id)))
        .join(Citation, Citation.component_id == Component.id)
        .where(*where)
    ).scalar_one()
    return as_int(weapons), as_int(sources)


@dataclass(frozen=True)
class ReferenceRow:
    """Reference data a report's figures rest on (a list version, a country group)."""

    kind: str
    citation: str
    basis: str | None = None


def as_int(value: Any) -> int:
    """A SUM or COUNT from the database as an int (NULL, the sum of no rows, is 0)."""
    return int(value or 0)


def _date_column(field_: DateField) -> ColumnElement[dt.date | None]:
    if field_ is DateField.MANUFACTURED:
        return Component.manufactured_on.expression
    return Specimen.recovered_on.expression


class FilteredParts:
    """The filters resolved for a report's queries: the WHERE clauses each of them uses, the
    origin column of the basis, and the report's :class:`Scope`."""

    def __init__(self, conn: Connection, filters: Filters) -> None:
        self.conn = conn
        self.filters = filters
        self.weapon_where: list[ColumnElement[bool]] = []
        designations: list[str] = []
        ids = resolve_weapons(conn, filters.weapon)
        if ids is not None:
            self.weapon_where.append(WeaponSystem.id.in_(ids))
            names = dict(
                conn.execute(
                    select(WeaponSystem.id, WeaponSystem.designation).where(
                        WeaponSystem.id.in_(ids)
                    )
                ).all()
            )
            designations = [names[i] for i in ids]
        date = _date_column(filters.date_field)
        in_range: list[ColumnElement[bool]] = []
        if filters.since is not None:
            in_range.append(date >= filters.since)
        if filters.until is not None:
            in_range.append(date <= filters.until)
        self.where = self.weapon_where + in_range
        qty = Component.quantity
        if in_range:
            totals = components_joined(
                func.coalesce(func.sum(qty), 0),
                func.coalesce(func.sum(case((date.is_(None), qty), else_=0)), 0),
                func.coalesce(func.sum(case((and_(*in_range), qty), else_=0)), 0),
                func.count(case((and_(*in_range), Component.id))),
            ).where(*self.weapon_where)
            total, undated, counted, components = conn.execute(totals).one()
        else:
            total, components = conn.execute(
                components_joined(func.coalesce(func.sum(qty), 0), func.count(Component.id)).where(
                    *self.weapon_where
                )
            ).one()
            undated, counted = 0, total
        self.scope = Scope(
            weapon=" and ".join(designations) if designations else None,
            basis=filters.basis,
            date_field=filters.date_field,
            since=filters.since,
            until=filters.until,
            parts_before_date_filter=int(total),
            parts_without_date=int(undated),
            parts_outside_range=int(total) - int(undated) - int(counted),
            parts=int(counted),
            components=int(components),
            weapons=designations,
        )
        self.scope.weapon_systems, self.scope.sources = covered(conn, self.where)
        self.origin = origin_column(filters.basis)
        self._names: dict[str, str] | None = None

    def producer_name(self, code: str | None) -> str:
        """A weapon system's producer country as reports show it."""
        return UNKNOWN_PRODUCER if code is None else self.country_name(code)

    def country_name(self, code: str | None) -> str:
        if code is None:
            return UNKNOWN_ORIGIN
        if self._names is None:
            self._names = dict(self.conn.execute(select(Country.code, Country.display_name)).all())
        return self._names.get(code, code)
