"""The ``provenance`` command, through Click's test runner.

Every invocation goes through ``_invoke``, which checks the exit code and that no exception other
than Click's own exit escaped (the runner would otherwise turn a traceback into exit code 1).
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from provenance.cli.main import COMMANDS, cli, load_command
from provenance.db import ENV_VAR
from provenance.resources import seeds_path
from provenance.values.countries import default_resolver
from tests.helpers import count, dump, row, write_csv

SEED_FINDINGS = seeds_path() / "findings" / "kn23.csv"


def _invoke(args: list[str], code: int = 0, env: Mapping[str, str | None] | None = None) -> Result:
    """Run the command; without $PROVENANCE_DATABASE_URL unless ``env`` sets it."""
    result = CliRunner().invoke(
        cli, args, env={ENV_VAR: None, **(env or {})}, prog_name="provenance"
    )
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


def _sqlite(tmp_path: Path, name: str = "cli.db") -> str:
    return f"sqlite:///{tmp_path / name}"


# The KN-23 figures of the shipped seed data, worked out from the findings file itself ----------


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _seed_expectations(weapon: str = "KN-23") -> dict[str, object]:
    """What the report must say about ``weapon`` after `provenance seed`, computed from the seed
    findings file: a component is one per specimen (the same part cited by a second source is
    one component); a manufacturer's headquarters is the country any of its rows gives; a maker
    "Not identified" is no company: its part counts under the country its row reports, and two
    such parts of one specimen are one only when their countries agree."""
    with SEED_FINDINGS.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if _key(r["weapon_system"]) == _key(weapon)]
    assert rows, f"the seed findings have no {weapon}"
    resolver = default_resolver()
    unidentified = _key("Not identified")
    headquarters = {
        _key(r["manufacturer"]): resolver.resolve(r["manufacturer_country"])
        for r in rows
        if r["manufacturer_country"].strip() and _key(r["manufacturer"]) != unidentified
    }

    def origin(r: dict[str, str]) -> str | None:
        if _key(r["manufacturer"]) == unidentified:
            return (
                resolver.resolve(r["manufacturer_country"]) if r["manufacturer_country"] else None
            )
        return headquarters.get(_key(r["manufacturer"]))

    components: dict[tuple[str, ...], dict[str, str]] = {}
    for r in rows:
        identity = tuple(
            _key(r[c])
            for c in (
                "specimen",
                "component",
                "part_number",
                "marking",
                "manufacturer",
                "date_code",
            )
        )
        if _key(r["manufacturer"]) == unidentified:
            identity += (origin(r) or "",)
        components.setdefault(identity, r)
    by_origin: Counter[str | None] = Counter()
    for r in components.values():
        by_origin[origin(r)] += int(r["quantity"] or 1)
    [producer] = {resolver.resolve(r["weapon_producer_country"]) for r in rows}
    parts = sum(by_origin.values())
    unknown = by_origin.get(None, 0)
    domestic = by_origin.get(producer, 0)
    return {
        "producer": producer,
        "components": len(components),
        "parts": parts,
        "foreign": parts - unknown - domestic,
        "domestic": domestic,
        "unknown": unknown,
        "by_origin": dict(by_origin),
        "sources": len({(_key(r["source_publisher"]), _key(r["source_title"])) for r in rows}),
    }


def _summary_line(e: dict[str, object]) -> str:
    parts, foreign = int(str(e["parts"])), int(str(e["foreign"]))
    return (
        f"{parts} parts, {foreign} foreign ({100 * foreign / parts:.1f}%), {e['domestic']} "
        f"domestic, {e['unknown']} of unknown origin; reported by {e['sources']} sources."
    )


def _check_seed_report(output_table: str, output_json: str) -> None:
    expected = _seed_expectations()
    assert _summary_line(expected) in output_table
    assert "Basis: origin = the manufacturer's headquarters country." in output_table

    [kn23] = json.loads(output_json)["weapons"]
    assert kn23["designation"] == "KN-23"
    assert kn23["producer_code"] == expected["producer"]
    assert (kn23["parts"], kn23["foreign_parts"]) == (expected["parts"], expected["foreign"])
    assert (kn23["domestic_parts"], kn23["unknown_origin_parts"]) == (
        expected["domestic"],
        expected["unknown"],
    )
    assert kn23["sources"] == expected["sources"]
    assert {o["country_code"]: o["parts"] for o in kn23["origins"]} == expected["by_origin"]
    assert [o["parts"] for o in kn23["origins"]] == sorted(
        (o["parts"] for o in kn23["origins"]), reverse=True
    )
    parts = int(str(expected["parts"]))
    for origin in kn23["origins"]:
        assert origin["share"] == pytest.approx(origin["parts"] / parts, abs=1e-6)


def test_seed_expectations_are_not_trivial() -> None:
    """Guards the computation above: the seed KN-23 data has parts from several countries and
    components cited by more than one source."""
    expected = _seed_expectations()
    assert expected["producer"] == "KP"
    by_origin = expected["by_origin"]
    assert isinstance(by_origin, dict)
    assert {"GB", "US", "CN", "JP", "CH"} <= set(by_origin)
    with SEED_FINDINGS.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) > int(str(expected["components"]))


@pytest.mark.parametrize("how", ["--db", "env"])
def test_init_seed_report(tmp_path: Path, how: str) -> None:
    url = _sqlite(tmp_path)
    opts, env = (["--db", url], {}) if how == "--db" else ([], {ENV_VAR: url})

    result = _invoke(["init", *opts], env=env)
    assert "schema at revision" in result.output
    assert (tmp_path / "cli.db").exists()

    result = _invoke(["seed", *opts], env=env)
    expected = _seed_expectations()
    assert f"components: {expected['components']} added" in result.output

    table = _invoke(["report", "foreign-parts", "--weapon", "KN-23", *opts], env=env).output
    as_json = _invoke(
        ["report", "foreign-parts", "--weapon", "KN-23", "--format", "json", *opts], env=env
    ).output
    _check_seed_report(table, as_json)
    assert "KN-23 (producer: North Korea)" in table
    assert "Filter: weapon system KN-23." in table

    # Again: nothing new.
    result = _invoke(["seed", *opts], env=env)
    assert "components: 0 added" in result.output
    assert _invoke(["report", "foreign-parts", "--weapon", "KN-23", *opts], env=env).output == (
        table
    )


def test_default_database_is_provenance_db_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke(["init"])
    assert (tmp_path / "provenance.db").exists()
    assert "sqlite:///provenance.db" in result.output


def test_seed_json_is_one_document(tmp_path: Path) -> None:
    data = json.loads(_invoke(["seed", "--db", _sqlite(tmp_path), "--format", "json"]).output)
    assert data["reference"]["weapon_systems_created"] >= 1
    [findings] = data["findings"]
    assert findings["components_added"] == _seed_expectations()["components"]


def test_report_by_alias_and_basis(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    _invoke(["seed", "--db", url])
    by_name = _invoke(["report", "foreign-parts", "--db", url, "--weapon", "KN-23"]).output
    by_alias = _invoke(["report", "foreign-parts", "--db", url, "--weapon", "hwasong-11ga"]).output
    assert by_alias.replace("hwasong-11ga", "KN-23") == by_name

    made_in = _invoke(
        ["report", "foreign-parts", "--db", url, "--weapon", "KN-23", "--basis", "made-in"]
    ).output
    assert "Basis: origin = the country of manufacture marked on the part." in made_in
    # No seed finding says where its part was made: the foreign share is n/a, not 0%.
    expected = _seed_expectations()
    assert (
        f"{expected['parts']} parts, 0 foreign (share n/a: no part's origin is known on this "
        f"basis), 0 domestic, {expected['parts']} of"
    ) in " ".join(made_in.split())
    args = ["report", "foreign-parts", "--db", url, "--weapon", "KN-23", "--basis", "made-in"]
    data = json.loads(_invoke([*args, "--format", "json"]).output)
    assert data["weapons"][0]["foreign_share"] is None
    assert data["weapons"][0]["foreign_share_note"] == (
        "foreign share: no part's origin is known on this basis"
    )


def test_report_components(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    _invoke(["seed", "--db", url])
    text = _invoke(
        ["report", "components", "--db", url, "--weapon", "KN-23", "--format", "csv"]
    ).output
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == _seed_expectations()["components"]
    xp = [r for r in rows if r["manufacturer"] == "XP Power" and r["manufactured"]]
    assert [(r["component"], r["manufactured"], r["manufacturer_country"]) for r in xp] == [
        ("voltage converter", "2023-02", "United Kingdom")
    ]
    assert all(r["sources"] for r in rows)
    assert any(r["authenticity"] == "counterfeit" for r in rows)
    assert any(";" in r["sources"] for r in rows)  # CAR's findings are cited twice

    data = json.loads(
        _invoke(
            ["report", "components", "--db", url, "--weapon", "KN-23", "--format", "json"]
        ).output
    )
    assert len(data["components"]) == len(rows)
    for fmt in ("table", "markdown"):
        assert "XP Power" in _invoke(["report", "components", "--db", url, "--format", fmt]).output


# Loading ------------------------------------------------------------------------------------


def test_load_prints_added_and_matched(db_url: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "good.csv",
        [row(), row(manufacturer="Analog Devices", manufacturer_country="USA", component="MCU")],
    )
    first = _invoke(["load", "--db", db_url, str(path)]).output
    assert f"{path}: 2 rows read" in first
    assert "components: 2 added, 0 already known" in first
    assert "citations added: 2" in first
    second = _invoke(["load", "--db", db_url, str(path)]).output
    assert "components: 0 added, 2 already known" in second

    data = json.loads(_invoke(["load", "--db", db_url, "--format", "json", str(path)]).output)
    assert [(s["components_added"], s["components_matched"]) for s in data] == [(0, 2)]


def test_load_bad_file_changes_nothing(db_url: str, engine: Engine, tmp_path: Path) -> None:
    _invoke(["load", "--db", db_url, str(write_csv(tmp_path / "first.csv", [row()]))])
    before = dump(engine)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            row(component="MCU", manufacturer="Analog Devices", manufacturer_country="USA"),
            row(component="gyro", manufacturer="Acme", manufacturer_country="Atlantis"),
            row(component="GNSS", quantity="0"),
        ],
    )
    result = _invoke(["load", "--db", db_url, str(bad)], code=1)
    assert result.output.startswith("Error: ")
    assert f"{bad}:3: manufacturer_country: unknown country" in result.output
    assert f"{bad}:4: quantity: expected a whole number of parts" in result.output
    assert "'Atlantis'" in result.output
    assert dump(engine) == before
    assert count(engine, "components") == 1


def test_load_dry_run(db_url: str, engine: Engine, tmp_path: Path) -> None:
    before = dump(engine)
    path = write_csv(tmp_path / "f.csv", [row(), row(component="MCU")])
    result = _invoke(["load", "--db", db_url, "--dry-run", str(path)])
    assert "components: 2 would add (dry run, nothing written)" in result.output
    assert "load batch" not in result.output
    assert dump(engine) == before


def test_load_then_report_on_each_backend(db_url: str, tmp_path: Path) -> None:
    """The CLI on the PostgreSQL URL as well as on SQLite."""
    path = write_csv(
        tmp_path / "f.csv",
        [
            row(quantity="3"),
            row(component="MCU", manufacturer="Analog Devices", manufacturer_country="USA"),
            row(component="harness", manufacturer="Korea Ryonbong", manufacturer_country="DPRK"),
        ],
    )
    _invoke(["load", "--db", db_url, str(path)])
    data = json.loads(
        _invoke(["report", "foreign-parts", "--db", db_url, "--format", "json"]).output
    )
    [kn23] = data["weapons"]
    assert (kn23["parts"], kn23["foreign_parts"], kn23["domestic_parts"]) == (5, 4, 1)
    assert [(o["country_code"], o["parts"]) for o in kn23["origins"]] == [
        ("GB", 3),
        ("US", 1),
        ("KP", 1),
    ]
    text = _invoke(["report", "foreign-parts", "--db", db_url, "--format", "markdown"]).output
    assert "5 parts, 4 foreign (80.0%), 1 domestic, 0 of unknown origin; reported by 1 source." in (
        text
    )
    listing = _invoke(["report", "components", "--db", db_url, "--weapon", "kn-23"]).output
    assert "2023-02" in listing


def test_load_needs_files(tmp_path: Path) -> None:
    _invoke(["load", "--db", _sqlite(tmp_path)], code=2)
    _invoke(["load", "--db", _sqlite(tmp_path), str(tmp_path / "missing.csv")], code=2)
    # Summaries are text or JSON; a table format is refused rather than ignored.
    path = write_csv(tmp_path / "f.csv", [row()])
    _invoke(["load", "--db", _sqlite(tmp_path), "--format", "csv", str(path)], code=2)


# Errors -------------------------------------------------------------------------------------


def test_unknown_weapon(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    _invoke(["seed", "--db", url])
    for command in ("foreign-parts", "components"):
        result = _invoke(["report", command, "--db", url, "--weapon", "KN-99"], code=1)
        assert result.output.startswith("Error: unknown weapon system 'KN-99'; known weapon")
        assert "KN-23" in result.output
        assert "Shahed-136" in result.output


def test_report_without_schema(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()  # an existing SQLite file without our tables
    for command in (["report", "foreign-parts"], ["report", "components"]):
        result = _invoke([*command, "--db", _sqlite(tmp_path, "empty.db")], code=1)
        assert result.output.startswith("Error: ")
        assert "has no provenance schema: run `provenance init`" in result.output
        missing = _invoke([*command, "--db", _sqlite(tmp_path, "missing.db")], code=1)
        assert "there is no database file" in missing.output
        assert not (tmp_path / "missing.db").exists()
    path = write_csv(tmp_path / "f.csv", [row()])
    result = _invoke(["load", "--db", _sqlite(tmp_path, "empty.db"), str(path)], code=1)
    assert "provenance init" in result.output


def test_bad_basis_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke(
        ["report", "foreign-parts", "--db", _sqlite(tmp_path), "--basis", "brand"], code=2
    )
    assert "Invalid value for '--basis'" in result.output
    assert "'manufacturer'" in result.output and "'made-in'" in result.output
    _invoke(["report", "foreign-parts", "--format", "html"], code=2)
    _invoke(["report", "no-such-report"], code=2)


def test_country() -> None:
    result = _invoke(["country", "UK", "Großbritannien", "DPRK"])
    assert [line.split("\t")[:2] for line in result.output.splitlines()] == [
        ["UK", "GB"],
        ["Großbritannien", "GB"],
        ["DPRK", "KP"],
    ]
    assert "Taiwan" in _invoke(["country", "Taiwan"]).output.split("\t")[2]
    result = _invoke(["country", "Atlantis"], code=1)
    assert result.output.startswith("Error: unknown country 'Atlantis'")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:s3cret@127.0.0.1:1/x",  # nothing listens on port 1
        "postgresql+psycopg://u:s3cret@127.0.0.1:notaport/x",
        "nosuchdb://u:s3cret@127.0.0.1/x",
        "u:s3cret@garbage",
    ],
)
@pytest.mark.parametrize(
    "command", [["init"], ["db", "current"], ["report", "foreign-parts"], ["seed"]]
)
def test_password_never_shown(url: str, command: list[str]) -> None:
    for env, opts in [({}, ["--db", url]), ({ENV_VAR: url}, [])]:
        result = _invoke([*command, *opts], code=1, env=env)
        assert result.output.startswith("Error: ")
        assert "s3cret" not in result.output


# Help ---------------------------------------------------------------------------------------


def _walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def test_the_root_help_shows_each_command_by_the_first_sentence_of_its_own_help() -> None:
    for name, (_module, _attribute, summary) in COMMANDS.items():
        first = inspect.cleandoc(load_command(name).help or "").split("\n\n")[0]
        assert " ".join(first.split()) == summary, name
    output = _invoke(["--help"]).output
    assert all(f"  {name} " in output for name in COMMANDS)


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported after running ``provenance ARGS``."""
    code = (
        "import sys\n"
        "from provenance.cli.main import cli\n"
        f"try:\n    cli({args!r}, prog_name='provenance')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('--modules--', *sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(result.stdout.split("--modules--")[-1].split())


def test_the_root_help_imports_neither_the_library_nor_sqlalchemy() -> None:
    modules = _modules_after(["--help"])
    assert "provenance.cli.main" in modules
    assert {m for m in modules if m.startswith("provenance")} == {
        "provenance",
        "provenance.cli",
        "provenance.cli.main",
    }
    assert not {m for m in modules if m.split(".")[0] in ("sqlalchemy", "matplotlib", "numpy")}


#: What a report in the terminal never needs (issue 14, start-up): charts, workbooks, YAML inputs
#: and their schemas, fuzzy matching, country names, migrations, the BI extras.
HEAVY_FOR_A_REPORT = (
    "matplotlib",
    "numpy",
    "openpyxl",
    "pydantic",
    "yaml",
    "rapidfuzz",
    "pycountry",
    "regex",
    "confusable_homoglyphs",
    "alembic",
    "psycopg",
    "datasette",
    "jinja2",
)


def test_no_report_without_a_chart_imports_matplotlib_or_another_heavy_library(
    tmp_path: Path,
) -> None:
    url = _sqlite(tmp_path)
    _invoke(["seed", "--db", url])
    for report in ("foreign-parts", "countries", "manufacturers", "chpl", "timeline", "sources"):
        modules = _modules_after(["report", report, "--db", url])
        assert f"provenance.reports.{report.replace('-', '_')}" in modules
        assert not {m for m in modules if m.split(".")[0] in HEAVY_FOR_A_REPORT}, report


def test_command_tree_is_walked() -> None:
    names = {" ".join(path) for path, _ in _walk(cli)}
    assert {"", "init", "seed", "load", "report foreign-parts", "report components"} <= names
    assert {"db upgrade", "db current", "country"} <= names


@pytest.mark.parametrize("path", [path for path, _ in _walk(cli)], ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    command = dict(_walk(cli))[path]
    assert command.help and command.help.strip(), f"{path} has no help text"
    output = _invoke([*path, "--help"]).output
    assert "Example" in output, f"`provenance {' '.join(path)} --help` shows no example"
    example = output[output.index("Example") :]
    assert f"provenance {' '.join(path)}".strip() in example, f"no example of {path} itself"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path}: option {param.name} has no help text"
    assert _invoke([*path, "-h"]).output == output
