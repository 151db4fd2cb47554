"""The catalogue of a load: what the database already holds, read once per load, and what the
load will create, as entities that checked rows point to.

A weapon system, manufacturer, source or specimen is an ``Entity``: known (its id set) or new in
this load. Weapon systems, manufacturers (with their aliases) and sources are few and read
whole; specimens are many, and fetched by label as the rows that name them come.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from provenance.ingest.conflicts import Place
from provenance.models import (
    Authenticity,
    CountryAlias,
    Manufacturer,
    ManufacturerAlias,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
)
from provenance.values.countries import CountryResolver
from provenance.values.text import NearDuplicates

__all__ = [
    "CHUNK",
    "FINDING_VALUES",
    "SAID",
    "SAID_SEPARATOR",
    "Catalogue",
    "Entity",
    "Finding",
    "chunks",
    "finding_values",
    "said_text",
]

#: How many rows are checked at a time, and how many keys one lookup asks for.
CHUNK = 500


def preferred_spelling(text: str) -> tuple[bool, str]:
    """How spellings of one name (one key) are ranked, whatever the order they come in: mixed
    case before all capitals or all small letters, then the first in code point order."""
    return (text.isupper() or text.islower(), text)


@dataclass(eq=False)  # one entity is equal to itself only (its values may name others)
class Entity:
    """A weapon system, manufacturer, source or specimen: known (id set) or to be created."""

    key: Any
    id: int | None
    values: dict[str, Any]
    created_by: int | None = None  # index of the file whose load creates it
    update: dict[str, Any] = field(default_factory=dict)
    #: The values this load gave (blank in the database before): where each was first given.
    claimed: dict[str, Place] = field(default_factory=dict)
    #: Where the load first named it (an entity new in this load).
    first_place: Place | None = None
    #: A new weapon system: whether a row gave its producer country (or said it is unknown);
    #: how many good rows named it.
    producer_given: bool = True
    rows: int = 0

    def fill(self, column: str, value: Any) -> bool:
        """Give a blank value this one; a stored entity remembers it as an update to write.
        False when the value was not blank."""
        if self.values[column] is not None:
            return False
        self.values[column] = value
        if self.id is not None:
            self.update[column] = value
        return True

    def claim(self, column: str, value: Any, place: Place) -> None:
        """Fill a blank value with what a row of this load gave, remembering where."""
        if self.fill(column, value):
            self.claimed[column] = place

    def respell(self, column: str, written: str) -> None:
        """A new entity's name written another way (same key): keep the preferred spelling, so
        that the stored name does not depend on the order of the rows."""
        if self.created_by is None or written == self.values[column]:
            return
        if preferred_spelling(written) < preferred_spelling(self.values[column]):
            self.values[column] = written
            if self.id is not None:
                self.update[column] = written


#: The component's columns a row gives (the keys of ``Finding.values``).
FINDING_VALUES = (
    "function",
    "part_number",
    "marking",
    "made_in_code",
    "reported_maker_country_code",
    "date_code",
    "manufactured_on",
    "manufactured_precision",
    "quantity",
    "hs_code",
    "hs6",
    "authenticity",
    "notes",
)
#: A finding's values in ``FINDING_VALUES`` order.
finding_values = operator.itemgetter(*FINDING_VALUES)
#: What ``Finding.said`` holds, in order: the component's values, its manufacturer's key, and
#: the source's photo of it.
SAID = (*FINDING_VALUES, "manufacturer", "evidence_url", "source_record_url")
#: Separates the values in ``Finding.said`` (no cleaned text holds it).
SAID_SEPARATOR = "\x1e"


def said_text(
    values: dict[str, Any], maker_key: str, evidence_url: str | None, record_url: str | None
) -> str:
    """What a row says of its component, as one text: each value of ``SAID`` as text, blank
    when not given (an authenticity of unknown is not given)."""
    out = []
    for value in (*finding_values(values), maker_key, evidence_url, record_url):
        if type(value) is str:  # most values: as they are (the cheap test first)
            out.append(value)
        elif value is None or value is Authenticity.UNKNOWN:
            out.append("")
        elif hasattr(value, "isoformat"):
            out.append(value.isoformat())
        else:
            out.append(str(getattr(value, "value", value)))
    return SAID_SEPARATOR.join(out)


@dataclass
class Finding:
    """A checked row: the component it gives, and the entities it points to."""

    specimen: Entity
    manufacturer: Entity | None  # None: the source could not identify it
    source: Entity
    identity: str
    values: dict[str, Any]
    #: The row: (file index in the load, row number, whether it is a JSON record number).
    row: tuple[int, int, bool] = (0, 0, False)
    #: The source's own record of the finding: id, address, photo.
    record: tuple[str | None, str | None, str | None] = (None, None, None)
    #: Everything the row says of the component (``said_text``: two rows that file one component
    #: must agree on it, or fill in each other's blanks) and its digest.
    said: str = ""
    fingerprint: int = 0
    #: On what the source bases its authenticity claim (``authenticity_basis``).
    basis: str | None = None


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` a chunk at a time (a statement takes a bounded number of parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Catalogue:
    """What the database already holds, read once per load, plus what this load will create."""

    def __init__(self, conn: Connection, resolver: CountryResolver) -> None:
        self.conn = conn
        aliases = dict(conn.execute(select(CountryAlias.alias, CountryAlias.country_code)).all())
        self.countries = resolver.with_aliases(aliases) if aliases else resolver
        self.weapons: dict[str, Entity] = {}  # by designation key and alias key
        self.weapon_by_id: dict[int | None, Entity] = {}
        self._read_weapons()
        self.manufacturers: dict[str, Entity] = {}  # by name key and alias key
        self._read_manufacturers()
        self.near = NearDuplicates(self.manufacturers)
        self.sources_by_url: dict[str, Entity] = {}
        self.sources_by_title: dict[tuple[str, str], Entity] = {}
        self._read_sources()
        self.specimens: dict[str, Entity] = {}  # by label key: those the rows so far named
        #: The weapon systems this load creates, in the order they came.
        self.new_weapons: list[Entity] = []

    def _read_weapons(self) -> None:
        for id_, designation, key, producer, category in self.conn.execute(
            select(
                WeaponSystem.id,
                WeaponSystem.designation,
                WeaponSystem.designation_key,
                WeaponSystem.producer_country_code,
                WeaponSystem.category,
            )
        ):
            self.weapons[key] = Entity(
                key,
                id_,
                {"designation": designation, "producer": producer, "category": category},
            )
        self.weapon_by_id = {e.id: e for e in self.weapons.values()}
        for alias_key, ws_id in self.conn.execute(
            select(WeaponSystemAlias.alias_key, WeaponSystemAlias.weapon_system_id)
        ):
            self.weapons.setdefault(alias_key, self.weapon_by_id[ws_id])

    def _read_manufacturers(self) -> None:
        parents: dict[int, int] = {}
        for id_, name, key, country, parent_id in self.conn.execute(
            select(
                Manufacturer.id,
                Manufacturer.name,
                Manufacturer.name_key,
                Manufacturer.country_code,
                Manufacturer.parent_id,
            )
        ):
            self.manufacturers[key] = Entity(
                key, id_, {"name": name, "country_code": country, "parent": None}
            )
            if parent_id is not None:
                parents[id_] = parent_id
        by_id = {e.id: e for e in self.manufacturers.values()}
        for child, parent in parents.items():
            by_id[child].values["parent"] = by_id[parent]
        for alias_key, m_id in self.conn.execute(
            select(ManufacturerAlias.alias_key, ManufacturerAlias.manufacturer_id)
        ):
            self.manufacturers.setdefault(alias_key, by_id[m_id])

    def _read_sources(self) -> None:
        for id_, pub, title, pkey, tkey, url in self.conn.execute(
            select(
                Source.id,
                Source.publisher,
                Source.title,
                Source.publisher_key,
                Source.title_key,
                Source.url,
            )
        ):
            entity = Entity((pkey, tkey), id_, {"publisher": pub, "title": title, "url": url})
            self.sources_by_title[(pkey, tkey)] = entity
            if url:
                self.sources_by_url[url] = entity

    def add_manufacturer(self, key: str, entity: Entity) -> None:
        """Know ``entity`` by ``key`` too (a new manufacturer, or an alias of one)."""
        self.manufacturers[key] = entity
        self.near.add(key)

    def specimen_values(self, keys: Iterable[str]) -> None:
        """Fetch the stored specimens with these keys (all of them would be too many to hold)."""
        wanted = [k for k in set(keys) if k not in self.specimens]
        for chunk in chunks(wanted):
            rows = self.conn.execute(
                select(
                    Specimen.id,
                    Specimen.label,
                    Specimen.label_key,
                    Specimen.weapon_system_id,
                    Specimen.recovered_on,
                    Specimen.recovered_at,
                    Specimen.recovered_by,
                    Specimen.identification_confidence,
                ).where(Specimen.label_key.in_(chunk))
            )
            for id_, label, key, ws_id, on, at, by, conf in rows:
                self.specimens[key] = Entity(
                    key,
                    id_,
                    {
                        "label": label,
                        "weapon": self.weapon_by_id[ws_id],
                        "recovered_on": on,
                        "recovered_at": at,
                        "recovered_by": by,
                        "identification_confidence": conf,
                    },
                )
