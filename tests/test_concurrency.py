"""Concurrency: loads at the same moment on PostgreSQL, and a writer and readers on SQLite.

On PostgreSQL, loads started at the same moment take turns (each holds an advisory lock for its
transaction), so the first one creates a shared manufacturer, weapon system, source, specimen,
component or citation and the others find it; the unique keys and ``INSERT ... ON CONFLICT DO
NOTHING`` would still keep a row from being written twice. On SQLite one writer at a time holds the
lock (BEGIN IMMEDIATE); a second one waits up to the busy timeout, and readers go on reading (WAL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, insert, select, text

from provenance import db as provenance_db
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine, write_transaction
from provenance.ingest.loader import load_files
from provenance.models import (
    Manufacturer,
    ManufacturerAlias,
    Source,
    Specimen,
    WeaponSystem,
)
from tests.helpers import count, row, write_csv

PROCESSES = 3
SHARED_ROWS = 1500  # rows every load has, each file in its own order
OWN_ROWS = 500  # rows only one load has

# Each process imports provenance, waits for the start file, then runs `provenance load`.
_LAUNCHER = """
import sys, time
from pathlib import Path
from provenance.cli.main import main
start = Path(sys.argv.pop(1))
while not start.exists():
    time.sleep(0.001)
sys.argv[0] = "provenance"
main()
"""


def _shared_row(i: int) -> dict[str, str]:
    return row(
        weapon_system="Conc-1",
        weapon_producer_country="Russia",
        specimen=f"CONC-{i % 40}",
        part_number=f"S{i}",
        manufacturer=["Alpha Semiconductor", "Borealis Power", "Cygnus Optics"][i % 3],
        manufacturer_country="Japan",
        source_publisher="Shared Publisher",
        source_title="Shared report",
        source_url="https://example.org/shared",
    )


def _own_row(process: int, i: int) -> dict[str, str]:
    return row(
        weapon_system="Conc-1",
        weapon_producer_country="Russia",
        specimen=f"CONC-{i % 40}" if i % 2 else f"OWN-{process}-{i % 10}",
        part_number=f"O{process}-{i}",
        manufacturer=["Alpha Semiconductor", "Delta Devices"][i % 2],
        manufacturer_country="Japan",
        source_publisher=f"Publisher {process}",
        source_title="Own report",
    )


def _files(tmp_path: Path) -> list[Path]:
    files = []
    for p in range(PROCESSES):
        shared = [_shared_row(i) for i in range(SHARED_ROWS)]
        if p % 2:  # another order: the loads meet the same keys in other orders
            shared.reverse()
        own = [_own_row(p, i) for i in range(OWN_ROWS)]
        files.append(write_csv(tmp_path / f"load-{p}.csv", shared[:700] + own + shared[700:]))
    return files


@pytest.mark.postgres
def test_loads_at_the_same_moment_create_each_row_once(postgres_url: str, tmp_path: Path) -> None:
    from tests.conftest import empty_postgres

    empty_postgres(postgres_url)
    files = _files(tmp_path)
    start = tmp_path / "start"
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _LAUNCHER,
                str(start),
                "load",
                "--new-manufacturers",
                "--format",
                "json",
                "--db",
                postgres_url,
                str(file),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for file in files
    ]
    time.sleep(2)  # every process has imported provenance and waits
    start.touch()
    outputs = [p.communicate(timeout=300) for p in processes]
    for p, (_out, err) in zip(processes, outputs, strict=True):
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
    summaries = [json.loads(out)[0] for out, _ in outputs]

    engine = make_engine(postgres_url)
    try:
        # One row per unique key: the constraints guarantee it, and the counts show it.
        with engine.connect() as conn:
            for column in (
                WeaponSystem.designation_key,
                Manufacturer.name_key,
                ManufacturerAlias.alias_key,
                Specimen.label_key,
                Source.url,
            ):
                duplicates = conn.execute(
                    select(column)
                    .where(column.is_not(None))
                    .group_by(column)
                    .having(func.count() > 1)
                ).all()
                assert duplicates == [], column
        all_rows = [r for p in range(PROCESSES) for r in _own_rows_and_shared(p)]
        components = {(r["specimen"], r["part_number"]) for r in all_rows}
        citations = {(r["specimen"], r["part_number"], r["source_publisher"]) for r in all_rows}
        assert count(engine, "weapon_systems") == 1
        assert count(engine, "manufacturers") == 4
        assert count(engine, "sources") == 1 + PROCESSES
        assert count(engine, "specimens") == 40 + 5 * PROCESSES
        assert count(engine, "components") == len(components)
        assert count(engine, "citations") == len(citations)
        # What each load says it did adds up to what is stored.
        assert sum(s["components_added"] for s in summaries) == len(components)
        for s in summaries:
            assert s["components_added"] + s["components_matched"] == s["rows_read"]
        assert sum(s["citations_added"] for s in summaries) == len(citations)
        assert sum(s["manufacturers_created"] for s in summaries) == 4
        assert sum(s["weapon_systems_created"] for s in summaries) == 1
        assert sum(s["specimens_created"] for s in summaries) == 40 + 5 * PROCESSES
        assert sum(s["sources_created"] for s in summaries) == 1 + PROCESSES
    finally:
        engine.dispose()


def _own_rows_and_shared(process: int) -> list[dict[str, str]]:
    return [_shared_row(i) for i in range(SHARED_ROWS)] + [
        _own_row(process, i) for i in range(OWN_ROWS)
    ]


# --- SQLite: one writer, readers alongside -----------------------------------------------------


@pytest.fixture
def sqlite_url(db_url: str) -> str:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's locking")
    return db_url


def _hold_write_lock(engine: Engine, seconds: float, holding: threading.Event) -> threading.Thread:
    """A thread that writes a manufacturer, keeps the transaction open, then commits."""

    def run() -> None:
        with write_transaction(engine) as conn:
            conn.execute(insert(Manufacturer).values(name="Holder", name_key="holder"))
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    assert holding.wait(10)
    return thread


def test_database_is_in_wal_mode(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
    finally:
        engine.dispose()


def test_a_report_reads_while_a_load_writes(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    try:
        load_files(engine, [write_csv(tmp_path / "f.csv", [row()])])
        with write_transaction(engine) as conn:
            conn.execute(insert(Manufacturer).values(name="Uncommitted", name_key="uncommitted"))
            result = CliRunner().invoke(
                cli,
                ["report", "components", "--format", "csv", "--db", sqlite_url],
                env={ENV_VAR: None},
            )
            assert result.exit_code == 0, result.output
            assert "XP Power" in result.output
            listed = CliRunner().invoke(
                cli, ["manufacturers", "list", "--db", sqlite_url], env={ENV_VAR: None}
            )
            assert listed.exit_code == 0, listed.output
            assert "Uncommitted" not in listed.output  # not committed yet
    finally:
        engine.dispose()


def test_a_second_writer_waits_for_the_first(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    findings = write_csv(tmp_path / "f.csv", [row()])
    holding = threading.Event()
    try:
        began = time.monotonic()
        thread = _hold_write_lock(engine, 1.0, holding)
        result = CliRunner().invoke(
            cli, ["load", str(findings), "--db", sqlite_url], env={ENV_VAR: None}
        )
        thread.join()
        assert result.exit_code == 0, result.output
        assert time.monotonic() - began >= 1.0  # it waited for the first writer's commit
        assert count(engine, "components") == 1
        assert count(engine, "manufacturers") == 2  # the first writer's is there too
    finally:
        engine.dispose()


def test_a_second_writer_that_waits_too_long_fails_clearly(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    findings = write_csv(tmp_path / "f.csv", [row()])
    holding = threading.Event()
    monkeypatch.setattr(provenance_db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    try:
        thread = _hold_write_lock(engine, 2.0, holding)
        result = CliRunner().invoke(
            cli, ["load", str(findings), "--db", sqlite_url], env={ENV_VAR: None}
        )
        thread.join()
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert result.output.startswith("Error: database error: database is locked")
        assert "busy with another write" in result.output
        assert "try again" in result.output
        assert count(engine, "components") == 0
        # Once the first writer has committed, the same load goes through.
        result = CliRunner().invoke(
            cli, ["load", str(findings), "--db", sqlite_url], env={ENV_VAR: None}
        )
        assert result.exit_code == 0, result.output
    finally:
        engine.dispose()
