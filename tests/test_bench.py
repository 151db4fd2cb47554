"""The benchmark's generated findings file (scripts/benchgen.py) loads exactly what it reports.

Performance itself is measured by scripts/bench, never asserted here.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from provenance.db import make_engine
from provenance.ingest.loader import load_files
from provenance.models import (
    Citation,
    Component,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.values.text import manufacturer_key
from tests.conftest import empty_postgres
from tests.helpers import count, dump

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
GENERATOR = SCRIPTS / "benchgen.py"


def _benchgen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchgen", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("benchgen", module)
    spec.loader.exec_module(module)
    return module


benchgen = _benchgen()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:

        def count(model: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

        return {
            "components": count(Component),
            "citations": count(Citation),
            "manufacturers": count(Manufacturer),
            "weapon_systems": count(WeaponSystem),
            "specimens": count(Specimen),
            "sources": count(Source),
            "parts": int(conn.execute(select(func.sum(Component.quantity))).scalar_one()),
        }


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = benchgen.generate(tmp_path / "a.csv", 2000, seed=7)
    second = benchgen.generate(tmp_path / "b.csv", 2000, seed=7)
    other = benchgen.generate(tmp_path / "c.csv", 2000, seed=8)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert first == second
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    assert other.rows == 2000


def test_generator_writes_manufacturers_in_varying_forms(tmp_path: Path) -> None:
    """Several spellings per manufacturer key (case, legal forms), which the loader merges."""
    import csv

    path = tmp_path / "f.csv"
    expected = benchgen.generate(path, 5000, seed=3)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    spellings: dict[str, set[str]] = {}
    for row in rows:
        spellings.setdefault(manufacturer_key(row["manufacturer"]), set()).add(row["manufacturer"])
        if row["manufacturer_parent"]:
            spellings.setdefault(manufacturer_key(row["manufacturer_parent"]), set())
    assert len(spellings) == expected.manufacturers
    assert max(len(s) for s in spellings.values()) >= 4
    assert expected.duplicate_rows > 0
    assert expected.citations > expected.components


@pytest.mark.parametrize("rows", [100_000])
def test_generated_file_loads_the_counts_it_reports(
    engine: Engine, tmp_path: Path, rows: int
) -> None:
    path = tmp_path / "findings.csv"
    expected = benchgen.generate(path, rows, seed=1)
    assert expected.weapon_systems >= 200
    assert expected.specimens >= 1000
    assert expected.manufacturers >= 1000
    assert 10 <= expected.sources <= 99

    (summary,) = load_files(engine, [path])

    assert summary.rows_read == rows
    assert summary.components_added == expected.components
    assert summary.citations_added == expected.citations
    assert summary.manufacturers_created == expected.manufacturers
    assert summary.weapon_systems_created == expected.weapon_systems
    assert summary.specimens_created == expected.specimens
    assert summary.sources_created == expected.sources
    assert summary.duplicate_rows == expected.duplicate_rows
    assert _counts(engine) == {
        "components": expected.components,
        "citations": expected.citations,
        "manufacturers": expected.manufacturers,
        "weapon_systems": expected.weapon_systems,
        "specimens": expected.specimens,
        "sources": expected.sources,
        "parts": expected.parts,
    }


def _bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("provenance_bench", str(SCRIPTS / "bench"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, loader.name, bench)  # its dataclasses look themselves up
    loader.exec_module(bench)
    return bench


def test_the_schema_write_step_writes_back_what_the_load_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/bench's "schema write" reference: the loaded database emptied of its components
    and citations, then (the step timed) the same rows written back."""
    bench = _bench(monkeypatch)
    path = tmp_path / "findings.csv"
    expected = benchgen.generate(path, 2000, seed=3)
    engine = bench.fresh_sqlite(tmp_path / "loaded.db")
    load_files(engine, [path])
    loaded = dump(engine)
    engine.dispose()

    step = bench.schema_write(tmp_path / "loaded.db", tmp_path / "again.db")
    again = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    assert (count(again, "components"), count(again, "citations")) == (0, 0)
    step()

    assert count(again, "components") == expected.components
    assert dump(again) == loaded


@pytest.mark.postgres
def test_the_postgresql_schema_write_copies_back_what_the_load_wrote(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench(monkeypatch)
    empty_postgres(postgres_url)
    path = tmp_path / "findings.csv"
    expected = benchgen.generate(path, 2000, seed=3)
    engine = make_engine(postgres_url)
    try:
        load_files(engine, [path])
        loaded = dump(engine)

        step = bench.pg_schema_write(postgres_url)
        assert (count(engine, "components"), count(engine, "citations")) == (0, 0)
        step()

        assert count(engine, "citations") == expected.citations
        assert dump(engine) == loaded
    finally:
        engine.dispose()


def _benchcli() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchcli", SCRIPTS / "benchcli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("benchcli", module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


def test_the_command_line_rows_time_real_commands_against_the_bare_import(
    tmp_path: Path,
) -> None:
    """scripts/bench's start-up rows run the installed command (a failing one is an error, not
    a fast time) and judge it by the bare import timed in the same run."""
    benchcli = _benchcli()
    commands = benchcli.startup_commands(benchcli.seed_database(tmp_path))
    names = [c.name for c in commands]
    assert names[:3] == ["startup_bare_import", "startup_help", "startup_seed_foreign_parts"]
    assert len(names) == 2 + len(benchcli.REPORTS)
    benchcli.run_commands(commands[:3], 2, tmp_path)
    assert all(len(c.runs) == 2 and c.median > 0 for c in commands[:3])
    assert commands[1].output_bytes and commands[2].output_bytes  # help, and the report
    ratios = benchcli.comparisons(commands[:3])
    assert set(ratios) == {
        "startup_help_vs_bare_import",
        "startup_seed_foreign_parts_vs_bare_import",
    }
    targets = benchcli.targets(commands[:3], ratios)
    assert [v for k, v in targets.items() if "through the CLI" in k] == [None]  # not measured
    broken = benchcli.Command("broken", "", [*benchcli.provenance_command(), "no-such-command"])
    with pytest.raises(RuntimeError, match="no-such-command"):
        benchcli.run_commands([broken], 1, tmp_path)
