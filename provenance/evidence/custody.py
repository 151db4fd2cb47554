"""Reading the evidence back: the files of a component, specimen or weapon system, one file with
its links and chain of custody, custody events added by hand, and ``verify``: every stored file
hashed again, missing and altered ones named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, func, insert, select

from provenance.db import write_transaction
from provenance.errors import EvidenceError
from provenance.evidence.files import sha256_of
from provenance.evidence.store import Store
from provenance.models import (
    Component,
    CustodyEvent,
    CustodyRecord,
    EvidenceFile,
    EvidenceLink,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.values.dates import utc_text
from provenance.values.text import name_key

__all__ = [
    "MIN_PREFIX",
    "CustodyLine",
    "EvidenceDetail",
    "EvidenceRow",
    "Problem",
    "VerifyReport",
    "custody_event",
    "evidence_detail",
    "evidence_rows",
    "find_file",
    "verify",
]

#: The shortest hash prefix ``evidence show`` and ``custody`` accept.
MIN_PREFIX = 6


@dataclass(frozen=True)
class EvidenceRow:
    """One file as it shows one component or specimen."""

    sha256: str
    media_type: str
    size_bytes: int
    original_name: str
    weapon_system: str
    specimen: str
    component_id: int | None
    part: str | None  # the component's function and part number
    caption: str | None
    taken_by: str | None
    source: str | None
    taken_at: str | None
    camera: str | None
    custody_events: int


@dataclass(frozen=True)
class CustodyLine:
    event: str
    occurred_at: str
    actor: str | None
    place: str | None
    sha256_seen: str | None
    note: str | None


@dataclass(frozen=True)
class EvidenceDetail:
    sha256: str
    sha1: str
    size_bytes: int
    media_type: str
    original_name: str
    added_at: str
    taken_at: str | None
    camera: str | None
    gps_latitude: float | None
    gps_longitude: float | None
    width: int | None
    height: int | None
    shows: list[EvidenceRow]
    custody: list[CustodyLine]


def _rows_query() -> Select[Any]:
    custody = (
        select(CustodyRecord.evidence_id, func.count().label("n"))
        .group_by(CustodyRecord.evidence_id)
        .subquery()
    )
    specimen_id = func.coalesce(EvidenceLink.specimen_id, Component.specimen_id)
    columns: list[Any] = [
        EvidenceFile.sha256,
        EvidenceFile.media_type,
        EvidenceFile.size_bytes,
        EvidenceFile.original_name,
        WeaponSystem.designation.label("weapon_system"),
        Specimen.label.label("specimen"),
        EvidenceLink.component_id,
        Component.function,
        Component.part_number,
        EvidenceLink.caption,
        EvidenceLink.taken_by,
        Source.title.label("source"),
        EvidenceFile.taken_at,
        EvidenceFile.camera,
        custody.c.n.label("custody_events"),
    ]
    return (
        select(*columns)
        .select_from(EvidenceLink)
        .join(EvidenceFile, EvidenceFile.id == EvidenceLink.evidence_id)
        .outerjoin(Component, Component.id == EvidenceLink.component_id)
        .join(Specimen, Specimen.id == specimen_id)
        .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
        .outerjoin(Source, Source.id == EvidenceLink.source_id)
        .outerjoin(custody, custody.c.evidence_id == EvidenceFile.id)
        .order_by(
            WeaponSystem.designation,
            Specimen.label,
            EvidenceLink.component_id.is_not(None),
            EvidenceLink.component_id,
            EvidenceFile.sha256,
        )
    )


def _row(r: Row[Any]) -> EvidenceRow:
    m = dict(r._mapping)
    function, part_number = m.pop("function"), m.pop("part_number")
    m["part"] = " ".join(str(x) for x in (function, part_number) if x) or None
    m["custody_events"] = int(m["custody_events"] or 0)
    return EvidenceRow(**m)


def evidence_rows(
    conn: Connection,
    *,
    component_id: int | None = None,
    specimen: str | None = None,
    weapon_ids: Sequence[int] | None = None,
) -> list[EvidenceRow]:
    """The files that show a component, a specimen (its own and its components'), the
    specimens of some weapon systems, or (no filter) everything."""
    query = _rows_query()
    if component_id is not None:
        query = query.where(EvidenceLink.component_id == component_id)
    if specimen is not None:
        query = query.where(Specimen.label_key == name_key(specimen))
    if weapon_ids is not None:
        query = query.where(WeaponSystem.id.in_(list(weapon_ids)))
    return [_row(r) for r in conn.execute(query)]


def find_file(conn: Connection, prefix: str) -> Row[Any]:
    """The stored file whose SHA-256 starts with ``prefix`` (at least six hex digits)."""
    text = prefix.strip().lower()
    if len(text) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in text):
        raise EvidenceError(
            f"{prefix!r}: give a file's SHA-256, or at least its first {MIN_PREFIX} hex digits"
        )
    found = conn.execute(
        select(EvidenceFile.__table__).where(EvidenceFile.sha256.startswith(text)).limit(2)
    ).all()
    if not found:
        raise EvidenceError(
            f"no evidence file's SHA-256 starts with {text} (`provenance evidence list`)"
        )
    if len(found) > 1:
        raise EvidenceError(f"several evidence files' SHA-256 start with {text}: give more digits")
    return found[0]


def evidence_detail(conn: Connection, prefix: str) -> EvidenceDetail:
    """One stored file: its facts, what it shows, its whole chain of custody (oldest first)."""
    f = find_file(conn, prefix)
    shows = [_row(r) for r in conn.execute(_rows_query().where(EvidenceFile.id == f.id))]
    events = conn.execute(
        select(CustodyRecord.__table__)
        .where(CustodyRecord.evidence_id == f.id)
        .order_by(CustodyRecord.occurred_at, CustodyRecord.id)
    )
    custody = [
        CustodyLine(str(e.event), utc_text(e.occurred_at), e.actor, e.place, e.sha256_seen, e.note)
        for e in events
    ]
    return EvidenceDetail(
        f.sha256, f.sha1, f.size_bytes, f.media_type, f.original_name, utc_text(f.added_at),
        f.taken_at, f.camera, f.gps_latitude, f.gps_longitude, f.width, f.height, shows, custody,
    )  # fmt: skip


def custody_event(
    engine: Engine,
    store: Store,
    prefix: str,
    event: CustodyEvent,
    *,
    actor: str | None,
    occurred_at: dt.datetime | None = None,
    place: str | None = None,
    note: str | None = None,
) -> CustodyLine:
    """Append one event to a file's chain of custody, with the hash of the bytes in the store
    now (NULL when the file is missing from the store)."""
    with write_transaction(engine) as conn:
        f = find_file(conn, prefix)
        path = store.path_for(f.sha256)
        seen = sha256_of(path) if path.is_file() else None
        when = occurred_at or dt.datetime.now(dt.UTC)
        if when.tzinfo is None:
            raise EvidenceError(
                "give the time of a custody event with its zone, e.g. 2024-05-01T10:00Z"
            )
        conn.execute(
            insert(CustodyRecord).values(
                evidence_id=f.id, event=event, occurred_at=when, actor=actor, place=place,
                sha256_seen=seen, note=note,
            )
        )  # fmt: skip
    return CustodyLine(event.value, utc_text(when), actor, place, seen, note)


@dataclass(frozen=True)
class Problem:
    sha256: str
    original_name: str
    problem: str  # "missing" or "altered"
    sha256_seen: str | None


@dataclass
class VerifyReport:
    store: str
    checked: int = 0
    ok: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Files in the store that no row of this database names (left in place, never deleted).
    unreferenced: int = 0
    recorded: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems


def verify(
    engine: Engine, store: Store, *, record: bool = False, by: str | None = None
) -> VerifyReport:
    """Hash every stored file again; name the missing and the altered ones. With ``record``,
    append a ``verified`` custody event to each file with the hash seen."""
    report = VerifyReport(str(store.root), recorded=record)
    with engine.connect() as conn:
        files = conn.execute(
            select(EvidenceFile.id, EvidenceFile.sha256, EvidenceFile.original_name).order_by(
                EvidenceFile.sha256
            )
        ).all()
    seen: dict[int, str | None] = {}
    for file_id, sha256, name in files:
        report.checked += 1
        path = store.path_for(sha256)
        found = sha256_of(path) if path.is_file() else None
        seen[file_id] = found
        if found == sha256:
            report.ok += 1
        else:
            problem = "missing" if found is None else "altered"
            report.problems.append(Problem(sha256, name, problem, found))
    known = {sha256 for _id, sha256, _name in files}
    if store.root.is_dir():
        report.unreferenced = sum(
            1 for p in store.root.glob("??/??/*") if p.is_file() and p.name not in known
        )
    if record and files:
        now = dt.datetime.now(dt.UTC)
        expected = {file_id: sha256 for file_id, sha256, _name in files}
        with write_transaction(engine) as conn:
            conn.execute(
                insert(CustodyRecord),
                [
                    {
                        "evidence_id": file_id, "event": CustodyEvent.VERIFIED, "occurred_at": now,
                        "actor": by, "sha256_seen": found,
                        "note": "ok" if found == expected[file_id]
                        else ("missing" if found is None else "altered"),
                    }
                    for file_id, found in seen.items()
                ],
            )  # fmt: skip
    return report
