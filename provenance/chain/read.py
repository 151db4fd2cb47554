"""The chain read back: for each component, what it is and where it was found, then every step
that applies to it, oldest first: its own steps, its batch's (same manufacturer and part number)
and its manufacturer's product line's, each with its source (one rule, in SQL:
``reports.parties.transfer_applies``).

A component's accepted customs links (``chain.customs``) come with its steps, and the number of
its links nobody has reviewed; they dispute nothing (their exporter and importer are text as
declared, not parties).

Steps are claims. Two steps of one component are *disputed* when different sources tell them and
they name the same buyer but different sellers, or (for the component itself) the same seller
but different buyers; both are shown, each naming the other. An unknown seller disputes nothing:
unknown stays unknown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import aliased

from provenance.chain.customs import CustomsStep, accepted_customs, proposed_counts
from provenance.chain.trace import TraceRow, requests_about
from provenance.errors import ChainError
from provenance.models import (
    Component,
    Manufacturer,
    Party,
    Source,
    Specimen,
    Transfer,
    WeaponSystem,
)
from provenance.reference.manufacturers import find as find_manufacturer
from provenance.reports.core import resolve_weapon
from provenance.reports.parties import confirmed_hits, transfer_applies
from provenance.values.dates import format_partial_date

#: Components asked for: their ids, or a query of them (a weapon's parts: no long IN list).
Ids = Sequence[int] | Select[Any]


def _in(ids: Ids) -> list[int] | Select[Any]:
    return ids if isinstance(ids, Select) else list(ids)


@dataclass
class Step:
    id: int
    scope: str  # component, batch or product line
    scope_text: str
    from_party: str | None
    from_role: str | None
    to_party: str
    to_role: str | None
    date: str
    place: str | None
    country: str | None
    document_kind: str | None
    document_ref: str | None
    source: str
    source_id: int
    trace_request: int | None
    disputed_by: list[int] = field(default_factory=list)
    # For the rule and the order, not shown.
    from_id: int | None = None
    to_id: int = 0
    on: dt.date | None = None

    @property
    def disputed(self) -> bool:
        return bool(self.disputed_by)

    def as_dict(self) -> dict[str, object]:
        out = {k: v for k, v in vars(self).items() if k not in ("from_id", "to_id", "on")}
        out["disputed"] = self.disputed
        return out


@dataclass
class ComponentChain:
    component_id: int
    weapon_system: str
    specimen: str
    recovered_on: str
    recovered_at: str | None
    function: str
    part_number: str | None
    manufacturer: str | None
    manufacturer_country: str | None
    steps: list[Step] = field(default_factory=list)
    trace_requests: list[TraceRow] = field(default_factory=list)
    customs: list[CustomsStep] = field(default_factory=list)  # accepted links only
    customs_proposed: int = 0  # links nobody has reviewed: counted, not shown

    def as_dict(self) -> dict[str, object]:
        lists = ("steps", "trace_requests", "customs", "customs_proposed")
        out: dict[str, object] = {k: v for k, v in vars(self).items() if k not in lists}
        out["steps"] = [s.as_dict() for s in self.steps]
        out["trace_requests"] = [t.as_dict() for t in self.trace_requests]
        out["customs"] = [s.as_dict() for s in self.customs]
        out["customs_proposed"] = self.customs_proposed
        return out


@dataclass
class Chain:
    title: str
    components: list[ComponentChain]
    #: party name -> the sanctions-list entities a person confirmed it (or the manufacturer it
    #: is) to be, for the parties the steps name (``provenance screen review``)
    sanctions_matches: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "components": [c.as_dict() for c in self.components],
            "sanctions_matches": self.sanctions_matches,
        }


def _sanctioned(conn: Connection, components: list[ComponentChain]) -> dict[str, list[str]]:
    """The confirmed hits of the parties the chains' steps name, by party name (sorted)."""
    named: dict[int, str] = {}
    for c in components:
        for s in c.steps:
            named[s.to_id] = s.to_party
            if s.from_id is not None and s.from_party is not None:
                named[s.from_id] = s.from_party
    hits = confirmed_hits(conn) if named else {}
    return {named[p]: hits[p] for p in sorted(named, key=lambda p: named[p]) if p in hits}


def _components(conn: Connection, ids: Ids) -> list[ComponentChain]:
    rows = conn.execute(
        select(
            Component.id,
            Component.function,
            Component.part_number,
            Component.manufacturer_id,
            WeaponSystem.designation,
            Specimen.label,
            Specimen.recovered_on,
            Specimen.recovered_at,
            Manufacturer.name.label("maker"),
            Manufacturer.country_code,
        )
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .outerjoin(Manufacturer, Manufacturer.id == Component.manufacturer_id)
        .where(Component.id.in_(_in(ids)))
        .order_by(Component.id)
    ).all()
    return [
        ComponentChain(
            component_id=r.id,
            weapon_system=r.designation,
            specimen=r.label,
            recovered_on=r.recovered_on.isoformat() if r.recovered_on else "",
            recovered_at=r.recovered_at,
            function=r.function,
            part_number=r.part_number,
            manufacturer=r.maker,
            manufacturer_country=r.country_code,
        )
        for r in rows
    ]


def _transfers(conn: Connection, ids: Ids) -> list[tuple[int, Step]]:
    """Each step that applies to one of the components ``ids``, with that component's id (the
    rule: ``reports.parties.transfer_applies``), oldest first."""
    seller, buyer = aliased(Party), aliased(Party)
    maker = aliased(Manufacturer)
    query = (
        select(
            Transfer.__table__,
            seller.name.label("seller"),
            buyer.name.label("buyer"),
            maker.name.label("maker"),
            Source.publisher,
            Source.title,
            Component.id.label("for_component"),
        )
        .select_from(Transfer)
        .join(Component, transfer_applies())
        .outerjoin(seller, seller.id == Transfer.from_party_id)
        .join(buyer, buyer.id == Transfer.to_party_id)
        .outerjoin(maker, maker.id == Transfer.manufacturer_id)
        .join(Source, Source.id == Transfer.source_id)
        .where(Component.id.in_(_in(ids)))
        .order_by(Transfer.transferred_on.is_(None), Transfer.transferred_on, Transfer.id)
    )
    out: list[tuple[int, Step]] = []
    for row in conn.execute(query):
        t = row
        if t.component_id is not None:
            scope, text = "component", f"component {t.component_id}"
        elif t.part_number is not None:
            lot = f" lot {t.lot}" if t.lot else ""
            scope, text = "batch", f"batch {t.part_number}{lot} of {row.maker}"
        else:
            scope, text = "product line", f"product line of {row.maker}"
        step = Step(
            id=t.id,
            scope=scope,
            scope_text=text,
            from_party=row.seller,
            from_role=str(t.from_role) if t.from_role else None,
            to_party=row.buyer,
            to_role=str(t.to_role) if t.to_role else None,
            date=format_partial_date(t.transferred_on, t.transferred_precision),
            place=t.place,
            country=t.country_code,
            document_kind=str(t.document_kind) if t.document_kind else None,
            document_ref=t.document_ref,
            source=f"{row.publisher}: {row.title}",
            source_id=t.source_id,
            trace_request=t.trace_request_id,
            from_id=t.from_party_id,
            to_id=t.to_party_id,
            on=t.transferred_on,
        )
        out.append((row.for_component, step))
    return out


def _contradict(a: Step, b: Step) -> bool:
    if a.source_id == b.source_id:
        return False
    if a.to_id == b.to_id:
        return a.from_id is not None and b.from_id is not None and a.from_id != b.from_id
    both_component = a.scope == b.scope == "component"
    return both_component and a.from_id is not None and a.from_id == b.from_id


def _mark_disputes(steps: list[Step]) -> None:
    for a in steps:
        a.disputed_by = [b.id for b in steps if b is not a and _contradict(a, b)]


def chain_of_components(
    conn: Connection,
    ids: Ids,
    title: str,
    *,
    as_of: dt.date | None = None,
    only_with_steps: bool = False,
) -> Chain:
    """The chain of each component of ``ids`` (those with at least one step, accepted customs
    link or trace request when ``only_with_steps``)."""
    today = as_of or dt.date.today()
    components = _components(conn, ids)
    # Each grouped by component in one pass, in the order read (not a scan per component).
    steps: defaultdict[int, list[Step]] = defaultdict(list)
    for cid, step in _transfers(conn, ids):
        steps[cid].append(step)
    requests: defaultdict[int, list[TraceRow]] = defaultdict(list)
    for request in requests_about(conn, _in(ids), today):
        for cid in dict.fromkeys(request.components):
            requests[cid].append(request)
    shipments: defaultdict[int, list[CustomsStep]] = defaultdict(list)
    for cid, shipment in accepted_customs(conn, _in(ids)):
        shipments[cid].append(shipment)
    proposed = proposed_counts(conn, _in(ids))
    for c in components:
        # A fresh Step per component: disputes are marked within one chain.
        c.steps = [Step(**{**vars(s), "disputed_by": []}) for s in steps[c.component_id]]
        _mark_disputes(c.steps)
        c.trace_requests = requests[c.component_id]
        c.customs = shipments[c.component_id]
        c.customs_proposed = proposed[c.component_id]
    if only_with_steps:
        components = [c for c in components if c.steps or c.customs or c.trace_requests]
    return Chain(title, components, _sanctioned(conn, components))


def chain_of_component(
    conn: Connection, component_id: int, *, as_of: dt.date | None = None
) -> Chain:
    """One component's chain; ChainError when there is no such component."""
    if conn.execute(select(Component.id).where(Component.id == component_id)).first() is None:
        raise ChainError(f"no component with id {component_id}")
    return chain_of_components(
        conn, [component_id], f"Chain of component {component_id}", as_of=as_of
    )


def chain_of_manufacturer(conn: Connection, name: str, *, as_of: dt.date | None = None) -> Chain:
    """The chains of a manufacturer's components that have a step or a trace request."""
    maker = find_manufacturer(conn, name)
    shown = conn.execute(select(Manufacturer.name).where(Manufacturer.id == maker)).scalar_one()
    ids = select(Component.id).where(Component.manufacturer_id == maker)
    return chain_of_components(
        conn, ids, f"Chain of the parts of {shown}", as_of=as_of, only_with_steps=True
    )


def chain_of_weapon(conn: Connection, name: str, *, as_of: dt.date | None = None) -> Chain:
    """The chains of a weapon system's components that have a step or a trace request."""
    weapon = resolve_weapon(conn, name)
    shown = conn.execute(
        select(WeaponSystem.designation).where(WeaponSystem.id == weapon)
    ).scalar_one()
    ids = (
        select(Component.id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .where(Specimen.weapon_system_id == weapon)
    )
    return chain_of_components(
        conn, ids, f"Chain of the parts of {shown}", as_of=as_of, only_with_steps=True
    )
