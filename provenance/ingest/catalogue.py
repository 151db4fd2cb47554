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

from provenance.models import (
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

__all__ = ["CHUNK", "FINDING_VALUES", "Catalogue", "Entity", "Finding", "chunks", "finding_values"]

#: How many rows are checked at a time, and how many keys one lookup asks for.
CHUNK = 500


@dataclass
class Entity:
    """A weapon system, manufacturer, source or specimen: known (id set) or to be created."""

    key: Any
    id: int | None
    values: dict[str, Any]
    created_by: int | None = None  # index of the file whose load creates it
    update: dict[str, Any] = field(default_factory=dict)

    def fill(self, column: str, value: Any) -> bool:
        """Give a blank value this one; a stored entity remembers it as an update to write.
        False when the value was not blank."""
        if self.values[column] is not None:
            return False
        self.values[column] = value
        if self.id is not None:
            self.update[column] = value
        return True


#: The component's columns a row gives (the keys of ``Finding.values``).
FINDING_VALUES = (
    "function",
    "part_number",
    "marking",
    "made_in_code",
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


@dataclass
class Finding:
    """A checked row: the component it gives, and the entities it points to."""

    specimen: Entity
    manufacturer: Entity
    source: Entity
    identity: str
    values: dict[str, Any]


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

    def _read_weapons(self) -> None:
        for id_, designation, key, producer in self.conn.execute(
            select(
                WeaponSystem.id,
                WeaponSystem.designation,
                WeaponSystem.designation_key,
                WeaponSystem.producer_country_code,
            )
        ):
            self.weapons[key] = Entity(key, id_, {"designation": designation, "producer": producer})
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
