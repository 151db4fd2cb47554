"""The component listing: every component of one weapon system (or all), with its manufacturer
(or, rolled up, the top parent company), countries, manufacture date, authenticity and sources.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from provenance.claims import standing
from provenance.errors import ProvenanceError
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
    Basis,
    RollUp,
    components_joined,
    origin_column,
    resolve_weapons,
    roll_up_joins,
)
from provenance.values.dates import format_partial_date


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
    #: The maker's country as the source reported it for this part (may differ from the
    #: headquarters recorded for the manufacturer).
    reported_maker_country: str | None = None
    #: Each source's own id of the finding and where it shows it, in ``sources`` order ("" when
    #: a source gives none).
    source_record_ids: list[str] = field(default_factory=list)
    source_record_urls: list[str] = field(default_factory=list)
    #: Whether the sources' authenticity claims agree: unknown (none), the claim, or disputed
    #: (``provenance.claims``); ``authenticity`` is the claim reports use.
    standing: str = "unknown"
    #: The database's id of the component (``provenance component show ID``).
    component_id: int = 0


def components(
    conn: Connection,
    weapon: str | Sequence[str] | None = None,
    roll_up: RollUp = RollUp.NONE,
    component_id: int | None = None,
) -> list[ComponentRow]:
    """The components of one weapon system (or all; or the one ``component_id``), with their
    sources.

    With ``roll_up=RollUp.PARENT`` the manufacturer shown is the top parent company, with its
    headquarters (the subsidiary's when the parent's is not recorded).
    """
    hq = aliased(Country)
    made = aliased(Country)
    reported = aliased(Country)
    base, company = roll_up_joins(components_joined(), roll_up)
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
            reported.display_name,
        )
        .outerjoin(hq, hq.code == origin_column(Basis.MANUFACTURER, company))
        .outerjoin(made, made.code == Component.made_in_code)
        .outerjoin(reported, reported.code == Component.reported_maker_country_code)
        .order_by(
            WeaponSystem.designation,
            Specimen.label,
            company.name.asc().nulls_last(),
            Component.id,
        )
    )
    cited = (
        select(
            Citation.component_id,
            Source.publisher,
            Source.title,
            Citation.source_record_id,
            Citation.source_record_url,
            Citation.authenticity,
        )
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
    ws_ids = resolve_weapons(conn, weapon)
    if ws_ids is not None:
        query = query.where(WeaponSystem.id.in_(ws_ids))
        cited = cited.where(Specimen.weapon_system_id.in_(ws_ids))
    if component_id is not None:
        query = query.where(Component.id == component_id)
        cited = cited.where(Citation.component_id == component_id)
    sources: dict[int, list[str]] = defaultdict(list)
    records: dict[int, list[str]] = defaultdict(list)
    pages: dict[int, list[str]] = defaultdict(list)
    claims: dict[int, list[Authenticity]] = defaultdict(list)
    for cid, publisher, title, record, page, claim in conn.execute(cited):
        sources[cid].append(f"{publisher}: {title}")
        records[cid].append(record or "")
        pages[cid].append(page or "")
        if claim is not None:
            claims[cid].append(claim)
    listed = [
        ComponentRow(
            weapon_system=r[1],
            specimen=r[2],
            component=r[3],
            part_number=r[4],
            marking=r[5],
            manufacturer=r[6] if r[6] is not None else UNKNOWN_MANUFACTURER,
            manufacturer_country=r[7],
            made_in=r[8],
            date_code=r[9],
            manufactured=format_partial_date(r[10], r[11]),
            quantity=r[12],
            hs_code=r[13],
            authenticity=str(r[14]),
            sources=sources[r[0]],
            manufacturer_as_marked=r[15],
            reported_maker_country=r[16],
            source_record_ids=records[r[0]],
            source_record_urls=pages[r[0]],
            standing=standing(claims[r[0]]),
            component_id=r[0],
        )
        for r in conn.execute(query)
    ]
    # Within one specimen and manufacturer (the database's order above), by what each part
    # is, never by the order the rows were loaded in.
    return [
        row
        for _, group in groupby(listed, key=lambda c: (c.weapon_system, c.specimen, c.manufacturer))
        for row in sorted(group, key=_content)
    ]


def _content(c: ComponentRow) -> tuple[Any, ...]:
    return (
        c.component,
        c.part_number or "",
        c.marking or "",
        c.date_code or "",
        c.manufactured,
        c.reported_maker_country or "",
        c.made_in or "",
        c.hs_code or "",
        c.quantity,
        c.authenticity,
        c.manufacturer_as_marked or "",
        c.source_record_ids,
        c.source_record_urls,
        c.sources,
    )


@dataclass
class Claim:
    """What one citing source says of a component's authenticity, with its citation."""

    source: str  # publisher: title
    reliability: str | None
    published_on: dt.date | None
    claim: str | None  # None: the source says nothing of it
    basis: str | None
    source_record_id: str | None
    source_record_url: str | None
    evidence_url: str | None
    made_in: str | None = None  # the country of manufacture this source states
    manufactured: str = ""  # the manufacture period this source states


@dataclass
class ComponentDetail:
    """One component, as the listing shows it, and every source's statement of it."""

    component: ComponentRow
    claims: list[Claim]


def component_detail(conn: Connection, component_id: int) -> ComponentDetail:
    """The component ``component_id`` with its citations and claims (oldest source first);
    ProvenanceError when there is no such component."""
    found = components(conn, component_id=component_id)
    if not found:
        raise ProvenanceError(
            f"there is no component {component_id}: `provenance report components --format "
            "csv` lists every component with its component_id"
        )
    (row,) = found
    query = (
        select(
            Source.publisher,
            Source.title,
            Source.reliability,
            Source.published_on,
            Citation.authenticity,
            Citation.authenticity_basis,
            Citation.source_record_id,
            Citation.source_record_url,
            Citation.evidence_url,
            Country.display_name,
            Citation.manufactured_on,
            Citation.manufactured_precision,
        )
        .join(Source, Source.id == Citation.source_id)
        .outerjoin(Country, Country.code == Citation.made_in_code)
        .where(Citation.component_id == component_id)
        .order_by(Source.published_on.asc().nulls_last(), Source.publisher, Source.title)
    )
    claims = [
        Claim(
            f"{publisher}: {title}",
            str(reliability) if reliability is not None else None,
            published,
            str(claim) if claim is not None else None,
            basis,
            record,
            page,
            photo,
            made_in,
            format_partial_date(on, precision),
        )
        for (
            publisher,
            title,
            reliability,
            published,
            claim,
            basis,
            record,
            page,
            photo,
            made_in,
            on,
            precision,
        ) in conn.execute(query)
    ]
    return ComponentDetail(row, claims)
