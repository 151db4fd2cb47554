"""The foreign-origin report: per weapon system, its parts, how many are foreign, domestic or of
unknown origin, and the parts by origin country with the companies that made them.

What counts as foreign, the origin on each basis and the roll-up are the rules of
:mod:`provenance.reports.core`; this module reads the components once, in the way each database
does fastest (see below).
"""

from __future__ import annotations

import enum
import json
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Connection, Select, func, select
from sqlalchemy.exc import DBAPIError

from provenance.db import is_sqlite
from provenance.models import (
    Authenticity,
    Citation,
    Component,
    Country,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.reports.core import (
    UNKNOWN_MANUFACTURER,
    UNKNOWN_ORIGIN,
    UNKNOWN_PRODUCER,
    Basis,
    ForeignShare,
    RollUp,
    covered,
    fraction,
    headquarters_column,
    is_foreign,
    maker_origin,
    resolve_weapons,
    roll_up_joins,
)


@dataclass
class OriginParts:
    """One origin country's parts in a weapon system."""

    country_code: str | None  # None: origin not known on this basis
    country: str
    parts: int
    share: float  # of all the weapon system's parts
    foreign: bool | None  # None when the origin is unknown
    manufacturers: list[str] = field(default_factory=list)


@dataclass
class WeaponForeignParts(ForeignShare):
    designation: str
    producer_code: str | None  # None: the producer country is not known
    producer: str
    parts: int
    foreign_parts: int
    domestic_parts: int
    unknown_origin_parts: int
    sources: int
    origins: list[OriginParts] = field(default_factory=list)
    #: Parts of known origin that are neither foreign nor domestic: the producer is not known.
    unknown_producer_parts: int = 0


@dataclass
class ForeignPartsReport:
    basis: Basis
    weapon: str | Sequence[str] | None
    weapons: list[WeaponForeignParts]
    roll_up: RollUp = RollUp.NONE
    sources: int = 0  # distinct sources citing the parts of the weapon systems reported
    #: Parts left out as counterfeit (``exclude_counterfeit``); None when none were left out.
    counterfeit_excluded: int | None = None


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
# Each component comes with its manufacturer (None: not identified) and one country: on the
# manufacturer basis the country the source reported for its maker (the origin when the maker's
# headquarters is not recorded), on the made-in basis its country of manufacture. The quantities
# are added up per (manufacturer, country) pair, few per weapon system, and each pair becomes a
# *cell key*: ``origin number * number of companies + company position`` (the company's position
# in the manufacturers' name order; an unidentified maker comes last). Sorting the keys puts the
# cells in origin order and their companies in name order.

_K = TypeVar("_K", bound=Hashable)

#: Added to one side of a join condition on SQLite, it keeps the planner from searching that
#: side's index (SQLite: "disqualifying WHERE clause terms"), and so fixes the order of the
#: join: the plans above are the fast ones, but with ANALYZE's statistics SQLite may otherwise
#: prefer to look up every citation of every component at random, several times slower.
_IN_ORDER = 0

#: Per weapon system id: manufacturer ids (None: not identified), countries (reported for the
#: maker, or of manufacture: see above) and quantities, side by side; one entry per component or
#: per group of components.
_Parts = Iterator[tuple[int, list[int | None], list[str | None], list[int]]]


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

    #: Every manufacturer's name, in the database's order (``ORDER BY name``), then the label of
    #: parts whose manufacturer was not identified.
    names: list[str]
    #: Manufacturer id (None: not identified) -> position in ``names`` of the company its parts
    #: count under.
    company: dict[int | None, int]
    #: Manufacturer id -> the headquarters its parts take as origin on the manufacturer basis.
    headquarters: dict[int | None, str | None]

    @classmethod
    def load(cls, conn: Connection, roll_up: RollUp) -> _Makers:
        rows = conn.execute(select(Manufacturer.id, Manufacturer.name).order_by(Manufacturer.name))
        names: list[str] = []
        position: dict[int, int] = {}
        for maker, name in rows:
            position[maker] = len(names)
            names.append(name)
        # The company and headquarters rules of every report (``core.roll_up_joins``,
        # ``core.headquarters_column``), per manufacturer.
        joins, company = roll_up_joins(select().select_from(Manufacturer), roll_up)
        query = joins.add_columns(Manufacturer.id, company.id, headquarters_column(company))
        company_of: dict[int | None, int] = {None: len(names)}
        headquarters: dict[int | None, str | None] = {None: None}
        for maker, top, code in conn.execute(query):
            company_of[maker] = position[top]
            headquarters[maker] = code
        names.append(UNKNOWN_MANUFACTURER)
        return cls(names, company_of, headquarters)


class _Cells:
    """Parts per weapon system and cell key (see above), and how to read the keys."""

    def __init__(self, makers: _Makers, origins: _Origins, basis: Basis) -> None:
        self.makers = makers
        self.origins = origins
        self.basis = basis
        self.width = len(makers.names)
        self.parts: dict[int, dict[int, int]] = {}

    def key(self, maker: int | None, code: str | None) -> int:
        """The cell key of the parts of ``maker`` with the country ``code`` (see above)."""
        makers = self.makers
        if self.basis is Basis.MANUFACTURER:
            origin = maker_origin(makers.headquarters[maker], code)
        else:
            origin = code
        return self.origins[origin] * self.width + makers.company[maker]

    def put(self, ws: int, makers: list[int | None], codes: list[str | None], n: list[int]) -> None:
        """The parts of ``ws``: ``n`` by these manufacturers, with these countries (reported for
        the maker, or of manufacture), side by side."""
        cells: dict[int, int] = {}
        for (maker, code), parts in _sum_by(zip(makers, codes, strict=True), n).items():
            key = self.key(maker, code)
            cells[key] = cells.get(key, 0) + parts
        self.parts[ws] = cells

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


def _by_weapon(
    ws_id: list[int] | None, *columns: Any, specimens_first: bool = False, exclude: bool = False
) -> Select[Any]:
    """``columns`` of the specimens joined to their components, grouped by weapon system.

    ``specimens_first`` keeps SQLite to reading the specimens by weapon system and each one's
    components from an index (see ``_IN_ORDER``), whatever its statistics say.
    """
    specimen = Specimen.id + _IN_ORDER if specimens_first else Specimen.id
    query: Select[Any] = (
        select(*columns).select_from(Specimen).join(Component, Component.specimen_id == specimen)
    )
    if ws_id is not None:
        query = query.where(Specimen.weapon_system_id.in_(ws_id))
    if exclude:  # --exclude-counterfeit: a counterfeit "TI" chip is no US export
        query = query.where(Component.authenticity != Authenticity.COUNTERFEIT)
    return query.group_by(Specimen.weapon_system_id)


def _parts(
    conn: Connection, reader: _Reader, ws_id: list[int] | None, basis: Basis, exclude: bool
) -> _Parts:
    if reader is _Reader.SQLITE_JSON:
        return _parts_sqlite(conn, ws_id, basis, exclude)
    if reader is _Reader.POSTGRESQL:
        return _parts_postgresql(conn, ws_id, basis, exclude)
    return _parts_grouped(conn, ws_id, basis, exclude)


def _code_column(basis: Basis) -> Any:
    """The country each component comes with (see above)."""
    if basis is Basis.MADE_IN:
        return Component.made_in_code
    return Component.reported_maker_country_code


def _parts_postgresql(
    conn: Connection, ws_id: list[int] | None, basis: Basis, exclude: bool
) -> _Parts:
    """Every component, in arrays per weapon system."""
    columns: list[Any] = [Component.manufacturer_id, Component.quantity, _code_column(basis)]
    query = _by_weapon(
        ws_id, Specimen.weapon_system_id, *map(func.array_agg, columns), exclude=exclude
    )
    for ws, makers, quantities, codes in conn.execute(query):
        yield ws, makers, codes, quantities


def _parts_sqlite(conn: Connection, ws_id: list[int] | None, basis: Basis, exclude: bool) -> _Parts:
    """Every component, in JSON arrays per weapon system (see above)."""
    arrays: list[Any] = [Component.manufacturer_id, Component.quantity]
    made_in_of: dict[int, str] | None = None
    if basis is Basis.MADE_IN:
        # Not in the covering index: looked up by component id, from ix_components__made_in_code.
        arrays.append(Component.id)
        made_in_of = _made_in_sqlite(conn, ws_id)
    else:
        arrays.append(Component.reported_maker_country_code)
    query = _by_weapon(
        ws_id,
        Specimen.weapon_system_id,
        *map(func.json_group_array, arrays),
        specimens_first=True,
        exclude=exclude,
    )
    for ws, makers, quantities, third in conn.execute(query):
        values = json.loads(third)
        codes = values if made_in_of is None else list(map(made_in_of.get, values))
        yield ws, json.loads(makers), codes, json.loads(quantities)


def _made_in_sqlite(conn: Connection, ws_id: list[int] | None) -> dict[int, str]:
    """Component id -> country of manufacture, of the components that have one."""
    query = (
        select(func.json_group_array(Component.id), func.json_group_array(Component.made_in_code))
        .select_from(Component)
        .where(Component.made_in_code.is_not(None))
    )
    if ws_id is not None:
        query = query.join(Specimen, Specimen.id == Component.specimen_id).where(
            Specimen.weapon_system_id.in_(ws_id)
        )
    ids, codes = conn.execute(query).one()
    return dict(zip(json.loads(ids), json.loads(codes), strict=True))


def _parts_grouped(
    conn: Connection, ws_id: list[int] | None, basis: Basis, exclude: bool
) -> _Parts:
    """Parts per manufacturer and country, added up in SQL."""
    code = _code_column(basis)
    query = (
        _by_weapon(
            ws_id, Specimen.weapon_system_id.label("ws"), Component.manufacturer_id, exclude=exclude
        )
        .add_columns(code.label("code"), func.sum(Component.quantity).label("n"))
        .group_by(Component.manufacturer_id, code)
    )
    per_weapon: dict[int, tuple[list[int | None], list[str | None], list[int]]] = {}
    for row in conn.execute(query):
        makers, codes, quantities = per_weapon.setdefault(row.ws, ([], [], []))
        makers.append(row.manufacturer_id)
        codes.append(row.code)
        quantities.append(int(row.n))
    for ws, (makers, codes, quantities) in per_weapon.items():
        yield ws, makers, codes, quantities


def _source_counts(
    conn: Connection, reader: _Reader, ws_id: list[int] | None, exclude: bool = False
) -> dict[int, int]:
    """How many distinct sources cite each weapon system's components."""
    if reader is _Reader.SQLITE_JSON and ws_id is None and not exclude:
        return _source_counts_sqlite(conn)
    pairs = (
        select(Specimen.weapon_system_id.label("ws"), Citation.source_id)
        .distinct()
        .select_from(Citation)
        .join(Component, Component.id == Citation.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
    )
    if ws_id is not None:
        pairs = pairs.where(Specimen.weapon_system_id.in_(ws_id))
    if exclude:
        pairs = pairs.where(Component.authenticity != Authenticity.COUNTERFEIT)
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
    weapon: str | Sequence[str] | None = None,
    basis: Basis = Basis.MANUFACTURER,
    roll_up: RollUp = RollUp.NONE,
    exclude_counterfeit: bool = False,
) -> ForeignPartsReport:
    """For each weapon system: its parts, how many are foreign, and the parts by origin country.

    With ``roll_up=RollUp.PARENT`` parts count under their manufacturer's top parent company:
    its name is listed, and on the manufacturer basis its headquarters is the origin. With
    ``exclude_counterfeit`` the parts whose chosen claim is counterfeit are left out
    (``provenance.claims``); the report says how many.
    """
    ws_id = resolve_weapons(conn, weapon)
    reader = _reader(conn)
    names = {code: name for code, name in conn.execute(select(Country.code, Country.display_name))}
    cells = _Cells(_Makers.load(conn, roll_up), _Origins([None, *names]), basis)
    for ws, makers, codes, quantities in _parts(conn, reader, ws_id, basis, exclude_counterfeit):
        cells.put(ws, makers, codes, quantities)
    source_counts = _source_counts(conn, reader, ws_id, exclude_counterfeit)
    weapon_rows = select(
        WeaponSystem.id, WeaponSystem.designation, WeaponSystem.producer_country_code
    ).order_by(WeaponSystem.designation)
    if ws_id is not None:
        weapon_rows = weapon_rows.where(WeaponSystem.id.in_(ws_id))

    weapons: list[WeaponForeignParts] = []
    for ws, designation, producer_code in conn.execute(weapon_rows):
        if ws not in cells.parts:  # no components
            continue
        origins = list(cells.by_origin(ws))
        parts = sum(n for _code, n, _companies in origins)
        unknown_n = sum(n for code, n, _companies in origins if code is None)
        foreign_n = sum(n for code, n, _companies in origins if is_foreign(code, producer_code))
        domestic_n = sum(
            n for code, n, _companies in origins if is_foreign(code, producer_code) is False
        )
        rows = [
            OriginParts(
                country_code=code,
                country=names.get(code, code) if code else UNKNOWN_ORIGIN,
                parts=n,
                share=fraction(n, parts),
                foreign=is_foreign(code, producer_code),
                manufacturers=companies,
            )
            for code, n, companies in origins
        ]
        # Foreign origins first, largest first; then domestic; then neither (the producer is
        # unknown); unknown origin last.
        rows.sort(
            key=lambda r: (
                r.country_code is None,
                r.foreign is None,
                r.foreign is False,
                -r.parts,
                r.country,
            )
        )
        weapons.append(
            WeaponForeignParts(
                designation=designation,
                producer_code=producer_code,
                producer=(
                    names.get(producer_code, producer_code) if producer_code else UNKNOWN_PRODUCER
                ),
                parts=parts,
                foreign_parts=foreign_n,
                domestic_parts=domestic_n,
                unknown_origin_parts=unknown_n,
                sources=source_counts.get(ws, 0),
                origins=rows,
                unknown_producer_parts=parts - foreign_n - domestic_n - unknown_n,
            )
        )
    scope: list[ColumnElement[bool]] = [] if ws_id is None else [WeaponSystem.id.in_(ws_id)]
    if exclude_counterfeit:
        scope.append(Component.authenticity != Authenticity.COUNTERFEIT)
    _, cited = covered(conn, scope)
    excluded = None
    if exclude_counterfeit:
        fakes = (
            select(func.coalesce(func.sum(Component.quantity), 0))
            .join(Specimen, Specimen.id == Component.specimen_id)
            .where(Component.authenticity == Authenticity.COUNTERFEIT)
        )
        if ws_id is not None:
            fakes = fakes.where(Specimen.weapon_system_id.in_(ws_id))
        excluded = int(conn.execute(fakes).scalar_one())
    return ForeignPartsReport(
        basis=basis,
        weapon=weapon,
        weapons=weapons,
        roll_up=roll_up,
        sources=cited,
        counterfeit_excluded=excluded,
    )
