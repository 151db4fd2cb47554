"""Faults: a load killed half-way, a read-only or full database, a database at another schema
version. Each is an ``Error: ...`` and exit 1 (never a traceback), and leaves the database as it
was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, event, select, text

from provenance import migrate
from provenance.cli import common as cli_common
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine
from provenance.ingest.loader import LoadOptions, load_files
from provenance.reference import install
from provenance.resources import seeds_path
from tests.helpers import dump, row, write_csv

FIRST_REVISION = "0001"


def _invoke(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


# --- a database at another schema version -----------------------------------------------------


def _db_commands(tmp_path: Path, url: str) -> dict[str, list[str]]:
    """Every command that opens the database, with arguments that would otherwise work.

    Not here: ``init`` and ``db upgrade`` (they migrate), ``db current`` (it says the revision),
    ``country`` and ``datasette-metadata`` (they do not open the database)."""
    findings = write_csv(tmp_path / "f.csv", [row()])
    listed = tmp_path / "targets.simple.csv"
    listed.write_text("id,schema,name\nNK-1,Company,XP POWER LTD\n", encoding="utf-8")
    return {
        "seed": ["seed"],
        "load": ["load", str(findings)],
        "manufacturers list": ["manufacturers", "list"],
        "manufacturers show": ["manufacturers", "show", "XP Power"],
        "manufacturers alias": ["manufacturers", "alias", "XP Power", "XP"],
        "manufacturers merge": ["manufacturers", "merge", "XP Power", "XP Power Ltd"],
        "report foreign-parts": ["report", "foreign-parts", "--weapon", "KN-23"],
        "report components": ["report", "components"],
        "report countries": ["report", "countries"],
        "report manufacturers": ["report", "manufacturers"],
        "report chpl": ["report", "chpl"],
        "report timeline": ["report", "timeline"],
        "report sources": ["report", "sources"],
        "report dossier": ["report", "dossier", "--weapon", "KN-23", "--out", str(tmp_path / "d")],
        "query": ["query", "SELECT 1"],
        "export": ["export", str(tmp_path / "out.db")],
        "reference show": ["reference", "show"],
        "reference load": ["reference", "load", str(seeds_path() / "chpl.yaml")],
        "screen load": ["screen", "load", str(listed)],
        "screen lists": ["screen", "lists"],
        "screen run": ["screen", "run"],
        "screen list": ["screen", "list"],
        "screen review": ["screen", "review"],
        "screen review --accept": ["screen", "review", "--accept", "1", "--by", "A. Analyst"],
        **(
            {"db grant-readonly": ["db", "grant-readonly", "provenance_reader_test"]}
            if url.startswith("postgresql")
            else {}
        ),
    }


def test_every_command_refuses_an_older_schema(
    empty_db_url: str, empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    migrate.downgrade(empty_engine, FIRST_REVISION)
    before = dump_tables(empty_engine)
    failures = []
    for name, args in _db_commands(tmp_path, empty_db_url).items():
        result = CliRunner().invoke(
            cli, [*args, "--db", empty_db_url], env={ENV_VAR: None}, prog_name="provenance"
        )
        if result.exit_code != 1 or "provenance db upgrade" not in result.output:
            failures.append(f"{name}: exit {result.exit_code}: {result.output[-300:]!r}")
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            failures.append(f"{name}: {result.exception!r}")
        assert migrate.current_revision(empty_engine) == FIRST_REVISION, f"{name} migrated"
    assert not failures, "\n".join(failures)
    assert migrate.current_revision(empty_engine) == FIRST_REVISION
    assert dump_tables(empty_engine) == before
    # `db current` says where it is, and `db upgrade` mends it.
    assert FIRST_REVISION in _invoke(["db", "current", "--db", empty_db_url]).output
    _invoke(["db", "upgrade", "--db", empty_db_url])
    _invoke(["report", "components", "--db", empty_db_url])


def test_every_command_refuses_a_newer_schema(
    empty_db_url: str, empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    failures = []
    commands = {
        **_db_commands(tmp_path, empty_db_url),
        "init": ["init"],
        "db upgrade": ["db", "upgrade"],
    }
    for name, args in commands.items():
        result = CliRunner().invoke(
            cli, [*args, "--db", empty_db_url], env={ENV_VAR: None}, prog_name="provenance"
        )
        if result.exit_code != 1 or "upgrade provenance" not in result.output:
            failures.append(f"{name}: exit {result.exit_code}: {result.output[-300:]!r}")
    assert not failures, "\n".join(failures)
    assert migrate.current_revision(empty_engine) == "9999_future"


def dump_tables(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table there is (the schema may be an old one)."""
    metadata = MetaData()
    metadata.reflect(engine)
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            out[name] = sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
    return out


# --- a load killed half-way -------------------------------------------------------------------

KILL_ROWS = 40_000  # a load of a few seconds


def _big_findings(path: Path, prefix: str, rows: int = KILL_ROWS) -> Path:
    return write_csv(
        path,
        (
            row(
                specimen=f"{prefix}-{i // 100}",
                part_number=f"P{i}",
                manufacturer=f"{prefix} Maker {i % 7}",
                manufacturer_country="Japan",
            )
            for i in range(rows)
        ),
    )


def _start_load(url: str, *files: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from provenance.cli.main import main; main()",
            "load",
            "--new-manufacturers",
            "--db",
            url,
            *map(str, files),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_until_writing(engine: Engine, process: subprocess.Popen[bytes]) -> None:
    """Poll until the load has written rows (not merely started): on SQLite the WAL file grows
    (it was emptied before the load); on PostgreSQL the load's session has sent an INSERT."""
    deadline = time.monotonic() + 60
    wal = Path(str(engine.url.database) + "-wal")
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0].decode()
        if engine.dialect.name == "sqlite":
            if wal.exists() and wal.stat().st_size > 64 * 1024:
                return
        else:
            with engine.connect() as conn:
                inserting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND query LIKE 'INSERT INTO components%'"
                    )
                ).scalar_one()
            if inserting:
                return
        time.sleep(0.01)
    pytest.fail("the load did not start writing within a minute")


def test_a_load_killed_half_way_leaves_the_database_as_it_was(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    load_files(engine, [write_csv(tmp_path / "first.csv", [row()])])
    before = dump(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # an empty WAL, so that its growth means the load writes
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.rollback()
    big = _big_findings(tmp_path / "big.csv", "KILL")
    process = _start_load(db_url, big)
    try:
        _wait_until_writing(engine, process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the load ended before it was killed"
    engine.dispose()

    assert dump(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    # The database still works: the same load, not interrupted, goes through.
    [summary] = load_files(engine, [big], options=LoadOptions(new_manufacturers=True))
    assert summary.components_added == KILL_ROWS
    assert migrate.current_revision(engine) == migrate.head_revision()


# --- a read-only or full database --------------------------------------------------------------


def _sqlite_path(db_url: str) -> Path:
    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite file")
    return Path(db_url.removeprefix("sqlite:///"))


def _seeded(db_url: str, tmp_path: Path) -> Engine:
    engine = make_engine(db_url)
    load_files(engine, [write_csv(tmp_path / "first.csv", [row()])])
    return engine


def test_a_read_only_database_url_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    path = _sqlite_path(db_url)
    engine = _seeded(db_url, tmp_path)
    before = dump(engine)
    engine.dispose()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    findings = write_csv(tmp_path / "more.csv", [row(specimen="SPEC-2")])
    result = _invoke(["load", str(findings), "--db", read_only], code=1)
    assert result.output.startswith("Error: database error: attempt to write a readonly database")
    assert "read-only" in result.output
    assert "nothing was written" in result.output
    # Reading works on the same URL.
    assert "XP Power" in _invoke(["report", "components", "--db", read_only]).output
    engine = make_engine(db_url)
    assert dump(engine) == before
    engine.dispose()


@pytest.mark.skipif(os.geteuid() == 0, reason="file permissions do not stop root")
def test_a_read_only_database_file_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    path = _sqlite_path(db_url)
    engine = _seeded(db_url, tmp_path)
    before = dump(engine)
    engine.dispose()
    findings = write_csv(tmp_path / "more.csv", [row(specimen="SPEC-2")])
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        result = _invoke(["load", str(findings), "--db", db_url], code=1)
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert result.output.startswith("Error: database error:")
    assert "read-only" in result.output
    engine = make_engine(db_url)
    assert dump(engine) == before
    engine.dispose()


def _full_after(extra_pages: int) -> Callable[[str | None], Engine]:
    """``make_engine`` for a disk that is full ``extra_pages`` pages after what the file holds."""

    def make(url: str | None = None, **kwargs: Any) -> Engine:
        engine = make_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _limit(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages + extra_pages:d}")

        return engine

    return make


def test_a_full_disk_is_a_clear_error_and_changes_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite_path(db_url)
    engine = _seeded(db_url, tmp_path)
    before = dump(engine)
    engine.dispose()
    big = _big_findings(tmp_path / "big.csv", "FULL", rows=5000)
    monkeypatch.setattr(cli_common, "make_engine", _full_after(20))
    result = _invoke(["load", "--new-manufacturers", str(big), "--db", db_url], code=1)
    assert result.output.startswith("Error: database error: database or disk is full")
    assert "free some disk space" in result.output
    assert "nothing was written" in result.output
    monkeypatch.undo()
    engine = make_engine(db_url)
    assert dump(engine) == before
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    [summary] = load_files(engine, [big], options=LoadOptions(new_manufacturers=True))
    assert summary.components_added == 5000
    engine.dispose()
