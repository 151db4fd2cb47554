"""Reference files in rows: weapon systems, manufacturers or sources, one per row, loaded with a
mapping whose ``kind`` says which (``provenance load --mapping adwo-drones drones.csv``).

Such a file *declares* what findings then name: a weapon system's designation, aliases (the
file's own id among them), category, producer country and users; a manufacturer's name, country,
chain of parent companies and aliases; a source's publisher, title, address, date and
reliability. The file is read with the readers and mappings findings use; each row is checked
(the file, row and column of every problem), then the rows are checked against each other and
against the database, and only then written: all of it, or nothing.

Rows that name one thing (the same designation, the same manufacturer key) are one declaration:
what one leaves blank another may give, and two that give different values are an error naming
both rows, whatever their order. A value the database holds stands; a blank one is filled in; a
different one is an error. Manufacturers a file declares are distinct companies by declaration:
no probable-duplicate check applies among them. A value that means unknown (``UNK``) is no
value: a weapon system whose producer is unknown loads with none (its parts are then neither
foreign nor domestic).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update

from provenance import __version__
from provenance.db import write_transaction
from provenance.errors import InvalidDataError, RowError
from provenance.ingest.catalogue import preferred_spelling
from provenance.ingest.check import Input
from provenance.ingest.columns import REQUIRED_OF, Kind
from provenance.ingest.conflicts import Place
from provenance.ingest.fields import clean, enum_value, key, parse_period_cell, parse_url, shorten
from provenance.ingest.mapping import ITEM_SEPARATOR, ColumnMapping
from provenance.ingest.options import LoadOptions
from provenance.ingest.readers import STDIN_NAME, inspect_file, read_tables
from provenance.ingest.summary import LoadSummary
from provenance.models import (
    AliasKind,
    CountryAlias,
    LoadBatch,
    Manufacturer,
    ManufacturerAlias,
    Reliability,
    Source,
    WeaponSystem,
    WeaponSystemAlias,
    WeaponSystemUser,
)
from provenance.values.countries import CountryResolver
from provenance.values.text import (
    fold_mixed_script,
    manufacturer_key,
    mixed_script,
    split_parents,
)

__all__ = ["load_reference_rows"]

#: How many errors a reference load reports (the rest are counted).
_MAX_ERRORS = 50

_T = TypeVar("_T")
#: Values that name the thing (its key is the same however they are written): of several
#: spellings the preferred one is kept, whatever the order of the rows.
_SPELLED = frozenset({"designation", "name", "publisher", "title"})


@dataclass
class _Declared:
    """One thing the file declares: its values (None: not given), lists, and where each value
    was first given."""

    kind: str
    key: Any
    values: dict[str, Any]
    lists: dict[str, list[str]]
    places: dict[str, Place] = field(default_factory=dict)
    first: Place | None = None


class _Rows:
    """The rows of one file, checked one by one and put together by what they declare."""

    def __init__(
        self, mapping: ColumnMapping, countries: CountryResolver, file: str, errors: list[RowError]
    ) -> None:
        self.mapping = mapping
        self.countries = countries
        self.file = file
        self.errors = errors
        self.total_errors = 0
        self.declared: dict[Any, _Declared] = {}
        self.warnings: list[str] = []
        self.folded: dict[tuple[str, str], int] = {}

    def error(self, place: Place, column: str, value: str, message: str) -> None:
        self.total_errors += 1
        if len(self.errors) < _MAX_ERRORS:
            self.errors.append(
                RowError(place.file, place.row, column, shorten(value), message, place.row_kind)
            )

    # Values -------------------------------------------------------------------------------

    def _country(self, text: str | None, place: Place, column: str) -> str | None:
        if text is None:
            return None
        code = self.countries.lookup(text)
        if code is None:
            close = self.countries.suggest(text)
            hint = f"; closest: {', '.join(close)}" if close else ""
            self.error(place, column, text, f"unknown country{hint}")
        return code

    def _items(self, text: str | None) -> list[str]:
        return [i for i in (text or "").split(ITEM_SEPARATOR) if i]

    def _name(self, text: str, place: Place, column: str) -> str | None:
        """A company's name, its look-alike letters of another alphabet folded (or None and an
        error when they cannot be)."""
        folded = fold_mixed_script(text)
        if folded is None:
            problem = mixed_script(text)
            if problem is not None:
                self.error(place, column, text, f"{problem}: a look-alike letter? retype it")
                return None
            return text
        self.folded[(text, folded.text)] = self.folded.get((text, folded.text), 0) + 1
        return folded.text

    # Putting rows together ---------------------------------------------------------------

    def declare(
        self,
        kind: str,
        entity_key: Any,
        values: dict[str, Any],
        lists: dict[str, list[str]],
        place: Place,
        shown: Callable[[str, Any], str],
    ) -> None:
        """Put a row's declaration with the others of the same thing; two rows that give one
        value differently are both errors."""
        found = self.declared.get(entity_key)
        if found is None:
            self.declared[entity_key] = _Declared(
                kind,
                entity_key,
                dict(values),
                {k: list(v) for k, v in lists.items()},
                {k: place for k, v in values.items() if v is not None},
                place,
            )
            return
        for column, value in values.items():
            if value is None:
                continue
            current = found.values.get(column)
            if column in _SPELLED:  # one key, written several ways: the preferred spelling
                if current is None or preferred_spelling(value) < preferred_spelling(current):
                    found.values[column] = value
                continue
            if current is None:
                found.values[column] = value
                found.places[column] = place
            elif current != value:
                first = found.places[column]
                message = (
                    f"rows disagree about {kind} {shown('', found.values)}: {first} gives "
                    f"{shown(column, current)}, {place} gives {shown(column, value)}"
                )
                self.error(first, column, str(current), message)
                self.error(place, column, str(value), message)
        for column, items in lists.items():
            known = found.lists.setdefault(column, [])
            known += [i for i in items if i not in known]


# Weapon systems, manufacturers and sources: one row each --------------------------------------


def _weapon_row(rows: _Rows, v: dict[str, str | None], place: Place) -> None:
    designation = v.get("designation")
    if designation is None:
        return
    producer = rows._country(v.get("producer_country"), place, "producer_country")
    users = [
        c
        for c in (rows._country(u, place, "users") for u in rows._items(v.get("users")))
        if c is not None
    ]
    aliases = [a for a in rows._items(v.get("aliases")) if key(a) != key(designation)]
    rows.declare(
        "weapon system",
        key(designation),
        {
            "designation": designation,
            "producer": producer,
            "category": v.get("category"),
            "description": v.get("description"),
        },
        {"aliases": aliases, "users": users},
        place,
        lambda column, value: str(value.get("designation")) if column == "" else str(value),
    )


def _maker_row(rows: _Rows, v: dict[str, str | None], place: Place) -> None:
    written = v.get("name")
    if written is None:
        return
    name = rows._name(written, place, "name")
    if name is None:
        return
    country = rows._country(v.get("country"), place, "country")
    parent_country = rows._country(v.get("parent_country"), place, "parent_country")
    parents = [
        p
        for p in (
            rows._name(n, place, "parent")
            for n in split_parents(v.get("parent"), rows.mapping.parent_separators)
        )
        if p is not None
    ]
    if parent_country is not None and not parents:
        rows.error(place, "parent_country", parent_country, "given without a parent")
    aliases = []
    for alias in rows._items(v.get("aliases")):
        folded = rows._name(alias, place, "aliases")
        if folded is not None and manufacturer_key(folded) != manufacturer_key(name):
            aliases.append(folded)
    chain = [name, *parents]
    for depth, company in enumerate(chain):
        rows.declare(
            "manufacturer",
            manufacturer_key(company),
            {
                "name": company,
                "country_code": country if depth == 0 else parent_country if depth == 1 else None,
                "parent": manufacturer_key(chain[depth + 1]) if depth + 1 < len(chain) else None,
            },
            {"aliases": aliases if depth == 0 else []},
            place,
            _maker_shown,
        )


def _maker_shown(column: str, value: Any) -> str:
    if column == "":
        return str(value.get("name"))
    return str(value)


def _source_row(rows: _Rows, v: dict[str, str | None], place: Place) -> None:
    publisher, title = v.get("publisher"), v.get("title")
    if publisher is None or title is None:
        return
    url = _parsed(rows, parse_url, v.get("url"), place, "url")
    published = _parsed(rows, parse_period_cell, v.get("published_on"), place, "published_on")
    reliability = _parsed(
        rows,
        lambda text: enum_value(Reliability, text),
        v.get("reliability"),
        place,
        "reliability",
    )
    rows.declare(
        "source",
        (key(publisher), key(title)),
        {
            "publisher": publisher,
            "title": title,
            "url": url,
            "published_on": published,
            "reliability": reliability,
            "notes": v.get("notes"),
        },
        {},
        place,
        lambda column, value: (
            f"{value.get('publisher')}: {value.get('title')}" if column == "" else str(value)
        ),
    )


def _parsed(
    rows: _Rows, parse: Callable[[str], _T], text: str | None, place: Place, column: str
) -> _T | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        rows.error(place, column, text, str(exc))
        return None


_ROW = {
    Kind.WEAPON_SYSTEMS: _weapon_row,
    Kind.MANUFACTURERS: _maker_row,
    Kind.SOURCES: _source_row,
}


# Reading a file ---------------------------------------------------------------------------------


def _read(rows: _Rows, item: Input, options: LoadOptions, summary: LoadSummary) -> None:
    mapping = options.mapping
    kind = mapping.kind
    source = inspect_file(item.path, item.name, options.input_format, options.limits)
    summary.sha256 = source.sha256
    required = REQUIRED_OF[kind]
    for table in read_tables(
        source,
        sheets=options.sheets,
        delimiter=options.delimiter,
        looks_like_header=mapping.looks_like_header,
        warnings=summary.warnings,
        limits=options.limits,
    ):
        plan = mapping.plan(table.name, table.sheet, options.limits.pattern_time)
        plan.see_all(table.columns)
        if table.fixed_columns and table.columns:
            absent = [c for c in required if c not in plan.gives()]
            if absent:
                raise InvalidDataError(
                    [
                        RowError(
                            table.name,
                            1,
                            "",
                            "",
                            f"the header lacks the required columns {', '.join(absent)} of the "
                            f"{kind.value} layout (see seeds/mappings/README.md)",
                        )
                    ]
                )
        if plan.unknown:
            summary.warnings.append(
                f"{table.name}: ignored columns that neither the {kind.value} layout nor the "
                f"mapping uses: {', '.join(plan.unknown)}"
            )
        for record in table.records:
            summary.rows_read += 1
            place = Place(record.source or item.name, record.row, record.row_kind)
            for error in record.errors:
                rows.total_errors += 1
                if len(rows.errors) < _MAX_ERRORS:
                    rows.errors.append(error)
            if record.errors or not record.values:
                continue
            values, problems = plan.apply(record.values, record.row, record.row_kind)
            for column, value, message in problems:
                rows.error(place, column, value, message)
            if problems:
                continue
            _one_row(rows, kind, values, place, plan.column)


def _one_row(
    rows: _Rows,
    kind: Kind,
    raw: dict[str, str | None],
    place: Place,
    shown: Callable[[str], str],
) -> None:
    v = {c: clean(t) if t else None for c, t in raw.items()}
    unknowns = rows.mapping.unknowns
    for column, text in list(v.items()):
        if text is None:
            continue
        if ITEM_SEPARATOR in text:  # a list: its unknown items go
            kept = [i for i in text.split(ITEM_SEPARATOR) if not unknowns.is_unknown(column, i)]
            v[column] = ITEM_SEPARATOR.join(kept) or None
        elif unknowns.is_unknown(column, text):
            v[column] = None
    for column in REQUIRED_OF[kind]:
        if v.get(column) is None:
            if kind is Kind.MANUFACTURERS and raw.get(column):
                rows.warnings.append(f"{place}: {raw[column]!r} names no company: row skipped")
                return
            rows.error(place, shown(column), "", "required, but empty")
    _ROW[kind](rows, v, place)


# Against the database, and writing ----------------------------------------------------------------


def _check_aliases(
    rows: _Rows,
    taken: dict[str, Any],
    own: Callable[[_Declared], Iterable[tuple[str, str]]],
    what: str,
) -> None:
    """Every name key names one thing: an alias may not be another's name or alias (in the file
    or in the database)."""
    seen: dict[str, tuple[Any, Place | None]] = {}
    for entity in rows.declared.values():
        for alias_key, alias in own(entity):
            other = taken.get(alias_key)
            mine = seen.setdefault(alias_key, (entity.key, entity.first))
            if other is not None and other != entity.key:
                where = entity.first or Place(rows.file, 0)
                rows.error(where, "aliases", alias, f"is already the name of another {what}")
            elif mine[0] != entity.key:
                message = f"names two {what}s of this file (also {mine[1]})"
                rows.error(entity.first or Place(rows.file, 0), "aliases", alias, message)


#: A stored weapon system: id, producer country, category.
_StoredWeapon = tuple[int, str | None, str | None]


def _weapons(conn: Connection, rows: _Rows, batch_id: int, summary: LoadSummary) -> None:
    stored: dict[str, _StoredWeapon] = {
        k: (i, p, c)
        for i, k, p, c in conn.execute(
            select(
                WeaponSystem.id,
                WeaponSystem.designation_key,
                WeaponSystem.producer_country_code,
                WeaponSystem.category,
            )
        )
    }
    aliases: dict[str, int] = {
        str(a): int(i)
        for a, i in conn.execute(
            select(WeaponSystemAlias.alias_key, WeaponSystemAlias.weapon_system_id)
        )
    }
    by_id = {i: k for k, (i, _, _) in stored.items()}
    taken = {**{k: k for k in stored}, **{a: by_id[i] for a, i in aliases.items()}}
    _check_aliases(
        rows,
        taken,
        lambda e: [(key(a), a) for a in e.lists.get("aliases", [])],
        "weapon system",
    )
    for entity in rows.declared.values():
        known = stored.get(entity.key)
        producer = entity.values["producer"]
        if known is not None and known[1] is not None and producer not in (None, known[1]):
            rows.error(
                entity.places.get("producer") or Place(rows.file, 0),
                "producer_country",
                producer,
                f"{entity.values['designation']} is recorded as produced by "
                f"{rows.countries.country(known[1]).display_name}",
            )
    if rows.errors:
        return
    users: set[tuple[int, str]] = {
        (int(w), str(c))
        for w, c in conn.execute(
            select(WeaponSystemUser.weapon_system_id, WeaponSystemUser.country_code)
        )
    }
    for entity in sorted(rows.declared.values(), key=lambda e: e.key):
        ws_id = _weapon(conn, entity, stored.get(entity.key), batch_id, summary)
        for alias in entity.lists.get("aliases", []):
            if key(alias) not in aliases:
                conn.execute(
                    insert(WeaponSystemAlias).values(
                        weapon_system_id=ws_id, alias=alias, alias_key=key(alias)
                    )
                )
                aliases[key(alias)] = ws_id
                summary.weapon_system_aliases_added += 1
        for user in entity.lists.get("users", []):
            if (ws_id, user) not in users:
                conn.execute(
                    insert(WeaponSystemUser).values(weapon_system_id=ws_id, country_code=user)
                )
                users.add((ws_id, user))


def _weapon(
    conn: Connection,
    entity: _Declared,
    known: _StoredWeapon | None,
    batch_id: int,
    summary: LoadSummary,
) -> int:
    """The weapon system's id: created, or stored (its blanks filled in)."""
    values = entity.values
    if known is None:
        summary.weapon_systems_created += 1
        created: int = conn.execute(
            insert(WeaponSystem).returning(WeaponSystem.id),
            {
                "designation": values["designation"],
                "designation_key": entity.key,
                "category": values["category"],
                "producer_country_code": values["producer"],
                "description": values["description"],
                "batch_id": batch_id,
            },
        ).scalar_one()
        return created
    fill = {}
    if known[1] is None and values["producer"] is not None:
        fill["producer_country_code"] = values["producer"]
    if known[2] is None and values["category"] is not None:
        fill["category"] = values["category"]
    if fill:
        conn.execute(update(WeaponSystem).where(WeaponSystem.id == known[0]).values(fill))
        summary.weapon_systems_updated += 1
    return known[0]


def _makers(conn: Connection, rows: _Rows, batch_id: int, summary: LoadSummary) -> None:
    stored = {
        k: (i, c, p)
        for i, k, c, p in conn.execute(
            select(
                Manufacturer.id,
                Manufacturer.name_key,
                Manufacturer.country_code,
                Manufacturer.parent_id,
            )
        )
    }
    by_id = {i: k for k, (i, _, _) in stored.items()}
    aliases = {
        a: by_id[i]
        for a, i in conn.execute(
            select(ManufacturerAlias.alias_key, ManufacturerAlias.manufacturer_id)
        )
    }
    # A name the database knows as an alias is that manufacturer.
    for entity in list(rows.declared.values()):
        if entity.key in aliases and entity.key not in stored:
            entity.key = aliases[entity.key]
    taken = {**{k: k for k in stored}, **aliases}
    _check_aliases(
        rows,
        taken,
        lambda e: [(manufacturer_key(a), a) for a in e.lists.get("aliases", [])],
        "manufacturer",
    )
    _check_stored_makers(rows, stored, by_id)
    if rows.errors:
        return
    ids = {k: i for k, (i, _, _) in stored.items()}
    for entity in sorted(rows.declared.values(), key=lambda e: e.key):
        if entity.key in ids:
            known = stored[entity.key]
            if known[1] is None and entity.values["country_code"] is not None:
                conn.execute(
                    update(Manufacturer)
                    .where(Manufacturer.id == known[0])
                    .values(country_code=entity.values["country_code"])
                )
                summary.manufacturers_updated += 1
            continue
        ids[entity.key] = conn.execute(
            insert(Manufacturer).returning(Manufacturer.id),
            {
                "name": entity.values["name"],
                "name_key": entity.key,
                "country_code": entity.values["country_code"],
                "batch_id": batch_id,
            },
        ).scalar_one()
        summary.manufacturers_created += 1
    for entity in sorted(rows.declared.values(), key=lambda e: e.key):
        parent = entity.values["parent"]
        before = stored.get(entity.key)
        if parent is not None and (before is None or before[2] is None):
            conn.execute(
                update(Manufacturer)
                .where(Manufacturer.id == ids[entity.key])
                .values(parent_id=ids[parent])
            )
        for alias in entity.lists.get("aliases", []):
            alias_key = manufacturer_key(alias)
            if alias_key not in aliases and alias_key not in ids:
                conn.execute(
                    insert(ManufacturerAlias).values(
                        manufacturer_id=ids[entity.key],
                        alias=alias,
                        alias_key=alias_key,
                        kind=AliasKind.ALIAS,
                    )
                )
                aliases[alias_key] = entity.key
                summary.manufacturer_aliases_added += 1


def _check_stored_makers(
    rows: _Rows, stored: dict[str, tuple[int, str | None, int | None]], by_id: dict[int, str]
) -> None:
    """What the file declares against what the database holds, and no company above itself."""
    for entity in rows.declared.values():
        known = stored.get(entity.key)
        country = entity.values["country_code"]
        if known is not None and known[1] is not None and country not in (None, known[1]):
            rows.error(
                entity.places.get("country_code") or Place(rows.file, 0),
                "country",
                country,
                f"{entity.values['name']} is recorded with headquarters in "
                f"{rows.countries.country(known[1]).display_name}",
            )
        parent = entity.values["parent"]
        if known is not None and known[2] is not None and parent not in (None, by_id[known[2]]):
            rows.error(
                entity.places.get("parent") or Place(rows.file, 0),
                "parent",
                str(parent),
                f"{entity.values['name']} is recorded with another parent company",
            )

    def parent_of(company: str) -> str | None:
        declared = rows.declared.get(company)
        if declared is not None and declared.values["parent"] is not None:
            return str(declared.values["parent"])
        known = stored.get(company)
        return by_id.get(known[2]) if known is not None and known[2] is not None else None

    for entity in rows.declared.values():
        above, steps = parent_of(entity.key), 0
        while above is not None and steps <= len(rows.declared) + len(stored):
            if above == entity.key:
                rows.error(
                    entity.places.get("parent") or entity.first or Place(rows.file, 0),
                    "parent",
                    str(entity.values["name"]),
                    f"{entity.values['name']} would be a parent of itself",
                )
                break
            above, steps = parent_of(above), steps + 1


def _sources(conn: Connection, rows: _Rows, batch_id: int, summary: LoadSummary) -> None:
    stored = {
        (p, t): (i, u)
        for i, p, t, u in conn.execute(
            select(Source.id, Source.publisher_key, Source.title_key, Source.url)
        )
    }
    urls = {u: k for k, (_, u) in stored.items() if u}
    for entity in rows.declared.values():
        url = entity.values["url"]
        other = urls.get(url) if url else None
        if other is not None and other != entity.key:
            rows.error(
                entity.places.get("url") or Place(rows.file, 0),
                "url",
                url,
                "this URL belongs to another source",
            )
    if rows.errors:
        return
    for entity in sorted(rows.declared.values(), key=lambda e: e.key):
        values = entity.values
        known = stored.get(entity.key)
        on, precision = values["published_on"] or (None, None)
        if known is None:
            conn.execute(
                insert(Source).values(
                    publisher=values["publisher"],
                    title=values["title"],
                    publisher_key=entity.key[0],
                    title_key=entity.key[1],
                    url=values["url"],
                    published_on=on,
                    published_precision=precision,
                    reliability=values["reliability"],
                    notes=values["notes"],
                    batch_id=batch_id,
                )
            )
            summary.sources_created += 1
        elif known[1] is None and values["url"] is not None:
            conn.execute(update(Source).where(Source.id == known[0]).values(url=values["url"]))
            summary.sources_updated += 1


_WRITE = {Kind.WEAPON_SYSTEMS: _weapons, Kind.MANUFACTURERS: _makers, Kind.SOURCES: _sources}


def load_reference_rows(
    engine: Any,
    inputs: Sequence[Input],
    options: LoadOptions,
    dry_run: bool,
    resolver: CountryResolver,
) -> list[LoadSummary]:
    """Load reference files (``options.mapping.kind``: weapon systems, manufacturers or sources):
    every file checked, then written in one transaction; InvalidDataError (nothing written)
    listing every problem."""
    kind = options.mapping.kind
    summaries: list[LoadSummary] = []
    with write_transaction(engine) as conn:
        aliases = dict(conn.execute(select(CountryAlias.alias, CountryAlias.country_code)).all())
        countries = resolver.with_aliases(aliases) if aliases else resolver
        errors: list[RowError] = []
        total = 0
        for item in inputs:
            summary = LoadSummary(item.name, "", kind=kind.value)
            summaries.append(summary)
            rows = _Rows(options.mapping, countries, item.name, errors)
            try:
                _read(rows, item, options, summary)
            except InvalidDataError as exc:
                errors += exc.errors
                total += len(exc.errors)
                continue
            except OSError as exc:
                errors.append(RowError(item.name, 0, "", "", f"cannot read the file ({exc})"))
                total += 1
                continue
            if summary.rows_read == 0 and not rows.total_errors:
                errors.append(RowError(item.name, 0, "", "", "the file holds no rows"))
                total += 1
                continue
            summary.warnings += rows.warnings + _folded_warnings(rows)
            if not errors:
                batch_id = _batch(conn, item, summary, kind)
                _WRITE[kind](conn, rows, batch_id, summary)
            total += rows.total_errors
        if errors:
            raise InvalidDataError(
                errors[:_MAX_ERRORS], total=max(total, len(errors[:_MAX_ERRORS]))
            )
        if dry_run:
            conn.rollback()
            for summary in summaries:
                summary.batch_id = None
                summary.dry_run = True
    return summaries


def _batch(conn: Connection, item: Input, summary: LoadSummary, kind: Kind) -> int:
    batch_id: int = conn.execute(
        insert(LoadBatch).returning(LoadBatch.id),
        {
            "file_name": item.name if item.name == STDIN_NAME else Path(item.name).name,
            "sha256": summary.sha256,
            "loaded_at": dt.datetime.now(dt.UTC),
            "rows_read": summary.rows_read,
            "components_added": 0,
            "components_matched": 0,
            "citations_added": 0,
            "tool_version": __version__,
            "kind": kind.value,
        },
    ).scalar_one()
    summary.batch_id = batch_id
    return batch_id


def _folded_warnings(rows: _Rows) -> list[str]:
    return [
        f"{rows.file}: {count} row{'s' if count != 1 else ''}: {before!r} mixes alphabets, read "
        f"as {after!r}"
        for (before, after), count in sorted(rows.folded.items())
    ]
