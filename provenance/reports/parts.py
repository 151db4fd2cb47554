"""Reports: the foreign-origin parts per weapon system, and component listings.

Counts are numbers of parts: the sum of the components' quantities (a row with quantity 3 is three
parts). A part is foreign to a weapon system when its origin country differs from the weapon
system's producer country; the origin is, by the basis chosen, the manufacturer's headquarters
country or the country of manufacture. Parts whose origin is not known on that basis are counted
apart, never as foreign or domestic.
"""

from __future__ import annotations

import enum
import json
import operator
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, TypeVar, cast

from sqlalchemy import CTE, ColumnElement, Connection, Select, func, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from provenance.db import is_sqlite
from provenance.errors import UnknownWeaponError
from provenance.models import (
    Citation,
    Component,
    Country,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
)
from provenance.values.dates import format_partial_date
from provenance.values.text import name_key


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


#: How many parent levels a roll-up follows (a guard; real groups have a few).
MAX_PARENT_LEVELS = 50


def top_parents() -> CTE:
    """(id, top_id): every manufacturer with its top parent company (itself when it has none)."""
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


def _roll_up_joins(query: Select[Any], roll_up: RollUp) -> tuple[Select[Any], Any]:
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


@dataclass
class OriginRow:
    country_code: str | None  # None: origin not known on this basis
    country: str
    parts: int
    share: float  # of all the weapon system's parts
    foreign: bool | None  # None when the origin is unknown
    manufacturers: list[str] = field(default_factory=list)


@dataclass
class WeaponForeignParts:
    designation: str
    producer_code: str
    producer: str
    parts: int
    foreign_parts: int
    domestic_parts: int
    unknown_origin_parts: int
    sources: int
    origins: list[OriginRow] = field(default_factory=list)

    @property
    def foreign_share(self) -> float:
        return self.foreign_parts / self.parts if self.parts else 0.0


@dataclass
class ForeignPartsReport:
    basis: Basis
    weapon: str | None
    weapons: list[WeaponForeignParts]
    roll_up: RollUp = RollUp.NONE


def resolve_weapon(conn: Connection, text: str) -> int:
    """The id of the weapon system with this designation or alias (any case)."""
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
        raise UnknownWeaponError(text, known)
    return found


def _origin_column(basis: Basis, company: Any = Manufacturer) -> ColumnElement[str | None]:
    if basis is Basis.MANUFACTURER:
        if company is Manufacturer:
            return Manufacturer.country_code.expression
        return func.coalesce(company.country_code, Manufacturer.country_code)
    return Component.made_in_code.expression


def _component_joins(roll_up: RollUp) -> tuple[Select[Any], Any]:
    """Components joined to their specimen, weapon system and manufacturer (and, rolled up, to
    the manufacturer's top parent), with the company the rows count under."""
    return _roll_up_joins(
        select()
        .select_from(Component)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .join(Manufacturer, Manufacturer.id == Component.manufacturer_id),
        roll_up,
    )


# --- The foreign-origin report ------------------------------------------------------------------
#
# The components are read once, and the report is put together in Python from what that returns
# and from small tables: each manufacturer's origin (on the manufacturer basis) and the company
# its parts count under (itself, or its top parent) come from the manufacturers table, so the
# database only has to give, per weapon system, the parts per manufacturer (and per country of
# manufacture, on that basis). The sources are one more pass, over the citations.
#
# How the database returns that depends on it (``_reader``):
#
# - SQLite has no hash aggregate: a GROUP BY over weapon system and manufacturer sorts every
#   component, and the citations' COUNT(DISTINCT) sorts every citation. So the components are
#   read in weapon-system order (the specimens by weapon system, then the covering index
#   ix_components__specimen_id_manufacturer_id_quantity, not the table), each weapon system's
#   manufacturers and quantities come back as JSON arrays and are added up in Python. The
#   citations are read in their primary key's order and come back as one JSON array: Python
#   counts the distinct (weapon system, source) pairs.
# - PostgreSQL returns the same arrays per weapon system (array_agg, from an index-only scan);
#   its sources are a DISTINCT (a hash aggregate) counted per weapon system.
# - Anything else (SQLite without the JSON functions) adds up in SQL with GROUP BY.
#
# Within one weapon system each (origin, company) pair is a *cell key*: ``origin number * number
# of manufacturers + company position`` (the company's position in the manufacturers' name
# order). Sorting the keys puts the cells in origin order and their companies in name order.

_K = TypeVar("_K", bound=Hashable)

#: Added to one side of a join condition on SQLite, it keeps the planner from searching that
#: side's index (SQLite: "disqualifying WHERE clause terms"), and so fixes the order of the
#: join: the plans above are the fast ones, but with ANALYZE's statistics SQLite may otherwise
#: prefer to look up every citation of every component at random, several times slower.
_IN_ORDER = 0

#: Per weapon system id: manufacturer ids, countries of manufacture (None on the manufacturer
#: basis) and quantities, side by side; one entry per component or per group of components.
_Parts = Iterator[tuple[int, list[int], list[str | None] | None, list[int]]]


def _sum_by(keys: Iterable[_K], quantities: Iterable[int]) -> dict[_K, int]:
    """The quantities added up per key (``keys`` and ``quantities`` run side by side)."""
    sums: dict[_K, int] = {}
    get = sums.get
    for key, n in zip(keys, quantities, strict=True):
        sums[key] = get(key, 0) + n
    return sums


_V = TypeVar("_V")


def _getter(mapping: dict[int, _V]) -> Callable[[int], _V]:
    """``mapping.__getitem__``, or the same look-up in a list when the keys are ids from 0 or 1
    up without many gaps (a list index costs less than a hash look-up, per element of an array)."""
    if mapping and min(mapping) >= 0 and max(mapping) < 2 * len(mapping) + 64:
        table: list[_V | None] = [None] * (max(mapping) + 1)
        for key, value in mapping.items():
            table[key] = value
        return cast(Callable[[int], _V], table.__getitem__)
    return mapping.__getitem__


class _Reader(enum.Enum):
    """How the report reads the components and citations (see above)."""

    POSTGRESQL = "arrays per weapon system (array_agg)"
    SQLITE_JSON = "JSON arrays per weapon system, citations counted in Python"
    GROUPED = "GROUP BY and COUNT(DISTINCT) in SQL"


def _reader(conn: Connection) -> _Reader:
    if conn.dialect.name == "postgresql":
        return _Reader.POSTGRESQL
    if is_sqlite(conn):
        # Built in from SQLite 3.38, and in most earlier builds.
        try:
            conn.exec_driver_sql("SELECT json_array()").close()
        except DBAPIError:
            return _Reader.GROUPED
        return _Reader.SQLITE_JSON
    return _Reader.GROUPED


class _Origins(dict[str | None, int]):
    """Origin country code (None: unknown) -> a small number, given out on first use."""

    def __init__(self, codes: Iterable[str | None]) -> None:
        super().__init__()
        self.codes: list[str | None] = []
        for code in codes:
            _ = self[code]  # numbered on first use

    def __missing__(self, code: str | None) -> int:
        self[code] = len(self.codes)
        self.codes.append(code)
        return self[code]


@dataclass
class _Makers:
    """The manufacturers as the report sees them."""

    #: Every manufacturer's name, in the database's order (``ORDER BY name``).
    names: list[str]
    #: Manufacturer id -> position in ``names`` of the company its parts count under.
    company: dict[int, int]
    #: Manufacturer id -> the origin of its parts on the manufacturer basis.
    origin: dict[int, str | None]

    @classmethod
    def load(cls, conn: Connection, roll_up: RollUp) -> _Makers:
        rows = conn.execute(select(Manufacturer.id, Manufacturer.name).order_by(Manufacturer.name))
        names: list[str] = []
        position: dict[int, int] = {}
        for maker, name in rows:
            position[maker] = len(names)
            names.append(name)
        # The company and origin rules of the component listings (``_roll_up_joins``,
        # ``_origin_column``), per manufacturer.
        joins, company = _roll_up_joins(select().select_from(Manufacturer), roll_up)
        query = joins.add_columns(
            Manufacturer.id, company.id, _origin_column(Basis.MANUFACTURER, company)
        )
        company_of: dict[int, int] = {}
        origin: dict[int, str | None] = {}
        for maker, top, code in conn.execute(query):
            company_of[maker] = position[top]
            origin[maker] = code
        return cls(names, company_of, origin)


class _Cells:
    """Parts per weapon system and cell key (see above), and how to read the keys."""

    def __init__(self, makers: _Makers, origins: _Origins) -> None:
        self.makers = makers
        self.origins = origins
        self.width = max(len(makers.names), 1)
        # Manufacturer id -> its cell key on the manufacturer basis; -> its company's position.
        self.maker_key = _getter(
            {
                maker: origins[makers.origin[maker]] * self.width + company
                for maker, company in makers.company.items()
            }
        )
        self.company = _getter(makers.company)
        self.parts: dict[int, dict[int, int]] = {}

    def put(
        self, ws: int, makers: list[int], made_in: list[str | None] | None, n: list[int]
    ) -> None:
        """The parts of ``ws``: ``n`` by these manufacturers (made in these countries, on that
        basis), side by side."""
        if made_in is None:
            keys: Iterable[int] = map(self.maker_key, makers)
        else:
            keys = map(
                operator.add,
                map(self.width.__mul__, map(self.origins.__getitem__, made_in)),
                map(self.company, makers),
            )
        self.parts[ws] = _sum_by(keys, n)

    def by_origin(self, ws: int) -> Iterator[tuple[str | None, int, list[str]]]:
        """(origin, parts, company names in name order) of one weapon system's parts."""
        sums = self.parts[ws]
        width = self.width
        keys = sorted(sums)
        parts = list(map(sums.__getitem__, keys))
        companies = list(map(self.makers.names.__getitem__, map(operator.mod, keys, repeat(width))))
        start = 0
        while start < len(keys):  # one origin's cells: keys from origin number * width up
            number = keys[start] // width
            end = bisect_left(keys, (number + 1) * width, start)
            yield self.origins.codes[number], sum(parts[start:end]), companies[start:end]
            start = end


def _by_weapon(ws_id: int | None, *columns: Any, specimens_first: bool = False) -> Select[Any]:
    """``columns`` of the specimens joined to their components, grouped by weapon system.

    ``specimens_first`` keeps SQLite to reading the specimens by weapon system and each one's
    components from an index (see ``_IN_ORDER``), whatever its statistics say.
    """
    specimen = Specimen.id + _IN_ORDER if specimens_first else Specimen.id
    query: Select[Any] = (
        select(*columns).select_from(Specimen).join(Component, Component.specimen_id == specimen)
    )
    if ws_id is not None:
        query = query.where(Specimen.weapon_system_id == ws_id)
    return query.group_by(Specimen.weapon_system_id)


def _parts(conn: Connection, reader: _Reader, ws_id: int | None, basis: Basis) -> _Parts:
    if reader is _Reader.SQLITE_JSON:
        return _parts_sqlite(conn, ws_id, basis)
    if reader is _Reader.POSTGRESQL:
        return _parts_postgresql(conn, ws_id, basis)
    return _parts_grouped(conn, ws_id, basis)


def _parts_postgresql(conn: Connection, ws_id: int | None, basis: Basis) -> _Parts:
    """Every component, in arrays per weapon system."""
    columns: list[Any] = [Component.manufacturer_id, Component.quantity]
    if basis is Basis.MADE_IN:
        columns.append(Component.made_in_code)
    query = _by_weapon(ws_id, Specimen.weapon_system_id, *map(func.array_agg, columns))
    for ws, makers, quantities, *made_in in conn.execute(query):
        yield ws, makers, made_in[0] if made_in else None, quantities


def _parts_sqlite(conn: Connection, ws_id: int | None, basis: Basis) -> _Parts:
    """Every component, in JSON arrays per weapon system (see above)."""
    arrays = [Component.manufacturer_id, Component.quantity]
    made_in_of: dict[int, str] | None = None
    if basis is Basis.MADE_IN:
        # Not in the covering index: looked up by component id, from ix_components__made_in_code.
        arrays.append(Component.id)
        made_in_of = _made_in_sqlite(conn, ws_id)
    query = _by_weapon(
        ws_id, Specimen.weapon_system_id, *map(func.json_group_array, arrays), specimens_first=True
    )
    for ws, makers, quantities, *ids in conn.execute(query):
        made_in = None
        if made_in_of is not None:
            made_in = list(map(made_in_of.get, json.loads(ids[0])))
        yield ws, json.loads(makers), made_in, json.loads(quantities)


def _made_in_sqlite(conn: Connection, ws_id: int | None) -> dict[int, str]:
    """Component id -> country of manufacture, of the components that have one."""
    query = (
        select(func.json_group_array(Component.id), func.json_group_array(Component.made_in_code))
        .select_from(Component)
        .where(Component.made_in_code.is_not(None))
    )
    if ws_id is not None:
        query = query.join(Specimen, Specimen.id == Component.specimen_id).where(
            Specimen.weapon_system_id == ws_id
        )
    ids, codes = conn.execute(query).one()
    return dict(zip(json.loads(ids), json.loads(codes), strict=True))


def _parts_grouped(conn: Connection, ws_id: int | None, basis: Basis) -> _Parts:
    """Parts per manufacturer (and country of manufacture), added up in SQL."""
    made_in_basis = basis is Basis.MADE_IN
    keys: list[Any] = [Component.manufacturer_id]
    if made_in_basis:
        keys.append(Component.made_in_code)
    query = (
        _by_weapon(ws_id, Specimen.weapon_system_id.label("ws"), *keys)
        .add_columns(func.sum(Component.quantity).label("n"))
        .group_by(*keys)
    )
    per_weapon: dict[int, tuple[list[int], list[str | None], list[int]]] = {}
    for row in conn.execute(query):
        makers, made_in, quantities = per_weapon.setdefault(row.ws, ([], [], []))
        makers.append(row.manufacturer_id)
        made_in.append(row.made_in_code if made_in_basis else None)
        quantities.append(int(row.n))
    for ws, (makers, made_in, quantities) in per_weapon.items():
        yield ws, makers, made_in if made_in_basis else None, quantities


def _source_counts(conn: Connection, reader: _Reader, ws_id: int | None) -> dict[int, int]:
    """How many distinct sources cite each weapon system's components."""
    if reader is _Reader.SQLITE_JSON and ws_id is None:
        return _source_counts_sqlite(conn)
    pairs = (
        select(Specimen.weapon_system_id.label("ws"), Citation.source_id)
        .distinct()
        .select_from(Citation)
        .join(Component, Component.id == Citation.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
    )
    if ws_id is not None:
        pairs = pairs.where(Specimen.weapon_system_id == ws_id)
    cited = pairs.subquery()
    query = select(cited.c.ws, func.count()).group_by(cited.c.ws)
    return {ws: int(n) for ws, n in conn.execute(query)}


def _source_counts_sqlite(conn: Connection) -> dict[int, int]:
    """``_source_counts`` of every weapon system, on SQLite.

    The citations are read in their primary key's order, each joined to its component by rowid
    (so the components table is read in order too, not looked up at random), and come back as
    one JSON array of ``specimen id * k + source id`` (k above every source id). Python turns
    each into ``weapon system id * k + source id`` and counts the distinct ones per weapon
    system: cheaper than SQLite's look-up of every citation's specimen and its DISTINCT.
    """
    top = conn.execute(select(func.max(Source.id))).scalar_one_or_none()
    if top is None:
        return {}
    k = int(top) + 1
    # specimen id -> what turns ``specimen id * k + source`` into ``weapon system id * k + source``
    shift = {
        specimen: (ws - specimen) * k
        for specimen, ws in conn.execute(select(Specimen.id, Specimen.weapon_system_id))
    }
    cited: list[int] = json.loads(
        conn.execute(
            select(func.json_group_array(Component.specimen_id * k + Citation.source_id))
            .select_from(Citation)
            .join(Component, Component.id == Citation.component_id + _IN_ORDER)
        ).scalar_one()
    )
    specimens = map(operator.floordiv, cited, repeat(k))
    pairs = set(map(operator.add, cited, map(_getter(shift), specimens)))
    return dict(Counter(map(operator.floordiv, pairs, repeat(k))))


def foreign_parts(
    conn: Connection,
    weapon: str | None = None,
    basis: Basis = Basis.MANUFACTURER,
    roll_up: RollUp = RollUp.NONE,
) -> ForeignPartsReport:
    """For each weapon system: its parts, how many are foreign, and the parts by origin country.

    With ``roll_up=RollUp.PARENT`` parts count under their manufacturer's top parent company:
    its name is listed, and on the manufacturer basis its headquarters is the origin.
    """
    ws_id = None if weapon is None else resolve_weapon(conn, weapon)
    reader = _reader(conn)
    names = {code: name for code, name in conn.execute(select(Country.code, Country.display_name))}
    cells = _Cells(_Makers.load(conn, roll_up), _Origins([None, *names]))
    for ws, makers, made_in, quantities in _parts(conn, reader, ws_id, basis):
        cells.put(ws, makers, made_in, quantities)
    source_counts = _source_counts(conn, reader, ws_id)
    weapon_rows = select(
        WeaponSystem.id, WeaponSystem.designation, WeaponSystem.producer_country_code
    ).order_by(WeaponSystem.designation)
    if ws_id is not None:
        weapon_rows = weapon_rows.where(WeaponSystem.id == ws_id)

    weapons: list[WeaponForeignParts] = []
    for ws, designation, producer_code in conn.execute(weapon_rows):
        if ws not in cells.parts:  # no components
            continue
        origins = list(cells.by_origin(ws))
        parts = sum(n for _code, n, _companies in origins)
        unknown_n = sum(n for code, n, _companies in origins if code is None)
        foreign_n = sum(n for code, n, _companies in origins if code not in (None, producer_code))
        rows = [
            OriginRow(
                country_code=code,
                country=names.get(code, code) if code else "(unknown origin)",
                parts=n,
                share=n / parts,
                foreign=None if code is None else code != producer_code,
                manufacturers=companies,
            )
            for code, n, companies in origins
        ]
        # Foreign origins first, largest first; then domestic; unknown last.
        rows.sort(key=lambda r: (r.foreign is None, r.foreign is False, -r.parts, r.country))
        weapons.append(
            WeaponForeignParts(
                designation=designation,
                producer_code=producer_code,
                producer=names.get(producer_code, producer_code),
                parts=parts,
                foreign_parts=foreign_n,
                domestic_parts=parts - foreign_n - unknown_n,
                unknown_origin_parts=unknown_n,
                sources=source_counts.get(ws, 0),
                origins=rows,
            )
        )
    return ForeignPartsReport(basis=basis, weapon=weapon, weapons=weapons, roll_up=roll_up)


@dataclass
class ComponentRow:
    weapon_system: str
    specimen: str
    component: str
    part_number: str | None
    marking: str | None
    manufacturer: str
    manufacturer_country: str | None
    made_in: str | None
    date_code: str | None
    manufactured: str
    quantity: int
    hs_code: str | None
    authenticity: str
    sources: list[str]
    #: The manufacturer the part is filed under (differs from ``manufacturer`` in a roll-up).
    manufacturer_as_marked: str | None = None


def components(
    conn: Connection, weapon: str | None = None, roll_up: RollUp = RollUp.NONE
) -> list[ComponentRow]:
    """The components of one weapon system (or all), with their sources.

    With ``roll_up=RollUp.PARENT`` the manufacturer shown is the top parent company, with its
    headquarters (the subsidiary's when the parent's is not recorded).
    """
    hq = aliased(Country)
    made = aliased(Country)
    base, company = _component_joins(roll_up)
    query = (
        base.add_columns(
            Component.id,
            WeaponSystem.designation,
            Specimen.label,
            Component.function,
            Component.part_number,
            Component.marking,
            company.name,
            hq.display_name,
            made.display_name,
            Component.date_code,
            Component.manufactured_on,
            Component.manufactured_precision,
            Component.quantity,
            Component.hs_code,
            Component.authenticity,
            Manufacturer.name,
        )
        .outerjoin(hq, hq.code == _origin_column(Basis.MANUFACTURER, company))
        .outerjoin(made, made.code == Component.made_in_code)
        .order_by(WeaponSystem.designation, Specimen.label, company.name, Component.id)
    )
    cited = (
        select(Citation.component_id, Source.publisher, Source.title, Source.published_on)
        .join(Source, Source.id == Citation.source_id)
        .join(Component, Component.id == Citation.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        # Oldest first, undated last on both databases (SQLite would put NULL first).
        .order_by(
            Citation.component_id,
            Source.published_on.asc().nulls_last(),
            Source.publisher,
            Source.title,
        )
    )
    if weapon is not None:
        ws_id = resolve_weapon(conn, weapon)
        query = query.where(WeaponSystem.id == ws_id)
        cited = cited.where(Specimen.weapon_system_id == ws_id)
    sources: dict[int, list[str]] = defaultdict(list)
    for cid, publisher, title, _on in conn.execute(cited):
        sources[cid].append(f"{publisher}: {title}")
    return [
        ComponentRow(
            weapon_system=r[1],
            specimen=r[2],
            component=r[3],
            part_number=r[4],
            marking=r[5],
            manufacturer=r[6],
            manufacturer_country=r[7],
            made_in=r[8],
            date_code=r[9],
            manufactured=format_partial_date(r[10], r[11]),
            quantity=r[12],
            hs_code=r[13],
            authenticity=str(r[14]),
            sources=sources[r[0]],
            manufacturer_as_marked=r[15],
        )
        for r in conn.execute(query)
    ]
