"""What a load of findings is asked to do: how to read its files and what to accept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from provenance.evidence.store import Store
from provenance.ingest.mapping import ColumnMapping
from provenance.limits import Limits

__all__ = ["LoadOptions", "ProgressCallback"]

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
    limits: Limits = field(default_factory=Limits)  # how much of each kind a file may hold
    date_codes: Path | None = None  # a file of date-code rules added to the shipped ones
    #: Where the files of an ``evidence_file`` column go (None: a load whose rows name files
    #: fails, saying so).
    evidence_store: Store | None = None
    evidence_by: str | None = None  # who loads them (their chain of custody)
