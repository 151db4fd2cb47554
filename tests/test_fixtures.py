"""The PostgreSQL emptying between tests leaves the state of a freshly migrated database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.exc import DBAPIError

from provenance.db import make_engine
from provenance.ingest.loader import load_files
from provenance.models import CustodyRecord, EvidenceFile, LoadBatch
from tests.conftest import empty_postgres
from tests.helpers import count, dump, row, write_csv

pytestmark = pytest.mark.postgres


def _advanced_sequences(engine: Engine) -> list[str]:
    """The sequences that handed out a number since they were created or restarted."""
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                text(
                    "SELECT sequencename FROM pg_sequences "
                    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).scalars()
        )


def test_emptying_removes_the_rows_and_restarts_the_sequences(
    postgres_url: str, tmp_path: Path
) -> None:
    empty_postgres(postgres_url)
    engine = make_engine(postgres_url)
    try:
        fresh, fresh_sequences = dump(engine), _advanced_sequences(engine)
        countries = count(engine, "countries")
        load_files(engine, [write_csv(tmp_path / "a.csv", [row(), row(specimen="SPEC-2")])])
        assert count(engine, "components") == 2
        assert count(engine, "specimens") == 2
        assert len(_advanced_sequences(engine)) > len(fresh_sequences)

        empty_postgres(postgres_url)

        assert dump(engine) == fresh
        assert _advanced_sequences(engine) == fresh_sequences
        assert count(engine, "countries") == countries > 0
    finally:
        engine.dispose()


def test_emptying_restarts_a_sequence_moved_by_a_rolled_back_insert(postgres_url: str) -> None:
    empty_postgres(postgres_url)
    engine = make_engine(postgres_url)
    try:
        fresh, fresh_sequences = dump(engine), _advanced_sequences(engine)
        with engine.connect() as conn:
            seq = conn.execute(text("SELECT pg_get_serial_sequence('components', 'id')")).scalar()
            assert seq is not None
            conn.execute(text("SELECT nextval(:s)"), {"s": seq})  # what a failed insert leaves
            conn.rollback()  # nextval is not rolled back: the table stays empty
        assert dump(engine) == fresh
        assert _advanced_sequences(engine) != fresh_sequences

        empty_postgres(postgres_url)

        assert _advanced_sequences(engine) == fresh_sequences
        with engine.connect() as conn:
            assert conn.execute(text("SELECT nextval(:s)"), {"s": seq}).scalar_one() == 1
    finally:
        engine.dispose()


def test_emptying_truncates_what_delete_may_not_touch_and_large_tables(postgres_url: str) -> None:
    """custody_events refuses DELETE (trigger); a table of 1,000 rows or more is truncated."""
    empty_postgres(postgres_url)
    engine = make_engine(postgres_url)
    try:
        fresh, fresh_sequences = dump(engine), _advanced_sequences(engine)
        now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        batch = {
            "file_name": "a.csv",
            "sha256": "0" * 64,
            "loaded_at": now,
            "rows_read": 1,
            "components_added": 1,
            "components_matched": 0,
            "citations_added": 0,
            "tool_version": "test",
        }
        with engine.begin() as conn:
            conn.execute(insert(LoadBatch), [batch] * 1500)
            evidence_id = conn.execute(
                insert(EvidenceFile).returning(EvidenceFile.id),
                {
                    "sha256": "1" * 64,
                    "sha1": "1" * 40,
                    "size_bytes": 3,
                    "media_type": "text/plain",
                    "original_name": "a.txt",
                    "added_at": now,
                },
            ).scalar_one()
            conn.execute(
                insert(CustodyRecord),
                {"evidence_id": evidence_id, "event": "received", "occurred_at": now},
            )
        # What the emptying has to get round:
        with pytest.raises(DBAPIError, match="custody"), engine.begin() as conn:
            conn.execute(delete(CustodyRecord))
        assert count(engine, "load_batches") == 1500

        empty_postgres(postgres_url)

        assert dump(engine) == fresh
        assert _advanced_sequences(engine) == fresh_sequences
    finally:
        engine.dispose()
