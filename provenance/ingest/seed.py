"""The demo and seed data: the shipped reference file and the published findings (``provenance
seed``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from provenance.ingest.loader import LoadSummary, load_files
from provenance.reference.sync import ReferenceSummary, load_reference
from provenance.resources import seeds_path


def demo_files() -> tuple[Path, list[Path]]:
    """The shipped reference file and the shipped findings of published reports."""
    root = seeds_path()
    return root / "reference.yaml", sorted((root / "findings").glob("*.csv"))


def seed(engine: Engine) -> tuple[ReferenceSummary, list[LoadSummary]]:
    """Load the shipped reference data and published findings (idempotent)."""
    reference, findings = demo_files()
    ref_summary = load_reference(engine, reference)
    return ref_summary, load_files(engine, findings)
