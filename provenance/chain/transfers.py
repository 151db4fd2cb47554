"""Transfers: the steps of a chain, loaded from a file (CSV, JSON, any format the readers take)
or written by a trace request's answer.

A step is of one component (``component_id``), of a batch (``part_number`` and ``lot`` of a
``manufacturer``) or of a manufacturer's product line (``manufacturer`` alone). Each row is one
source's claim: a file that tells a step another way adds its own row beside the first, never
over it (``provenance chain`` marks the two "disputed"). Loading the same row again adds nothing.

A load is all or nothing: every bad value is reported with its file, row and column, and the
database is left as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, insert, select

from provenance.chain.parties import PartySpec, find_party, insert_party
from provenance.db import write_transaction
from provenance.errors import InvalidDataError, ProvenanceError, RowError
from provenance.ingest.readers import inspect_file, read_tables
from provenance.models import (
    Base,
    Component,
    DatePrecision,
    DocumentKind,
    PartyRole,
    Source,
    Transfer,
)
from provenance.reference.manufacturers import find as find_manufacturer
from provenance.values.countries import default_resolver
from provenance.values.dates import parse_partial_date
from provenance.values.text import clean_text, manufacturer_key, name_key

#: The columns of a transfers file (``to_party`` and ``source_title`` are required).
COLUMNS = (
    "component_id",
    "part_number",
    "lot",
    "manufacturer",
    "from_party",
    "from_role",
    "to_party",
    "to_role",
    "date",
    "place",
    "country",
    "document_kind",
    "document_ref",
    "source_publisher",
    "source_title",
    "source_url",
    "notes",
)
REQUIRED = ("to_party", "source_title")
_E = TypeVar("_E", PartyRole, DocumentKind)
_TRANSFERS = Base.metadata.tables["transfers"]


@dataclass
class TransferSpec:
    """One step, checked: ids, not names."""

    to_party_id: int
    source_id: int
    component_id: int | None = None
    manufacturer_id: int | None = None
    part_number: str | None = None
    lot: str | None = None
    from_party_id: int | None = None
    from_role: PartyRole | None = None
    to_role: PartyRole | None = None
    transferred_on: dt.date | None = None
    transferred_precision: DatePrecision | None = None
    place: str | None = None
    country_code: str | None = None
    document_kind: DocumentKind | None = None
    document_ref: str | None = None
    trace_request_id: int | None = None
    notes: str | None = None


@dataclass
class TransfersSummary:
    file: str
    rows: int = 0
    transfers_added: int = 0
    already_known: int = 0
    parties_added: int = 0
    sources_added: int = 0

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


_SAME = (
    "component_id",
    "manufacturer_id",
    "part_number",
    "lot",
    "from_party_id",
    "to_party_id",
    "transferred_on",
    "document_ref",
    "source_id",
)


def known_steps(conn: Connection, like: TransferSpec | None = None) -> set[tuple[object, ...]]:
    """What makes a step the same, for every step the database holds (one query per load), or
    for those of the same subject and buyer as ``like``."""
    query = select(*[getattr(Transfer, k) for k in _SAME])
    if like is not None:
        subject = Transfer.component_id == like.component_id
        if like.component_id is None:
            subject = Transfer.component_id.is_(None) & (
                Transfer.manufacturer_id == like.manufacturer_id
            )
        query = query.where(subject, Transfer.to_party_id == like.to_party_id)
    return {tuple(r) for r in conn.execute(query)}


def insert_transfer(conn: Connection, spec: TransferSpec) -> bool:
    """Add ``spec`` in the open transaction unless the same source told the same step already;
    True when added."""
    values = dict(vars(spec))
    key = tuple(values[k] for k in _SAME)
    if key in known_steps(conn, spec):
        return False
    conn.execute(insert(_TRANSFERS), [{**values, "added_at": dt.datetime.now(dt.UTC)}])
    return True


def source_id(
    conn: Connection, publisher: str, title: str, url: str | None = None
) -> tuple[int, bool]:
    """The id of the source (publisher, title), added when new; and whether it was added."""
    key = (name_key(publisher), name_key(title))
    found = conn.execute(
        select(Source.id).where(Source.publisher_key == key[0], Source.title_key == key[1])
    ).scalar_one_or_none()
    if found is not None:
        return int(found), False
    new = conn.execute(
        insert(Source)
        .values(publisher=publisher, title=title, publisher_key=key[0], title_key=key[1], url=url)
        .returning(Source.id)
    ).scalar_one()
    return int(new), True


class _Row:
    """One record's cells, with the errors found while reading them."""

    def __init__(self, name: str, row: int, kind: str, values: dict[str, str | None]) -> None:
        self.name, self.row, self.kind = name, row, kind
        self.values = {k.strip().lower(): clean_text(v) for k, v in values.items() if k}
        self.errors: list[RowError] = []

    def get(self, column: str) -> str | None:
        return self.values.get(column)

    def error(self, column: str, message: str) -> None:
        value = self.values.get(column) or ""
        self.errors.append(RowError(self.name, self.row, column, value, message, self.kind))

    def enum(self, column: str, cls: type[_E]) -> _E | None:
        text = self.get(column)
        if text is None:
            return None
        try:
            return cls(text.lower().replace(" ", "_").replace("-", "_"))
        except ValueError:
            self.error(column, f"expected one of {', '.join(m.value for m in cls)}")
            return None


def _party(
    conn: Connection, row: _Row, column: str, new_parties: bool, seen: dict[str, int | None]
) -> int | None:
    name = row.get(column)
    if name is None:
        if column == "to_party":
            row.error(column, "required: who received the part")
        return None
    key = manufacturer_key(name)
    if key not in seen:
        seen[key] = find_party(conn, name)
    found = seen[key]
    if found is None and new_parties:
        found = seen[key] = insert_party(conn, PartySpec(name=name))
        row.values["_new_" + column] = "1"
    if found is None:
        row.error(column, "unknown party (add it with `provenance parties add`, or --new-parties)")
    return found


def _missing(conn: Connection, component: int) -> bool:
    found = conn.execute(select(Component.id).where(Component.id == component))
    return found.first() is None


def _subject(conn: Connection, row: _Row, spec: TransferSpec) -> None:
    text = row.get("component_id")
    if text is not None:
        if not text.isdigit() or _missing(conn, int(text)):
            row.error("component_id", "no component with this id")
        else:
            spec.component_id = int(text)
    maker = row.get("manufacturer")
    if maker is not None:
        try:
            spec.manufacturer_id = find_manufacturer(conn, maker)
        except ProvenanceError as exc:
            row.error("manufacturer", str(exc))
    spec.part_number, spec.lot = row.get("part_number"), row.get("lot")
    if spec.component_id is None and maker is None and not row.errors:
        row.error(
            "component_id", "a step needs a component_id, or a manufacturer (and part number)"
        )
    if spec.lot is not None and spec.part_number is None:
        row.error("lot", "a lot needs its part_number")


def _when_where(row: _Row, spec: TransferSpec) -> None:
    text = row.get("date")
    if text is not None:
        try:
            spec.transferred_on, spec.transferred_precision = parse_partial_date(text)
        except ValueError as exc:
            row.error("date", str(exc))
    country = row.get("country")
    if country is not None:
        spec.country_code = default_resolver().lookup(country)
        if spec.country_code is None:
            row.error("country", "unknown country")
    spec.place = row.get("place")


def _check_row(
    conn: Connection, row: _Row, new_parties: bool, seen: dict[str, int | None]
) -> TransferSpec | None:
    to_party = _party(conn, row, "to_party", new_parties, seen)
    from_party = _party(conn, row, "from_party", new_parties, seen)
    title = row.get("source_title")
    if title is None:
        row.error("source_title", "required: the source that shows this step")
    spec = TransferSpec(to_party_id=to_party or 0, source_id=0, from_party_id=from_party)
    _subject(conn, row, spec)
    _when_where(row, spec)
    spec.from_role = row.enum("from_role", PartyRole)
    spec.to_role = row.enum("to_role", PartyRole)
    spec.document_kind = row.enum("document_kind", DocumentKind)
    spec.document_ref, spec.notes = row.get("document_ref"), row.get("notes")
    return None if row.errors else spec


def _rows(path: Path) -> Iterable[_Row]:
    source = inspect_file(path)
    for table in read_tables(source):
        unknown = [c for c in table.columns if c and c.strip().lower() not in COLUMNS]
        if unknown:
            raise InvalidDataError(
                [
                    RowError(table.name, 0, c, "", f"unknown column; expected {', '.join(COLUMNS)}")
                    for c in unknown
                ]
            )
        for record in table.records:
            if record.errors:
                raise InvalidDataError(record.errors)
            yield _Row(table.name, record.row, record.row_kind, record.values)


def load_transfers(engine: Engine, path: Path, *, new_parties: bool = False) -> TransfersSummary:
    """Load the steps of ``path``: all of them, or (InvalidDataError) nothing."""
    summary = TransfersSummary(file=str(path))
    errors: list[RowError] = []
    with write_transaction(engine) as conn:
        known = known_steps(conn)
        seen: dict[str, int | None] = {}
        sources: dict[tuple[str, str, str | None], int] = {}
        pending: list[dict[str, object]] = []
        for row in _rows(path):
            summary.rows += 1
            spec = _check_row(conn, row, new_parties, seen)
            errors += row.errors
            if spec is None or errors:
                continue
            cited = (
                row.get("source_publisher") or "unknown publisher",
                str(row.get("source_title")),
                row.get("source_url"),
            )
            if cited not in sources:
                sources[cited], added = source_id(conn, *cited)
                summary.sources_added += added
            spec.source_id = sources[cited]
            summary.parties_added += sum(1 for k in row.values if k.startswith("_new_"))
            values = dict(vars(spec))
            key = tuple(values[k] for k in _SAME)
            if key in known:
                summary.already_known += 1
                continue
            known.add(key)
            pending.append({**values, "added_at": dt.datetime.now(dt.UTC)})
        if pending and not errors:  # one executemany
            conn.execute(insert(_TRANSFERS), pending)
            summary.transfers_added = len(pending)
        if errors:
            raise InvalidDataError(errors)  # the transaction rolls back: nothing is kept
    return summary
