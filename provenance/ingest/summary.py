"""What a load reports about each file (``LoadSummary``), and what it keeps about a file while
it runs (``FileLoad``): the summary it fills in, the rows it rejected, the aliases to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from provenance.ingest.catalogue import Entity
from provenance.ingest.evidence_files import EvidenceRef
from provenance.ingest.readers import Record

__all__ = ["FileLoad", "LoadSummary"]


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
    manufacturer_aliases_added: int = 0
    sources_created: int = 0
    rows_rejected: int = 0
    rejects_file: str | None = None
    batch_id: int | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    #: Of ``components_matched``, beside the duplicate rows: rows that name a source's record
    #: already brought by another file or load, and rows filed under a known component because
    #: they describe it the same way (same specimen, function, part number, marking, maker and
    #: date code).
    matched_by_record_id: int = 0
    matched_by_attributes: int = 0
    #: What the file held: findings, or a reference layout (weapon_systems, manufacturers,
    #: sources).
    kind: str = "findings"
    weapon_systems_updated: int = 0
    weapon_system_aliases_added: int = 0
    sources_updated: int = 0
    #: Known components (of an earlier load) that rows giving their source record again filled
    #: in: values they lacked.
    known_components_filled: int = 0
    #: Date codes read by their maker's own rule (seeds/date_codes.yaml), and those the maker's
    #: rules read ambiguously (kept as written, without a date).
    date_codes_by_maker_rule: int = 0
    ambiguous_date_codes: int = 0
    #: Evidence files (the ``evidence_file`` column) new to the store, and new links of a file
    #: to a component.
    evidence_files_added: int = 0
    evidence_links_added: int = 0


@dataclass
class FileLoad:
    """One file of a load, while the load runs."""

    path: Path
    name: str
    summary: LoadSummary
    index: int = 0  # in the load
    sha256: str = ""
    #: Rows checked good and written (a load streams: it keeps no list of its findings).
    findings_written: int = 0
    updated_manufacturers: set[int] = field(default_factory=set)
    #: The file's columns (every table's, in order), for the rejects file.
    columns: list[str] = field(default_factory=list)
    #: Bad records (kept only for a rejects file) and what is wrong with them.
    rejected: list[tuple[Record, str]] = field(default_factory=list)
    #: Manufacturer aliases from the mapping that this file's rows used: alias, key, manufacturer.
    new_aliases: list[tuple[str, str, Entity]] = field(default_factory=list)
    undated_codes: list[str] = field(default_factory=list)
    undated_count: int = 0
    ambiguous_codes: list[str] = field(default_factory=list)
    #: The files the good rows' ``evidence_file`` cells name, stored when the rows are written.
    evidence: list[EvidenceRef] = field(default_factory=list)
