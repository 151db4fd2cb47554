"""FollowTheMoney entities as JSON lines: ``provenance export --format ftm OUT.jsonl``.

One entity a line, ``{"id": ..., "schema": ..., "properties": {name: [text, ...]}}`` (every value
a list of strings), for Aleph / OpenAleph, nomenklatura and OpenSanctions tooling. Written here
by hand: followthemoney itself is not needed. The mapping (docs/ftm.md):

- a manufacturer is a ``Company`` (name, alias: its aliases and the names of manufacturers merged
  into it, previousName: its former names, country: its headquarters); its parent an
  ``Ownership`` (owner: the parent, asset: the subsidiary);
- a source is a ``Document`` (title, publisher, sourceUrl, date and publishedAt as precisely as
  known, notes);
- a specimen is an ``Event`` (name: its label, date: recovered on, location: recovered at);
- a component is an ``Asset``, with an ``UnknownLink`` (role "found in") to its specimen and, when
  its maker is known, one (role "manufacturer") to its manufacturer;
- a citation is a ``Documentation`` (document: the source, entity: the component, role "cites",
  recordId and sourceUrl: the source's own record of the finding);
- a screening hit a person accepted (``provenance screen review --accept``) is the listed entity
  under its own OpenSanctions id (its schema, name, aliases, countries, as the list gave them:
  tools that hold the list merge the two) and a ``Similar`` (candidate: the manufacturer's
  company, match: the listed entity, confidenceScore, criteria: the reasons, matcher: who
  decided). Open and rejected candidates are not exported;
- a customs record (``provenance customs load``) is an ``EconomicActivity`` (date, vedCode: the
  HS code, goodsDescription, sender and receiver: the exporter and importer as ``LegalEntity``
  entities named as the record writes them, originCountry, departureCountry, invoiceAmount);
  a link a person accepted (``customs review --accept``) is an ``UnknownLink`` from the component
  to each trader (role "exporter (customs record C-1)"): FtM links no asset to an activity.
  Proposed and rejected links are not exported;
- a party is a ``Company`` or a ``Person`` (name, alias, country, registrationNumber, taxNumber,
  leiCode, idNumber; an OpenSanctions id is left out), or, when it is the same company as a
  manufacturer, that manufacturer's ``Company``;
- a transfer is an ``UnknownLink`` from the seller (the part, or its maker, when the seller is
  not known) to the buyer, role "seller role -> buyer role", date as precisely as known, the
  document and the source in its description.

Ids are ``prov-<kind>-<sha1>`` of the database's own stable keys (a manufacturer's matching key,
a specimen's label key, a source's publisher and title keys, a component's specimen and identity),
never of row ids; entities come in a fixed order (by those keys, compared byte by byte on both
databases), so one database gives the same bytes whatever order its rows were loaded in. What is
not known is left out: a part without an identified maker has no manufacturer link, and nothing
gets a country the database does not hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select
from sqlalchemy.orm import InstrumentedAttribute, aliased

from provenance.models import (
    AliasKind,
    Authenticity,
    Citation,
    Component,
    CustomsLink,
    CustomsLinkStatus,
    CustomsShipment,
    DatePrecision,
    EvidenceFile,
    EvidenceLink,
    Manufacturer,
    ManufacturerAlias,
    Party,
    PartyAlias,
    PartyIdentifier,
    PartyKind,
    ScreeningCandidate,
    ScreeningDecision,
    ScreeningEntity,
    Source,
    Specimen,
    Transfer,
    WeaponSystem,
)
from provenance.values.dates import format_partial_date

#: One FtM entity: ``{"id", "schema", "properties"}``.
Entity = dict[str, Any]
_CHUNK = 2_000
ID_PREFIX = "prov"


def entity_id(kind: str, *key: str) -> str:
    """The stable id of an entity: ``prov-<kind>-<sha1 of its key parts>``."""
    digest = hashlib.sha1("\x1f".join(key).encode(), usedforsecurity=False).hexdigest()
    return f"{ID_PREFIX}-{kind}-{digest}"


def ftm_date(value: dt.date | None, precision: DatePrecision | None) -> str | None:
    """A date as an FtM date prefix, no more precise than known (``2023``, ``2023-02``, a day).

    FtM has no weeks: a week is written as its month when it lies within one month, as its year
    when within one year, else not at all."""
    if value is None:
        return None
    if precision == DatePrecision.WEEK:
        last = value + dt.timedelta(days=6)
        if (last.year, last.month) == (value.year, value.month):
            return f"{value.year:04d}-{value.month:02d}"
        return f"{value.year:04d}" if last.year == value.year else None
    return format_partial_date(value, precision)


def ftm_country(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code as FtM writes countries (lower case)."""
    return code.lower() if code else None


def entity(kind_id: str, schema: str, properties: dict[str, Iterable[str | None]]) -> Entity:
    """An entity with only the properties that have a value (blank values dropped)."""
    props: dict[str, list[str]] = {}
    for name, values in properties.items():
        kept = [v for v in values if v is not None and v.strip()]
        if kept:
            props[name] = kept
    return {"id": kind_id, "schema": schema, "properties": props}


def _bytewise(
    conn: Connection, col: InstrumentedAttribute[str]
) -> ColumnElement[str] | InstrumentedAttribute[str]:
    """Order by the bytes of a text, on both databases (SQLite's default; "C" on PostgreSQL)."""
    return col.collate("C") if conn.dialect.name == "postgresql" else col


def _rows(conn: Connection, query: Any) -> Iterator[Any]:
    result = conn.execution_options(yield_per=_CHUNK).execute(query)
    for partition in result.partitions():
        yield from partition


# --- manufacturers -----------------------------------------------------------------------------


def _aliases(conn: Connection) -> dict[int, dict[str, set[str]]]:
    """Per manufacturer: ``alias`` (aliases, merged names) and ``previousName`` (former names)."""
    out: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    query = select(
        ManufacturerAlias.manufacturer_id, ManufacturerAlias.alias, ManufacturerAlias.kind
    )
    for m_id, alias, kind in conn.execute(query):
        prop = "previousName" if kind == AliasKind.FORMER_NAME else "alias"
        out[m_id][prop].add(alias)
    return out


def _manufacturers(conn: Connection) -> Iterator[Entity]:
    """Companies, each followed by the Ownership of its parent (if it has one)."""
    parent = aliased(Manufacturer)
    query = (
        select(
            Manufacturer.id,
            Manufacturer.name,
            Manufacturer.name_key,
            Manufacturer.country_code,
            parent.name_key.label("parent_key"),
        )
        .outerjoin(parent, parent.id == Manufacturer.parent_id)
        .order_by(_bytewise(conn, Manufacturer.name_key))
    )
    aliases = _aliases(conn)
    for r in _rows(conn, query):
        names = aliases.get(r.id, {})
        company = entity_id("manufacturer", r.name_key)
        yield entity(
            company,
            "Company",
            {
                "name": [r.name],
                "alias": sorted(names.get("alias", set()) - {r.name}),
                "previousName": sorted(names.get("previousName", set()) - {r.name}),
                "country": [ftm_country(r.country_code)],
            },
        )
        if r.parent_key is not None:
            yield entity(
                entity_id("ownership", r.name_key, r.parent_key),
                "Ownership",
                {
                    "owner": [entity_id("manufacturer", r.parent_key)],
                    "asset": [company],
                    "role": ["parent company"],
                },
            )


# --- sources and specimens ---------------------------------------------------------------------


def source_id(publisher_key: str, title_key: str) -> str:
    return entity_id("source", publisher_key, title_key)


def _sources(conn: Connection) -> Iterator[Entity]:
    query = select(Source.__table__).order_by(
        _bytewise(conn, Source.publisher_key), _bytewise(conn, Source.title_key)
    )
    for r in _rows(conn, query):
        published = ftm_date(r.published_on, r.published_precision)
        reliability = f"Reliability (as recorded): {r.reliability}" if r.reliability else None
        yield entity(
            source_id(r.publisher_key, r.title_key),
            "Document",
            {
                "title": [r.title],
                "publisher": [r.publisher],
                "sourceUrl": [r.url],
                "date": [published],
                "publishedAt": [published],
                "description": [reliability],
                "notes": [r.notes],
            },
        )


def _specimens(conn: Connection) -> Iterator[Entity]:
    query = (
        select(
            Specimen.label,
            Specimen.label_key,
            Specimen.recovered_on,
            Specimen.recovered_at,
            Specimen.recovered_by,
            Specimen.identification_confidence,
            WeaponSystem.designation,
        )
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .order_by(_bytewise(conn, Specimen.label_key))
    )
    for r in _rows(conn, query):
        summary = f"Recovered specimen of {r.designation}"
        if r.identification_confidence is not None:
            summary += f" (identification: {r.identification_confidence})"
        yield entity(
            entity_id("specimen", r.label_key),
            "Event",
            {
                "name": [r.label],
                "summary": [summary],
                "date": [r.recovered_on.isoformat() if r.recovered_on else None],
                "location": [r.recovered_at],
                "description": [f"Recovered by {r.recovered_by}" if r.recovered_by else None],
            },
        )


# --- components and citations ------------------------------------------------------------------


def component_id(specimen_key: str, identity: str) -> str:
    return entity_id("component", specimen_key, identity)


def _component_description(r: Any) -> str | None:
    """What the database holds of a part beyond its name, one fact a line."""
    made = format_partial_date(r.manufactured_on, r.manufactured_precision)
    facts = [
        ("Marking", r.marking),
        ("Date code", r.date_code),
        ("Manufactured", made or None),
        ("HS code", r.hs_code),
        ("Quantity", str(r.quantity)),
        ("Manufacturer's country as the source reported it", r.reported_maker_country_code),
        ("Authenticity", None if r.authenticity == Authenticity.UNKNOWN else str(r.authenticity)),
    ]
    return "\n".join(f"{label}: {value}" for label, value in facts if value)


def _components(conn: Connection) -> Iterator[Entity]:
    """Assets, each followed by its links to its specimen and (if known) its manufacturer."""
    query = (
        select(
            Component.__table__,
            Specimen.label,
            Specimen.label_key,
            WeaponSystem.designation,
            Manufacturer.name_key.label("maker_key"),
        )
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .outerjoin(Manufacturer, Manufacturer.id == Component.manufacturer_id)
        .order_by(_bytewise(conn, Specimen.label_key), _bytewise(conn, Component.identity))
    )
    for c in _rows(conn, query):
        asset = component_id(c.label_key, c.identity)
        name = f"{c.function} {c.part_number}" if c.part_number else c.function
        yield entity(
            asset,
            "Asset",
            {
                "name": [name],
                "summary": [f"{c.function} found in {c.label} ({c.designation})"],
                "description": [_component_description(c)],
                "country": [ftm_country(c.made_in_code)],
                "notes": [c.notes],
            },
        )
        yield entity(
            entity_id("found-in", c.label_key, c.identity),
            "UnknownLink",
            {
                "subject": [asset],
                "object": [entity_id("specimen", c.label_key)],
                "role": ["found in"],
            },
        )
        if c.maker_key is not None:
            yield entity(
                entity_id("made-by", c.label_key, c.identity),
                "UnknownLink",
                {
                    "subject": [asset],
                    "object": [entity_id("manufacturer", c.maker_key)],
                    "role": ["manufacturer"],
                },
            )


def _statements(r: Any) -> str | None:
    """What a source states of the part it cites."""
    parts = []
    if r.authenticity is not None:
        basis = f" (basis: {r.authenticity_basis})" if r.authenticity_basis else ""
        parts.append(f"authenticity: {r.authenticity}{basis}")
    if r.made_in_code is not None:
        parts.append(f"country of manufacture: {r.made_in_code}")
    if r.manufactured_on is not None:
        parts.append(
            f"manufactured: {format_partial_date(r.manufactured_on, r.manufactured_precision)}"
        )
    return "; ".join(parts) or None


def _citations(conn: Connection) -> Iterator[Entity]:
    query = (
        select(
            Citation.__table__,
            Specimen.label_key,
            Component.identity,
            Source.publisher_key,
            Source.title_key,
        )
        .join(Component, Component.id == Citation.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(Source, Source.id == Citation.source_id)
        .order_by(
            _bytewise(conn, Specimen.label_key),
            _bytewise(conn, Component.identity),
            _bytewise(conn, Source.publisher_key),
            _bytewise(conn, Source.title_key),
        )
    )
    for c in _rows(conn, query):
        keys = (c.label_key, c.identity, c.publisher_key, c.title_key)
        yield entity(
            entity_id("citation", *keys),
            "Documentation",
            {
                "document": [source_id(c.publisher_key, c.title_key)],
                "entity": [component_id(c.label_key, c.identity)],
                "role": ["cites"],
                "recordId": [c.source_record_id],
                "sourceUrl": [c.source_record_url],
                "summary": [_statements(c)],
                "description": [f"Evidence: {c.evidence_url}" if c.evidence_url else None],
            },
        )


# --- evidence ----------------------------------------------------------------------------------


def evidence_id(sha256: str) -> str:
    return entity_id("evidence", sha256)


def _evidence_files(conn: Connection) -> Iterator[Entity]:
    """Each stored file once (by content): an ``Image``, or a ``Document`` if not an image. The
    photo's GPS position is not exported (it can say where the photographer stood)."""
    query = select(EvidenceFile.__table__).order_by(_bytewise(conn, EvidenceFile.sha256))
    for r in _rows(conn, query):
        facts = [("Taken at (camera clock)", r.taken_at), ("Camera", r.camera)]
        if r.width is not None and r.height is not None:
            facts.append(("Size", f"{r.width} x {r.height} pixels"))
        yield entity(
            evidence_id(r.sha256),
            "Image" if r.media_type.startswith("image/") else "Document",
            {
                "fileName": [r.original_name],
                "contentHash": [r.sha1],
                "mimeType": [r.media_type],
                "fileSize": [str(r.size_bytes)],
                "date": [r.taken_at[:10] if r.taken_at else None],
                "description": ["\n".join(f"{k}: {v}" for k, v in facts if v) or None],
            },
        )


def _evidence_links(conn: Connection) -> Iterator[Entity]:
    """What each file shows: a ``Documentation`` (role "evidence") to the component's asset or
    the specimen's event, with its caption, who took it and the source that published it."""
    shown = aliased(Specimen)  # the specimen a linked component is in
    query = (
        select(
            EvidenceLink.caption,
            EvidenceLink.taken_by,
            EvidenceFile.sha256,
            Component.identity,
            func.coalesce(shown.label_key, Specimen.label_key).label("label_key"),
            Source.publisher,
            Source.title,
        )
        .join(EvidenceFile, EvidenceFile.id == EvidenceLink.evidence_id)
        .outerjoin(Component, Component.id == EvidenceLink.component_id)
        .outerjoin(shown, shown.id == Component.specimen_id)
        .outerjoin(Specimen, Specimen.id == EvidenceLink.specimen_id)
        .outerjoin(Source, Source.id == EvidenceLink.source_id)
    )
    rows = sorted(
        _rows(conn, query), key=lambda r: (r.sha256, r.label_key.encode(), r.identity or "")
    )
    for r in rows:
        key: tuple[str, ...]
        if r.identity is not None:
            target = component_id(r.label_key, r.identity)
            key = (r.sha256, "component", r.label_key, r.identity)
        else:
            target = entity_id("specimen", r.label_key)
            key = (r.sha256, "specimen", r.label_key)
        yield entity(
            entity_id("evidence-link", *key),
            "Documentation",
            {
                "document": [evidence_id(r.sha256)],
                "entity": [target],
                "role": ["evidence"],
                "summary": [r.caption],
                "publisher": [r.publisher],
                "description": [
                    "\n".join(
                        f"{k}: {v}"
                        for k, v in (("Taken by", r.taken_by), ("Published in", r.title))
                        if v
                    )
                    or None
                ],
            },
        )


# --- screening ---------------------------------------------------------------------------------

#: The list's schemas exported as they are; any other becomes a LegalEntity.
_LISTED = ("Company", "Organization", "LegalEntity", "Person", "PublicBody")


def _confirmed_hits(conn: Connection) -> Iterator[Entity]:
    """Each accepted candidate: the listed entity (once), then the Similar that links it."""
    c, e = ScreeningCandidate, ScreeningEntity
    query = (
        select(
            c.entity_key,
            c.entity_name,
            c.score,
            c.reasons,
            c.decided_by,
            Manufacturer.name_key,
            e.schema,
            e.aliases,
            e.countries,
            Party.name_key.label("party_key"),
        )
        .outerjoin(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .outerjoin(Party, Party.id == c.party_id)
        .outerjoin(e, (e.list_id == c.list_id) & (e.entity_id == c.entity_key))
        .where(c.decision == ScreeningDecision.ACCEPTED)
        .order_by(
            _bytewise(conn, c.entity_key),
            _bytewise(conn, Manufacturer.name_key),
            _bytewise(conn, Party.name_key),
        )
    )
    listed: set[str] = set()
    for r in _rows(conn, query):
        if r.entity_key not in listed:
            listed.add(r.entity_key)
            yield entity(
                r.entity_key,
                r.schema if r.schema in _LISTED else "LegalEntity",
                {
                    "name": [r.entity_name],
                    "alias": sorted(set((r.aliases or "").split(";")) - {"", r.entity_name}),
                    "country": sorted(
                        {x.strip().lower() for x in (r.countries or "").split(";") if x.strip()}
                    ),
                },
            )
        # A party's hit (no manufacturer) links the party's own entity; a manufacturer's keeps
        # the id it always had.
        similar = (
            entity_id("similar", r.name_key, r.entity_key)
            if r.name_key is not None
            else entity_id("similar", "party", r.party_key, r.entity_key)
        )
        subject = (
            entity_id("manufacturer", r.name_key)
            if r.name_key is not None
            else party_id(r.party_key, None)
        )
        yield entity(
            similar,
            "Similar",
            {
                "candidate": [subject],
                "match": [r.entity_key],
                "confidenceScore": [f"{r.score / 100:.4f}"],
                "criteria": [r.reasons],
                "matcher": [
                    f"provenance screen run, accepted by {r.decided_by or '(not recorded)'}"
                ],
            },
        )


# --- customs records ---------------------------------------------------------------------------


def _traders(conn: Connection) -> Iterator[Entity]:
    """The exporters and importers of the customs records, one LegalEntity per name key."""
    names: dict[str, set[str]] = defaultdict(set)
    for name, key in _rows(
        conn,
        select(CustomsShipment.exporter, CustomsShipment.exporter_key).union(
            select(CustomsShipment.importer, CustomsShipment.importer_key)
        ),
    ):
        if name and key:
            names[key].add(name)
    for key in sorted(names, key=lambda k: k.encode("utf-8")):
        written = sorted(names[key])
        yield entity(
            entity_id("trader", key),
            "LegalEntity",
            {"name": written[:1], "alias": written[1:]},
        )


def _customs(conn: Connection) -> Iterator[Entity]:
    """Each customs record, then the accepted links of components to it."""
    yield from _traders(conn)
    s = CustomsShipment
    for r in _rows(conn, select(s.__table__).order_by(_bytewise(conn, s.identity))):
        amount = f"{r.value:f} {r.currency or ''}".strip() if r.value is not None else None
        facts = [("Brand", r.brand), ("Part number", r.part_number), ("Quantity", r.quantity)]
        yield entity(
            entity_id("customs", r.identity),
            "EconomicActivity",
            {
                "date": [ftm_date(r.shipped_on, r.shipped_precision)],
                "vedCode": [r.hs_code],
                "goodsDescription": [r.description],
                "sender": [entity_id("trader", r.exporter_key) if r.exporter_key else None],
                "receiver": [entity_id("trader", r.importer_key) if r.importer_key else None],
                "originCountry": [ftm_country(r.origin_code)],
                "departureCountry": [ftm_country(r.dispatch_code)],
                "invoiceAmount": [amount],
                "recordId": [r.record_id],
                "summary": ["\n".join(f"{k}: {v}" for k, v in facts if v is not None) or None],
            },
        )
    query = (
        select(
            s.identity,
            s.record_id,
            s.exporter_key,
            s.importer_key,
            Specimen.label_key,
            Component.identity.label("part"),
            CustomsLink.rule,
            CustomsLink.decided_by,
        )
        .select_from(CustomsLink)
        .join(s, s.id == CustomsLink.shipment_id)
        .join(Component, Component.id == CustomsLink.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .where(CustomsLink.status == CustomsLinkStatus.ACCEPTED)
        .order_by(
            _bytewise(conn, s.identity),
            _bytewise(conn, Specimen.label_key),
            _bytewise(conn, Component.identity),
        )
    )
    # FtM links no Asset to an EconomicActivity (an Interval, not a Thing): an accepted link is
    # an UnknownLink from the part to each trader of the record, naming the record.
    for r in _rows(conn, query):
        record = r.record_id or entity_id("customs", r.identity)
        for role, key in (("exporter", r.exporter_key), ("importer", r.importer_key)):
            if key is None:
                continue
            yield entity(
                entity_id(f"customs-{role}", r.identity, r.label_key, r.part),
                "UnknownLink",
                {
                    "subject": [component_id(r.label_key, r.part)],
                    "object": [entity_id("trader", key)],
                    "role": [f"{role} (customs record {record})"],
                    "description": [
                        f"rule {r.rule}, accepted by {r.decided_by or '(not recorded)'}"
                    ],
                },
            )


# --- the supply chain (parties and transfers) --------------------------------------------------

#: A party identifier's kind -> the FtM property (an OpenSanctions id has none: it is left out).
_IDENTIFIER_PROPERTIES = {
    "registration": "registrationNumber",
    "tax": "taxNumber",
    "lei": "leiCode",
    "other": "idNumber",
}


def party_id(name_key: str, maker_key: str | None) -> str:
    """A party's id: its manufacturer's Company when it is the same company, else its own."""
    return entity_id("manufacturer", maker_key) if maker_key else entity_id("party", name_key)


def _party_names(conn: Connection) -> dict[int, dict[str, set[str]]]:
    out: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for pid, alias in conn.execute(select(PartyAlias.party_id, PartyAlias.alias)):
        out[pid]["alias"].add(alias)
    for pid, kind, value in conn.execute(
        select(PartyIdentifier.party_id, PartyIdentifier.kind, PartyIdentifier.value)
    ):
        if kind in _IDENTIFIER_PROPERTIES:
            out[pid][_IDENTIFIER_PROPERTIES[kind]].add(value)
    return out


def _parties(conn: Connection) -> Iterator[Entity]:
    """Parties as Company or Person; one that is a manufacturer is that manufacturer's Company
    (written with the manufacturers), its own names not repeated."""
    query = (
        select(Party.__table__)
        .where(Party.manufacturer_id.is_(None))
        .order_by(_bytewise(conn, Party.name_key))
    )
    names = _party_names(conn)
    for r in _rows(conn, query):
        props: dict[str, Iterable[str | None]] = {
            "name": [r.name],
            "country": [ftm_country(r.country_code)],
            "notes": [r.notes],
        }
        for prop, values in sorted(names.get(r.id, {}).items()):
            props[prop] = sorted(values)
        schema = "Person" if r.kind == PartyKind.PERSON else "Company"
        yield entity(party_id(r.name_key, None), schema, props)


def _transfers(conn: Connection) -> Iterator[Entity]:
    """Each transfer an UnknownLink from the seller (the part itself, or its maker, when the
    seller is not known) to the buyer, role "seller role -> buyer role", dated as precisely as
    known, with its source and document in the description."""
    seller, buyer = aliased(Party), aliased(Party)
    seller_maker, buyer_maker, maker = (aliased(Manufacturer) for _ in range(3))
    query = (
        select(
            Transfer.__table__,
            seller.name_key.label("seller_key"),
            seller_maker.name_key.label("seller_maker_key"),
            buyer.name_key.label("buyer_key"),
            buyer_maker.name_key.label("buyer_maker_key"),
            maker.name_key.label("maker_key"),
            Specimen.label_key,
            Component.identity,
            Source.publisher,
            Source.title,
            Source.publisher_key,
            Source.title_key,
        )
        .outerjoin(seller, seller.id == Transfer.from_party_id)
        .outerjoin(seller_maker, seller_maker.id == seller.manufacturer_id)
        .join(buyer, buyer.id == Transfer.to_party_id)
        .outerjoin(buyer_maker, buyer_maker.id == buyer.manufacturer_id)
        .outerjoin(maker, maker.id == Transfer.manufacturer_id)
        .outerjoin(Component, Component.id == Transfer.component_id)
        .outerjoin(Specimen, Specimen.id == Component.specimen_id)
        .join(Source, Source.id == Transfer.source_id)
    )
    links = []
    for r in conn.execute(query):
        what = (
            ("component", r.label_key, r.identity)
            if r.identity is not None
            else ("batch", r.maker_key, r.part_number or "", r.lot or "")
        )
        sold_by = party_id(r.seller_key, r.seller_maker_key) if r.seller_key else None
        if sold_by is None:
            sold_by = (
                component_id(r.label_key, r.identity)
                if r.identity is not None
                else entity_id("manufacturer", r.maker_key)
            )
        on = ftm_date(r.transferred_on, r.transferred_precision)
        key = (*what, sold_by, r.buyer_key, on or "", r.document_ref or "")
        key += (r.publisher_key, r.title_key)
        subject = "part" if r.identity is not None else f"batch {r.part_number or 'all'}"
        document = " ".join(str(p) for p in (r.document_kind, r.document_ref) if p)
        links.append(
            entity(
                entity_id("transfer", *key),
                "UnknownLink",
                {
                    "subject": [sold_by],
                    "object": [party_id(r.buyer_key, r.buyer_maker_key)],
                    "role": [f"{r.from_role or 'seller'} -> {r.to_role or 'buyer'}"],
                    "date": [on],
                    "summary": [f"transfer of the {subject}"],
                    "description": [f"{document}; source: {r.publisher}: {r.title}".lstrip("; ")],
                    "publisher": [r.publisher],
                    "recordId": [r.document_ref],
                },
            )
        )
    yield from sorted(links, key=lambda e: str(e["id"]))


# --- writing -----------------------------------------------------------------------------------


def entities(conn: Connection) -> Iterator[Entity]:
    """Every entity, in the export's fixed order: companies (and ownerships), documents, events,
    assets (and their links), documentations, evidence files and what they show. An entity
    comes after those it names."""
    yield from _manufacturers(conn)
    yield from _sources(conn)
    yield from _specimens(conn)
    yield from _components(conn)
    yield from _citations(conn)
    yield from _evidence_files(conn)
    yield from _evidence_links(conn)
    yield from _confirmed_hits(conn)
    yield from _customs(conn)
    yield from _parties(conn)
    yield from _transfers(conn)


def dumps(item: Entity) -> str:
    """One JSON line (keys sorted, no spaces, UTF-8 text as is)."""
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def write(engine: Engine, path: Path) -> Counter[str]:
    """Write every entity to ``path`` as JSON lines; returns the count per FtM schema."""
    counts: Counter[str] = Counter()
    with engine.connect() as conn, path.open("w", encoding="utf-8", newline="\n") as handle:
        # One snapshot for every query, so that a load running meanwhile cannot leave a link to
        # an entity the file lacks: SQLite's read transaction is one already; on PostgreSQL a
        # repeatable-read one.
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        for item in entities(conn):
            handle.write(dumps(item) + "\n")
            counts[item["schema"]] += 1
    return counts
