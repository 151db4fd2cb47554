"""The manufacturers report: the top manufacturers (by parts) per weapon system and overall, with
headquarters, parent (or, rolled up, the companies counted under each), parts, components,
weapon systems and the first and last manufacture dates seen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from provenance.errors import FilterError
from provenance.models import (
    Component,
    DatePrecision,
    Manufacturer,
    ScreeningCandidate,
    ScreeningDecision,
    Specimen,
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
    period_end,
    top_parents,
    unindexed_id,
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
    #: each company's weapon systems: their ids, joined by _SEPARATOR (see weapons)
    weapons_of: dict[int, str] = field(default_factory=dict)
    designations: dict[int, str] = field(default_factory=dict)  # weapon system id -> designation
    #: rolled up: the manufacturers counted under each company, in name order
    names_under: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: basis made-in: parts per country of manufacture
    made_in: dict[_Key, dict[str | None, int]] = field(default_factory=lambda: defaultdict(dict))


def _weapons(tally: _Tally, maker: int) -> list[str]:
    """The designations of a company's weapon systems, in order."""
    ids = tally.weapons_of.get(maker)
    return sorted(tally.designations[int(w)] for w in ids.split(_SEPARATOR)) if ids else []


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _PAIRS_AT_ONCE):
        yield items[start : start + _PAIRS_AT_ONCE]


#: What each row of the report's statement is (its ``kind`` column).
_RANKED, _TOTALS, _WEAPONS, _DATES = 0, 1, 2, 3


class _Reader:
    """The statements of one report over the filtered components, counted under ``key`` (the
    manufacturer's id, or its top parent's): grouped by ids, the names joined after."""

    def __init__(
        self, conn: Connection, ctx: FilteredParts, roll_up: RollUp, names: Mapping[int, str]
    ) -> None:
        self.conn = conn
        self.names = names  # weapon system id -> designation
        # Without a roll-up, no join to the manufacturers (their ids are on the components).
        self.joined = (
            select()
            .select_from(Component)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        )
        self.key: ColumnElement[Any] = Component.manufacturer_id.expression
        self.row_key: ColumnElement[Any] = unindexed_id(Component.manufacturer_id)
        if roll_up is RollUp.PARENT:
            tops = top_parents()
            self.joined = self.joined.outerjoin(tops, tops.c.id == Component.manufacturer_id)
            self.key = self.row_key = func.coalesce(tops.c.top_id, Component.manufacturer_id)
        self.where = ctx.where
        self.weapon_id = unindexed_id(Specimen.weapon_system_id)

    def base(self, *columns: Any) -> Select[Any]:
        return self.joined.add_columns(*columns).where(*self.where)

    def tally(self, out: _Tally, top: int, top_per_weapon: int) -> None:
        """Each table's totals, its companies that can make its top (``top`` overall,
        ``top_per_weapon`` in each weapon system's), their first and last dates and the
        weapon systems of each of them, in one statement:

        - ``pairs``: parts and components per weapon system and company, from the components'
          covering index (read in weapon system order, no look-up of the rows); the companies
          (``makers``) and both rankings are made from it. RANK keeps every company tied with
          the last one that fits (the final order, by parts and then name, is made in Python);
          the unidentified parts (maker NULL) are counted apart, outside the ranking.
        - ``dated``: the first and last dates per weapon system, company and precision, of the
          ranked companies only (a second read of the components, in their own order). Per
          precision, the earliest and the latest start are the earliest and latest periods (a
          later start of the same precision ends later): at most two dates per precision.
        """
        # Subqueries, grouped by their columns (PostgreSQL: see timeline._dated_parts).
        rows = self.base(
            Specimen.weapon_system_id.label("w"),
            self.key.label("maker"),
            Component.quantity.label("quantity"),
        ).subquery("maker_rows")
        pairs = (
            select(
                rows.c.w,
                rows.c.maker,
                func.sum(rows.c.quantity).label("parts"),
                func.count().label("n"),
            )
            .group_by(rows.c.w, rows.c.maker)
            .cte("pairs")
        )
        makers = (
            select(
                pairs.c.maker,
                func.sum(pairs.c.parts).label("parts"),
                func.sum(pairs.c.n).label("n"),
            )
            .group_by(pairs.c.maker)
            .cte("makers")
        )
        top_pairs = _ranked(pairs, [pairs.c.w], top_per_weapon, "top_pairs")
        top_makers = _ranked(makers, [], top, "top_makers")
        made, precision = Component.manufactured_on, Component.manufactured_precision
        dated_rows = (
            self.base(
                self.weapon_id.label("w"),
                self.row_key.label("maker"),
                precision.label("precision"),
                made.label("made"),
            )
            .where(
                made.is_not(None),
                or_(
                    self.row_key.in_(select(top_makers.c.maker)),
                    tuple_(self.weapon_id, self.row_key).in_(
                        select(top_pairs.c.w, top_pairs.c.maker)
                    ),
                ),
            )
            .subquery("dated_rows")
        )
        dated_keys = [dated_rows.c.w, dated_rows.c.maker, dated_rows.c.precision]
        dated = (
            select(
                *dated_keys,
                func.min(dated_rows.c.made).label("first"),
                func.max(dated_rows.c.made).label("last"),
            )
            .group_by(*dated_keys)
            .cte("dated")
        )
        identified = case((pairs.c.maker.is_not(None), 1), else_=0)
        identified_maker = case((makers.c.maker.is_not(None), 1), else_=0)
        listed = union(select(top_pairs.c.maker), select(top_makers.c.maker)).subquery("listed")
        statement = union_all(
            _row(_RANKED, top_pairs.c.w, top_pairs.c.maker, top_pairs.c.parts, top_pairs.c.n,
                 rk=top_pairs.c.rk),
            _row(_RANKED, null(), top_makers.c.maker, top_makers.c.parts, top_makers.c.n,
                 rk=top_makers.c.rk),
            _row(_TOTALS, pairs.c.w, identified, func.sum(pairs.c.parts), func.sum(pairs.c.n),
                 rk=func.count()).group_by(pairs.c.w, identified),
            _row(_TOTALS, null(), identified_maker, func.sum(makers.c.parts),
                 func.sum(makers.c.n), rk=func.count()).group_by(identified_maker),
            _row(_WEAPONS, null(), pairs.c.maker,
                 weapons=func.aggregate_strings(cast(pairs.c.w, String), _SEPARATOR))
            .where(pairs.c.maker.in_(select(listed.c.maker)))
            .group_by(pairs.c.maker),
            _row(_DATES, dated.c.w, dated.c.maker, precision=dated.c.precision,
                 first=dated.c.first, last=dated.c.last)
            .where(tuple_(dated.c.w, dated.c.maker).in_(select(top_pairs.c.w, top_pairs.c.maker))),
            _row(_DATES, null(), dated.c.maker, precision=dated.c.precision,
                 first=func.min(dated.c.first), last=func.max(dated.c.last))
            .where(dated.c.maker.in_(select(top_makers.c.maker)))
            .group_by(dated.c.maker, dated.c.precision),
        )  # fmt: skip
        names = self.names
        for r in self.conn.execute(statement):
            weapon = None if r.w is None else names[r.w]
            if r.kind == _RANKED:
                out.per_weapon[weapon].append((r.maker, as_int(r.parts), as_int(r.n)))
            elif r.kind == _DATES:
                out.dates[(weapon, r.maker)] += [(on, r.precision) for on in {r.first, r.last}]
            elif r.kind == _WEAPONS:
                out.weapons_of[r.maker] = str(r.weapons)  # made a list of names when shown
            else:  # _TOTALS: of the identified companies (maker 1: how many) or not (0)
                totals = out.totals[weapon]
                totals.parts += as_int(r.parts)
                totals.components += as_int(r.n)
                if r.maker:
                    totals.manufacturers = as_int(r.rk)
                else:
                    totals.unidentified_parts = as_int(r.parts)
                    totals.unidentified_components = as_int(r.n)

    def made_in(self, out: _Tally, makers: list[int], pairs: list[tuple[int, int]]) -> None:
        """Basis made-in: parts per country of manufacture (``pairs``: weapon system id,
        company)."""
        key, code, w = self.key, Component.made_in_code, self.weapon_id
        parts = func.sum(Component.quantity)
        for chunk in _chunks(makers):
            query = self.base(key, code, parts).where(key.in_(chunk)).group_by(key, code)
            for maker, country, n in self.conn.execute(query):
                out.made_in[(None, maker)][country] = as_int(n)
        for pair_chunk in _chunks(pairs):
            query = self.base(w, key, code, parts).where(tuple_(w, key).in_(pair_chunk))
            for weapon_id, maker, country, n in self.conn.execute(query.group_by(w, key, code)):
                out.made_in[(self.names[weapon_id], maker)][country] = as_int(n)

    def names_under(self, out: _Tally, makers: list[int]) -> None:
        """Rolled up: the manufacturers counted under each company, in name order."""
        key = self.key
        for chunk in _chunks(makers):
            for maker, name in self.conn.execute(
                self.base(key, Manufacturer.name)
                .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
                .where(key.in_(chunk))
                .group_by(key, Manufacturer.name)
                .order_by(Manufacturer.name)
            ):
                out.names_under[maker].append(name)


def _ranked(table: Any, within: list[Any], limit: int, name: str) -> Any:
    """The identified companies of ``table`` (w, maker, parts, n) that can make the top
    ``limit`` of their table (``within``: the columns that make a table), with their rank."""
    ranks = (
        select(
            *table.c,
            func.rank()
            .over(partition_by=within or None, order_by=table.c.parts.desc())
            .label("rk"),
        )
        .where(table.c.maker.is_not(None))
        .subquery()
    )
    return select(*ranks.c).where(ranks.c.rk <= limit).cte(name)


#: The columns of the report's statement after ``kind``, with their types (the types of the
#: first SELECT of a UNION are the statement's).
_COLUMNS: dict[str, Any] = {
    "w": Integer(),
    "maker": Integer(),
    "parts": Integer(),
    "n": Integer(),
    "rk": Integer(),
    "precision": Component.manufactured_precision.type,
    "first": Component.manufactured_on.type,
    "last": Component.manufactured_on.type,
    "weapons": String(),
}


def _row(kind: int, *columns: Any, **named: Any) -> Select[Any]:
    """One kind of the statement's rows: ``columns`` in the order of :data:`_COLUMNS`, then
    ``named`` ones; the others NULL, cast to their type (PostgreSQL types a UNION's untyped
    NULLs as text)."""
    given = dict(zip(_COLUMNS, columns, strict=False)) | named
    return select(
        literal(kind, Integer()).label("kind"),
        *(
            (type_coerce(given[name], type_) if name in given else cast(null(), type_)).label(name)
            for name, type_ in _COLUMNS.items()
        ),
    )


def _tally(
    conn: Connection, ctx: FilteredParts, roll_up: RollUp, top: int, top_per_weapon: int
) -> _Tally:
    names = dict(conn.execute(select(WeaponSystem.id, WeaponSystem.designation)).all())
    ids = {designation: id_ for id_, designation in names.items()}
    reader = _Reader(conn, ctx, roll_up, names)
    out = _Tally(designations=names)
    reader.tally(out, top, top_per_weapon)
    overall = sorted({m for m, _, _ in out.per_weapon.get(None, [])})
    pairs = sorted(
        {(ids[t], m) for t, rows in out.per_weapon.items() if t is not None for m, _, _ in rows}
    )
    if ctx.filters.basis is Basis.MADE_IN:
        reader.made_in(out, overall, pairs)
    if roll_up is RollUp.PARENT:
        reader.names_under(out, sorted(set(overall) | {m for _, m in pairs}))
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
                    weapon_systems=_weapons(tally, maker),
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
