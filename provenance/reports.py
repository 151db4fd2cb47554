"""Reports, computed in SQL: the foreign-origin parts per weapon system, and component listings.

Counts are numbers of parts: the sum of the components' quantities (a row with quantity 3 is three
parts). A part is foreign to a weapon system when its origin country differs from the weapon
system's producer country; the origin is, by the basis chosen, the manufacturer's headquarters
country or the country of manufacture. Parts whose origin is not known on that basis are counted
apart, never as foreign or domestic.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, ColumnElement, Connection, Select, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from provenance.dates import format_partial_date
from provenance.errors import ProvenanceError
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
from provenance.text import name_key


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


class UnknownWeaponError(ProvenanceError):
    def __init__(self, value: str, known: list[str]) -> None:
        self.value = value
        hint = f"; known weapon systems: {', '.join(known)}" if known else ""
        super().__init__(f"unknown weapon system {value!r}{hint}")


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
    producer = WeaponSystem.producer_country_code
    joins, company = _component_joins(roll_up)
    origin = _origin_column(basis, company).label("origin")
    where: list[ColumnElement[bool]] = []
    if weapon is not None:
        where.append(WeaponSystem.id == resolve_weapon(conn, weapon))

    # One row per weapon system and origin country, aggregated in the database.
    by_origin = (
        joins.add_columns(WeaponSystem.id, origin, func.sum(Component.quantity))
        .where(*where)
        .group_by(WeaponSystem.id, origin)
    )
    # Which manufacturers stand behind each (weapon system, origin) cell.
    makers = (
        joins.add_columns(WeaponSystem.id, origin, company.name)
        .where(*where)
        .group_by(WeaponSystem.id, origin, company.name)
        .order_by(company.name)
    )
    foreign = and_(origin.isnot(None), origin != producer)
    totals = (
        joins.add_columns(
            WeaponSystem.id,
            WeaponSystem.designation,
            producer,
            func.sum(Component.quantity),
            func.sum(case((foreign, Component.quantity), else_=0)),
            func.sum(case((origin.is_(None), Component.quantity), else_=0)),
        )
        .where(*where)
        .group_by(WeaponSystem.id, WeaponSystem.designation, producer)
        .order_by(WeaponSystem.designation)
    )
    source_counts = dict(
        conn.execute(
            select(Specimen.weapon_system_id, func.count(func.distinct(Citation.source_id)))
            .select_from(Citation)
            .join(Component, Component.id == Citation.component_id)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
            .where(*where)
            .group_by(Specimen.weapon_system_id)
        ).all()
    )
    names = dict(conn.execute(select(Country.code, Country.display_name)).all())
    cells: dict[int, dict[str | None, int]] = defaultdict(dict)
    for ws_id, code, parts in conn.execute(by_origin):
        cells[ws_id][code] = int(parts)
    maker_names: dict[tuple[int, str | None], list[str]] = defaultdict(list)
    for ws_id, code, name in conn.execute(makers):
        maker_names[(ws_id, code)].append(name)

    weapons: list[WeaponForeignParts] = []
    for ws_id, designation, producer_code, parts, foreign_n, unknown_n in conn.execute(totals):
        parts, foreign_n, unknown_n = int(parts), int(foreign_n), int(unknown_n)
        rows = [
            OriginRow(
                country_code=code,
                country=names.get(code, code) if code else "(unknown origin)",
                parts=n,
                share=n / parts if parts else 0.0,
                foreign=None if code is None else code != producer_code,
                manufacturers=maker_names[(ws_id, code)],
            )
            for code, n in cells[ws_id].items()
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
                sources=int(source_counts.get(ws_id, 0)),
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
