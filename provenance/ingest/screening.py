"""Loading a sanctions list the user downloaded (issue 16): ``provenance screen load FILE``.

Two OpenSanctions exports are read, told apart by their content (not their name):

- ``targets.simple.csv``: a header with at least ``id``, ``schema`` and ``name`` (the export's
  columns are ``id, schema, name, aliases, birth_date, countries, addresses, identifiers,
  sanctions, phones, emails, dataset, first_seen, last_seen, last_change``), several values in one
  cell separated by ``;``;
- ``entities.ftm.json``: FollowTheMoney entities as JSON lines, one object a line with ``id``,
  ``schema``, ``properties`` (each a list of texts) and ``datasets``. ``Sanction`` entities are
  read for the sanctions text of the entity they name.

Only companies, organisations and people are kept (:data:`PARTY_SCHEMAS`); other entities
(vessels, addresses, ownerships) are counted as skipped. A list is loaded whole or not at all: a
bad line is named by file, line and column and nothing is written. The same file (the same
SHA-256) loaded again changes nothing. Nothing is ever fetched: the user downloads the file.

The limits are those of ``provenance load`` (``provenance.limits``): ``file-size`` (4 GiB by
default) on the file, ``line-size`` (16 MiB) on one JSON line, ``cell-size`` (1 MiB) on one CSV
cell; ``screen load --limit NAME=VALUE`` raises them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, insert, select

from provenance.db import write_transaction
from provenance.errors import InvalidDataError, RowError, ScreeningError
from provenance.evidence.files import sha256_of
from provenance.limits import Limits, size_text
from provenance.migrate import ensure_current
from provenance.models import ScreeningEntity, ScreeningList

#: The schemas screening keeps: the parties a part can pass through.
PARTY_SCHEMAS = frozenset({"Company", "Organization", "LegalEntity", "PublicBody", "Person"})
#: The columns a targets.simple.csv must have.
CSV_REQUIRED = ("id", "schema", "name")
#: How many bad lines an error lists (every bad line is counted).
ERRORS_KEPT = 50
#: FtM properties read as other names, countries and identifiers.
FTM_ALIASES = ("alias", "previousName")
FTM_COUNTRIES = ("country", "jurisdiction", "mainCountry", "registrationCountry", "nationality")
FTM_IDENTIFIERS = (
    "registrationNumber",
    "taxNumber",
    "leiCode",
    "innCode",
    "ogrnCode",
    "vatCode",
    "dunsCode",
    "swiftBic",
    "idNumber",
    "okpoCode",
    "uniqueEntityId",
)
#: The longest entity id (``screening_entities.entity_id``); OpenSanctions ids are far shorter.
ID_LENGTH = 200
_CHUNK = 5_000
#: The key of the PostgreSQL advisory lock screening writers hold ("scrn" in ASCII).
SCREENING_LOCK = 0x7363726E


@dataclass
class ListSummary:
    """What ``load_list`` did with one file."""

    list_id: int
    file_name: str
    sha256: str
    format: str  # "csv" or "ftm"
    datasets: list[str]
    list_date: dt.date | None
    entities: int
    skipped: int = 0  # entities of other schemas (vessels, addresses, ...)
    already_loaded: bool = False  # the same file was loaded before: nothing changed


@dataclass
class _Entity:
    entity_id: str
    schema: str
    name: str
    aliases: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    sanctions: list[str] = field(default_factory=list)

    def row(self, list_id: int) -> dict[str, Any]:
        return {
            "list_id": list_id,
            "entity_id": self.entity_id,
            "schema": self.schema,
            "name": self.name,
            "aliases": _joined(self.aliases),
            "countries": _joined(self.countries),
            "identifiers": _joined(self.identifiers),
            "datasets": _joined(self.datasets),
            "sanctions": _joined(self.sanctions),
        }


@dataclass
class ListFile:
    """A list file read: its entities by id (in file order), or its errors."""

    name: str
    format: str  # "csv" or "ftm"
    entities: dict[str, _Entity] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)
    datasets: set[str] = field(default_factory=set)
    newest: dt.date | None = None
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, column: str, value: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(RowError(self.name, line, column, value, message))

    def add(self, line: int, entity: _Entity) -> None:
        if len(entity.entity_id) > ID_LENGTH:
            self.error(line, "id", entity.entity_id, f"an id of at most {ID_LENGTH} characters")
            return
        first = self.first_line.get(entity.entity_id)
        if first is not None:
            self.error(
                line, "id", entity.entity_id, f"the id is given again (first on line {first})"
            )
            return
        self.first_line[entity.entity_id] = line
        self.entities[entity.entity_id] = entity
        self.datasets.update(entity.datasets)

    def seen(self, line: int, column: str, value: str) -> None:
        """A last_change (or other date) of the list: the newest is the list's date."""
        if not value:
            return
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            self.error(line, column, value, "expected a date, e.g. 2026-12-01T06:02:13")
            return
        if self.newest is None or day > self.newest:
            self.newest = day


def _joined(values: Sequence[str]) -> str | None:
    return ";".join(values) if values else None


def _distinct(values: Iterator[str] | Sequence[str]) -> list[str]:
    """The values stripped, without blanks and repeats, in their order."""
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _split(cell: str | None) -> list[str]:
    return _distinct((cell or "").split(";"))


# --- the file as a whole ----------------------------------------------------------------------


def _too_big(name: str, limits: Limits) -> InvalidDataError:
    return InvalidDataError(
        [
            RowError(
                name,
                0,
                "",
                "",
                f"the file is larger than {size_text(limits.file_size)}, the limit on a "
                "screening list: raise it with --limit file-size=SIZE",
            )
        ]
    )


def sniff(path: Path, name: str) -> str:
    """``"ftm"`` for JSON lines of entities, ``"csv"`` for a targets.simple.csv, else an error."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "ftm"
    first = text.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])]
    if all(column in header for column in CSV_REQUIRED):
        return "csv"
    raise ScreeningError(
        f"{name}: not an OpenSanctions list: expected targets.simple.csv (a CSV header with "
        f"{', '.join(CSV_REQUIRED)}) or entities.ftm.json (one JSON entity a line)"
    )


# --- targets.simple.csv -----------------------------------------------------------------------


def _read_csv(handle: IO[str], read: ListFile, limits: Limits) -> None:
    csv.field_size_limit(limits.cell_size)
    reader = csv.reader(handle)
    header = [h.strip().lower() for h in next(reader)]
    where = {column: header.index(column) for column in header}
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                read.error(start, "", "", f"expected {len(header)} cells, found {len(cells)}")
                continue
            _csv_row(read, start, {c: cells[i] for c, i in where.items()})
    except csv.Error as exc:
        read.error(line + 1, "", "", f"not CSV: {exc} (cell-size limit {limits.cell_size:,})")


def _csv_row(read: ListFile, line: int, cells: dict[str, str]) -> None:
    for column in CSV_REQUIRED:
        if not cells[column].strip():
            read.error(line, column, "", "required")
            return
    read.seen(line, "last_change", cells.get("last_change", "").strip())
    schema = cells["schema"].strip()
    if schema not in PARTY_SCHEMAS:
        read.skipped += 1
        return
    read.add(
        line,
        _Entity(
            entity_id=cells["id"].strip(),
            schema=schema,
            name=cells["name"].strip(),
            aliases=_split(cells.get("aliases")),
            countries=[c.lower() for c in _split(cells.get("countries"))],
            identifiers=_split(cells.get("identifiers")),
            datasets=_split(cells.get("dataset")),
            sanctions=_split(cells.get("sanctions")),
        ),
    )


# --- entities.ftm.json ------------------------------------------------------------------------


def _texts(read: ListFile, line: int, props: dict[str, Any], names: Sequence[str]) -> list[str]:
    """The values of the properties ``names``; a property that is not a list of texts is an
    error naming it."""
    out: list[str] = []
    for prop in names:
        values = props.get(prop, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            read.error(line, f"properties.{prop}", str(values)[:200], "expected a list of texts")
            continue
        out += values
    return _distinct(out)


def _ftm_object(read: ListFile, line: int, text: str) -> dict[str, Any] | None:
    """One line as an entity object with an id, a schema and properties, or None (an error)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        read.error(line, "", text[:200], f"not JSON: {exc.msg} at character {exc.pos + 1}")
        return None
    if not isinstance(data, dict):
        read.error(line, "", text[:200], "expected one JSON object (an entity) a line")
        return None
    for key in ("id", "schema"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            read.error(line, key, str(data.get(key, ""))[:200], "required: a text")
            return None
    if not isinstance(data.get("properties", {}), dict):
        read.error(line, "properties", "", "expected an object of properties")
        return None
    return data


def _ftm_line(
    read: ListFile, line: int, data: dict[str, Any], sanctions: dict[str, list[str]]
) -> None:
    props: dict[str, Any] = data.get("properties", {})
    if isinstance(data.get("last_change"), str):
        read.seen(line, "last_change", data["last_change"])
    schema = data["schema"].strip()
    if schema == "Sanction":
        said = " ".join(_texts(read, line, props, ("authority", "program")))
        said = said or " ".join(_texts(read, line, props, ("reason",)))
        for target in _texts(read, line, props, ("entity",)):
            sanctions.setdefault(target, []).append(said or "sanctioned")
        return
    if schema not in PARTY_SCHEMAS:
        read.skipped += 1
        return
    names = _texts(read, line, props, ("name",))
    caption = data.get("caption")
    name = caption.strip() if isinstance(caption, str) and caption.strip() else ""
    name = name or (names[0] if names else "")
    if not name:
        read.error(line, "properties.name", "", f"required: a {schema} without a name")
        return
    datasets = data.get("datasets", [])
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        read.error(line, "datasets", str(datasets)[:200], "expected a list of texts")
        return
    read.add(
        line,
        _Entity(
            entity_id=data["id"].strip(),
            schema=schema,
            name=name,
            aliases=[
                n for n in _distinct(names + _texts(read, line, props, FTM_ALIASES)) if n != name
            ],
            countries=[c.lower() for c in _texts(read, line, props, FTM_COUNTRIES)],
            identifiers=_texts(read, line, props, FTM_IDENTIFIERS),
            datasets=_distinct(datasets),
        ),
    )


def _read_ftm(handle: IO[str], read: ListFile, limits: Limits) -> None:
    sanctions: dict[str, list[str]] = {}
    line = 0
    while text := handle.readline(limits.line_size + 1):
        line += 1
        if len(text) > limits.line_size and not text.endswith("\n"):
            read.error(line, "", "", f"a line longer than {limits.line_size:,} characters")
            return
        if not text.strip():
            continue
        data = _ftm_object(read, line, text)
        if data is not None:
            _ftm_line(read, line, data, sanctions)
    for entity_id, said in sanctions.items():
        entity = read.entities.get(entity_id)
        if entity is not None:
            entity.sanctions = _distinct(entity.sanctions + said)


# --- the load ---------------------------------------------------------------------------------


def _first_line_not_utf8(path: Path) -> int:
    """The number of the first line that is not UTF-8 (0: none found)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def read_list(path: Path, name: str | None = None, limits: Limits | None = None) -> ListFile:
    """The entities of a list file, checked; an ``InvalidDataError`` names every bad line."""
    limits = limits or Limits()
    name = name or path.name
    if path.stat().st_size > limits.file_size:
        raise _too_big(name, limits)
    kind = sniff(path, name)
    read = ListFile(name, kind)
    with path.open(encoding="utf-8-sig", newline="" if kind == "csv" else None) as handle:
        try:
            (_read_csv if kind == "csv" else _read_ftm)(handle, read, limits)
        except UnicodeDecodeError as exc:
            line = _first_line_not_utf8(path)
            raise InvalidDataError(
                [RowError(name, line, "", "", f"not UTF-8 text ({exc.reason}): save it as UTF-8")]
            ) from exc
    if read.error_count:
        raise InvalidDataError(read.errors, read.error_count)
    return read


def lock_screening(conn: Connection) -> None:
    """Make screening writers (loads of lists, runs) wait for each other: on PostgreSQL an
    advisory lock held to the end of the transaction; SQLite's writers already take turns
    (``BEGIN IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(SCREENING_LOCK)))


def _summary(known: Any) -> ListSummary:
    return ListSummary(
        known.id,
        known.file_name,
        known.sha256,
        known.format,
        _split(known.datasets),
        known.list_date,
        known.entity_count,
        already_loaded=True,
    )


def loaded_lists(conn: Connection) -> list[ListSummary]:
    """The lists loaded, in the order they were loaded (``screen lists``)."""
    return [
        _summary(known) for known in conn.execute(select(ScreeningList).order_by(ScreeningList.id))
    ]


def _known(conn: Connection, digest: str) -> ListSummary | None:
    """The summary of the list loaded before from a file of this SHA-256, if any."""
    known = conn.execute(select(ScreeningList).where(ScreeningList.sha256 == digest)).first()
    return None if known is None else _summary(known)


def load_list(engine: Engine, path: Path, limits: Limits | None = None) -> ListSummary:
    """Load the sanctions list at ``path`` (an OpenSanctions ``targets.simple.csv`` or
    ``entities.ftm.json``): all of it in one transaction, or nothing. A file loaded before (same
    SHA-256) is not loaded again: the summary says ``already_loaded``."""
    ensure_current(engine)
    name = path.name
    limits = limits or Limits()
    if path.stat().st_size > limits.file_size:
        raise _too_big(name, limits)  # before reading it whole for its SHA-256
    digest = sha256_of(path)
    with engine.connect() as conn:
        known = _known(conn, digest)
    if known is not None:
        return known
    read = read_list(path, name, limits)
    datasets = sorted(read.datasets)
    with write_transaction(engine) as conn:
        lock_screening(conn)
        known = _known(conn, digest)  # loaded by another writer meanwhile
        if known is not None:
            return known
        list_id = conn.execute(
            insert(ScreeningList).returning(ScreeningList.id),
            {
                "file_name": name,
                "sha256": digest,
                "format": read.format,
                "datasets": _joined(datasets),
                "list_date": read.newest,
                "loaded_at": dt.datetime.now(dt.UTC),
                "entity_count": len(read.entities),
            },
        ).scalar_one()
        rows = [e.row(list_id) for e in read.entities.values()]
        for start in range(0, len(rows), _CHUNK):
            conn.execute(insert(ScreeningEntity), rows[start : start + _CHUNK])
    return ListSummary(
        list_id, name, digest, read.format, datasets, read.newest, len(rows), skipped=read.skipped
    )
