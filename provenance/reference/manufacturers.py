"""Manufacturers: finding them by any of their names, listing them, adding aliases, and merging
two records of one company.

A manufacturer is found by its name or any alias, case-, punctuation- and legal-form-insensitively
(``manufacturer_key``). Merging moves everything from the merged manufacturer to the one kept:
its components (a component that turns out to be the same as one the kept manufacturer already
has in that specimen is combined with it: its citations move, nothing is lost), its aliases, its
subsidiaries; the merged name becomes an alias of kind ``merged``, and a ``ManufacturerMerge``
row records what happened. All in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import aliased

from provenance.claims import STATEMENTS, choose_for
from provenance.db import write_transaction
from provenance.errors import ManufacturerError, UnknownManufacturerError
from provenance.migrate import ensure_current
from provenance.models import (
    AliasKind,
    Citation,
    Component,
    Country,
    CustomsLink,
    CustomsLinkStatus,
    CustomsShipment,
    EvidenceLink,
    Manufacturer,
    ManufacturerAlias,
    ManufacturerMerge,
    Party,
    ScreeningCandidate,
    Specimen,
    TraceRequest,
    TraceRequestComponent,
    Transfer,
    WeaponSystem,
)
from provenance.values.identity import component_identity
from provenance.values.text import clean_text, manufacturer_key

_SUGGEST_CUTOFF = 60.0
#: Columns of a component that a merge fills in on the surviving component when it has none.
_FILLED_ON_COMBINE = (
    ("made_in_code",),
    ("manufactured_on", "manufactured_precision"),
    ("hs_code", "hs6"),
    ("notes",),
)


def find(conn: Connection, name: str) -> int:
    """The id of the manufacturer with this name or alias (case, punctuation and legal forms
    ignored); UnknownManufacturerError with the closest names otherwise."""
    key = manufacturer_key(name)
    found = conn.execute(
        select(Manufacturer.id).where(Manufacturer.name_key == key)
    ).scalar_one_or_none()
    if found is None:
        found = conn.execute(
            select(ManufacturerAlias.manufacturer_id).where(ManufacturerAlias.alias_key == key)
        ).scalar_one_or_none()
    if found is None:
        from rapidfuzz import fuzz, process

        names = list(conn.scalars(select(Manufacturer.name)))
        close = process.extract(
            name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=_SUGGEST_CUTOFF
        )
        raise UnknownManufacturerError(name, [c[0] for c in close])
    return found


# Listing -------------------------------------------------------------------------------------


@dataclass
class ManufacturerRow:
    name: str
    country_code: str | None
    country: str | None
    parent: str | None
    components: int
    parts: int
    aliases: list[str]


def list_manufacturers(conn: Connection, search: str | None = None) -> list[ManufacturerRow]:
    """Every manufacturer (or those whose name or alias contains ``search``), by name."""
    parent = aliased(Manufacturer)
    counts = (
        select(
            Component.manufacturer_id.label("m_id"),
            func.count().label("n"),
            func.sum(Component.quantity).label("parts"),
        )
        .group_by(Component.manufacturer_id)
        .subquery()
    )
    query = (
        select(
            Manufacturer.id,
            Manufacturer.name,
            Manufacturer.country_code,
            Country.display_name,
            parent.name,
            func.coalesce(counts.c.n, 0),
            func.coalesce(counts.c.parts, 0),
        )
        .outerjoin(Country, Country.code == Manufacturer.country_code)
        .outerjoin(parent, parent.id == Manufacturer.parent_id)
        .outerjoin(counts, counts.c.m_id == Manufacturer.id)
        .order_by(Manufacturer.name_key, Manufacturer.id)
    )
    if search is not None:
        key = manufacturer_key(search)
        matching = select(ManufacturerAlias.manufacturer_id).where(
            ManufacturerAlias.alias_key.contains(key, autoescape=True)
        )
        query = query.where(
            Manufacturer.name_key.contains(key, autoescape=True) | Manufacturer.id.in_(matching)
        )
    aliases: dict[int, list[str]] = defaultdict(list)
    for m_id, alias in conn.execute(
        select(ManufacturerAlias.manufacturer_id, ManufacturerAlias.alias).order_by(
            ManufacturerAlias.alias
        )
    ):
        aliases[m_id].append(alias)
    return [
        ManufacturerRow(name, code, country, parent_name, int(n), int(parts), aliases[m_id])
        for m_id, name, code, country, parent_name, n, parts in conn.execute(query)
    ]


@dataclass
class AliasRow:
    alias: str
    kind: str


@dataclass
class MergeRow:
    merged_name: str
    merged_country_code: str | None
    merged_at: dt.datetime
    components_moved: int
    aliases_moved: int
    note: str | None


@dataclass
class WeaponCount:
    weapon_system: str
    components: int
    parts: int


@dataclass
class ManufacturerDetail:
    name: str
    key: str
    country_code: str | None
    country: str | None
    parents: list[str]  # the parent, its parent, ... up to the top
    subsidiaries: list[str]
    aliases: list[AliasRow]
    components: int
    parts: int
    weapon_systems: list[WeaponCount]
    merges: list[MergeRow] = field(default_factory=list)


def _ancestors(conn: Connection, m_id: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    seen = {m_id}
    current: int | None = conn.execute(
        select(Manufacturer.parent_id).where(Manufacturer.id == m_id)
    ).scalar_one()
    while current is not None and current not in seen:
        seen.add(current)
        name, parent_id = conn.execute(
            select(Manufacturer.name, Manufacturer.parent_id).where(Manufacturer.id == current)
        ).one()
        out.append((current, name))
        current = parent_id
    return out


def show(conn: Connection, name: str) -> ManufacturerDetail:
    """Everything about one manufacturer: names, parents, subsidiaries, components, merges."""
    m_id = find(conn, name)
    row = conn.execute(
        select(Manufacturer.name, Manufacturer.name_key, Manufacturer.country_code).where(
            Manufacturer.id == m_id
        )
    ).one()
    country = (
        conn.execute(
            select(Country.display_name).where(Country.code == row.country_code)
        ).scalar_one_or_none()
        if row.country_code
        else None
    )
    subsidiaries = list(
        conn.scalars(
            select(Manufacturer.name)
            .where(Manufacturer.parent_id == m_id)
            .order_by(Manufacturer.name_key)
        )
    )
    aliases = [
        AliasRow(alias, str(kind))
        for alias, kind in conn.execute(
            select(ManufacturerAlias.alias, ManufacturerAlias.kind)
            .where(ManufacturerAlias.manufacturer_id == m_id)
            .order_by(ManufacturerAlias.alias_key)
        )
    ]
    weapons = [
        WeaponCount(designation, int(n), int(parts))
        for designation, n, parts in conn.execute(
            select(WeaponSystem.designation, func.count(), func.sum(Component.quantity))
            .select_from(Component)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
            .where(Component.manufacturer_id == m_id)
            .group_by(WeaponSystem.designation)
            .order_by(WeaponSystem.designation)
        )
    ]
    merges = [
        MergeRow(*r)
        for r in conn.execute(
            select(
                ManufacturerMerge.merged_name,
                ManufacturerMerge.merged_country_code,
                ManufacturerMerge.merged_at,
                ManufacturerMerge.components_moved,
                ManufacturerMerge.aliases_moved,
                ManufacturerMerge.note,
            )
            .where(ManufacturerMerge.kept_id == m_id)
            .order_by(ManufacturerMerge.merged_at, ManufacturerMerge.id)
        )
    ]
    return ManufacturerDetail(
        name=row.name,
        key=row.name_key,
        country_code=row.country_code,
        country=country,
        parents=[n for _, n in _ancestors(conn, m_id)],
        subsidiaries=subsidiaries,
        aliases=aliases,
        components=sum(w.components for w in weapons),
        parts=sum(w.parts for w in weapons),
        weapon_systems=weapons,
        merges=merges,
    )


# Aliases -------------------------------------------------------------------------------------


@dataclass
class AliasAdded:
    manufacturer: str
    alias: str
    kind: str


def add_alias(
    engine: Engine, name: str, alias: str, kind: AliasKind = AliasKind.ALIAS
) -> AliasAdded:
    """Record another name of a manufacturer (another spelling, or a former name)."""
    ensure_current(engine)
    written = clean_text(alias)
    if written is None:
        raise ManufacturerError("the alias is blank")
    key = manufacturer_key(written)
    with write_transaction(engine) as conn:
        m_id = find(conn, name)
        m_name = conn.execute(select(Manufacturer.name).where(Manufacturer.id == m_id)).scalar_one()
        owner = conn.execute(
            select(Manufacturer.id, Manufacturer.name).where(Manufacturer.name_key == key)
        ).one_or_none()
        if owner is not None:
            if owner.id == m_id:
                raise ManufacturerError(f"{written!r} is {m_name}'s own name (as matched)")
            raise ManufacturerError(
                f"{written!r} is the manufacturer {owner.name}: to make them one, run "
                f"`provenance manufacturers merge {m_name!r} {owner.name!r}`"
            )
        taken = conn.execute(
            select(ManufacturerAlias.manufacturer_id, Manufacturer.name)
            .join(Manufacturer, Manufacturer.id == ManufacturerAlias.manufacturer_id)
            .where(ManufacturerAlias.alias_key == key)
        ).one_or_none()
        if taken is not None:
            whose = "already" if taken.manufacturer_id == m_id else f"already {taken.name}'s"
            raise ManufacturerError(f"{written!r} is {whose} alias")
        conn.execute(
            insert(ManufacturerAlias).values(
                manufacturer_id=m_id, alias=written, alias_key=key, kind=kind
            )
        )
    return AliasAdded(m_name, written, kind.value)


# Merging -------------------------------------------------------------------------------------


@dataclass
class MergeSummary:
    kept: str
    merged: str
    components_moved: int  # filed under the kept manufacturer now
    components_combined: int  # of those: the same as one the kept manufacturer had
    citations_moved: int  # citations of combined components moved to the surviving ones
    aliases_moved: int
    subsidiaries_moved: int
    merge_id: int


def _manufacturer(conn: Connection, m_id: int) -> Any:
    return conn.execute(
        select(
            Manufacturer.id,
            Manufacturer.name,
            Manufacturer.name_key,
            Manufacturer.country_code,
            Manufacturer.parent_id,
        ).where(Manufacturer.id == m_id)
    ).one()


def merge(engine: Engine, keep: str, merged: str, note: str | None = None) -> MergeSummary:
    """Merge the manufacturer ``merged`` into ``keep`` (both found by name or alias).

    Every component, alias and subsidiary of ``merged`` moves to ``keep``; its name becomes an
    alias of kind ``merged``; ``keep`` takes its headquarters country when it has none, and its
    parent when it has none. A moved component that is the same as one ``keep`` already has in
    that specimen is combined with it: its citations move to that component (without duplicates)
    and the surviving component keeps its own values, filling in only what it lacks. One
    transaction: all of it happens, or none.
    """
    ensure_current(engine)
    with write_transaction(engine) as conn:
        kept = _manufacturer(conn, find(conn, keep))
        gone = _manufacturer(conn, find(conn, merged))
        if kept.id == gone.id:
            raise ManufacturerError(f"{keep!r} and {merged!r} are the same manufacturer")
        moved, combined, citations = _move_components(conn, kept, gone)
        aliases = _move_aliases(conn, kept, gone)
        subsidiaries = _move_relatives(conn, kept, gone)
        _move_screening(conn, kept.id, gone.id)
        _move_chain(conn, kept.id, gone.id)
        conn.execute(
            update(CustomsShipment)
            .where(CustomsShipment.manufacturer_id == gone.id)
            .values(manufacturer_id=kept.id)
        )
        conn.execute(
            update(ManufacturerMerge)
            .where(ManufacturerMerge.kept_id == gone.id)
            .values(kept_id=kept.id)
        )
        remark = clean_text(note)
        if combined:
            auto = (
                f"{combined} of its components were the same as {kept.name}'s in the same "
                "specimen and were combined with them (citations moved)"
            )
            remark = f"{remark}; {auto}" if remark else auto
        merge_id = conn.execute(
            insert(ManufacturerMerge).returning(ManufacturerMerge.id),
            {
                "kept_id": kept.id,
                "merged_id": gone.id,
                "merged_name": gone.name,
                "merged_country_code": gone.country_code,
                "merged_at": dt.datetime.now(dt.UTC),
                "components_moved": moved,
                "aliases_moved": aliases,
                "note": remark,
            },
        ).scalar_one()
        left = conn.execute(
            select(func.count()).select_from(Component).where(Component.manufacturer_id == gone.id)
        ).scalar_one()
        if left:  # pragma: no cover - the foreign key would stop the delete anyway
            raise ManufacturerError(f"{left} components of {gone.name} were not moved")
        conn.execute(delete(Manufacturer).where(Manufacturer.id == gone.id))
    return MergeSummary(
        kept=kept.name,
        merged=gone.name,
        components_moved=moved,
        components_combined=combined,
        citations_moved=citations,
        aliases_moved=aliases,
        subsidiaries_moved=subsidiaries,
        merge_id=merge_id,
    )


def _move_components(conn: Connection, kept: Any, gone: Any) -> tuple[int, int, int]:
    """Move the components; returns (moved, combined with an existing one, citations moved)."""
    rows = conn.execute(
        select(
            Component.id,
            Component.specimen_id,
            Specimen.label_key,
            Component.function,
            Component.part_number,
            Component.marking,
            Component.date_code,
        )
        .join(Specimen, Specimen.id == Component.specimen_id)
        .where(Component.manufacturer_id == gone.id)
        .order_by(Component.id)
    ).all()
    if not rows:
        return 0, 0, 0
    identities = {
        r.id: component_identity(
            r.label_key, r.function, r.part_number, r.marking, kept.name_key, r.date_code
        )
        for r in rows
    }
    specimen_ids = sorted({r.specimen_id for r in rows})
    survivors: dict[tuple[int, str], int] = {}
    for start in range(0, len(specimen_ids), 500):
        chunk = specimen_ids[start : start + 500]
        for sid, identity, cid in conn.execute(
            select(Component.specimen_id, Component.identity, Component.id).where(
                Component.specimen_id.in_(chunk), Component.manufacturer_id != gone.id
            )
        ):
            survivors[(sid, identity)] = cid
    to_move: list[dict[str, Any]] = []
    citations_moved = 0
    combined = 0
    for r in rows:
        survivor = survivors.get((r.specimen_id, identities[r.id]))
        if survivor is None:
            to_move.append({"c_id": r.id, "m_id": kept.id, "ident": identities[r.id]})
            continue
        combined += 1
        citations_moved += _combine(conn, r.id, survivor)
    if to_move:
        conn.execute(
            update(Component)
            .where(Component.id == bindparam("c_id"))
            .values(manufacturer_id=bindparam("m_id"), identity=bindparam("ident")),
            to_move,
        )
    return len(rows), combined, citations_moved


def _combine(conn: Connection, component_id: int, survivor_id: int) -> int:
    """Fold a component into the surviving one; returns how many citations moved to it."""
    cited = {
        c.source_id: c
        for c in conn.execute(select(Citation).where(Citation.component_id == survivor_id))
    }
    moving = []
    for c in conn.execute(select(Citation).where(Citation.component_id == component_id)):
        values = {k: v for k, v in c._mapping.items() if k != "component_id"}
        kept = cited.get(c.source_id)
        if kept is None:  # the citation moves whole: its record, page, photo and statements
            moving.append({**values, "component_id": survivor_id})
            continue
        # The same source cited both: the statements its kept citation lacks.
        lacking = {
            column: values[column]
            for statement in STATEMENTS
            if getattr(kept, statement.columns[0]) is None
            and values[statement.columns[0]] is not None
            for column in statement.cited
        }
        if lacking:
            conn.execute(
                update(Citation)
                .where(Citation.component_id == survivor_id, Citation.source_id == c.source_id)
                .values(lacking)
            )
    if moving:
        conn.execute(insert(Citation), moving)
    columns = [c for group in _FILLED_ON_COMBINE for c in group]
    mine = conn.execute(
        select(*(Component.__table__.c[c] for c in columns)).where(Component.id == component_id)
    ).one()
    theirs = conn.execute(
        select(*(Component.__table__.c[c] for c in columns)).where(Component.id == survivor_id)
    ).one()
    mine_values, theirs_values = (
        dict(zip(columns, mine, strict=True)),
        dict(zip(columns, theirs, strict=True)),
    )
    fill: dict[str, Any] = {}
    for group in _FILLED_ON_COMBINE:
        if theirs_values[group[0]] is None and mine_values[group[0]] is not None:
            fill.update({c: mine_values[c] for c in group})
    if fill:
        conn.execute(update(Component).where(Component.id == survivor_id).values(fill))
    _move_evidence(conn, component_id, survivor_id)
    _move_customs_links(conn, component_id, survivor_id)
    _move_component_chain(conn, component_id, survivor_id)
    conn.execute(delete(Citation).where(Citation.component_id == component_id))
    conn.execute(delete(Component).where(Component.id == component_id))
    choose_for(conn, [survivor_id])
    return len(moving)


def _move_component_chain(conn: Connection, gone_id: int, survivor_id: int) -> None:
    """The combined component keeps the chain steps and trace requests of both."""
    conn.execute(
        update(Transfer).where(Transfer.component_id == gone_id).values(component_id=survivor_id)
    )
    link = TraceRequestComponent
    asked = select(link.trace_request_id).where(link.component_id == survivor_id)
    conn.execute(delete(link).where(link.component_id == gone_id, link.trace_request_id.in_(asked)))
    conn.execute(update(link).where(link.component_id == gone_id).values(component_id=survivor_id))


def _move_evidence(conn: Connection, gone_id: int, survivor_id: int) -> None:
    """The combined component keeps the photos of both (one link where both had the file)."""
    has = select(EvidenceLink.evidence_id).where(EvidenceLink.component_id == survivor_id)
    conn.execute(
        delete(EvidenceLink).where(
            EvidenceLink.component_id == gone_id, EvidenceLink.evidence_id.in_(has)
        )
    )
    conn.execute(
        update(EvidenceLink)
        .where(EvidenceLink.component_id == gone_id)
        .values(component_id=survivor_id)
    )


def _move_customs_links(conn: Connection, gone_id: int, survivor_id: int) -> None:
    """The combined component keeps the customs links of both; where both had one to the same
    shipment, a decided link wins over a proposed one (the survivor's when both are decided)."""
    link = CustomsLink
    theirs = {
        shipment_id: status
        for shipment_id, status in conn.execute(
            select(link.shipment_id, link.status).where(link.component_id == survivor_id)
        )
    }
    for link_id, shipment_id, status in conn.execute(
        select(link.id, link.shipment_id, link.status).where(link.component_id == gone_id)
    ).all():
        if shipment_id in theirs:
            if (
                status == CustomsLinkStatus.PROPOSED
                or theirs[shipment_id] != CustomsLinkStatus.PROPOSED
            ):
                conn.execute(delete(link).where(link.id == link_id))
                continue
            conn.execute(
                delete(link).where(
                    link.component_id == survivor_id, link.shipment_id == shipment_id
                )
            )
        conn.execute(update(link).where(link.id == link_id).values(component_id=survivor_id))


def _move_aliases(conn: Connection, kept: Any, gone: Any) -> int:
    moved = conn.execute(
        update(ManufacturerAlias)
        .where(ManufacturerAlias.manufacturer_id == gone.id)
        .values(manufacturer_id=kept.id)
    ).rowcount
    # An alias that is now the kept manufacturer's own name says nothing.
    conn.execute(
        delete(ManufacturerAlias).where(
            ManufacturerAlias.manufacturer_id == kept.id,
            ManufacturerAlias.alias_key == kept.name_key,
        )
    )
    existing = conn.execute(
        select(ManufacturerAlias.id).where(ManufacturerAlias.alias_key == gone.name_key)
    ).scalar_one_or_none()
    if existing is None:
        conn.execute(
            insert(ManufacturerAlias).values(
                manufacturer_id=kept.id,
                alias=gone.name,
                alias_key=gone.name_key,
                kind=AliasKind.MERGED,
            )
        )
    else:
        conn.execute(
            update(ManufacturerAlias)
            .where(ManufacturerAlias.id == existing)
            .values(manufacturer_id=kept.id, kind=AliasKind.MERGED)
        )
    return int(moved or 0)


def _move_screening(conn: Connection, kept_id: int, gone_id: int) -> None:
    """The merged manufacturer's screening candidates become the kept one's. When both have one
    for the same listed entity, a decided one wins over an open one (the kept one's when both are
    decided): a person's decision is not lost."""
    c = ScreeningCandidate
    decided = {
        key: decision
        for key, decision in conn.execute(
            select(c.entity_key, c.decision).where(c.manufacturer_id == kept_id)
        )
    }
    for c_id, key, decision in conn.execute(
        select(c.id, c.entity_key, c.decision).where(c.manufacturer_id == gone_id)
    ).all():
        if key in decided and (decision is None or decided[key] is not None):
            conn.execute(delete(c).where(c.id == c_id))
            continue
        if key in decided:
            conn.execute(delete(c).where(c.manufacturer_id == kept_id, c.entity_key == key))
        conn.execute(update(c).where(c.id == c_id).values(manufacturer_id=kept_id))


def _move_chain(conn: Connection, kept_id: int, gone_id: int) -> None:
    """The merged manufacturer's supply-chain rows become the kept one's: batch and product-line
    steps, trace requests (to it, or about its batches), and the party that is it, unless the
    kept one has a party already (the merged one's party then stays, no longer linked to a maker:
    a person can see the two parties and keep both)."""
    conn.execute(
        update(Transfer).where(Transfer.manufacturer_id == gone_id).values(manufacturer_id=kept_id)
    )
    for column in ("manufacturer_id", "recipient_manufacturer_id"):
        conn.execute(
            update(TraceRequest)
            .where(getattr(TraceRequest, column) == gone_id)
            .values({column: kept_id})
        )
    has_party = conn.execute(select(Party.id).where(Party.manufacturer_id == kept_id)).first()
    conn.execute(
        update(Party)
        .where(Party.manufacturer_id == gone_id)
        .values(manufacturer_id=None if has_party else kept_id)
    )


def _move_relatives(conn: Connection, kept: Any, gone: Any) -> int:
    """Subsidiaries of the merged manufacturer become the kept one's; the kept one takes the
    merged one's headquarters country and parent when it has none. Returns the subsidiaries
    moved."""
    moved = conn.execute(
        update(Manufacturer)
        .where(Manufacturer.parent_id == gone.id, Manufacturer.id != kept.id)
        .values(parent_id=kept.id)
    ).rowcount
    changes: dict[str, Any] = {}
    if kept.country_code is None and gone.country_code is not None:
        changes["country_code"] = gone.country_code
    parent_id = kept.parent_id
    if parent_id == gone.id:
        parent_id = None  # the kept one was the merged one's subsidiary: it takes its parent
        changes["parent_id"] = None
    if parent_id is None and gone.parent_id is not None and gone.parent_id != kept.id:
        above = {m_id for m_id, _ in _ancestors(conn, gone.parent_id)} | {gone.parent_id}
        if kept.id not in above:
            changes["parent_id"] = gone.parent_id
    if changes:
        conn.execute(update(Manufacturer).where(Manufacturer.id == kept.id).values(changes))
    return int(moved or 0)
