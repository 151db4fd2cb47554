"""The evidence store: a folder of files named by their SHA-256, written once.

``<root>/ab/cd/abcd...`` holds the bytes whose SHA-256 is ``abcd...``. A file is copied to a
temporary name in the store, hashed again as it is copied, then linked under its hash (never over
an existing file) and made read-only. Adding the same bytes again finds them there. Nothing in
provenance deletes a stored file; a database that no longer names one leaves it in place.

Where the store is: ``--store DIR`` (or ``$PROVENANCE_EVIDENCE_STORE``), else, for a SQLite
file, ``<database file>.evidence`` beside it. A PostgreSQL database has no folder of its own:
name one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from provenance.errors import EvidenceChangedError, EvidenceError

__all__ = ["ENV_VAR", "Store", "store_for"]

ENV_VAR = "PROVENANCE_EVIDENCE_STORE"
_CHUNK = 1 << 20


class Store:
    """The store at ``root`` (created on the first file added)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise EvidenceError(f"not a SHA-256 in hex: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, source: Path, sha256: str) -> bool:
        """Copy ``source`` into the store under ``sha256``: True when it was not there before.

        The bytes are hashed again while they are copied: a file that changed since it was
        first hashed is refused, and the store keeps nothing of it."""
        target = self.path_for(sha256)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".{sha256}.{os.getpid()}.part"
        digest = hashlib.sha256()
        try:
            with source.open("rb") as src, temp.open("wb") as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            if digest.hexdigest() != sha256:
                raise EvidenceChangedError(f"{source}: the file changed while it was being added")
            os.chmod(temp, 0o444)
            try:
                os.link(temp, target)  # never replaces a file already there
            except FileExistsError:
                return False
            except OSError:  # a file system without hard links
                if target.exists():
                    return False
                shutil.move(str(temp), target)
            return True
        except OSError as exc:
            raise EvidenceError(f"cannot write to the evidence store {self.root}: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)

    def remove_new(self, sha256: str) -> None:
        """Take back a file this process has just put, when the step that put it failed (the
        store never keeps bytes no database row names because of a failed add)."""
        path = self.path_for(sha256)
        if path.is_file():
            os.chmod(path, 0o644)
            path.unlink()


def store_for(engine: Engine, folder: Path | str | None = None) -> Store:
    """The store of ``engine``'s database: ``folder`` (else $PROVENANCE_EVIDENCE_STORE), else the
    folder beside a SQLite file."""
    chosen = folder or os.environ.get(ENV_VAR)
    if chosen:
        return Store(Path(chosen))
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = url.database or ""
        if not database.startswith("file:"):
            return Store(Path(database).resolve().parent / (Path(database).name + ".evidence"))
    raise EvidenceError(
        f"this database ({engine.dialect.name}) has no folder beside it for evidence files: "
        f"name one with --store DIR or ${ENV_VAR}"
    )
