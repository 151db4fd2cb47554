"""Loading customs records (issue 16, the KSE practice): ``provenance customs load FILE``.

A customs records file holds one shipment a row, in the customs layout
(``provenance.ingest.columns.CUSTOMS_COLUMNS``; column names are matched with case, spacing,
``_`` and ``-`` ignored, and any of them may be missing), or in another layout read through a
column mapping of ``kind: customs`` (``provenance.ingest.mapping``: renames, ignored columns,
constants, splits, values that mean unknown): ``date, hs_code, description, brand,
part_number, exporter, importer, origin_country, dispatch_country, value, currency, quantity,
record_id``. Any format the
project's readers take is read (CSV and other delimited text, Excel, JSON, JSON Lines).

- ``date``: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (kept with its precision);
- ``hs_code``: digits with dots or spaces, at least six (its HS-6 is kept for matching);
- ``brand``: resolved to a known manufacturer by its exact key or an alias's key
  (``provenance.values.text.manufacturer_key``), never by a fuzzy guess; else left unlinked;
- ``part_number``: from its column, else from the description when it says so explicitly
  (``P/N TSM0505S``, ``part no. TSM0505S``, ``PN: TSM0505S``); never guessed otherwise;
- ``exporter``/``importer``: text with their manufacturer keys (to be linked to parties later);
- ``origin_country``/``dispatch_country``: any name or code the country resolver knows; blank or
  a value that means not known (``seeds/unknown_values.yaml``, and a mapping's) stays NULL,
  another name is an error;
- ``value`` and ``quantity``: non-negative numbers (``1,234.50``: commas between thousands are
  dropped); ``currency``: three letters (ISO 4217);
- ``record_id``: the source's own id of the row; given twice in one file is an error.

A file loads whole or not at all: every bad row is named by file, row and column and nothing is
written. The same file (same SHA-256) loaded again changes nothing; a row already loaded from
another file (the same record id, or without one the same values) is counted, not added again;
a record id loaded before with other values is an error naming the row.
Limits are ``provenance.limits.Limits`` (``customs load --limit NAME=VALUE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from provenance import __version__
from provenance.db import write_transaction
from provenance.errors import CustomsError, InvalidDataError, RowError
from provenance.ingest.columns import CUSTOMS_COLUMNS, Kind
from provenance.ingest.mapping import ColumnMapping, TablePlan
from provenance.ingest.mapping_schema import header_key
from provenance.ingest.readers import InputFile, inspect_file, read_tables
from provenance.ingest.tables import Record, Table
from provenance.ingest.unknowns import shipped_unknowns
from provenance.limits import Limits
from provenance.migrate import ensure_current
from provenance.models import CustomsShipment, LoadBatch, Manufacturer, ManufacturerAlias
from provenance.values.countries import CountryResolver, default_resolver
from provenance.values.dates import parse_partial_date
from provenance.values.hs import hs_digits
from provenance.values.text import (
    clean_text,
    fold_mixed_script,
    manufacturer_key,
    mixed_script,
    normalize_key,
)

#: Header key (case, spacing, _ and - ignored) -> column of the layout.
LAYOUT = {header_key(c): c for c in CUSTOMS_COLUMNS}
#: Columns whose words may not mix Latin, Cyrillic and Greek letters (a look-alike spelling).
SCRIPT_CHECKED = frozenset({"brand", "part_number", "exporter", "importer", "record_id", "hs_code"})
#: Of those, the names: their look-alike letters are folded to one script, as manufacturers' are.
FOLDED_BY_DEFAULT = frozenset({"brand", "exporter", "importer"})
#: The key of the PostgreSQL advisory lock customs writers hold ("cust" in ASCII).
CUSTOMS_LOCK = 0x63757374
#: The load batch kind of a customs file (``load_batches.kind``).
BATCH_KIND = "customs"
#: How many bad rows an error lists (every bad row is counted).
ERRORS_KEPT = 50
#: The longest values the columns hold.
LENGTHS = {
    "brand": 300,
    "part_number": 200,
    "exporter": 500,
    "importer": 500,
    "record_id": 200,
    "hs_code": 20,
}
_PART_IN_TEXT = re.compile(
    r"(?:\bP\s*/\s*N|\bPN|\bpart\s*(?:no\.?|number|#))(?![A-Za-z])\s*[:#.]?\s*"
    r"(?=[A-Za-z0-9\-./]*[0-9])([A-Za-z0-9][A-Za-z0-9\-./]*)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]*\.[0-9]+")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_LIMIT = Decimal("1e16")
_CHUNK = 5_000


def part_key(text: str | None) -> str | None:
    """The key part numbers are compared on: case, spaces and punctuation ignored
    (``TSM-0505 S`` and ``tsm0505s`` are one part number). None for none."""
    if text is None:
        return None
    key = re.sub(r"[\W_]+", "", normalize_key(text))
    return key or None


def part_from_description(description: str | None) -> str | None:
    """The part number a description states explicitly (``... P/N TSM0505S ...``), else None."""
    if description is None:
        return None
    match = _PART_IN_TEXT.search(description)
    return match[1].rstrip(".-/") if match else None


@dataclass
class CustomsSummary:
    """What ``load_customs`` did with one file."""

    file_name: str
    sha256: str
    batch_id: int | None
    rows_read: int
    shipments_added: int
    already_known: int = 0  # rows loaded before from another file
    brands_resolved: int = 0  # rows whose brand is a known manufacturer
    already_loaded: bool = False  # the same file was loaded before: nothing changed


@dataclass
class _Read:
    """The rows of a file, checked, or its errors."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    record_rows: dict[str, int] = field(default_factory=dict)
    occurrences: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0

    def error(self, where: str, row: int, column: str, value: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(RowError(where, row, column, value[:200], message))


class _RowCheck:
    """One record's values turned into a shipment row; problems go to the file's errors."""

    def __init__(
        self,
        read: _Read,
        record: Record,
        values: dict[str, str | None],
        where: str,
        context: _Context,
    ) -> None:
        self.read, self.record, self.where = read, record, where
        self.countries, self.unknowns = context.countries, context.mapping.unknowns
        self.fold = context.mapping.fold_mixed_script | FOLDED_BY_DEFAULT
        self.values = {LAYOUT.get(header_key(k), k): v for k, v in values.items()}
        self.ok = True

    def fail(self, column: str, value: str, message: str) -> None:
        self.ok = False
        self.read.error(self.where, self.record.row, column, value, message)

    def text(self, column: str) -> str | None:
        value = clean_text(self.values.get(column))
        if value is not None and self.unknowns.is_unknown(column, value):
            return None
        if value is not None and column in SCRIPT_CHECKED:
            value = self.one_script(column, value)
        limit = LENGTHS.get(column)
        if value is not None and limit is not None and len(value) > limit:
            self.fail(column, value, f"at most {limit} characters")
            return None
        return value

    def one_script(self, column: str, value: str) -> str | None:
        """``value``, its look-alike letters folded where the column allows (names), or None
        after an error: a part number mixing Latin and Cyrillic letters is never matched."""
        problem = mixed_script(value)
        if problem is None:
            return value
        folded = fold_mixed_script(value) if column in self.fold else None
        if folded is not None:
            return folded.text
        self.fail(
            column,
            value,
            f"{problem}: write it in one script, or list {column} in the mapping's "
            "fold_mixed_script",
        )
        return None

    def date(self) -> tuple[dt.date | None, str | None]:
        value = self.text("date")
        if value is None:
            return None, None
        try:
            day, precision = parse_partial_date(value)
        except ValueError as exc:
            self.fail("date", value, str(exc))
            return None, None
        return day, precision.value

    def hs(self) -> tuple[str | None, str | None]:
        value = self.text("hs_code")
        if value is None:
            return None, None
        digits = hs_digits(value)
        if digits is None or len(digits) < 6:
            self.fail("hs_code", value, "expected an HS code of at least six digits, e.g. 8542.31")
            return None, None
        return digits, digits[:6]

    def country(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        found = self.countries.lookup(value)
        if found is None:
            hint = ", ".join(self.countries.suggest(value))
            self.fail(
                column, value, "unknown country" + (f" (did you mean {hint}?)" if hint else "")
            )
        return found

    def number(self, column: str) -> Decimal | None:
        value = self.text(column)
        if value is None:
            return None
        if not _NUMBER.fullmatch(value):
            self.fail(column, value, "expected a number of at least 0, e.g. 1234.50")
            return None
        number = Decimal(value.replace(",", ""))
        if number >= _LIMIT:
            self.fail(column, value, "too large a number (at most 16 digits before the point)")
            return None
        return number

    def currency(self) -> str | None:
        value = self.text("currency")
        if value is not None and not _CURRENCY.fullmatch(value):
            self.fail("currency", value, "expected a three-letter ISO 4217 code, e.g. USD")
            return None
        return value.upper() if value else None


def _keyed(text: str | None) -> str | None:
    return manufacturer_key(text) if text else None


def _check_record(
    read: _Read,
    record: Record,
    mapped: tuple[dict[str, str | None], list[tuple[str, str, str]]],
    where: str,
    context: _Context,
) -> dict[str, Any] | None:
    """A shipment row (without its batch, manufacturer and identity) or None after errors."""
    values, problems = mapped
    check = _RowCheck(read, record, values, where, context)
    for problem in record.errors:
        check.fail(problem.column, problem.value, problem.message)
    for column, value, message in problems:
        check.fail(column, value, message)
    if not check.ok:
        return None
    shipped_on, precision = check.date()
    hs_code, hs6 = check.hs()
    description = clean_text(check.values.get("description"))
    part_number, part_from = check.text("part_number"), "column"
    if part_number is None:
        part_number, part_from = part_from_description(description), "description"
    brand, exporter, importer = check.text("brand"), check.text("exporter"), check.text("importer")
    row = {
        "record_id": check.text("record_id"),
        "shipped_on": shipped_on,
        "shipped_precision": precision,
        "hs_code": hs_code,
        "hs6": hs6,
        "description": description,
        "brand": brand,
        "brand_key": _keyed(brand),
        "part_number": part_number,
        "part_key": part_key(part_number),
        "part_number_from": part_from if part_number else None,
        "exporter": exporter,
        "exporter_key": _keyed(exporter),
        "importer": importer,
        "importer_key": _keyed(importer),
        "origin_code": check.country("origin_country"),
        "dispatch_code": check.country("dispatch_country"),
        "value": check.number("value"),
        "currency": check.currency(),
        "quantity": check.number("quantity"),
        "source_row": record.row,
    }
    return row if check.ok else None


def _values_text(row: dict[str, Any], leaving_out: set[str]) -> str:
    return "\x1f".join(f"{k}={row[k]}" for k in sorted(row) if k not in leaving_out)


def _identity(read: _Read, row: dict[str, Any], where: str) -> str | None:
    """The row's identity: its record id, else its values and how often they came before."""
    record = row["record_id"]
    if record is not None:
        first = read.record_rows.setdefault(record, row["source_row"])
        if first != row["source_row"]:
            read.error(
                where, row["source_row"], "record_id", record, f"given again (first on {first})"
            )
            return None
        return hashlib.sha256(f"record\x1f{record}".encode()).hexdigest()
    values = _values_text(row, {"source_row", "record_id"})
    seen = read.occurrences.get(values, 0) + 1
    read.occurrences[values] = seen
    return hashlib.sha256(f"values\x1f{values}\x1f{seen}".encode()).hexdigest()


@dataclass(frozen=True)
class _Context:
    """What every row of a load is read with."""

    mapping: ColumnMapping
    countries: CountryResolver
    limits: Limits


def customs_mapping(mapping: ColumnMapping | None = None) -> ColumnMapping:
    """The mapping a customs file is read with: ``mapping`` (of kind customs), else our layout."""
    if mapping is None:
        return ColumnMapping(kind=Kind.CUSTOMS, unknowns=shipped_unknowns(Kind.CUSTOMS))
    if mapping.kind is not Kind.CUSTOMS:
        raise CustomsError(
            f"{mapping.path or 'the mapping'}: a mapping of kind {mapping.kind.value}; customs "
            "records need one of kind: customs"
        )
    return mapping


def _unknown_columns(read: _Read, table: Table, plan: TablePlan, reported: int) -> int:
    """Report the columns the plan met that neither the layout nor the mapping uses."""
    for name in plan.unknown[reported:]:
        read.error(
            table.name,
            0,
            name,
            name,
            "not a column of the customs layout ("
            + ", ".join(CUSTOMS_COLUMNS)
            + "): rename it, or ignore it in a mapping",
        )
    return len(plan.unknown)


def _records(
    table: Table, read: _Read, context: _Context
) -> Iterator[tuple[Record, tuple[dict[str, str | None], list[tuple[str, str, str]]]]]:
    """The records of a table with their values in our columns (and the mapping's problems)."""
    plan = context.mapping.plan(table.name, table.sheet, context.limits.pattern_time)
    plan.see_all(table.columns)
    reported = _unknown_columns(read, table, plan, 0)
    for record in table.records:
        if not any(clean_text(v) for v in record.values.values()):
            continue
        mapped = plan.apply(record.values, record.row, record.row_kind)
        if len(plan.unknown) > reported:
            reported = _unknown_columns(read, table, plan, reported)
        yield record, mapped


def read_customs(
    source: InputFile,
    limits: Limits,
    countries: CountryResolver | None = None,
    mapping: ColumnMapping | None = None,
) -> _Read:
    """The checked rows of a customs file; InvalidDataError names every bad row."""
    context = _Context(customs_mapping(mapping), countries or default_resolver(), limits)
    read = _Read(source.name)
    tables = read_tables(source, looks_like_header=context.mapping.looks_like_header, limits=limits)
    for table in tables:
        for record, mapped in _records(table, read, context):
            read.rows_read += 1
            where = record.source or table.name
            row = _check_record(read, record, mapped, where, context)
            if row is None:
                continue
            identity = _identity(read, row, where)
            if identity is not None:
                content = _values_text(row, {"source_row"})
                row["content"] = hashlib.sha256(content.encode()).hexdigest()
                row["identity"] = identity
                read.rows.append(row)
    if read.error_count:
        raise InvalidDataError(read.errors, read.error_count)
    return read


def brand_index(conn: Connection) -> dict[str, int]:
    """Manufacturer id by the key of its name and of every alias (exact keys only)."""
    found: dict[str, int] = {}
    alias = ManufacturerAlias
    for key, maker in conn.execute(select(alias.alias_key, alias.manufacturer_id)):
        found[key] = maker
    for key, maker in conn.execute(select(Manufacturer.name_key, Manufacturer.id)):
        found[key] = maker
    return found


def lock_customs(conn: Connection) -> None:
    """Make customs writers (loads, matches) wait for each other: on PostgreSQL an advisory lock
    held to the end of the transaction; SQLite's writers already take turns (``BEGIN
    IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(CUSTOMS_LOCK)))


def _present(conn: Connection, identities: list[str]) -> dict[str, tuple[str, int]]:
    """Of these identities, those the database holds already: their content hash and batch."""
    out: dict[str, tuple[str, int]] = {}
    s = CustomsShipment
    for start in range(0, len(identities), _CHUNK):
        chunk = identities[start : start + _CHUNK]
        query = select(s.identity, s.content, s.batch_id).where(s.identity.in_(chunk))
        for identity, content, batch in conn.execute(query):
            out[identity] = (content, batch)
    return out


def _changed(read: _Read, present: dict[str, tuple[str, int]]) -> None:
    """A record id loaded before with other values is an error naming the row: which of the two
    is right is for a person to say (nothing is overwritten, nothing is added silently)."""
    for r in read.rows:
        before = present.get(r["identity"])
        if before is not None and before[0] != r["content"]:
            read.error(
                read.name,
                r["source_row"],
                "record_id",
                r["record_id"] or "",
                f"loaded before (load batch {before[1]}) with other values",
            )
    if read.error_count:
        raise InvalidDataError(read.errors, read.error_count)


def _known_file(conn: Connection, digest: str) -> Any:
    return conn.execute(
        select(LoadBatch).where(LoadBatch.sha256 == digest, LoadBatch.kind == BATCH_KIND)
    ).first()


def load_customs(
    engine: Engine,
    path: Path,
    limits: Limits | None = None,
    countries: CountryResolver | None = None,
    mapping: ColumnMapping | None = None,
) -> CustomsSummary:
    """Load the customs records file at ``path`` (read through ``mapping``, of kind customs,
    when given): all of it in one transaction, or nothing."""
    ensure_current(engine)
    mapping = customs_mapping(mapping)
    limits = limits or Limits()
    name = path.name
    if not path.is_file():
        raise CustomsError(f"{path}: no such file")
    source = inspect_file(path, name, limits=limits)
    digest = source.sha256
    with engine.connect() as conn:
        known = _known_file(conn, digest)
    if known is not None:  # before reading the rows: a reload costs a hash
        return CustomsSummary(name, digest, known.id, known.rows_read, 0, already_loaded=True)
    read = read_customs(source, limits, countries, mapping)
    with write_transaction(engine) as conn:
        lock_customs(conn)
        known = _known_file(conn, digest)
        if known is not None:
            return CustomsSummary(name, digest, known.id, known.rows_read, 0, already_loaded=True)
        present = _present(conn, [r["identity"] for r in read.rows])
        _changed(read, present)
        brands = brand_index(conn)
        batch_id = conn.execute(
            insert(LoadBatch).returning(LoadBatch.id),
            {
                "file_name": name,
                "sha256": digest,
                "loaded_at": dt.datetime.now(dt.UTC),
                "rows_read": read.rows_read,
                "components_added": 0,
                "components_matched": 0,
                "citations_added": 0,
                "tool_version": __version__,
                "kind": BATCH_KIND,
            },
        ).scalar_one()
        rows = [r for r in read.rows if r["identity"] not in present]
        for r in rows:
            r["batch_id"] = batch_id
            r["manufacturer_id"] = brands.get(r["brand_key"]) if r["brand_key"] else None
        for start in range(0, len(rows), _CHUNK):
            conn.execute(insert(CustomsShipment), rows[start : start + _CHUNK])
    return CustomsSummary(
        name,
        digest,
        batch_id,
        read.rows_read,
        len(rows),
        already_known=len(read.rows) - len(rows),
        brands_resolved=sum(1 for r in rows if r["manufacturer_id"] is not None),
    )
