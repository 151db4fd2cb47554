"""The ``evidence_file`` column of a findings file: photos and documents of the parts, added to
the evidence store within the load's all-or-nothing rule.

A cell names one file by a path relative to the findings file's folder (standard input: the
current folder). The path must stay inside that folder (no absolute path, no ``..`` out of it):
a findings file someone sends cannot make a load copy other files of the machine into the
database. Each file is read and hashed while the rows are checked, once however many rows name
it; a missing, empty or too large file is an error of its row and column, and nothing is
written. A cell holding an address (``http://``, ``https://``) is a remote reference: it is
recorded as the citation's ``evidence_url`` (never fetched).

When the load has written its rows, each named file is put in the store and linked to its
component (``provenance.evidence.records``), with a ``received`` custody event naming the load.
A dry run checks the files and stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy import Connection, select, tuple_

from provenance.errors import EvidenceError, InvalidDataError, RowError
from provenance.evidence.files import FileFacts, read_facts
from provenance.evidence.records import Added, Pending, record_pending
from provenance.evidence.store import Store
from provenance.ingest.catalogue import Entity, chunks
from provenance.ingest.readers import STDIN_NAME
from provenance.limits import Limits
from provenance.models import Component

__all__ = ["EvidenceCells", "EvidenceRef", "is_address", "record_evidence"]

COLUMN = "evidence_file"


def is_address(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class EvidenceRef:
    """A good row's file: the component it shows (its specimen and identity), its source."""

    specimen: Entity
    identity: str
    source: Entity
    path: Path
    facts: FileFacts


class EvidenceCells:
    """Checks the ``evidence_file`` cells of one findings file."""

    def __init__(self, file_name: str, limits: Limits) -> None:
        self.base = Path.cwd() if file_name == STDIN_NAME else Path(file_name).parent
        self.limits = limits
        #: cell text -> (path, facts), or the message of what is wrong with it
        self._seen: dict[str, tuple[Path, FileFacts] | str] = {}

    def check(self, text: str) -> tuple[Path, FileFacts] | str:
        """The file a cell names, read and hashed; or what is wrong with it."""
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._check(text)
        return found

    def _check(self, text: str) -> tuple[Path, FileFacts] | str:
        relative = PurePath(text.replace("\\", "/"))
        if relative.is_absolute() or text.startswith(("/", "\\")) or ":" in relative.parts[0]:
            return (
                "give the file's path relative to the findings file's folder, not an absolute one"
            )
        base = self.base.resolve()
        path = (base / relative).resolve()
        if path != base and base not in path.parents:
            return "the path leads out of the findings file's folder: keep evidence files in it"
        if not path.exists():
            return f"no such file: {base / relative}"
        if not path.is_file():
            return f"not a regular file: {base / relative}"
        try:
            return path, read_facts(path, self.limits.evidence_size)
        except EvidenceError as exc:
            return str(exc).removeprefix(f"{path}: ")


def record_evidence(
    conn: Connection,
    files: Sequence[tuple[str, int | None, Sequence[EvidenceRef]]],
    store: Store | None,
    by: str | None = None,
) -> list[list[Added]]:
    """Put every file the load's rows named in the store and link it to its component; per
    findings file (its name, its load batch, its rows' files), what was added."""
    refs = [r for _name, _batch, rs in files for r in rs]
    if not refs:
        return [[] for _ in files]
    if store is None:
        raise_store_error(next(name for name, _b, rs in files if rs))
        return []
    wanted = list({(r.specimen.id, r.identity) for r in refs})
    ids: dict[tuple[int | None, str], int] = {}
    for chunk in chunks(wanted):
        rows = conn.execute(
            select(Component.specimen_id, Component.identity, Component.id).where(
                tuple_(Component.specimen_id, Component.identity).in_(chunk)
            )
        )
        ids.update({(s, i): c for s, i, c in rows})
    done = []
    for _name, batch_id, file_refs in files:
        links: dict[tuple[int, str], Pending] = {}
        for r in file_refs:
            component = ids[(r.specimen.id, r.identity)]
            p = Pending(r.path, r.path.name, r.facts, component, source_id=r.source.id)
            known = links.get((component, r.facts.sha256))
            if known is None or (p.name, p.source_id or 0) < (known.name, known.source_id or 0):
                links[(component, r.facts.sha256)] = p  # whatever the order of the rows
        # In the order of the files' hashes: stored ids and names follow the bytes, not the rows.
        pending = sorted(links.values(), key=lambda p: (p.facts.sha256, p.name, p.component_id))
        done.append(record_pending(conn, store, pending, by=by, batch_id=batch_id))
    return done


def raise_store_error(name: str) -> None:
    raise InvalidDataError(
        [
            RowError(
                name,
                0,
                COLUMN,
                "",
                "the file names evidence files but the database has no evidence store beside "
                "it: name one with --store DIR (or $PROVENANCE_EVIDENCE_STORE)",
            )
        ]
    )
