"""Linking customs shipments to components (issue 16): ``provenance customs match``, ``review``
and ``list``.

A link is proposed when a documented rule matches, and only proposed: a person accepts or rejects
it (``customs review``); nothing is accepted silently. The rules (:data:`RULES`):

- ``hs-brand-part`` (the default): the shipment's HS-6 equals the component's, the shipment's
  brand resolves to the component's manufacturer (its exact key or an alias's, see
  ``provenance.ingest.customs``), and their part numbers are equal once case, spaces and
  punctuation are ignored;
- ``hs-brand`` (only when asked for, ``--rule hs-brand``; it also applies the rule above): HS-6
  and manufacturer equal where the shipment or the component gives no part number. Two part
  numbers that differ are never linked, by any rule.

Matching again keeps every link and its decision; it only adds links not proposed before. A
shipment whose brand named no known manufacturer at load time is resolved again first (a
manufacturer or alias added since), by exact key only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, insert, select, update

from provenance.db import write_transaction
from provenance.errors import CustomsError
from provenance.ingest.customs import brand_index, lock_customs, part_key
from provenance.ingest.decisions import decider
from provenance.migrate import ensure_current
from provenance.models import (
    Component,
    CustomsLink,
    CustomsLinkStatus,
    CustomsShipment,
    Manufacturer,
    Specimen,
    WeaponSystem,
)
from provenance.values.dates import format_partial_date
from provenance.values.text import clean_text

#: The rules, strongest first.
RULES = ("hs-brand-part", "hs-brand")
#: The statuses of a link (``customs list --status``).
STATUSES = tuple(s.value for s in CustomsLinkStatus)


@dataclass(frozen=True)
class MatchSummary:
    """What ``match_customs`` found."""

    rule: str
    shipments: int
    brands_resolved: int  # shipments whose brand was linked to a manufacturer in this run
    matches: int  # pairs the rule matched in this run
    new: int  # links proposed in this run
    kept: int  # links proposed (or decided) before, kept as they are


@dataclass(frozen=True)
class Link:
    """A proposed link as ``customs list`` shows it."""

    link_id: int
    status: str
    rule: str
    shipment_id: int
    record_id: str | None
    shipped_on: str | None  # as precisely as known: 2023, 2023-03 or 2023-03-14
    hs6: str | None
    brand: str | None
    shipment_part_number: str | None
    exporter: str | None
    importer: str | None
    origin: str | None
    dispatch: str | None
    component_id: int
    component: str
    component_part_number: str | None
    manufacturer: str | None
    specimen: str
    weapon_system: str
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str | None


def _resolve_brands(conn: Connection) -> int:
    """Link shipments whose brand is now a known manufacturer (exact key or alias)."""
    s = CustomsShipment
    open_rows = conn.execute(
        select(s.id, s.brand_key).where(s.manufacturer_id.is_(None), s.brand_key.is_not(None))
    ).all()
    if not open_rows:
        return 0
    brands = brand_index(conn)
    done = 0
    for shipment_id, key in open_rows:
        maker = brands.get(key) if key else None
        if maker is not None:
            conn.execute(update(s).where(s.id == shipment_id).values(manufacturer_id=maker))
            done += 1
    return done


def _rule_for(shipment_key: str | None, component_part: str | None, rule: str) -> str | None:
    """The rule a shipment and a component (same HS-6 and manufacturer) match, or None."""
    component_key = part_key(component_part)
    if shipment_key is not None and component_key is not None:
        return "hs-brand-part" if shipment_key == component_key else None
    return "hs-brand" if rule == "hs-brand" else None


def match_customs(engine: Engine, rule: str = "hs-brand-part") -> MatchSummary:
    """Propose links between shipments and components by ``rule`` (and the stronger rules);
    links made before, and their decisions, are kept."""
    if rule not in RULES:
        raise CustomsError(f"unknown rule {rule!r}: expected one of {', '.join(RULES)}")
    ensure_current(engine)
    s, c = CustomsShipment, Component
    with write_transaction(engine) as conn:
        lock_customs(conn)
        resolved = _resolve_brands(conn)
        shipments = conn.execute(select(s.id).order_by(s.id)).all()
        pairs = conn.execute(
            select(s.id, s.part_key, c.id, c.part_number)
            .join(c, and_(c.hs6 == s.hs6, c.manufacturer_id == s.manufacturer_id))
            .where(s.hs6.is_not(None), s.manufacturer_id.is_not(None))
            .order_by(s.id, c.id)
        ).all()
        existing = {
            (shipment_id, component_id)
            for shipment_id, component_id in conn.execute(
                select(CustomsLink.shipment_id, CustomsLink.component_id)
            )
        }
        now = dt.datetime.now(dt.UTC)
        matched, new = 0, []
        for shipment_id, shipment_key, component_id, component_part in pairs:
            found = _rule_for(shipment_key, component_part, rule)
            if found is None:
                continue
            matched += 1
            if (shipment_id, component_id) not in existing:
                new.append(
                    {
                        "shipment_id": shipment_id,
                        "component_id": component_id,
                        "rule": found,
                        "status": CustomsLinkStatus.PROPOSED,
                        "proposed_at": now,
                    }
                )
        if new:
            conn.execute(insert(CustomsLink), new)
    return MatchSummary(rule, len(shipments), resolved, matched, len(new), matched - len(new))


def review_link(
    engine: Engine,
    link_id: int,
    status: CustomsLinkStatus,
    by: str,
    note: str | None = None,
) -> Link:
    """Record a person's decision on a link (a later decision replaces an earlier one)."""
    if status is CustomsLinkStatus.PROPOSED:
        raise CustomsError("a decision accepts or rejects a link")
    who = decider(by, CustomsError)
    ensure_current(engine)
    with write_transaction(engine) as conn:
        done = conn.execute(
            update(CustomsLink)
            .where(CustomsLink.id == link_id)
            .values(
                status=status,
                decided_by=who,
                decided_at=dt.datetime.now(dt.UTC),
                note=clean_text(note),
            )
        ).rowcount
        if not done:
            raise CustomsError(f"no customs link {link_id}: see `provenance customs list`")
        return links(conn, link_id=link_id)[0]


def links(conn: Connection, status: str | None = None, link_id: int | None = None) -> list[Link]:
    """The links (all, or those of one status), by shipment and component."""
    if status is not None and status not in STATUSES:
        raise CustomsError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")
    k, s, c = CustomsLink, CustomsShipment, Component
    query = (
        select(
            k.id,
            k.status,
            k.rule,
            s.id,
            s.record_id,
            s.shipped_on,
            s.shipped_precision,
            s.hs6,
            s.brand,
            s.part_number,
            s.exporter,
            s.importer,
            s.origin_code,
            s.dispatch_code,
            c.id,
            c.function,
            c.part_number,
            Manufacturer.name,
            Specimen.label,
            WeaponSystem.designation,
            k.decided_by,
            k.decided_at,
            k.note,
        )
        .join(s, s.id == k.shipment_id)
        .join(c, c.id == k.component_id)
        .outerjoin(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .join(Specimen, Specimen.id == c.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .order_by(s.id, c.id)
    )
    if status is not None:
        query = query.where(k.status == CustomsLinkStatus(status))
    if link_id is not None:
        query = query.where(k.id == link_id)
    out = []
    for r in conn.execute(query).all():
        values = list(r)
        values[1] = CustomsLinkStatus(values[1]).value
        values[5] = format_partial_date(values[5], values.pop(6)) or None
        out.append(Link(*values))
    return out
