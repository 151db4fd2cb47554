"""Loading findings: one row per component recovered from a weapon, cited by a source.

A load is all or nothing. Every row of every file is checked first, against the database and
against the other rows; if any row is bad, nothing is written and every problem is reported with
its file, row, column and value. Then everything is written in one transaction, through SQLAlchemy
Core with lookups filled once per load, and each file gets a load batch that its rows point to.

Loading the same findings again adds nothing: a component is identified within its specimen by
its function, part number, marking, manufacturer and date code; a new source for a known component
adds a citation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, Table, insert, select, update

from provenance import __version__
from provenance.countries import CountryResolver, default_resolver
from provenance.dates import parse_full_date, parse_partial_date
from provenance.db import write_transaction
from provenance.errors import InvalidDataError, RowError
from provenance.migrate import ensure_current
from provenance.models import (
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
from provenance.readers import Record, read_records
from provenance.text import clean_text, name_key

#: The findings layout, in the order the README documents it.
COLUMNS: tuple[str, ...] = (
    "weapon_system",
    "weapon_producer_country",
    "specimen",
    "recovered_on",
    "recovered_at",
    "component",
    "part_number",
    "marking",
    "manufacturer",
    "manufacturer_country",
    "made_in",
    "date_code",
    "manufactured_on",
    "quantity",
    "hs_code",
    "authenticity",
    "source_publisher",
    "source_title",
    "source_url",
    "source_published_on",
    "notes",
)
#: Further optional columns.
EXTRA_COLUMNS: tuple[str, ...] = (
    "weapon_category",
    "recovered_by",
    "identification_confidence",
    "source_reliability",
)
REQUIRED: tuple[str, ...] = ("weapon_system", "specimen", "component", "manufacturer")
MAX_REPORTED_ERRORS = 50
_CHUNK = 500


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
    sources_created: int = 0
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


@dataclass
class _Finding:
    file_index: int
    specimen: _Entity
    manufacturer: _Entity
    source: _Entity
    identity: str
    values: dict[str, Any]


@dataclass
class _File:
    path: Path
    sha256: str
    summary: LoadSummary
    findings: list[_Finding] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def hs6_of(hs_code: str | None) -> str | None:
    """The first six digits of an HS code (``8504.40.00`` -> ``850440``), None if shorter."""
    if hs_code is None:
        return None
    digits = hs_code.replace(".", "").replace(" ", "")
    return digits[:6] if len(digits) >= 6 else None


def _parse_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in text:
        raise ValueError("expected a web address starting with http:// or https://")
    return text


def component_identity(
    specimen_key: str,
    function: str,
    part_number: str | None,
    marking: str | None,
    manufacturer_key: str,
    date_code: str | None,
) -> str:
    """The hash that identifies a component within its specimen."""
    parts = (specimen_key, function, part_number or "", marking or "", manufacturer_key)
    text = "\x1f".join(name_key(p) for p in (*parts, date_code or ""))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class _Catalogue:
    """What the database already holds, read once per load, plus what this load will create."""

    def __init__(self, conn: Connection, resolver: CountryResolver) -> None:
        self.conn = conn
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
        for id_, name, key, country in conn.execute(
            select(
                Manufacturer.id, Manufacturer.name, Manufacturer.name_key, Manufacturer.country_code
            )
        ):
            self.manufacturers[key] = _Entity(key, id_, {"name": name, "country_code": country})
        by_id = {e.id: e for e in self.manufacturers.values()}
        for alias_key, m_id in conn.execute(
            select(ManufacturerAlias.alias_key, ManufacturerAlias.manufacturer_id)
        ):
            self.manufacturers.setdefault(alias_key, by_id[m_id])
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


class _RowChecker:
    """Checks one record, collecting every problem in it, and resolves it against the catalogue."""

    def __init__(self, cat: _Catalogue, file: _File, file_index: int, errors: list[RowError]):
        self.cat = cat
        self.file = file
        self.file_index = file_index
        self.errors = errors

    def check(self, record: Record) -> _Finding | None:
        if record.errors:
            self.errors.extend(record.errors)
            return None
        raw = record.values
        v = {k: clean_text(val) for k, val in raw.items()}
        n_errors = len(self.errors)

        def bad(column: str, message: str) -> None:
            value = raw.get(column) or ""
            self.errors.append(
                RowError(str(self.file.path), record.row, column, value, message, record.row_kind)
            )

        def parsed(column: str, parse: Callable[[str], Any]) -> Any:
            text = v.get(column)
            if text is None:
                return None
            try:
                return parse(text)
            except ValueError as exc:
                bad(column, str(exc))
                return None

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

        producer = country("weapon_producer_country")
        hq = country("manufacturer_country")
        made_in = country("made_in")
        made = parsed("manufactured_on", parse_partial_date)
        recovered_on = parsed("recovered_on", parse_full_date)
        published = parsed("source_published_on", parse_partial_date)
        quantity = parsed("quantity", _parse_quantity) or 1
        hs_code = parsed("hs_code", _parse_hs_code)
        url = parsed("source_url", _parse_url)
        authenticity = parsed("authenticity", lambda t: _enum_value(Authenticity, t))
        confidence = parsed("identification_confidence", lambda t: _enum_value(Confidence, t))
        reliability = parsed("source_reliability", lambda t: _enum_value(Reliability, t))
        if len(self.errors) > n_errors:
            return None

        weapon = self._weapon(v, producer, bad)
        manufacturer = self._manufacturer(v, hq, bad)
        source = self._source(v, url, published, reliability, bad)
        specimen = self._specimen(v, weapon, recovered_on, confidence, bad) if weapon else None
        if not (weapon and manufacturer and source and specimen) or len(self.errors) > n_errors:
            return None

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
            "hs6": hs6_of(hs_code),
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
        return _Finding(self.file_index, specimen, manufacturer, source, identity, values)

    def _new(self, key: Any, values: dict[str, Any]) -> _Entity:
        return _Entity(key, None, values, created_by=self.file_index)

    def _weapon(
        self, v: dict[str, str | None], producer: str | None, bad: Callable[[str, str], None]
    ) -> _Entity | None:
        designation = v["weapon_system"]
        assert designation is not None
        key = name_key(designation)
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
            self.cat.weapons[key] = entity
        elif producer is not None and producer != entity.values["producer"]:
            bad(
                "weapon_producer_country",
                f"{entity.values['designation']} is recorded as produced by "
                f"{self.cat.countries.country(entity.values['producer']).display_name}",
            )
            return None
        return entity

    def _manufacturer(
        self, v: dict[str, str | None], hq: str | None, bad: Callable[[str, str], None]
    ) -> _Entity | None:
        name = v["manufacturer"]
        assert name is not None
        key = name_key(name)
        entity = self.cat.manufacturers.get(key)
        if entity is None:
            entity = self._new(key, {"name": name, "country_code": hq})
            self.cat.manufacturers[key] = entity
            return entity
        stored = entity.values["country_code"]
        if hq is not None and stored is None:
            entity.values["country_code"] = hq
            if entity.id is not None:
                entity.update["country_code"] = hq
        elif hq is not None and hq != stored:
            bad(
                "manufacturer_country",
                f"{entity.values['name']} is recorded with headquarters in "
                f"{self.cat.countries.country(stored).display_name}",
            )
            return None
        return entity

    def _source(
        self,
        v: dict[str, str | None],
        url: str | None,
        published: tuple[dt.date, Any] | None,
        reliability: Reliability | None,
        bad: Callable[[str, str], None],
    ) -> _Entity | None:
        publisher, title = v.get("source_publisher"), v.get("source_title")
        if publisher is None or title is None:
            assert url is not None
            host = urlsplit(url).netloc
            publisher, title = publisher or host, title or url
        key = (name_key(publisher), name_key(title))
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
            self.cat.sources_by_title[key] = entity
            if url:
                self.cat.sources_by_url[url] = entity
        elif url is not None and entity.values["url"] not in (None, url):
            bad("source_url", f"this source is recorded with the URL {entity.values['url']}")
            return None
        elif url is not None and entity.values["url"] is None:
            # A known source without its URL: keep the URL, or the next row citing the source by
            # its URL alone would create a second source.
            entity.values["url"] = url
            self.cat.sources_by_url[url] = entity
            if entity.id is not None:
                entity.update["url"] = url
        return entity

    def _specimen(
        self,
        v: dict[str, str | None],
        weapon: _Entity,
        recovered_on: dt.date | None,
        confidence: Confidence | None,
        bad: Callable[[str, str], None],
    ) -> _Entity | None:
        label = v["specimen"]
        assert label is not None
        key = name_key(label)
        given = {
            "recovered_on": recovered_on,
            "recovered_at": v.get("recovered_at"),
            "recovered_by": v.get("recovered_by"),
            "identification_confidence": confidence,
        }
        entity = self.cat.specimens.get(key)
        if entity is None:
            entity = self._new(key, {"label": label, "weapon": weapon, **given})
            self.cat.specimens[key] = entity
            return entity
        if entity.values["weapon"] is not weapon:
            bad(
                "weapon_system",
                f"specimen {entity.values['label']} is recorded as a "
                f"{entity.values['weapon'].values['designation']}",
            )
            return None
        for column, value in given.items():
            stored = entity.values[column]
            if value is not None and stored is not None and value != stored:
                bad(column, f"specimen {entity.values['label']} is recorded with {stored}")
                return None
            if value is not None and stored is None:
                entity.values[column] = value
                if entity.id is not None:
                    entity.update[column] = value
        return entity


def _check_files(cat: _Catalogue, paths: Sequence[Path], errors: list[RowError]) -> list[_File]:
    files: list[_File] = []
    for index, path in enumerate(paths):
        file = _File(path, "", LoadSummary(str(path), ""))
        files.append(file)
        n_errors = len(errors)
        try:
            file.sha256 = file.summary.sha256 = _sha256(path)
            columns, records = read_records(path)
            known = set(COLUMNS) | set(EXTRA_COLUMNS)
            unknown = [c for c in columns if c not in known]
            if unknown:
                file.summary.warnings.append(
                    f"{path}: ignored columns that provenance does not know: {', '.join(unknown)}"
                )
            if columns and not any(c in columns for c in REQUIRED):
                raise InvalidDataError(
                    [
                        RowError(
                            str(path),
                            1,
                            "",
                            "",
                            "the header has none of the findings columns "
                            f"({', '.join(REQUIRED)}, ...): see README 'Findings files'",
                        )
                    ]
                )
            checker = _RowChecker(cat, file, index, errors)
            pending: list[Record] = []
            for record in records:
                file.summary.rows_read += 1
                pending.append(record)
                if len(pending) >= _CHUNK:
                    _check_chunk(cat, checker, file, pending)
                    pending = []
            _check_chunk(cat, checker, file, pending)
        except InvalidDataError as exc:
            errors.extend(exc.errors)
        except OSError as exc:
            errors.append(RowError(str(path), 0, "", "", f"cannot read the file ({exc.strerror})"))
        if file.summary.rows_read == 0 and len(errors) == n_errors:
            errors.append(RowError(str(path), 0, "", "", "the file holds no findings"))
    return files


def _check_chunk(cat: _Catalogue, checker: _RowChecker, file: _File, records: list[Record]) -> None:
    cat.specimen_values(name_key(r.values.get("specimen") or "") for r in records)
    for record in records:
        finding = checker.check(record)
        if finding is not None:
            file.findings.append(finding)


def _insert_entities(
    conn: Connection,
    table: Table,
    entities: list[_Entity],
    rows: Callable[[_Entity], dict[str, Any]],
    key_columns: Sequence[str],
) -> None:
    """Insert new entities and set their ids (looked up again by their unique key)."""
    if not entities:
        return
    conn.execute(insert(table), [rows(e) for e in entities])
    by_key = {e.key: e for e in entities}
    cols = [table.c[c] for c in key_columns]
    keys = list(by_key)
    for chunk in _chunks(keys):
        if len(cols) == 1:
            condition = cols[0].in_(chunk)
        else:
            from sqlalchemy import tuple_

            condition = tuple_(*cols).in_(chunk)
        for row in conn.execute(select(table.c.id, *cols).where(condition)):
            key = row[1] if len(cols) == 1 else tuple(row[1:])
            by_key[key].id = row[0]


def _write_file(conn: Connection, cat: _Catalogue, file: _File, index: int) -> None:
    summary = file.summary
    batch_id = conn.execute(
        insert(LoadBatch).returning(LoadBatch.id),
        {
            "file_name": Path(file.path).name,
            "sha256": file.sha256,
            "loaded_at": dt.datetime.now(dt.UTC),
            "rows_read": summary.rows_read,
            "components_added": 0,
            "components_matched": 0,
            "citations_added": 0,
            "tool_version": __version__,
        },
    ).scalar_one()
    summary.batch_id = batch_id

    def new(entities: Iterable[_Entity]) -> list[_Entity]:
        unique = {id(e): e for e in entities if e.id is None and e.created_by == index}
        return list(unique.values())

    findings = file.findings
    weapons = new(f.specimen.values["weapon"] for f in findings)
    _insert_entities(
        conn,
        WeaponSystem.__table__,  # type: ignore[arg-type]
        weapons,
        lambda e: {
            "designation": e.values["designation"],
            "designation_key": e.key,
            "category": e.values.get("category"),
            "producer_country_code": e.values["producer"],
            "batch_id": batch_id,
        },
        ["designation_key"],
    )
    manufacturers = new(f.manufacturer for f in findings)
    _insert_entities(
        conn,
        Manufacturer.__table__,  # type: ignore[arg-type]
        manufacturers,
        lambda e: {
            "name": e.values["name"],
            "name_key": e.key,
            "country_code": e.values["country_code"],
            "batch_id": batch_id,
        },
        ["name_key"],
    )
    updated = {id(f.manufacturer): f.manufacturer for f in findings if f.manufacturer.update}
    for entity in updated.values():
        conn.execute(update(Manufacturer).where(Manufacturer.id == entity.id).values(entity.update))
        entity.update = {}
    summary.manufacturers_updated = len(updated)
    sources = new(f.source for f in findings)
    _insert_entities(
        conn,
        Source.__table__,  # type: ignore[arg-type]
        sources,
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
    )
    source_updates = {id(f.source): f.source for f in findings if f.source.update}
    for entity in source_updates.values():
        conn.execute(update(Source).where(Source.id == entity.id).values(entity.update))
        entity.update = {}
    specimens = new(f.specimen for f in findings)
    _insert_entities(
        conn,
        Specimen.__table__,  # type: ignore[arg-type]
        specimens,
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
    )
    specimen_updates = {id(f.specimen): f.specimen for f in findings if f.specimen.update}
    for entity in specimen_updates.values():
        conn.execute(update(Specimen).where(Specimen.id == entity.id).values(entity.update))
        entity.update = {}
    summary.weapon_systems_created = len(weapons)
    summary.manufacturers_created = len(manufacturers)
    summary.sources_created = len(sources)
    summary.specimens_created = len(specimens)

    # Components: the ones already stored for these specimens, then the new ones.
    specimen_ids = sorted({f.specimen.id for f in findings if f.specimen.id is not None})
    existing: dict[tuple[int, str], int] = {}
    for chunk in _chunks(specimen_ids):
        for sid, identity, cid in conn.execute(
            select(Component.specimen_id, Component.identity, Component.id).where(
                Component.specimen_id.in_(chunk)
            )
        ):
            existing[(sid, identity)] = cid
    to_add: dict[tuple[int, str], _Finding] = {}
    for f in findings:
        assert f.specimen.id is not None
        k = (f.specimen.id, f.identity)
        if k in existing or k in to_add:
            summary.components_matched += 1
        else:
            to_add[k] = f
    if to_add:
        conn.execute(
            insert(Component),
            [
                {
                    **f.values,
                    "specimen_id": k[0],
                    "identity": k[1],
                    "manufacturer_id": f.manufacturer.id,
                    "batch_id": batch_id,
                }
                for k, f in to_add.items()
            ],
        )
        for chunk in _chunks(sorted({k[0] for k in to_add})):
            for sid, identity, cid in conn.execute(
                select(Component.specimen_id, Component.identity, Component.id).where(
                    Component.specimen_id.in_(chunk)
                )
            ):
                existing[(sid, identity)] = cid
    summary.components_added = len(to_add)

    # Citations: one per (component, source), added when new.
    pairs = {(existing[(f.specimen.id, f.identity)], f.source.id) for f in findings}  # type: ignore[index]
    cited: set[tuple[int, int]] = set()
    component_ids = sorted({p[0] for p in pairs})
    for chunk in _chunks(component_ids):
        cited.update(
            (cid, sid)
            for cid, sid in conn.execute(
                select(Citation.component_id, Citation.source_id).where(
                    Citation.component_id.in_(chunk)
                )
            )
        )
    new_pairs = sorted(pairs - cited)
    if new_pairs:
        conn.execute(
            insert(Citation),
            [{"component_id": c, "source_id": s, "batch_id": batch_id} for c, s in new_pairs],
        )
    summary.citations_added = len(new_pairs)
    summary.duplicate_rows = len(findings) - len(pairs)
    conn.execute(
        update(LoadBatch)
        .where(LoadBatch.id == batch_id)
        .values(
            components_added=summary.components_added,
            components_matched=summary.components_matched,
            citations_added=summary.citations_added,
        )
    )


def load_files(
    engine: Engine,
    paths: Sequence[Path | str],
    *,
    dry_run: bool = False,
    resolver: CountryResolver | None = None,
) -> list[LoadSummary]:
    """Load findings files, all of them or nothing.

    Raises ``InvalidDataError`` (nothing written) listing every bad row, up to
    ``MAX_REPORTED_ERRORS``. With ``dry_run`` everything is checked and counted, nothing kept.
    """
    ensure_current(engine)
    files_paths = [Path(p) for p in paths]
    with write_transaction(engine) as conn:
        cat = _Catalogue(conn, resolver or default_resolver())
        errors: list[RowError] = []
        files = _check_files(cat, files_paths, errors)
        if errors:
            raise InvalidDataError(errors[:MAX_REPORTED_ERRORS], total=len(errors))
        for index, file in enumerate(files):
            _write_file(conn, cat, file, index)
            file.summary.dry_run = dry_run
        if dry_run:
            conn.rollback()
            for file in files:
                file.summary.batch_id = None
    return [f.summary for f in files]
