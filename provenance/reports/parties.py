"""The parties report: for the parts of a weapon system (or all parts), every party the chains
name and in which role, with how many components and parts (the sum of quantities) passed
through it, counted in the database.

A transfer applies to a component when it is the component's own step, or its batch's (the same
manufacturer and part number, spaces and case ignored), or its manufacturer's product line's
(the rule ``provenance.chain.read`` shows). A component counts once per party and role, however
many steps name them; a role no source stated stays empty (unknown stays unknown). A party a
person confirmed as an entity of a sanctions list (``provenance screen review``), itself or as
the manufacturer it is, carries that entity in ``sanctions_matches``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, or_, select, union_all

from provenance.models import (
    Component,
    Party,
    ScreeningCandidate,
    ScreeningDecision,
    Specimen,
    Transfer,
    WeaponSystem,
)
from provenance.reports.core import resolve_weapon


@dataclass
class PartyRoleRow:
    party: str
    country: str | None
    role: str | None
    components: int
    parts: int
    sanctions_matches: list[str] = field(default_factory=list)  # "entity name (OpenSanctions id)"


@dataclass
class PartiesReport:
    weapon: str | None
    rows: list[PartyRoleRow]


def _part_key(column: Any) -> ColumnElement[str | None]:
    return func.upper(func.replace(column, " ", ""))


def transfer_applies() -> ColumnElement[bool]:
    """The condition that a transfer (``Transfer``) is a step of a component (``Component``)."""
    return or_(
        Transfer.component_id == Component.id,
        and_(
            Transfer.component_id.is_(None),
            Transfer.manufacturer_id == Component.manufacturer_id,
            or_(
                Transfer.part_number.is_(None),
                _part_key(Transfer.part_number) == _part_key(Component.part_number),
            ),
        ),
    )


def parties_report(conn: Connection, weapon: str | None = None) -> PartiesReport:
    """Parts counted by party and role (for one weapon system's parts, or all)."""
    sides = union_all(
        select(
            Transfer.id.label("transfer_id"),
            Transfer.from_party_id.label("party_id"),
            Transfer.from_role.label("role"),
        ).where(Transfer.from_party_id.is_not(None)),
        select(Transfer.id, Transfer.to_party_id, Transfer.to_role),
    ).subquery("sides")
    links = (
        select(
            sides.c.party_id, sides.c.role, Component.id.label("component_id"), Component.quantity
        )
        .distinct()
        .select_from(Component)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(Transfer, transfer_applies())
        .join(sides, sides.c.transfer_id == Transfer.id)
    )
    shown = None
    if weapon is not None:
        weapon_id = resolve_weapon(conn, weapon)
        links = links.where(Specimen.weapon_system_id == weapon_id)
        shown = conn.execute(
            select(WeaponSystem.designation).where(WeaponSystem.id == weapon_id)
        ).scalar_one()
    linked = links.subquery("links")
    parts = func.sum(linked.c.quantity)
    query = (
        select(
            Party.id,
            Party.name,
            Party.country_code,
            linked.c.role,
            func.count(linked.c.component_id),
            parts,
        )
        .join(linked, linked.c.party_id == Party.id)
        .group_by(Party.id, Party.name, Party.country_code, linked.c.role)
        .order_by(parts.desc(), Party.name_key, func.coalesce(linked.c.role, literal("")))
    )
    hits = confirmed_hits(conn)
    rows = [
        PartyRoleRow(
            name, country, str(role) if role else None, int(n), int(p or 0), hits.get(p_id, [])
        )
        for p_id, name, country, role, n, p in conn.execute(query)
    ]
    return PartiesReport(shown, rows)


def confirmed_hits(conn: Connection) -> dict[int, list[str]]:
    """Party id -> the sanctions-list entities a person confirmed it (or the manufacturer it
    is) to be, as "name (id)", sorted."""
    c = ScreeningCandidate
    found: defaultdict[int, set[str]] = defaultdict(set)
    subject = or_(
        c.party_id == Party.id,
        and_(Party.manufacturer_id.is_not(None), c.manufacturer_id == Party.manufacturer_id),
    )
    for p_id, entity, key in conn.execute(
        select(Party.id, c.entity_name, c.entity_key)
        .join(c, subject)
        .where(c.decision == ScreeningDecision.ACCEPTED)
    ):
        found[p_id].add(f"{entity} ({key})")
    return {p_id: sorted(names) for p_id, names in found.items()}
