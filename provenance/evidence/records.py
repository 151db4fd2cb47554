"""Evidence in the database: adding files (to the store and the database, all or nothing), what
each shows, the append-only chain of custody, and verification of every stored file.

A file is known by its SHA-256: the same bytes added twice, under any name, are one
``evidence_files`` row and one file in the store; each component or specimen it shows is an
``evidence_links`` row. Every add that changes something appends a ``received`` custody event
with the hash seen; ``verify`` hashes every stored file again and, when asked to record, appends a
``verified`` event per file (with the hash it saw: a missing file's is NULL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

from provenance.db import write_transaction
from provenance.errors import EvidenceError
from provenance.evidence.files import FileFacts, read_facts
from provenance.evidence.store import Store
from provenance.limits import Limits
from provenance.models import (
    Component,
    CustodyEvent,
    CustodyRecord,
    EvidenceFile,
    EvidenceLink,
    Source,
    Specimen,
)
from provenance.values.text import name_key

__all__ = [
    "AddSummary",
    "Added",
    "Pending",
    "add_evidence",
    "find_source",
    "prepare",
    "record_pending",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Pending:
    """A file read and hashed, not yet in the store or the database, and what it shows."""

    path: Path
    name: str  # the name it is recorded under (the file's own name)
    facts: FileFacts
    component_id: int | None = None
    specimen_id: int | None = None
    caption: str | None = None
    taken_by: str | None = None
    source_id: int | None = None


@dataclass(frozen=True)
class Added:
    sha256: str
    name: str
    media_type: str
    size_bytes: int
    new_file: bool  # its bytes were not in the database before
    new_link: bool  # it did not show this component or specimen before


@dataclass
class AddSummary:
    store: Path
    added: list[Added] = field(default_factory=list)

    @property
    def new_files(self) -> int:
        return sum(a.new_file for a in self.added)

    @property
    def new_links(self) -> int:
        return sum(a.new_link for a in self.added)


def find_source(conn: Connection, text: str) -> int:
    """The id of the source ``text`` names: its URL, or its title (case and punctuation aside)."""
    by_url = conn.execute(select(Source.id).where(Source.url == text.strip())).scalar()
    if by_url is not None:
        return int(by_url)
    ids = conn.execute(select(Source.id).where(Source.title_key == name_key(text))).scalars().all()
    if len(ids) == 1:
        return int(ids[0])
    if ids:
        raise EvidenceError(f"source {text!r}: {len(ids)} sources have this title; give its URL")
    raise EvidenceError(
        f"unknown source {text!r}: give a source's URL or title (`provenance report sources`)"
    )


def _target(
    conn: Connection, component_id: int | None, specimen: str | None
) -> tuple[int | None, int | None]:
    if (component_id is None) == (specimen is None):
        raise EvidenceError(
            "name what the files show: a component (its id) or a specimen (its label)"
        )
    if component_id is not None:
        if conn.execute(select(Component.id).where(Component.id == component_id)).first() is None:
            raise EvidenceError(f"no component {component_id} (`provenance report components`)")
        return component_id, None
    assert specimen is not None
    found = conn.execute(
        select(Specimen.id).where(Specimen.label_key == name_key(specimen))
    ).scalar()
    if found is None:
        raise EvidenceError(f"no specimen labelled {specimen!r}")
    return None, int(found)


def prepare(paths: Sequence[Path], limits: Limits) -> list[tuple[Path, FileFacts]]:
    """Read and hash every file; every problem at once, before anything is stored."""
    problems: list[str] = []
    read: list[tuple[Path, FileFacts]] = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        try:
            read.append((path, read_facts(path, limits.evidence_size)))
        except EvidenceError as exc:
            problems.append(str(exc))
    if problems:
        raise EvidenceError("nothing was added:\n  " + "\n  ".join(problems))
    return read


def add_evidence(
    engine: Engine,
    store: Store,
    paths: Sequence[Path],
    *,
    component_id: int | None = None,
    specimen: str | None = None,
    caption: str | None = None,
    taken_by: str | None = None,
    source: str | None = None,
    by: str | None = None,
    place: str | None = None,
    limits: Limits | None = None,
) -> AddSummary:
    """Add ``paths`` to the store and the database as showing one component or specimen: all of
    them or (on any error) none; the store keeps no file of a failed add."""
    read = prepare(paths, limits or Limits())
    with write_transaction(engine) as conn:
        comp, spec = _target(conn, component_id, specimen)
        source_id = find_source(conn, source) if source else None
        pending = [
            Pending(path, path.name, facts, comp, spec, caption, taken_by, source_id)
            for path, facts in read
        ]
        added = record_pending(conn, store, pending, by=by, place=place)
    return AddSummary(store.root, added)


def record_pending(
    conn: Connection,
    store: Store,
    pending: Sequence[Pending],
    *,
    by: str | None = None,
    place: str | None = None,
    batch_id: int | None = None,
) -> list[Added]:
    """Put the files in the store and record them in ``conn``'s transaction. If anything fails
    the files this call stored are taken back out, and the caller's transaction rolls back."""
    stored: list[str] = []
    try:
        return [_record(conn, store, p, stored, by, place, batch_id) for p in pending]
    except BaseException:
        for sha256 in stored:
            store.remove_new(sha256)
        raise


def _record(
    conn: Connection,
    store: Store,
    p: Pending,
    stored: list[str],
    by: str | None,
    place: str | None,
    batch_id: int | None,
) -> Added:
    f = p.facts
    if store.put(p.path, f.sha256):
        stored.append(f.sha256)
    now = _now()
    file_id = conn.execute(select(EvidenceFile.id).where(EvidenceFile.sha256 == f.sha256)).scalar()
    new_file = file_id is None
    if file_id is None:
        file_id = conn.execute(
            insert(EvidenceFile)
            .values(
                sha256=f.sha256,
                sha1=f.sha1,
                size_bytes=f.size_bytes,
                media_type=f.media_type,
                original_name=p.name[:1000],
                added_at=now,
                taken_at=f.taken_at,
                camera=f.camera,
                gps_latitude=f.gps_latitude,
                gps_longitude=f.gps_longitude,
                width=f.width,
                height=f.height,
                batch_id=batch_id,
            )
            .returning(EvidenceFile.id)
        ).scalar_one()
    column = EvidenceLink.component_id if p.component_id is not None else EvidenceLink.specimen_id
    target = p.component_id if p.component_id is not None else p.specimen_id
    known = conn.execute(
        select(EvidenceLink.id).where(EvidenceLink.evidence_id == file_id, column == target)
    ).scalar()
    if known is None:
        conn.execute(
            insert(EvidenceLink).values(
                evidence_id=file_id,
                component_id=p.component_id,
                specimen_id=p.specimen_id,
                caption=p.caption,
                taken_by=p.taken_by,
                source_id=p.source_id,
                added_at=now,
                batch_id=batch_id,
            )
        )
    if new_file or known is None:
        conn.execute(
            insert(CustodyRecord).values(
                evidence_id=file_id,
                event=CustodyEvent.RECEIVED,
                occurred_at=now,
                actor=by,
                place=place,
                sha256_seen=f.sha256,
                note=f"added as {p.name}" + ("" if batch_id is None else f" by load {batch_id}"),
            )
        )
    return Added(f.sha256, p.name, f.media_type, f.size_bytes, new_file, known is None)
