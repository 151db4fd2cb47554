"""Loading findings: one row per component recovered from a weapon, cited by a source.

A load is all or nothing by default. Every row of every file is checked, against the database
and against the rows before it; if any row is bad, nothing is kept and every problem is reported
with its file, row, column and value. A load streams, in one transaction: rows are read and
checked in chunks, against lookups filled once per load, and the good ones written a few
thousand at a time (new entities through SQLAlchemy Core, components and citations through the
driver: ``executemany`` on SQLite, ``COPY`` into a staging table on PostgreSQL). Nothing is
written after the first bad row, and the transaction is rolled back at the end. Each file gets a
load batch that its rows point to. With a rejects file, the bad rows are written there instead
(with their original columns and an ``error`` column) and the good ones are loaded.

Files come in any of the formats ``provenance.ingest.readers`` reads, in our layout or in a
foreign one that a column mapping (``provenance.ingest.mapping``) turns into ours.

Loading the same findings again adds nothing: a component is identified within its specimen by
its function, part number, marking, manufacturer and date code; a new source for a known component
adds a citation. Manufacturers are matched on ``manufacturer_key`` (case, punctuation and legal
forms ignored) and by alias; a new name close to a known one is a probable duplicate, an error
unless the load accepts new manufacturers or a mapping names it as an alias.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import operator
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from provenance import __version__
from provenance.db import write_transaction
from provenance.errors import InvalidDataError, ProvenanceError, RowError
from provenance.ingest.columns import ALL_COLUMNS, COLUMNS, ERROR_COLUMN, EXTRA_COLUMNS, REQUIRED
from provenance.ingest.mapping import ColumnMapping, TablePlan
from provenance.ingest.readers import STDIN_NAME, Record, copy_stream, inspect_file, read_tables
from provenance.migrate import ensure_current
from provenance.models import (
    AliasKind,
    Authenticity,
    Citation,
    Component,
    Confidence,
    CountryAlias,
    LoadBatch,
    Manufacturer,
    ManufacturerAlias,
    Reliability,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
)
from provenance.reference.chpl import normalize_hs6
from provenance.values.countries import CountryResolver, default_resolver
from provenance.values.dates import parse_date_code, parse_full_date, parse_period
from provenance.values.identity import component_identity
from provenance.values.text import (
    NearDuplicates,
    clean_text,
    manufacturer_key,
    mixed_script,
    name_key,
)

__all__ = [
    "ALL_COLUMNS",
    "COLUMNS",
    "EXTRA_COLUMNS",
    "MAX_REPORTED_ERRORS",
    "REQUIRED",
    "LoadOptions",
    "LoadSummary",
    "load_files",
]

MAX_REPORTED_ERRORS = 50
#: How many rows pass between two calls of a load's progress callback.
PROGRESS_EVERY = 1000
_CHUNK = 500
#: How many checked rows are written at a time (fewer, larger statements; memory stays flat).
_WRITE_BATCH = 5000
#: Most values of a column repeat (countries, dates, weapons, makers): what is made of a value is
#: kept for the next row, up to this many values (then forgotten, to keep memory flat).
_CACHE_LIMIT = 1 << 16
_clean_cached = functools.lru_cache(maxsize=_CACHE_LIMIT)(clean_text)
_key = functools.lru_cache(maxsize=_CACHE_LIMIT)(name_key)
_EXAMPLES = 5

#: Called with the number of rows read so far in the load (all files).
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class LoadOptions:
    """How to read the files and what to accept; the defaults read our own layout strictly
    all-or-nothing."""

    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    input_format: str | None = None  # detected from each file when None
    sheets: tuple[str, ...] = ()  # of a workbook; every sheet when empty
    delimiter: str | None = None  # of delimited text; sniffed when None
    strict: bool = False  # unknown columns are errors, not warnings
    new_manufacturers: bool = False  # create new names close to known ones
    rejects: Path | None = None  # bad rows go here, and the good ones load


@dataclass
class LoadSummary:
    """What one file brought (or, for a dry run, would bring)."""

    file: str
    sha256: str
    rows_read: int = 0
    components_added: int = 0
    components_matched: int = 0
    duplicate_rows: int = 0
    citations_added: int = 0
    weapon_systems_created: int = 0
    specimens_created: int = 0
    manufacturers_created: int = 0
    manufacturers_updated: int = 0
    manufacturer_aliases_added: int = 0
    sources_created: int = 0
    rows_rejected: int = 0
    rejects_file: str | None = None
    batch_id: int | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Entity:
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


#: The component's columns a row gives (the keys of ``_Finding.values``).
_FINDING_VALUES = (
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
_finding_values = operator.itemgetter(*_FINDING_VALUES)


@dataclass
class _Finding:
    specimen: _Entity
    manufacturer: _Entity
    source: _Entity
    identity: str
    values: dict[str, Any]


@dataclass
class _File:
    path: Path
    name: str
    summary: LoadSummary
    index: int = 0  # in the load
    sha256: str = ""
    #: Rows checked good and written (a load streams: it keeps no list of its findings).
    findings_written: int = 0
    updated_manufacturers: set[int] = field(default_factory=set)
    #: The file's columns (every table's, in order), for the rejects file.
    columns: list[str] = field(default_factory=list)
    #: Bad records (kept only for a rejects file) and what is wrong with them.
    rejected: list[tuple[Record, str]] = field(default_factory=list)
    #: Manufacturer aliases from the mapping that this file's rows used: alias, key, manufacturer.
    new_aliases: list[tuple[str, str, _Entity]] = field(default_factory=list)
    undated_codes: list[str] = field(default_factory=list)
    undated_count: int = 0


def _enum_value(enum_cls: Any, text: str) -> Any:
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    for member in enum_cls:
        if member.value == wanted:
            return member
    choices = ", ".join(m.value for m in enum_cls)
    raise ValueError(f"expected one of: {choices}")


_WHOLE_NUMBER = re.compile(r"[0-9]+")  # not int(): it takes "1_000", "+3" and other scripts' digits
_HS_CODE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _parse_quantity(text: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
        raise ValueError("expected a whole number of parts, 1 or more")
    return int(text)


def _parse_hs_code(text: str) -> str:
    compact = text.replace(" ", "")
    digits = compact.replace(".", "")
    if not _HS_CODE.fullmatch(compact) or not 4 <= len(digits) <= 10:
        raise ValueError("expected an HS code of 4 to 10 digits, e.g. 8504.40 or 850440")
    return compact


_EXCEL_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")


def _excel_serial_hint(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` for a date column, whose error says when the value looks like an Excel serial
    date number (45000 is 2023-03-15): a date cell that lost its date format."""

    def parse_date(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            if _EXCEL_SERIAL.fullmatch(text):
                raise ValueError(
                    f"{exc}; {text} looks like an Excel serial date number: format the cell as "
                    "a date in the workbook, or write the date as YYYY-MM-DD"
                ) from None
            raise

    return parse_date


_parse_period = _excel_serial_hint(parse_period)
_parse_full_date = _excel_serial_hint(parse_full_date)
#: Columns whose words must not mix Latin, Cyrillic and Greek letters (look-alike confusables).
_SINGLE_SCRIPT = ("part_number", "manufacturer", "manufacturer_parent")
#: How much of a value an error message shows.
_SHOWN = 200


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


def _repeats_header(record: Record) -> bool:
    """True for a row whose values are its columns' names: a header repeated further down (two
    files joined into one, a page header of an export); at least two, and half the filled ones."""
    same = 0
    for column, val in record.values.items():  # cheap: every row
        if val and val.strip().casefold() == _folded(column):
            same += 1
    if same < 2:
        return False
    return 2 * same >= sum(1 for val in record.values.values() if val and val.strip())


_folded = functools.lru_cache(maxsize=1024)(str.casefold)


def _parse_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in text:
        raise ValueError("expected a web address starting with http:// or https://")
    return text


class _Catalogue:
    """What the database already holds, read once per load, plus what this load will create."""

    def __init__(self, conn: Connection, resolver: CountryResolver, options: LoadOptions) -> None:
        self.conn = conn
        self.options = options
        aliases = dict(conn.execute(select(CountryAlias.alias, CountryAlias.country_code)).all())
        self.countries = resolver.with_aliases(aliases) if aliases else resolver
        self.weapons: dict[str, _Entity] = {}
        for id_, designation, key, producer in conn.execute(
            select(
                WeaponSystem.id,
                WeaponSystem.designation,
                WeaponSystem.designation_key,
                WeaponSystem.producer_country_code,
            )
        ):
            self.weapons[key] = _Entity(
                key, id_, {"designation": designation, "producer": producer}
            )
        self.weapon_by_id = {e.id: e for e in self.weapons.values()}
        for alias_key, ws_id in conn.execute(
            select(WeaponSystemAlias.alias_key, WeaponSystemAlias.weapon_system_id)
        ):
            self.weapons.setdefault(alias_key, self.weapon_by_id[ws_id])
        self.manufacturers: dict[str, _Entity] = {}
        parents: dict[int, int] = {}
        for id_, name, key, country, parent_id in conn.execute(
            select(
                Manufacturer.id,
                Manufacturer.name,
                Manufacturer.name_key,
                Manufacturer.country_code,
                Manufacturer.parent_id,
            )
        ):
            self.manufacturers[key] = _Entity(
                key, id_, {"name": name, "country_code": country, "parent": None}
            )
            if parent_id is not None:
                parents[id_] = parent_id
        by_id = {e.id: e for e in self.manufacturers.values()}
        for child, parent in parents.items():
            by_id[child].values["parent"] = by_id[parent]
        for alias_key, m_id in conn.execute(
            select(ManufacturerAlias.alias_key, ManufacturerAlias.manufacturer_id)
        ):
            self.manufacturers.setdefault(alias_key, by_id[m_id])
        self.near = NearDuplicates(self.manufacturers)
        self.sources_by_url: dict[str, _Entity] = {}
        self.sources_by_title: dict[tuple[str, str], _Entity] = {}
        for id_, pub, title, pkey, tkey, url in conn.execute(
            select(
                Source.id,
                Source.publisher,
                Source.title,
                Source.publisher_key,
                Source.title_key,
                Source.url,
            )
        ):
            entity = _Entity((pkey, tkey), id_, {"publisher": pub, "title": title, "url": url})
            self.sources_by_title[(pkey, tkey)] = entity
            if url:
                self.sources_by_url[url] = entity
        self.specimens: dict[str, _Entity] = {}

    def add_manufacturer(self, key: str, entity: _Entity) -> None:
        self.manufacturers[key] = entity
        self.near.add(key)

    def specimen_values(self, keys: Iterable[str]) -> None:
        """Fetch the stored specimens with these keys (all of them would be too many to hold)."""
        wanted = [k for k in set(keys) if k not in self.specimens]
        for chunk in _chunks(wanted):
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
                self.specimens[key] = _Entity(
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


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


Bad = Callable[[str, str], None]
#: Changes to the catalogue that a row makes (a new entity, a country filled in); made only
#: once the whole row is good, so that a rejected row leaves no trace.
Pending = list[Callable[[], object]]  # applied once the whole row is good; results unused


def _error_text(errors: Sequence[RowError]) -> str:
    parts = []
    for e in errors:
        what = f"{e.column}: {e.message}" if e.column else e.message
        parts.append(what + (f" (got {e.value!r})" if e.value else ""))
    return "; ".join(parts)


class _RowChecker:
    """Checks one record, collecting every problem in it, and resolves it against the catalogue."""

    def __init__(self, cat: _Catalogue, file: _File, errors: list[RowError]):
        self.cat = cat
        self.file = file
        self.errors = errors
        self.options = cat.options
        self.keep_rejects = cat.options.rejects is not None
        self.plan: TablePlan | None = None
        #: (column, cleaned text) -> the parsed value and the problem with it: most values repeat.
        self.parses: dict[tuple[str, str], tuple[Any, str | None]] = {}

    def reject(self, record: Record, first_error: int) -> None:
        if self.keep_rejects:
            self.file.rejected.append((record, _error_text(self.errors[first_error:])))

    def check(
        self,
        record: Record,
        raw: dict[str, str | None],
        problems: Sequence[tuple[str, str, str]],
    ) -> _Finding | None:
        """The finding in a record (``raw``: its values in our columns), or None when it is bad
        (its problems then added to the errors)."""
        n_errors = len(self.errors)
        source_name = record.source or self.file.name
        if record.errors or problems:
            self.errors.extend(record.errors)
            self.errors.extend(
                RowError(source_name, record.row, column, value, message, record.row_kind)
                for column, value, message in problems
            )
            self.reject(record, n_errors)
            return None
        plan = self.plan
        parses = self.parses
        if _repeats_header(record):
            message = "the row repeats the header (two files joined into one?): delete it"
            self.errors.append(RowError(source_name, record.row, "", "", message, record.row_kind))
            self.reject(record, n_errors)
            return None
        clean = _clean_cached
        v = {k: clean(val) if val else None for k, val in raw.items()}

        def bad(column: str, message: str) -> None:
            value = _shorten(raw.get(column) or "")
            shown = plan.column(column) if plan is not None else column
            self.errors.append(
                RowError(source_name, record.row, shown, value, message, record.row_kind)
            )

        def parsed(column: str, parse: Callable[[str], Any]) -> Any:
            text = v.get(column)
            if text is None:
                return None
            key = (column, text)
            found = parses.get(key)
            if found is None:
                try:
                    found = (parse(text), None)
                except ValueError as exc:
                    found = (None, str(exc))
                if len(parses) >= _CACHE_LIMIT:
                    parses.clear()
                parses[key] = found
            if found[1] is not None:
                bad(column, found[1])
            return found[0]

        def country(column: str) -> str | None:
            text = v.get(column)
            if text is None:
                return None
            code = self.cat.countries.lookup(text)
            if code is None:
                close = self.cat.countries.suggest(text)
                hint = f"; closest: {', '.join(close)}" if close else ""
                bad(column, f"unknown country{hint}")
            return code

        for column in REQUIRED:
            if v.get(column) is None:
                bad(column, "required, but empty")
        if v.get("source_url") is None and (
            v.get("source_publisher") is None or v.get("source_title") is None
        ):
            bad("source_publisher", "every finding needs a source: publisher and title, or a URL")
        for column in _SINGLE_SCRIPT:
            text = v.get(column)
            problem = mixed_script(text) if text is not None else None
            if problem is not None:
                bad(column, f"{problem}: a look-alike letter of another alphabet? retype it")

        producer = country("weapon_producer_country")
        hq = country("manufacturer_country")
        parent_hq = country("manufacturer_parent_country")
        made_in = country("made_in")
        made = parsed("manufactured_on", _parse_period)
        coded = parsed("date_code", self._date_code)
        if made is None and v.get("manufactured_on") is None:
            made = coded
        recovered_on = parsed("recovered_on", _parse_full_date)
        published = parsed("source_published_on", _parse_period)
        quantity = parsed("quantity", _parse_quantity) or 1
        hs_code = parsed("hs_code", _parse_hs_code)
        url = parsed("source_url", _parse_url)
        authenticity = parsed("authenticity", lambda t: _enum_value(Authenticity, t))
        confidence = parsed("identification_confidence", lambda t: _enum_value(Confidence, t))
        reliability = parsed("source_reliability", lambda t: _enum_value(Reliability, t))
        if len(self.errors) > n_errors:
            self.reject(record, n_errors)
            return None

        pending: Pending = []
        weapon = self._weapon(v, producer, bad, pending)
        manufacturer = self._manufacturer(v, hq, parent_hq, bad, pending)
        source = self._source(v, url, published, reliability, bad, pending)
        specimen = (
            self._specimen(v, weapon, recovered_on, confidence, bad, pending) if weapon else None
        )
        if not (weapon and manufacturer and source and specimen) or len(self.errors) > n_errors:
            self.reject(record, n_errors)
            return None
        for change in pending:
            change()
        if coded is None and v.get("date_code") is not None:
            self.file.undated_count += 1
            if len(self.file.undated_codes) < _EXAMPLES:
                self.file.undated_codes.append(v["date_code"] or "")

        values = {
            "function": v["component"],
            "part_number": v.get("part_number"),
            "marking": v.get("marking"),
            "made_in_code": made_in,
            "date_code": v.get("date_code"),
            "manufactured_on": made[0] if made else None,
            "manufactured_precision": made[1] if made else None,
            "quantity": quantity,
            "hs_code": hs_code,
            "hs6": normalize_hs6(hs_code),
            "authenticity": authenticity or Authenticity.UNKNOWN,
            "notes": v.get("notes"),
        }
        identity = component_identity(
            specimen.key,
            values["function"],
            values["part_number"],
            values["marking"],
            manufacturer.key,
            values["date_code"],
        )
        return _Finding(specimen, manufacturer, source, identity, values)

    def _date_code(self, text: str) -> Any:
        return parse_date_code(text, self.options.mapping.date_codes)

    def _new(self, key: Any, values: dict[str, Any]) -> _Entity:
        return _Entity(key, None, values, created_by=self.file.index)

    def _weapon(
        self, v: dict[str, str | None], producer: str | None, bad: Bad, pending: Pending
    ) -> _Entity | None:
        designation = v["weapon_system"]
        assert designation is not None
        key = _key(designation)
        entity = self.cat.weapons.get(key)
        if entity is None:
            if producer is None:
                bad(
                    "weapon_producer_country",
                    f"required for a weapon system not yet in the database ({designation})",
                )
                return None
            entity = self._new(
                key,
                {
                    "designation": designation,
                    "producer": producer,
                    "category": v.get("weapon_category"),
                },
            )
            new = entity
            pending.append(lambda: self.cat.weapons.__setitem__(key, new))
        elif producer is not None and producer != entity.values["producer"]:
            bad(
                "weapon_producer_country",
                f"{entity.values['designation']} is recorded as produced by "
                f"{self.cat.countries.country(entity.values['producer']).display_name}",
            )
            return None
        return entity

    def _maker(
        self,
        name: str,
        hq: str | None,
        column: str,
        country_column: str,
        bad: Bad,
        pending: Pending,
        row_new: dict[str, _Entity],
    ) -> _Entity | None:
        """The manufacturer called ``name``: known (by name or alias), or new."""
        key = manufacturer_key(name)
        written_key = key
        canonical = self.options.mapping.manufacturer_aliases.get(key)
        if canonical is not None:
            name, key = canonical, manufacturer_key(canonical)
        entity = row_new.get(key) or self.cat.manufacturers.get(key)
        if entity is None:
            near = self.cat.near.closest(key)
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
            entity = self._new(key, {"name": name, "country_code": hq, "parent": None})
            row_new[key] = entity
            new = entity
            pending.append(lambda: self.cat.add_manufacturer(key, new))
        elif hq is not None:
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

    def _manufacturer(
        self,
        v: dict[str, str | None],
        hq: str | None,
        parent_hq: str | None,
        bad: Bad,
        pending: Pending,
    ) -> _Entity | None:
        name = v["manufacturer"]
        assert name is not None
        row_new: dict[str, _Entity] = {}
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
        if parent is None:
            return None
        current = entity.values["parent"]
        if current is parent:
            return entity
        if current is not None:
            bad(
                "manufacturer_parent",
                f"{entity.values['name']} is recorded with the parent {current.values['name']}",
            )
            return None
        ancestor: _Entity | None = parent
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
                return None
            ancestor = ancestor.values["parent"]
        child = entity

        pending.append(lambda: child.fill("parent", parent))
        return entity

    def _source(
        self,
        v: dict[str, str | None],
        url: str | None,
        published: tuple[dt.date, Any] | None,
        reliability: Reliability | None,
        bad: Bad,
        pending: Pending,
    ) -> _Entity | None:
        publisher, title = v.get("source_publisher"), v.get("source_title")
        if publisher is None or title is None:
            assert url is not None
            host = urlsplit(url).netloc
            publisher, title = publisher or host, title or url
        key = (_key(publisher), _key(title))
        by_url = self.cat.sources_by_url.get(url) if url else None
        by_title = self.cat.sources_by_title.get(key)
        if by_url is not None and by_title is not None and by_url is not by_title:
            bad("source_url", "this URL belongs to another source than the publisher and title")
            return None
        entity = by_url or by_title
        if entity is None:
            entity = self._new(
                key,
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
                self.cat.sources_by_title[key] = new
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

    def _specimen(
        self,
        v: dict[str, str | None],
        weapon: _Entity,
        recovered_on: dt.date | None,
        confidence: Confidence | None,
        bad: Bad,
        pending: Pending,
    ) -> _Entity | None:
        label = v["specimen"]
        assert label is not None
        key = _key(label)
        given = {
            "recovered_on": recovered_on,
            "recovered_at": v.get("recovered_at"),
            "recovered_by": v.get("recovered_by"),
            "identification_confidence": confidence,
        }
        entity = self.cat.specimens.get(key)
        if entity is None:
            entity = self._new(key, {"label": label, "weapon": weapon, **given})
            new = entity
            pending.append(lambda: self.cat.specimens.__setitem__(key, new))
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
                shown = _shorten(str(stored))
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


@dataclass(frozen=True)
class _Input:
    path: Path  # what is read
    name: str  # as named in messages and summaries


def _header_error(table: str, message: str, column: str = "") -> InvalidDataError:
    return InvalidDataError([RowError(table, 1, column, "", message)])


class _Checker:
    """Reads and checks every file of a load."""

    def __init__(
        self,
        cat: _Catalogue,
        errors: list[RowError],
        progress: ProgressCallback | None,
        writer: _Writer,
    ) -> None:
        self.cat = cat
        self.options = cat.options
        self.errors = errors
        self.fatal = 0  # errors that stop the load even with a rejects file
        self.progress = progress
        self.rows = 0
        self.writer = writer
        self.errors_dropped = 0  # beyond the MAX_REPORTED_ERRORS kept in ``errors``
        self.checked: list[_Finding] = []  # checked, not yet written

    def _flush(self, file: _File) -> None:
        """Write the checked findings (none, and no more, once the load will be rolled back)."""
        if self.writing:
            self.writer.write(file, self.checked)
        self.checked = []

    @property
    def writing(self) -> bool:
        """Whether checked rows are still written: not once a row is bad (the load will be
        rolled back; the rest is only checked, to report every problem), unless bad rows go to
        a rejects file."""
        return not self.fatal and (not self.errors or self.options.rejects is not None)

    def files(self, inputs: Sequence[_Input]) -> list[_File]:
        files: list[_File] = []
        for index, item in enumerate(inputs):
            file = _File(item.path, item.name, LoadSummary(item.name, ""), index)
            files.append(file)
            n_errors = len(self.errors)
            try:
                self._file(file)
                if self.writing and file.summary.batch_id is not None:
                    self._flush(file)
                    self.writer.finish(file)
            except InvalidDataError as exc:
                self.errors.extend(exc.errors)
                self.fatal += len(exc.errors)
            except OSError as exc:
                message = f"cannot read the file ({exc.strerror or exc})"
                self.errors.append(RowError(item.name, 0, "", "", message))
                self.fatal += 1
            if file.summary.rows_read == 0 and len(self.errors) == n_errors:
                self.errors.append(RowError(item.name, 0, "", "", "the file holds no findings"))
                self.fatal += 1
            if file.undated_count:
                examples = ", ".join(map(repr, file.undated_codes))
                more = ", ..." if file.undated_count > len(file.undated_codes) else ""
                file.summary.warnings.append(
                    f"{item.name}: {file.undated_count} date codes in no known form were kept "
                    f"as written, without a manufacture date ({examples}{more})"
                )
        if self.progress is not None:
            self.progress(self.rows)
        return files

    def _file(self, file: _File) -> None:
        options = self.options
        source = inspect_file(file.path, file.name, options.input_format)
        file.sha256 = file.summary.sha256 = source.sha256
        if self.writing:
            self.writer.start(file)
        checker = _RowChecker(self.cat, file, self.errors)
        mapping = options.mapping
        for table in read_tables(
            source,
            sheets=options.sheets,
            delimiter=options.delimiter,
            looks_like_header=mapping.looks_like_header,
            warnings=file.summary.warnings,
        ):
            skip = mapping.sheet_rule(table.sheet).skip
            if skip and not options.sheets:  # a sheet asked for by name is read
                continue
            plan = mapping.plan(table.name, table.sheet)
            checker.plan = plan
            plan.see_all(table.columns)
            plan.fixed = table.fixed_columns
            if table.fixed_columns:
                self._check_header(file, table.name, plan, table.columns)
            pending: list[tuple[Record, dict[str, str | None], list[tuple[str, str, str]]]] = []
            for record in table.records:
                file.summary.rows_read += 1
                self.rows += 1
                if self.progress is not None and self.rows % PROGRESS_EVERY == 0:
                    self.progress(self.rows)
                values, problems = plan.apply(record.values) if record.values else ({}, [])
                pending.append((record, values, problems))
                if len(pending) >= _CHUNK:
                    self._chunk(checker, file, pending)
                    pending = []
            self._chunk(checker, file, pending)
            if not table.fixed_columns:
                self._check_header(file, table.name, plan, table.columns)
            for column in table.columns:
                if column not in file.columns and column != ERROR_COLUMN:
                    file.columns.append(column)

    def _check_header(
        self, file: _File, table: str, plan: TablePlan, columns: Sequence[str]
    ) -> None:
        if columns and not plan.gives() & set(REQUIRED):
            raise _header_error(
                table,
                "the header has none of the findings columns "
                f"({', '.join(REQUIRED)}, ...): see README 'Findings files'"
                + ("" if self.options.mapping.path else ", or give a column mapping (--mapping)"),
            )
        absent = [c for c in REQUIRED if c not in plan.gives()] if columns else []
        if absent:
            unknown = (
                f"; columns it does not know: {', '.join(plan.unknown)}" if plan.unknown else ""
            )
            raise _header_error(
                table,
                f"the header lacks the required columns {', '.join(absent)}{unknown}: "
                "see README 'Findings files'"
                + ("" if self.options.mapping.path else ", or give a column mapping (--mapping)"),
            )
        problems = []
        if plan.unknown:
            problems.append(
                f"columns that neither the findings layout nor the mapping uses: "
                f"{', '.join(plan.unknown)}"
            )
        missing = plan.missing() if columns else []
        if missing:
            problems.append(f"columns of the mapping that it does not have: {', '.join(missing)}")
        if problems and self.options.strict:
            raise InvalidDataError(
                [RowError(table, 1, "", "", p + " (--strict)") for p in problems]
            )
        for problem in problems:
            note = "ignored " + problem if problem.startswith("columns that") else problem
            file.summary.warnings.append(f"{table}: {note}")

    def _chunk(
        self,
        checker: _RowChecker,
        file: _File,
        records: list[tuple[Record, dict[str, str | None], list[tuple[str, str, str]]]],
    ) -> None:
        self.cat.specimen_values(_key(v.get("specimen") or "") for _, v, _ in records)
        findings = []
        for record, values, problems in records:
            finding = checker.check(record, values, problems)
            if finding is not None:
                findings.append(finding)
        self.checked += findings
        if len(self.checked) >= _WRITE_BATCH:
            self._flush(file)
        if len(self.errors) > MAX_REPORTED_ERRORS:  # the rest are only counted: memory stays flat
            self.errors_dropped += len(self.errors) - MAX_REPORTED_ERRORS
            del self.errors[MAX_REPORTED_ERRORS:]


def _insert_new(conn: Connection, table: Table, index_elements: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING``: a row already there (written by an
    earlier chunk of the load, or an earlier load) is kept. Without a target (empty
    ``index_elements``), a conflict on any unique key is ignored."""
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table)
    elif conn.dialect.name == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - SQLite and PostgreSQL are the databases provenance supports
        return insert(table)
    return stmt.on_conflict_do_nothing(index_elements=list(index_elements) or None)  # type: ignore[no-any-return]


class _BulkInsert:
    """``INSERT ... ON CONFLICT DO NOTHING`` of many rows of a table, set up once per load.

    Each value goes through its column type's own conversion (an enum to its value, a date for
    SQLite), then the rows go to the driver as they are: SQLAlchemy's parameter handling of
    every row would cost more than the database's insert. On SQLite they go to the driver's
    ``executemany``; on PostgreSQL they are copied (``COPY``) into a temporary staging table, then
    moved with one ``INSERT ... SELECT`` in their order."""

    def __init__(
        self, conn: Connection, table: Table, columns: Sequence[str], conflict: Sequence[str]
    ) -> None:
        self.conn = conn
        self.columns = list(columns)
        processors = [table.c[c].type.bind_processor(conn.dialect) for c in self.columns]
        self.processors = [(i, f) for i, f in enumerate(processors) if f is not None]
        insert_new = _insert_new(conn, table, conflict)
        self.stage: Table | None = None
        self.staged = False  # whether ``stage`` exists (it goes at commit or rollback)
        self.copy: Any = None
        if conn.dialect.name == "postgresql":
            from psycopg import sql as pg_sql  # PostgreSQL only, an optional dependency

            stage = Table(
                f"provenance_stage_{table.name}",
                MetaData(),
                Column("position", Integer),
                *(Column(c, _plain(table.c[c].type)) for c in self.columns),
                prefixes=["TEMPORARY"],
                postgresql_on_commit="DROP",
            )
            self.stage = stage  # created when first needed (``_copy``)
            self.move = insert_new.from_select(
                self.columns,
                select(*(stage.c[c] for c in self.columns)).order_by(stage.c.position),
            )
            self.copy = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
                pg_sql.Identifier(stage.name),
                pg_sql.SQL(", ").join(map(pg_sql.Identifier, ["position", *self.columns])),
            )
            self.clear = delete(stage)
        else:
            compiled = insert_new.compile(dialect=conn.dialect, column_keys=self.columns)
            self.sql = str(compiled)
            order = compiled.positiontup
            assert order is not None  # SQLite's driver takes the parameters by position
            #: Where each parameter comes from in a row of ``columns``.
            self.order = [self.columns.index(n) for n in order]

    def __call__(self, rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows given as values in ``columns`` order."""
        converted: list[list[Any]] = []
        processors = self.processors
        for row in rows:
            values = list(row)
            for i, process in processors:
                if values[i] is not None:
                    values[i] = process(values[i])
            converted.append(values)
        if not converted:
            return
        if self.stage is not None:
            self._copy(converted)
            return
        order = self.order
        self.conn.exec_driver_sql(self.sql, [tuple([v[i] for i in order]) for v in converted])

    def _copy(self, rows: list[list[Any]]) -> None:
        if not self.staged:
            assert self.stage is not None
            self.stage.create(self.conn, checkfirst=True)
            self.staged = True
        driver = self.conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(self.copy) as copy:
            for position, values in enumerate(rows):
                copy.write_row((position, *values))
        self.conn.execute(self.move)
        self.conn.execute(self.clear)


def _plain(type_: Any) -> Any:
    """A staging table's column type: an enum as the text it is stored as (no constraint)."""
    return String(type_.length) if isinstance(type_, Enum) else type_


def _count_of_batch(conn: Connection, table: Table, batch_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(table).where(table.c.batch_id == batch_id)
    ).scalar_one()


def _insert_entities(
    conn: Connection,
    table: Table,
    entities: list[_Entity],
    rows: Callable[[_Entity], dict[str, Any]],
    key_columns: Sequence[str],
    batch_id: int,
) -> int:
    """Insert new entities, set their ids (looked up again by their unique key) and return how
    many this load created (those whose row carries its batch)."""
    if not entities:
        return 0
    by_key = {e.key: e for e in entities}
    ordered = sorted(by_key, key=lambda k: k if isinstance(k, tuple) else (k,))
    conn.execute(
        _insert_new(conn, table, key_columns if len(key_columns) == 1 else ()),
        [rows(by_key[k]) for k in ordered],
    )
    for e in by_key.values():
        e.id = None
    cols = [table.c[c] for c in key_columns]
    created = 0
    for chunk in _chunks(ordered):
        condition = cols[0].in_(chunk) if len(cols) == 1 else tuple_(*cols).in_(chunk)
        for row in conn.execute(select(table.c.id, table.c.batch_id, *cols).where(condition)):
            key = row[2] if len(cols) == 1 else tuple(row[2:])
            by_key[key].id = row[0]
            created += row[1] == batch_id
    lost = [e for e in by_key.values() if e.id is None]
    if lost:  # another unique key of the row (a source's URL) is taken
        raise ProvenanceError(
            f"another load wrote a conflicting {table.name} row at the same time "
            f"({', '.join(map(str, [e.key for e in lost][:3]))}): nothing was loaded, load again"
        )
    return created


def _unique(entities: Iterable[_Entity]) -> list[_Entity]:
    return list({id(e): e for e in entities}.values())


def _manufacturers_of(findings: Iterable[_Finding]) -> Iterator[_Entity]:
    """The manufacturers of the findings and their parents, up to the top."""
    for f in findings:
        entity: _Entity | None = f.manufacturer
        while entity is not None:
            yield entity
            entity = entity.values["parent"]


def _write_updates(conn: Connection, model: Any, entities: Iterable[_Entity]) -> int:
    """Write the values the entities' rows have given to blank stored values; how many."""
    changed = sorted((e for e in entities if e.update), key=lambda e: e.id or 0)
    for entity in changed:
        conn.execute(update(model).where(model.id == entity.id).values(entity.update))
        entity.update = {}
    return len(changed)


#: What the rows of the file being loaded cite (temporary: dropped when the load ends).
_CITES = Table(
    "provenance_load_cites",
    MetaData(),
    Column("specimen_id", Integer),
    Column("identity", String(32)),
    Column("source_id", Integer),
    prefixes=["TEMPORARY"],
)


class _Writer:
    """Writes checked findings as they come, chunk by chunk, in the load's one transaction: new
    weapon systems, manufacturers, sources and specimens first (their ids are then known), then
    components and citations, each with ``INSERT ... ON CONFLICT DO NOTHING``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.components: Table = Component.__table__  # type: ignore[assignment]
        self.citations: Table = Citation.__table__  # type: ignore[assignment]
        component_columns = [*_FINDING_VALUES, "specimen_id", "identity", "manufacturer_id"]
        self.insert_components = _BulkInsert(
            conn, self.components, [*component_columns, "batch_id"], ["specimen_id", "identity"]
        )
        # Appended (no key to keep in order as it grows: that gets slow), made distinct at the end.
        self.insert_cites = _BulkInsert(conn, _CITES, list(_CITES.c.keys()), [])

    def start(self, file: _File) -> None:
        """The file's load batch, which its rows will point to."""
        _CITES.create(self.conn, checkfirst=True)
        summary = file.summary
        summary.batch_id = self.conn.execute(
            insert(LoadBatch).returning(LoadBatch.id),
            {
                "file_name": Path(file.name).name if file.name != STDIN_NAME else STDIN_NAME,
                "sha256": file.sha256,
                "loaded_at": dt.datetime.now(dt.UTC),
                "rows_read": 0,
                "components_added": 0,
                "components_matched": 0,
                "citations_added": 0,
                "tool_version": __version__,
            },
        ).scalar_one()

    def write(self, file: _File, findings: list[_Finding]) -> None:
        if not findings:
            return
        conn, summary = self.conn, file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        file.findings_written += len(findings)
        specimens = _unique(f.specimen for f in findings)
        summary.weapon_systems_created += _insert_entities(
            conn,
            WeaponSystem.__table__,  # type: ignore[arg-type]
            _unique(s.values["weapon"] for s in specimens if s.values["weapon"].id is None),
            lambda e: {
                "designation": e.values["designation"],
                "designation_key": e.key,
                "category": e.values.get("category"),
                "producer_country_code": e.values["producer"],
                "batch_id": batch_id,
            },
            ["designation_key"],
            batch_id,
        )
        self._manufacturers(file, findings)
        sources = _unique(f.source for f in findings)
        summary.sources_created += _insert_entities(
            conn,
            Source.__table__,  # type: ignore[arg-type]
            [e for e in sources if e.id is None],
            lambda e: {
                "publisher": e.values["publisher"],
                "title": e.values["title"],
                "publisher_key": e.key[0],
                "title_key": e.key[1],
                "url": e.values["url"],
                "published_on": e.values["published_on"],
                "published_precision": e.values["published_precision"],
                "reliability": e.values["reliability"],
                "batch_id": batch_id,
            },
            ["publisher_key", "title_key"],
            batch_id,
        )
        _write_updates(conn, Source, sources)
        summary.specimens_created += _insert_entities(
            conn,
            Specimen.__table__,  # type: ignore[arg-type]
            [e for e in specimens if e.id is None],
            lambda e: {
                "label": e.values["label"],
                "label_key": e.key,
                "weapon_system_id": e.values["weapon"].id,
                "recovered_on": e.values["recovered_on"],
                "recovered_at": e.values["recovered_at"],
                "recovered_by": e.values["recovered_by"],
                "identification_confidence": e.values["identification_confidence"],
                "batch_id": batch_id,
            },
            ["label_key"],
            batch_id,
        )
        _write_updates(conn, Specimen, specimens)
        self._components(file, findings, batch_id)

    def _manufacturers(self, file: _File, findings: list[_Finding]) -> None:
        conn, summary = self.conn, file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        every = _unique(_manufacturers_of(findings))
        new = [e for e in every if e.id is None]
        summary.manufacturers_created += _insert_entities(
            conn,
            Manufacturer.__table__,  # type: ignore[arg-type]
            new,
            lambda e: {
                "name": e.values["name"],
                "name_key": e.key,
                "country_code": e.values["country_code"],
                "batch_id": batch_id,
            },
            ["name_key"],
            batch_id,
        )
        for entity in new:
            if entity.values["parent"] is not None:
                entity.update["parent"] = entity.values["parent"]
        for entity in every:  # every parent has its id now
            parent = entity.update.pop("parent", None)
            if parent is not None:
                entity.update["parent_id"] = parent.id
        new_ones = {id(e) for e in new}
        for entity in every:
            if entity.update and id(entity) not in new_ones and entity.created_by != file.index:
                file.updated_manufacturers.add(entity.id or 0)
        _write_updates(conn, Manufacturer, every)
        added = 0
        for alias, key, entity in sorted(file.new_aliases, key=lambda a: a[1]):
            # One by one (a few per load), to count those not already there.
            stmt = _insert_new(conn, ManufacturerAlias.__table__, ["alias_key"])  # type: ignore[arg-type]
            row = {"manufacturer_id": entity.id, "alias": alias, "alias_key": key}
            row["kind"] = AliasKind.ALIAS
            added += len(conn.execute(stmt.returning(ManufacturerAlias.id), row).all())
        file.new_aliases.clear()
        summary.manufacturer_aliases_added += added

    def _components(self, file: _File, findings: list[_Finding], batch_id: int) -> None:
        """The chunk's new components, in the file's order, and what each row cites: (specimen,
        component identity, source) goes to a temporary table, which ``finish`` turns into
        citations in one statement (its distinct rows against the rows written: the duplicates)."""
        wanted: dict[tuple[int, str], _Finding] = {}
        cites: dict[tuple[int, str, int], None] = {}
        for f in findings:
            assert f.specimen.id is not None and f.source.id is not None
            wanted.setdefault((f.specimen.id, f.identity), f)
            cites[(f.specimen.id, f.identity, f.source.id)] = None
        self.insert_components(
            (*_finding_values(f.values), k[0], k[1], f.manufacturer.id, batch_id)
            for k, f in wanted.items()
        )
        self.insert_cites(cites)

    def finish(self, file: _File) -> None:
        """The file's citations, then its counts, in its summary and its load batch."""
        conn, summary = self.conn, file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        c, t = self.components.c, _CITES.c
        cited = (
            select(c.id, t.source_id, literal(batch_id))
            .distinct()
            .join_from(
                _CITES,
                self.components,
                (c.specimen_id == t.specimen_id) & (c.identity == t.identity),
            )
            .where(true())  # SQLite: "INSERT ... SELECT ... ON CONFLICT" needs a WHERE
            .order_by(c.id, t.source_id)
        )
        conn.execute(
            _insert_new(conn, self.citations, ["component_id", "source_id"]).from_select(
                ["component_id", "source_id", "batch_id"], cited
            )
        )
        distinct = select(t.specimen_id, t.identity, t.source_id).distinct().subquery()
        pairs = conn.execute(select(func.count()).select_from(distinct)).scalar_one()
        conn.execute(delete(_CITES))
        summary.duplicate_rows = file.findings_written - pairs
        summary.components_added = _count_of_batch(conn, self.components, batch_id)
        summary.components_matched = file.findings_written - summary.components_added
        summary.citations_added = _count_of_batch(conn, self.citations, batch_id)
        summary.manufacturers_updated = len(file.updated_manufacturers)
        summary.rows_rejected = len(file.rejected)
        conn.execute(
            update(LoadBatch)
            .where(LoadBatch.id == batch_id)
            .values(
                rows_read=summary.rows_read,
                components_added=summary.components_added,
                components_matched=summary.components_matched,
                citations_added=summary.citations_added,
                duplicate_rows=summary.duplicate_rows,
                rows_rejected=summary.rows_rejected,
            )
        )

    def close(self) -> None:
        _CITES.drop(self.conn, checkfirst=True)


def _where(record: Record) -> str:
    if record.row_kind == "record":
        return f"{record.source}: record {record.row}"
    return f"{record.source}:{record.row}"


def _write_rejects(path: Path, files: Sequence[_File]) -> None:
    """The rejected rows with their original columns and an ``error`` column first, as CSV in
    UTF-8 with a byte-order mark (so that Excel opens it as UTF-8)."""
    columns: list[str] = []
    for file in files:
        columns += [c for c in file.columns if c not in columns]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([ERROR_COLUMN, *columns])
        for file in files:
            for record, error in file.rejected:
                if record.values:
                    cells = [record.values.get(c) or "" for c in columns]
                else:  # a row whose fields could not be given names: as they were
                    cells = list(record.fields)
                writer.writerow([f"{_where(record)}: {error}", *cells])


def _inputs(paths: Sequence[Path | str], folder: Path, stdin: IO[bytes] | None) -> list[_Input]:
    inputs: list[_Input] = []
    for p in paths:
        if str(p) == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            inputs.append(_Input(copy_stream(stream, folder), STDIN_NAME))
        else:
            inputs.append(_Input(Path(p), str(p)))
    return inputs


_gc_lock = threading.Lock()
_gc_pauses = 0  # loads running (in any thread) that have paused the garbage collector
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while loads run (however many at once).

    A load makes few reference cycles but millions of short-lived objects, beside large caches:
    the collector's passes over them took a sixth of a 1M-row load's time (scripts/bench), for
    a few thousand objects collected. Reference counting still frees everything else as the load
    goes; the collector is turned back on (if it was on) when the last load ends."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


_ATTEMPTS = 3
#: The key of the PostgreSQL advisory lock a load holds (any fixed number; "prov" in ASCII).
_LOAD_LOCK = 0x70726F76
#: PostgreSQL's deadlock_detected and serialization_failure: a load that can be run again.
_TRANSIENT_SQLSTATES = ("40P01", "40001")


def _transient(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def load_files(
    engine: Engine,
    paths: Sequence[Path | str],
    *,
    dry_run: bool = False,
    resolver: CountryResolver | None = None,
    options: LoadOptions | None = None,
    progress: ProgressCallback | None = None,
    stdin: IO[bytes] | None = None,
) -> list[LoadSummary]:
    """Load findings files: all of them or nothing, unless ``options.rejects`` names a file.

    ``-`` in ``paths`` reads ``stdin`` (standard input when None; give ``options.input_format``).
    Raises ``InvalidDataError`` (nothing written) listing every bad row, up to
    ``MAX_REPORTED_ERRORS``. With a rejects file, bad rows are written there and the good ones
    are loaded; problems with a file as a whole still stop the load. With ``dry_run`` everything
    is checked and counted, nothing kept (a rejects file is still written). ``progress`` is
    called with the number of rows read so far, every ``PROGRESS_EVERY`` rows.
    """
    ensure_current(engine)
    options = options or LoadOptions()
    rejects = options.rejects
    if rejects is not None and any(
        str(p) != "-" and Path(p).resolve() == rejects.resolve() for p in paths
    ):
        raise ProvenanceError(f"{rejects}: the rejects file cannot be a file being loaded")
    staged = None if rejects is None else rejects.with_name(rejects.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="provenance-") as folder, _gc_paused():
        inputs = _inputs(paths, Path(folder), stdin)
        try:
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    files = _load(engine, inputs, options, dry_run, resolver, progress, staged)
                    break
                except DBAPIError as exc:
                    # Two loads writing the same rows in another order: PostgreSQL rolls one
                    # back to break the deadlock. That one starts again from the files.
                    if attempt == _ATTEMPTS or not _transient(exc):
                        raise
        except BaseException:
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise
    if staged is not None and rejects is not None and any(f.rejected for f in files):
        staged.replace(rejects)
        for file in files:
            if file.rejected:
                file.summary.rejects_file = str(rejects)
    return [f.summary for f in files]


def _load(
    engine: Engine,
    inputs: Sequence[_Input],
    options: LoadOptions,
    dry_run: bool,
    resolver: CountryResolver | None,
    progress: ProgressCallback | None,
    staged: Path | None,
) -> list[_File]:
    """Check and write, in one transaction; the rejects go to ``staged`` before it commits."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            # One load at a time per database: a second one waits here, then reads what the
            # first one wrote (so they can neither deadlock nor create the same row twice).
            conn.execute(select(func.pg_advisory_xact_lock(_LOAD_LOCK)))
        cat = _Catalogue(conn, resolver or default_resolver(), options)
        errors: list[RowError] = []
        checker = _Checker(cat, errors, progress, _Writer(conn))
        files = checker.files(inputs)
        if errors and (staged is None or checker.fatal):
            total = len(errors) + checker.errors_dropped
            raise InvalidDataError(errors[:MAX_REPORTED_ERRORS], total=total)
        for file in files:
            file.summary.dry_run = dry_run
        checker.writer.close()
        if staged is not None and any(f.rejected for f in files):
            try:
                _write_rejects(staged, files)
            except OSError as exc:
                raise ProvenanceError(
                    f"{options.rejects}: cannot write the rejects file ({exc.strerror})"
                ) from None
        if dry_run:
            conn.rollback()
            for file in files:
                file.summary.batch_id = None
    return files
