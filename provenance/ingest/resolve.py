"""What a row's names stand for: its weapon system, manufacturer (and parents), source and
specimen, found in the load's catalogue or new, and checked against what is recorded of them.

A row that names a known entity may fill in what is blank about it (a headquarters country, a
parent, a source's URL, a specimen's recovery). One that contradicts the database is bad; one that
contradicts another row of this load is a *conflict* (:mod:`provenance.ingest.conflicts`): both
are reported and neither value is kept, whatever the order of the rows. Nothing a row changes in
the catalogue is changed until the row is checked: the changes wait in its ``Pending`` list. A
row that is bad for any other reason than a conflict leaves no trace; a row in conflict still
gives its other values, so that what a load finds does not depend on the order of its rows.

Two things are not errors: a row that names a manufacturer whose headquarters is recorded and
reports another country for it (the part keeps the country as reported; the load warns, naming
both), and a manufacturer not identified (no manufacturer at all, never a company).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from provenance.ingest.catalogue import Catalogue, Entity
from provenance.ingest.conflicts import Conflicts, Place
from provenance.ingest.fields import Bad, key, shorten
from provenance.ingest.options import LoadOptions
from provenance.ingest.summary import FileLoad
from provenance.models import Confidence, Reliability
from provenance.values.text import manufacturer_key, split_parents

__all__ = ["Cells", "Pending", "Resolver", "Teller"]

#: A row's values in our columns, cleaned (None when blank).
Cells = dict[str, str | None]
#: Changes to the catalogue that a row makes (a new entity, a country filled in); made once the
#: row is checked, so that a rejected row leaves no trace.
Pending = list[Callable[[], object]]  # applied once the row is checked; results unused

#: What the values rows give are called in messages.
_ATTRIBUTES = {
    "country_code": "headquarters country",
    "producer": "producer country",
    "parent": "parent company",
    "url": "URL",
    "published_on": "publication date",
    "weapon": "weapon system",
    "recovered_on": "recovery date",
    "recovered_at": "place of recovery",
    "recovered_by": "recovering organisation",
    "identification_confidence": "identification confidence",
}
#: How many rows a warning about one manufacturer's reported country names.
_PLACES_SHOWN = 3


#: A new weapon system's values a row gives, and their columns.
_WEAPON_COLUMNS = {"producer": "weapon_producer_country", "category": "weapon_category"}
#: A new source's values a row gives, and their columns.
_SOURCE_COLUMNS = {
    "url": "source_url",
    "published_on": "source_published_on",
    "reliability": "source_reliability",
}


@dataclass
class Teller:
    """What tells of a row's problems: ``bad`` for errors, ``conflict`` for contradictions of
    another row of the load (the row is rejected either way)."""

    tell: Bad
    bad_count: int = 0
    conflict_count: int = 0

    def bad(self, column: str, message: str) -> None:
        self.bad_count += 1
        self.tell(column, message)

    def conflict(self, column: str, message: str) -> None:
        self.conflict_count += 1
        self.tell(column, message)


@dataclass
class ReportedCountries:
    """Rows that report another country for a manufacturer than its recorded headquarters."""

    #: (manufacturer name, recorded code, reported code) -> rows, first places
    seen: dict[tuple[str, str, str], tuple[int, list[Place]]] = field(default_factory=dict)

    def add(self, name: str, recorded: str, reported: str, place: Place) -> None:
        count, places = self.seen.get((name, recorded, reported), (0, []))
        if len(places) < _PLACES_SHOWN:
            places = [*places, place]
        self.seen[(name, recorded, reported)] = (count + 1, places)


class Resolver:
    """Finds the entities a file's rows name in the catalogue, or makes them."""

    def __init__(
        self, cat: Catalogue, options: LoadOptions, file: FileLoad, conflicts: Conflicts
    ) -> None:
        self.cat = cat
        self.options = options
        self.file = file
        self.conflicts = conflicts
        self.reported = ReportedCountries()

    def _name(self, code: str) -> str:
        return self.cat.countries.country(code).display_name

    def _new(
        self,
        key: Any,
        values: dict[str, Any],
        place: Place,
        refusals: tuple[str, Mapping[str, str], Teller] | None = None,
    ) -> Entity:
        """A record new in this load, as its first row gives it. ``refusals``: (kind, attribute
        -> column, tell): a value the row gives that an earlier run of the load found in
        conflict is refused here too (the first row of a conflict is rejected like the rest,
        whatever the order)."""
        entity = Entity(key, None, values, created_by=self.file.index, first_place=place)
        entity.claimed = {c: place for c, v in values.items() if v is not None}
        if refusals is not None:
            kind, columns, tell = refusals
            for attribute, column in columns.items():
                refused = self.conflicts.refused((kind, key, attribute))
                if values.get(attribute) is not None and refused is not None:
                    tell.bad(column, refused)
        return entity

    def _give(
        self,
        entity: Entity,
        what: tuple[str, str, str],
        value: Any,
        shown: Callable[[Any], str],
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> bool | None:
        """Whether the row may give ``value`` for one of ``entity``'s values: True when it
        agrees or fills a blank, False when it contradicts this load (a conflict, told), None
        when it contradicts the database (the caller says what that means).

        ``what``: (kind of entity, the value's name in ``entity.values``, the column, ours).
        """
        if value is None:
            return True
        kind, attribute, column = what
        conflict_key = (kind, entity.key, attribute)
        refused = self.conflicts.refused(conflict_key)
        if refused is not None:
            tell.bad(column, refused)
            return False
        current = entity.values[attribute]
        if current is None:
            pending.append(lambda: entity.claim(attribute, value, place))
            return True
        if current is value or current == value:
            return True
        first = entity.claimed.get(attribute)
        if first is None:
            return None
        named = _ATTRIBUTES.get(attribute, attribute.replace("_", " "))
        subject = f"the {named} of {kind} {_label(entity)}"
        message = self.conflicts.disagree(
            conflict_key, subject, column, (shown(current), first), (shown(value), place)
        )
        tell.conflict(column, message)
        return False

    # Weapon systems ------------------------------------------------------------------------

    def weapon(
        self,
        v: Cells,
        producer: str | None,
        producer_said: bool,
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> Entity | None:
        """The row's weapon system. One not yet in the database needs a producer country from
        one of the load's rows, or a row that says it is unknown (checked when the load ends:
        :meth:`missing_producers`)."""
        designation = v["weapon_system"]
        assert designation is not None
        weapon_key = key(designation)
        refused = self.conflicts.refused(("weapon", weapon_key, "exists"))
        if refused is not None:  # the row is rejected; what else is wrong with it is told too
            tell.bad("weapon_producer_country", refused)
        entity = self.cat.weapons.get(weapon_key)
        category = v.get("weapon_category")
        given = producer is not None or producer_said
        if entity is None:
            entity = self._new(
                weapon_key,
                {"designation": designation, "producer": producer, "category": category},
                place,
                ("weapon system", _WEAPON_COLUMNS, tell),
            )
            entity.producer_given = given
            new = entity

            def register() -> None:
                self.cat.weapons[weapon_key] = new
                self.cat.new_weapons.append(new)
                new.rows += 1

            pending.append(register)
            return entity
        found = entity
        pending.append(lambda: found.respell("designation", designation))
        if given and not entity.producer_given:
            pending.append(lambda: setattr(found, "producer_given", True))
        if entity.created_by is not None:
            pending.append(lambda: setattr(found, "rows", found.rows + 1))
        what = ("weapon system", "producer", "weapon_producer_country")
        if self._give(entity, what, producer, self._name, tell, pending, place) is None:
            tell.bad(
                "weapon_producer_country",
                f"{entity.values['designation']} is recorded as produced by "
                f"{self._name(entity.values['producer'])}",
            )
        # A category the database holds stands; rows of one load must agree on a new one.
        self._give(
            entity,
            ("weapon system", "category", "weapon_category"),
            category,
            str,
            tell,
            pending,
            place,
        )
        return entity

    def missing_producers(self) -> list[Entity]:
        """The weapon systems this load would create without a producer country."""
        return [w for w in self.cat.new_weapons if not w.producer_given]

    # Manufacturers -------------------------------------------------------------------------

    def manufacturer(
        self,
        v: Cells,
        hq: str | None,
        parent_hq: str | None,
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> Entity | None:
        """The row's manufacturer, with the chain of parents the row names (if any); None when
        the source could not identify it (or when the row is bad: ``tell`` says so)."""
        name = v["manufacturer"]
        parent_names = split_parents(
            v.get("manufacturer_parent"), self.options.mapping.parent_separators
        )
        if name is None:
            if parent_names:
                tell.bad("manufacturer_parent", "a parent of a manufacturer not identified")
            elif parent_hq is not None:
                tell.bad("manufacturer_parent_country", "given without a manufacturer_parent")
            return None
        row_new: dict[str, Entity] = {}
        entity = self._maker(
            name, hq, "manufacturer", "manufacturer_country", tell, pending, row_new, place
        )
        if not parent_names:
            if parent_hq is not None:
                tell.bad("manufacturer_parent_country", "given without a manufacturer_parent")
            return entity
        child = entity
        for depth, parent_name in enumerate(parent_names):
            parent = self._maker(
                parent_name,
                parent_hq if depth == 0 else None,
                "manufacturer_parent",
                "manufacturer_parent_country",
                tell,
                pending,
                row_new,
                place,
            )
            if child is None or parent is None:
                return None
            if not self._link_parent(child, parent, tell, pending, place):
                return None
            child = parent
        return entity

    def _link_parent(
        self, entity: Entity, parent: Entity, tell: Teller, pending: Pending, place: Place
    ) -> bool:
        """Whether ``parent`` can be (or already is) the parent of ``entity``."""
        ancestor: Entity | None = parent
        while ancestor is not None:
            if ancestor is entity:
                tell.bad(
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
        given = self._give(
            entity,
            ("manufacturer", "parent", "manufacturer_parent"),
            parent,
            _label,
            tell,
            pending,
            place,
        )
        if given is None:
            tell.bad(
                "manufacturer_parent",
                f"{entity.values['name']} is recorded with the parent "
                f"{entity.values['parent'].values['name']}",
            )
            return False
        return given

    def _maker(
        self,
        name: str,
        hq: str | None,
        column: str,
        country_column: str,
        tell: Teller,
        pending: Pending,
        row_new: dict[str, Entity],
        place: Place,
    ) -> Entity | None:
        """The manufacturer called ``name``: known (by name or alias), or new."""
        maker_key = manufacturer_key(name)
        written_key = maker_key
        canonical = self.options.mapping.manufacturer_aliases.get(maker_key)
        if canonical is not None:
            name, maker_key = canonical, manufacturer_key(canonical)
        refused = self.conflicts.refused(("manufacturer", maker_key, "near"))
        if refused is not None:  # the row is rejected; what else is wrong with it is told too
            tell.bad(column, refused)
        entity = row_new.get(maker_key) or self.cat.manufacturers.get(maker_key)
        if entity is None and refused is not None:
            entity = self._new(
                maker_key,
                {"name": name, "country_code": hq, "parent": None},
                place,
                ("manufacturer", {"country_code": country_column}, tell),
            )
        if entity is None:
            columns = (column, country_column)
            entity = self._new_maker(name, maker_key, hq, columns, tell, pending, place)
            if entity is None:
                return None
            row_new[maker_key] = entity
        else:
            found = entity
            pending.append(lambda: found.respell("name", name))
            self._headquarters(entity, hq, country_column, tell, pending, place)
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
        self,
        name: str,
        maker_key: str,
        hq: str | None,
        columns: tuple[str, str],
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> Entity | None:
        """A manufacturer not yet known (``columns``: those of its name and its country). A
        name close to one in the database is a probable
        duplicate, bad unless the load accepts new manufacturers; a name close to another new
        in this load is a conflict between the rows that name them (which of the two came
        first does not decide which is the duplicate)."""
        column, country_column = columns
        near = self.cat.near.closest(maker_key)
        new = self._new(
            maker_key,
            {"name": name, "country_code": hq, "parent": None},
            place,
            ("manufacturer", {"country_code": country_column}, tell),
        )
        if near is not None:
            other = self.cat.manufacturers[near[0]]
            where = "new in this load" if other.id is None else "in the database"
            described = f"{other.values['name']!r} ({where})"
            if not self.options.new_manufacturers:
                advice = (
                    f'if it is the same company, add "{name}: {other.values["name"]}" under '
                    "manufacturer_aliases in a mapping (--mapping); if it is another company, "
                    "load with --new-manufacturers"
                )
                if other.created_by is None:
                    tell.bad(
                        column,
                        f"a new manufacturer close to {described}, similarity {near[1]:.0f}%: "
                        + advice,
                    )
                    return None
                message = self.conflicts.disagree(
                    ("manufacturer", maker_key, "near"),
                    f"two new manufacturers that are probably one company (similarity "
                    f"{near[1]:.0f}%; {advice})",
                    column,
                    (repr(other.values["name"]), other.first_place or place),
                    (repr(name), place),
                    also=[("manufacturer", other.key, "near")],
                )
                tell.conflict(column, message)
            else:
                note = f"created the manufacturer {name!r}, although it is close to {described}"
                pending.append(lambda: self.file.summary.warnings.append(note))
        pending.append(lambda: self.cat.add_manufacturer(maker_key, new))
        return new

    def _headquarters(
        self,
        entity: Entity,
        hq: str | None,
        country_column: str,
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> None:
        """A known manufacturer's headquarters, as the row reports it: a blank one is filled;
        one that the database holds and the row contradicts stays, and the load warns (the
        part keeps the country as reported)."""
        what = ("manufacturer", "country_code", country_column)
        if self._give(entity, what, hq, self._name, tell, pending, place) is None:
            assert hq is not None
            stored, name = entity.values["country_code"], entity.values["name"]
            pending.append(lambda: self.reported.add(name, stored, hq, place))

    def reported_warnings(self) -> list[str]:
        """The warnings about manufacturers reported in another country than recorded."""
        out = []
        for (name, recorded, reported), (count, places) in sorted(self.reported.seen.items()):
            where = ", ".join(map(str, places)) + (", ..." if count > len(places) else "")
            out.append(
                f"{count} row{'s' if count != 1 else ''} report {self._name(reported)} for "
                f"{name}, recorded with headquarters in {self._name(recorded)} ({where}): the "
                f"parts keep {self._name(reported)} as reported; reports on the manufacturer "
                f"basis use the recorded headquarters, {self._name(recorded)}"
            )
        return out

    # Sources -------------------------------------------------------------------------------

    def source(
        self,
        v: Cells,
        url: str | None,
        published: tuple[dt.date, Any] | None,
        reliability: Reliability | None,
        tell: Teller,
        pending: Pending,
        place: Place,
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
            tell.bad(
                "source_url", "this URL belongs to another source than the publisher and title"
            )
            return None
        entity = by_url or by_title
        if entity is None:
            entity = self._new(
                source_key,
                {
                    "publisher": publisher,
                    "title": title,
                    "url": url,
                    "published_on": published,
                    "reliability": reliability,
                },
                place,
                ("source", _SOURCE_COLUMNS, tell),
            )
            new = entity

            def register() -> None:
                self.cat.sources_by_title[source_key] = new
                if url:
                    self.cat.sources_by_url[url] = new

            pending.append(register)
            return entity
        found = entity
        pending.append(lambda: found.respell("publisher", publisher))
        pending.append(lambda: found.respell("title", title))
        given = self._give(entity, ("source", "url", "source_url"), url, str, tell, pending, place)
        if given is None:
            tell.bad("source_url", f"this source is recorded with the URL {entity.values['url']}")
            return None
        if given and url is not None and entity.values["url"] is None:
            # Known by its URL from now on, or the next row citing the source by its URL alone
            # would create a second source.
            pending.append(lambda: self.cat.sources_by_url.setdefault(url, found))
        # What the database holds of a source's date and reliability stands; rows of one load
        # must agree on what they give.
        for attribute, value, column in (
            ("published_on", published, "source_published_on"),
            ("reliability", reliability, "source_reliability"),
        ):
            if attribute in entity.values:
                self._give(
                    entity, ("source", attribute, column), value, _shown, tell, pending, place
                )
        return entity

    # Specimens -----------------------------------------------------------------------------

    def specimen(
        self,
        v: Cells,
        weapon: Entity,
        recovered_on: dt.date | None,
        confidence: Confidence | None,
        tell: Teller,
        pending: Pending,
        place: Place,
    ) -> Entity | None:
        """The row's specimen, of the row's weapon system; what the row tells of its recovery
        must agree with what is recorded, and with the other rows of the load."""
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
            columns = {"weapon": "weapon_system", **{c: c for c in given}}
            entity = self._new(
                specimen_key,
                {"label": label, "weapon": weapon, **given},
                place,
                ("specimen", columns, tell),
            )
            new = entity
            pending.append(lambda: self.cat.specimens.__setitem__(specimen_key, new))
            return entity
        found = entity
        pending.append(lambda: found.respell("label", label))
        what = ("specimen", "weapon", "weapon_system")
        if self._give(entity, what, weapon, _label, tell, pending, place) is None:
            tell.bad(
                "weapon_system",
                f"specimen {entity.values['label']} is recorded as a "
                f"{entity.values['weapon'].values['designation']}",
            )
            return None
        for column, value in given.items():
            what = ("specimen", column, column)
            if self._give(entity, what, value, _shown, tell, pending, place) is None:
                shown = shorten(str(entity.values[column]))
                tell.bad(column, f"specimen {entity.values['label']} is recorded with {shown}")
        return entity


def _label(entity: Hashable) -> str:
    """An entity as messages name it."""
    if not isinstance(entity, Entity):
        return str(entity)
    values = entity.values
    for column in ("name", "designation", "label", "title"):
        if column in values:
            return str(values[column])
    return str(entity.key)


def _shown(value: Any) -> str:
    if isinstance(value, tuple):  # a partial date: (first day, precision)
        return str(value[0]) if value else ""
    if hasattr(value, "value"):  # an enum
        return str(value.value)
    return shorten(str(value))
