"""Parties: the companies and people other than a part's maker that handled it (distributors,
exporters, importers, shippers, freight forwarders, end users), matched like manufacturers
(legal forms, case and punctuation ignored), with aliases and identifiers.

A party may be the same company as a manufacturer (``manufacturer_id``): a maker that sold its
own part is then one node of the chain, whatever name each table gives it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, insert, or_, select

from provenance.db import write_transaction
from provenance.errors import ChainError, UnknownCountryError
from provenance.models import (
    Manufacturer,
    Party,
    PartyAlias,
    PartyIdentifier,
    PartyKind,
    Transfer,
)
from provenance.reference.manufacturers import find as find_manufacturer
from provenance.values.countries import default_resolver
from provenance.values.text import clean_text, manufacturer_key

#: The kinds of identifier a party may carry (anything else is refused).
IDENTIFIER_KINDS = ("registration", "tax", "lei", "opensanctions", "other")


@dataclass
class PartySpec:
    """A party to add: its name, kind, country (None: not known) and what else is known."""

    name: str
    kind: PartyKind = PartyKind.COMPANY
    country: str | None = None
    aliases: Sequence[str] = ()
    identifiers: Sequence[tuple[str, str]] = ()  # (kind, value)
    manufacturer: str | None = None  # the manufacturer it is the same company as
    notes: str | None = None


@dataclass
class PartyDetail:
    id: int
    name: str
    kind: str
    country_code: str | None
    manufacturer: str | None
    aliases: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    transfers: int = 0
    notes: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "country": self.country_code,
            "manufacturer": self.manufacturer,
            "aliases": self.aliases,
            "identifiers": [{"kind": k, "value": v} for k, v in self.identifiers],
            "transfers": self.transfers,
            "notes": self.notes,
        }


def find_party(conn: Connection, name: str) -> int | None:
    """The id of the party with this name or alias (legal forms and case ignored), or None."""
    key = manufacturer_key(name)
    found = conn.execute(select(Party.id).where(Party.name_key == key)).scalar_one_or_none()
    if found is None:
        found = conn.execute(
            select(PartyAlias.party_id).where(PartyAlias.alias_key == key)
        ).scalar_one_or_none()
    return found


def party_id(conn: Connection, name: str) -> int:
    """The id of the party ``name``; ChainError with the closest names when there is none."""
    found = find_party(conn, name)
    if found is None:
        from rapidfuzz import fuzz, process

        names = list(conn.scalars(select(Party.name)))
        close = [
            c[0] for c in process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=80)
        ]
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise ChainError(f"unknown party {name!r} (add it: provenance parties add){hint}")
    return found


def _country(text: str | None) -> str | None:
    if clean_text(text) is None:
        return None
    try:
        return default_resolver().resolve(str(text))
    except UnknownCountryError as exc:
        raise ChainError(str(exc)) from None


def insert_party(conn: Connection, spec: PartySpec) -> int:
    """Add ``spec`` in the open transaction; ChainError when the name, an alias or an identifier
    is another party's already."""
    name = clean_text(spec.name)
    if name is None:
        raise ChainError("a party needs a name")
    for written in (name, *spec.aliases):
        if find_party(conn, written) is not None:
            raise ChainError(f"a party named {written!r} exists already")
    maker = find_manufacturer(conn, spec.manufacturer) if spec.manufacturer else None
    new_id = conn.execute(
        insert(Party)
        .values(
            name=name,
            name_key=manufacturer_key(name),
            kind=spec.kind,
            country_code=_country(spec.country),
            manufacturer_id=maker,
            notes=clean_text(spec.notes),
            added_at=dt.datetime.now(dt.UTC),
        )
        .returning(Party.id)
    ).scalar_one()
    aliases = {manufacturer_key(a): a.strip() for a in reversed(spec.aliases) if a.strip()}
    aliases.pop(manufacturer_key(name), None)  # the name itself is no alias
    for key, alias in sorted(aliases.items()):
        conn.execute(insert(PartyAlias).values(party_id=new_id, alias=alias, alias_key=key))
    for kind, value in spec.identifiers:
        _add_identifier(conn, new_id, kind, value)
    return int(new_id)


def _add_identifier(conn: Connection, pid: int, kind: str, value: str) -> None:
    kind = kind.strip().lower()
    if kind not in IDENTIFIER_KINDS:
        raise ChainError(f"unknown identifier kind {kind!r}: one of {', '.join(IDENTIFIER_KINDS)}")
    value = value.strip()
    taken = conn.execute(
        select(PartyIdentifier.party_id).where(
            PartyIdentifier.kind == kind, PartyIdentifier.value == value
        )
    ).scalar_one_or_none()
    if taken is not None and taken != pid:
        raise ChainError(f"identifier {kind} {value!r} belongs to another party already")
    if taken is None:
        conn.execute(insert(PartyIdentifier).values(party_id=pid, kind=kind, value=value))


def add_party(engine: Engine, spec: PartySpec) -> int:
    """Add a party (all of it, or nothing); its id."""
    with write_transaction(engine) as conn:
        return insert_party(conn, spec)


def list_parties(conn: Connection, search: str | None = None) -> list[PartyDetail]:
    """Every party (or those whose name or alias contains ``search``), by name."""
    query = select(Party.id).order_by(Party.name_key, Party.id)
    if search:
        aliased_ids = select(PartyAlias.party_id).where(
            PartyAlias.alias.contains(search, autoescape=True)
        )
        query = query.where(
            or_(Party.name.contains(search, autoescape=True), Party.id.in_(aliased_ids))
        )
    return [_detail(conn, pid) for pid in conn.scalars(query)]


def show_party(conn: Connection, name: str) -> PartyDetail:
    """One party: its names, identifiers and how many transfers name it."""
    return _detail(conn, party_id(conn, name))


def _detail(conn: Connection, pid: int) -> PartyDetail:
    row = conn.execute(
        select(
            Party.name,
            Party.kind,
            Party.country_code,
            Party.notes,
            Manufacturer.name.label("maker"),
        )
        .outerjoin(Manufacturer, Manufacturer.id == Party.manufacturer_id)
        .where(Party.id == pid)
    ).one()
    aliases = list(
        conn.scalars(select(PartyAlias.alias).where(PartyAlias.party_id == pid).order_by("alias"))
    )
    identifiers = [
        (k, v)
        for k, v in conn.execute(
            select(PartyIdentifier.kind, PartyIdentifier.value)
            .where(PartyIdentifier.party_id == pid)
            .order_by(PartyIdentifier.kind, PartyIdentifier.value)
        )
    ]
    transfers = conn.execute(
        select(func.count())
        .select_from(Transfer)
        .where(or_(Transfer.from_party_id == pid, Transfer.to_party_id == pid))
    ).scalar_one()
    return PartyDetail(
        id=pid,
        name=row.name,
        kind=str(row.kind),
        country_code=row.country_code,
        manufacturer=row.maker,
        aliases=aliases,
        identifiers=identifiers,
        transfers=int(transfers),
        notes=row.notes,
    )
