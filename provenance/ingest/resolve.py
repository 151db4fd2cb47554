"""What a row's names stand for: its weapon system, manufacturer (and parent), source and
specimen, found in the load's catalogue or new, and checked against what is recorded of them.

A row that names a known entity may fill in what is blank about it (a headquarters country, a
parent, a source's URL, a specimen's recovery); one that contradicts it is bad. Nothing a row
changes in the catalogue is changed until the whole row is good: the changes wait in its
``Pending`` list, so that a rejected row leaves no trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from provenance.ingest.catalogue import Catalogue, Entity
from provenance.ingest.fields import Bad, key, shorten
from provenance.ingest.options import LoadOptions
from provenance.ingest.summary import FileLoad
from provenance.models import Confidence, Reliability
from provenance.values.text import manufacturer_key

__all__ = ["Cells", "Pending", "Resolver"]

#: A row's values in our columns, cleaned (None when blank).
Cells = dict[str, str | None]
#: Changes to the catalogue that a row makes (a new entity, a country filled in); made only
#: once the whole row is good, so that a rejected row leaves no trace.
Pending = list[Callable[[], object]]  # applied once the whole row is good; results unused


class Resolver:
    """Finds the entities a file's rows name in the catalogue, or makes them."""

    def __init__(self, cat: Catalogue, options: LoadOptions, file: FileLoad) -> None:
        self.cat = cat
        self.options = options
        self.file = file

    def _new(self, key: Any, values: dict[str, Any]) -> Entity:
        return Entity(key, None, values, created_by=self.file.index)

    def weapon(self, v: Cells, producer: str | None, bad: Bad, pending: Pending) -> Entity | None:
        """The row's weapon system; one not yet in the database needs its producer country."""
        designation = v["weapon_system"]
        assert designation is not None
        weapon_key = key(designation)
        entity = self.cat.weapons.get(weapon_key)
        if entity is None:
            if producer is None:
                bad(
                    "weapon_producer_country",
                    f"required for a weapon system not yet in the database ({designation})",
                )
                return None
            entity = self._new(
                weapon_key,
                {
                    "designation": designation,
                    "producer": producer,
                    "category": v.get("weapon_category"),
                },
            )
            new = entity
            pending.append(lambda: self.cat.weapons.__setitem__(weapon_key, new))
        elif producer is not None and producer != entity.values["producer"]:
            bad(
                "weapon_producer_country",
                f"{entity.values['designation']} is recorded as produced by "
                f"{self.cat.countries.country(entity.values['producer']).display_name}",
            )
            return None
        return entity

    def manufacturer(
        self,
        v: Cells,
        hq: str | None,
        parent_hq: str | None,
        bad: Bad,
        pending: Pending,
    ) -> Entity | None:
        """The row's manufacturer, given the parent the row names (if any)."""
        name = v["manufacturer"]
        assert name is not None
        row_new: dict[str, Entity] = {}
        entity = self._maker(
            name, hq, "manufacturer", "manufacturer_country", bad, pending, row_new
        )
        parent_name = v.get("manufacturer_parent")
        if entity is None or parent_name is None:
            if parent_hq is not None and parent_name is None:
                bad("manufacturer_parent_country", "given without a manufacturer_parent")
                return None
            return entity
        parent = self._maker(
            parent_name,
            parent_hq,
            "manufacturer_parent",
            "manufacturer_parent_country",
            bad,
            pending,
            row_new,
        )
        if parent is None or not self._link_parent(entity, parent, bad, pending):
            return None
        return entity

    def _link_parent(self, entity: Entity, parent: Entity, bad: Bad, pending: Pending) -> bool:
        """Whether ``parent`` can be (or already is) the parent of ``entity``."""
        current = entity.values["parent"]
        if current is parent:
            return True
        if current is not None:
            bad(
                "manufacturer_parent",
                f"{entity.values['name']} is recorded with the parent {current.values['name']}",
            )
            return False
        ancestor: Entity | None = parent
        while ancestor is not None:
            if ancestor is entity:
                bad(
                    "manufacturer_parent",
                    f"{parent.values['name']} cannot be the parent of {entity.values['name']}: "
                    + (
                        "a manufacturer cannot be its own parent"
                        if parent is entity
                        else f"{entity.values['name']} is already above it"
                    ),
                )
                return False
            ancestor = ancestor.values["parent"]
        child = entity
        pending.append(lambda: child.fill("parent", parent))
        return True

    def _maker(
        self,
        name: str,
        hq: str | None,
        column: str,
        country_column: str,
        bad: Bad,
        pending: Pending,
        row_new: dict[str, Entity],
    ) -> Entity | None:
        """The manufacturer called ``name``: known (by name or alias), or new."""
        maker_key = manufacturer_key(name)
        written_key = maker_key
        canonical = self.options.mapping.manufacturer_aliases.get(maker_key)
        if canonical is not None:
            name, maker_key = canonical, manufacturer_key(canonical)
        entity = row_new.get(maker_key) or self.cat.manufacturers.get(maker_key)
        if entity is None:
            entity = self._new_maker(name, maker_key, hq, column, bad, pending)
            if entity is None:
                return None
            row_new[maker_key] = entity
        elif hq is not None and not self._headquarters(entity, hq, country_column, bad, pending):
            return None
        if canonical is not None and written_key not in self.cat.manufacturers:
            alias = self.options.mapping.manufacturer_alias_names[written_key]
            target = entity

            def remember() -> None:
                if written_key not in self.cat.manufacturers:
                    self.cat.add_manufacturer(written_key, target)
                    self.file.new_aliases.append((alias, written_key, target))

            pending.append(remember)
        return entity

    def _new_maker(
        self, name: str, maker_key: str, hq: str | None, column: str, bad: Bad, pending: Pending
    ) -> Entity | None:
        """A manufacturer not yet known; a name close to a known one is a probable duplicate,
        bad unless the load accepts new manufacturers."""
        near = self.cat.near.closest(maker_key)
        if near is not None:
            other = self.cat.manufacturers[near[0]]
            where = "new in this load" if other.id is None else "in the database"
            described = f"{other.values['name']!r} ({where})"
            if not self.options.new_manufacturers:
                bad(
                    column,
                    f"a new manufacturer close to {described}, similarity {near[1]:.0f}%: "
                    f'if it is the same company, add "{name}: {other.values["name"]}" under '
                    "manufacturer_aliases in a mapping (--mapping); if it is another "
                    "company, load with --new-manufacturers",
                )
                return None
            note = f"created the manufacturer {name!r}, although it is close to {described}"
            pending.append(lambda: self.file.summary.warnings.append(note))
        new = self._new(maker_key, {"name": name, "country_code": hq, "parent": None})
        pending.append(lambda: self.cat.add_manufacturer(maker_key, new))
        return new

    def _headquarters(
        self, entity: Entity, hq: str, country_column: str, bad: Bad, pending: Pending
    ) -> bool:
        """Whether a known manufacturer can have its headquarters in ``hq``."""
        stored = entity.values["country_code"]
        if stored is None:
            found = entity
            pending.append(lambda: found.fill("country_code", hq))
        elif hq != stored:
            bad(
                country_column,
                f"{entity.values['name']} is recorded with headquarters in "
                f"{self.cat.countries.country(stored).display_name}",
            )
            return False
        return True

    def source(
        self,
        v: Cells,
        url: str | None,
        published: tuple[dt.date, Any] | None,
        reliability: Reliability | None,
        bad: Bad,
        pending: Pending,
    ) -> Entity | None:
        """The row's source: by its URL, or by its publisher and title."""
        publisher, title = v.get("source_publisher"), v.get("source_title")
        if publisher is None or title is None:
            assert url is not None
            host = urlsplit(url).netloc
            publisher, title = publisher or host, title or url
        source_key = (key(publisher), key(title))
        by_url = self.cat.sources_by_url.get(url) if url else None
        by_title = self.cat.sources_by_title.get(source_key)
        if by_url is not None and by_title is not None and by_url is not by_title:
            bad("source_url", "this URL belongs to another source than the publisher and title")
            return None
        entity = by_url or by_title
        if entity is None:
            entity = self._new(
                source_key,
                {
                    "publisher": publisher,
                    "title": title,
                    "url": url,
                    "published_on": published[0] if published else None,
                    "published_precision": published[1] if published else None,
                    "reliability": reliability,
                },
            )
            new = entity

            def register() -> None:
                self.cat.sources_by_title[source_key] = new
                if url:
                    self.cat.sources_by_url[url] = new

            pending.append(register)
        elif url is not None and entity.values["url"] not in (None, url):
            bad("source_url", f"this source is recorded with the URL {entity.values['url']}")
            return None
        elif url is not None and entity.values["url"] is None:
            # A known source without its URL: keep the URL, or the next row citing the source by
            # its URL alone would create a second source.
            found = entity

            def keep_url() -> None:
                if found.fill("url", url):
                    self.cat.sources_by_url[url] = found

            pending.append(keep_url)
        return entity

    def specimen(
        self,
        v: Cells,
        weapon: Entity,
        recovered_on: dt.date | None,
        confidence: Confidence | None,
        bad: Bad,
        pending: Pending,
    ) -> Entity | None:
        """The row's specimen, of the row's weapon system; what the row tells of its recovery
        must agree with what is recorded."""
        label = v["specimen"]
        assert label is not None
        specimen_key = key(label)
        given = {
            "recovered_on": recovered_on,
            "recovered_at": v.get("recovered_at"),
            "recovered_by": v.get("recovered_by"),
            "identification_confidence": confidence,
        }
        entity = self.cat.specimens.get(specimen_key)
        if entity is None:
            entity = self._new(specimen_key, {"label": label, "weapon": weapon, **given})
            new = entity
            pending.append(lambda: self.cat.specimens.__setitem__(specimen_key, new))
            return entity
        if entity.values["weapon"] is not weapon:
            bad(
                "weapon_system",
                f"specimen {entity.values['label']} is recorded as a "
                f"{entity.values['weapon'].values['designation']}",
            )
            return None
        fills: dict[str, Any] = {}
        for column, value in given.items():
            stored = entity.values[column]
            if value is not None and stored is not None and value != stored:
                shown = shorten(str(stored))
                bad(column, f"specimen {entity.values['label']} is recorded with {shown}")
                return None
            if value is not None and stored is None:
                fills[column] = value
        if fills:
            found = entity

            def fill() -> None:
                for column, value in fills.items():
                    found.fill(column, value)

            pending.append(fill)
        return entity
