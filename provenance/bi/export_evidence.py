"""The evidence files an export carries: the store's files that the database names, copied into
``<OUT>.evidence`` beside the export (the same layout, so that a SQLite copy finds them as its
own store), each hashed again as it is copied.

With ``strip_gps`` no GPS position leaves in the copy: the GPS columns are NULL in every format,
and a photo whose EXIF holds a position is copied without its EXIF block (JPEG; the image data
untouched). Its bytes, and so its hash, change: a SQLite copy records the new hash, size and a
``copied`` custody event naming the original's hash; the other formats (whose rows keep the
original hash) leave such photos out, and say how many.

A SQLite copy's chain of custody gains a ``copied`` event per file (the hash seen in the copy);
the source database is only read.

An export that finds a named file missing or altered in the store stops: a copy must not lack
evidence silently (``provenance evidence verify`` names them). Each file is hashed once, as it
is copied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from provenance.db import make_engine, write_transaction
from provenance.errors import EvidenceChangedError, ExportError
from provenance.evidence.files import strip_jpeg_exif
from provenance.evidence.store import Store
from provenance.models import CustodyEvent, CustodyRecord, EvidenceFile

__all__ = ["GPS_COLUMNS", "EvidenceCopy", "copy_evidence"]

#: Columns that hold a GPS position, NULL in an export with ``strip_gps``.
GPS_COLUMNS = frozenset({"gps_latitude", "gps_longitude"})


@dataclass
class EvidenceCopy:
    folder: Path | None = None
    files: int = 0
    #: (id, sha256 in the source database) of each file carried
    carried: list[tuple[int, str]] = field(default_factory=list)
    stripped: int = 0  # photos copied without their EXIF (GPS)
    withheld: int = 0  # photos with GPS left out (formats other than sqlite)


def _files(engine: Engine) -> list[tuple[int, str, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                EvidenceFile.id,
                EvidenceFile.sha256,
                EvidenceFile.media_type,
                EvidenceFile.gps_latitude.is_not(None) | EvidenceFile.gps_longitude.is_not(None),
            ).order_by(EvidenceFile.sha256)
        ).all()
    return [(int(i), str(s), str(m), bool(g)) for i, s, m, g in rows]


def copy_evidence(
    engine: Engine,
    store: Store | None,
    folder: Path,
    *,
    strip_gps: bool,
    sqlite_copy: Path | None,
) -> EvidenceCopy:
    """Copy the named files into ``folder``; with ``sqlite_copy`` (the exported SQLite file) record
    the stripped photos' new hashes in it."""
    files = _files(engine)
    result = EvidenceCopy()
    if not files:
        return result
    if store is None:
        raise ExportError(
            f"the database names {len(files)} evidence file(s) but no evidence store was given: "
            "name it with --store DIR, or export without them with --no-evidence"
        )
    missing = [f"{sha[:12]} missing" for _i, sha, _m, _g in files if not store.has(sha)]
    if missing:  # before anything is copied
        _stop(store, missing)
    target = Store(folder)
    folder.mkdir()
    renamed: list[tuple[int, str, bytes]] = []
    altered: list[str] = []
    # Each file is hashed once, as it is copied (Store.put checks the bytes it writes).
    for file_id, sha256, media_type, has_gps in files:
        source = store.path_for(sha256)
        if strip_gps and has_gps:
            data = source.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                altered.append(f"{sha256[:12]} altered")
                continue
            stripped = strip_jpeg_exif(data) if media_type == "image/jpeg" else None
            if stripped is None or sqlite_copy is None:
                result.withheld += 1
                continue
            new = hashlib.sha256(stripped).hexdigest()
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as handle:
                handle.write(stripped)
            temp = Path(handle.name)
            try:
                target.put(temp, new)
            finally:
                temp.unlink(missing_ok=True)
            renamed.append((file_id, sha256, stripped))
            result.stripped += 1
        else:
            try:
                target.put(source, sha256)
            except EvidenceChangedError:
                altered.append(f"{sha256[:12]} altered")
                continue
        result.files += 1
        result.carried.append((file_id, sha256))
    if altered:  # the partial folder is removed by the export
        _stop(store, altered)
    if sqlite_copy is not None:
        _record_in_copy(sqlite_copy, result.carried, renamed, strip_gps)
    result.folder = folder
    return result


def _stop(store: Store, problems: list[str]) -> None:
    raise ExportError(
        f"evidence store {store.root}: {', '.join(problems[:10])}"
        + (f" and {len(problems) - 10} more" if len(problems) > 10 else "")
        + "; run `provenance evidence verify`"
    )


def _record_in_copy(
    path: Path,
    carried: list[tuple[int, str]],
    renamed: list[tuple[int, str, bytes]],
    strip_gps: bool,
) -> None:
    """In the SQLite copy: no GPS, the stripped photos' new hashes, a ``copied`` event each."""
    new = {file_id: data for file_id, _original, data in renamed}
    copy = make_engine(f"sqlite:///{path}")
    try:
        with write_transaction(copy) as conn:
            if strip_gps:
                conn.execute(update(EvidenceFile).values(gps_latitude=None, gps_longitude=None))
            now = dt.datetime.now(dt.UTC)
            for file_id, original in carried:
                if file_id not in new:
                    conn.execute(
                        insert(CustodyRecord).values(
                            evidence_id=file_id,
                            event=CustodyEvent.COPIED,
                            occurred_at=now,
                            sha256_seen=original,
                            note="exported",
                        )
                    )
                    continue
                data = new[file_id]
                conn.execute(
                    update(EvidenceFile)
                    .where(EvidenceFile.id == file_id)
                    .values(
                        sha256=hashlib.sha256(data).hexdigest(),
                        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                        size_bytes=len(data),
                    )
                )
                conn.execute(
                    insert(CustodyRecord).values(
                        evidence_id=file_id,
                        event=CustodyEvent.COPIED,
                        occurred_at=now,
                        sha256_seen=hashlib.sha256(data).hexdigest(),
                        note=f"exported with the EXIF block removed (GPS); original {original}",
                    )
                )
    finally:
        copy.dispose()
