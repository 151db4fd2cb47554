"""Authenticity as claims (issue 15): each source's claim is kept on its citation, side by side;
one documented rule chooses the claim reports use, whatever the order of the loads; reports can
leave counterfeits out; `provenance component show` lists every statement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from provenance import migrate
from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.models import Authenticity, Citation, Component, Source
from provenance.reference import install
from provenance.reports.components import component_detail, components
from provenance.reports.core import Basis
from provenance.reports.foreign_parts import foreign_parts
from tests.helpers import dump, row, write_csv

CHIP = {"component": "op amp", "part_number": "OPA1", "manufacturer": "Texas Instruments",
        "manufacturer_country": "US", "date_code": "", "manufactured_on": ""}  # fmt: skip


def _by(
    source: str, claim: str, reliability: str = "", published: str = "", **more: str
) -> dict[str, str]:
    return row(
        **{**CHIP, **more},
        authenticity=claim,
        source_publisher=source,
        source_title=f"{source} report",
        source_reliability=reliability,
        source_published_on=published,
    )


def _claims(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Source.publisher, Citation.authenticity).join(
                Source, Source.id == Citation.source_id
            )
        ).all()
    return {p: (str(a) if a is not None else None) for p, a in rows}


def _chosen(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(Component.authenticity)).scalar_one())


@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_claims_are_kept_side_by_side_and_one_rule_chooses(
    engine: Engine, tmp_path: Path, order: str
) -> None:
    maker = _by("Maker", "genuine", "medium", "2024-05")
    lab = _by("Lab", "counterfeit", "high", "2024-01", authenticity_basis="X-ray of the die")
    files = [write_csv(tmp_path / "maker.csv", [maker]), write_csv(tmp_path / "lab.csv", [lab])]
    for path in files if order == "as written" else files[::-1]:
        load_files(engine, [path])
    assert _claims(engine) == {"Maker": "genuine", "Lab": "counterfeit"}
    assert _chosen(engine) == "counterfeit"  # the more reliable source, though older
    with engine.connect() as conn:
        (listed,) = components(conn)
        detail = component_detail(conn, listed.component_id)
    assert (listed.authenticity, listed.standing) == ("counterfeit", "disputed")
    assert [(c.source, c.claim, c.basis) for c in detail.claims] == [
        ("Lab: Lab report", "counterfeit", "X-ray of the die"),
        ("Maker: Maker report", "genuine", None),
    ]


def test_of_equally_reliable_sources_the_latest_claim_counts(
    engine: Engine, tmp_path: Path
) -> None:
    older = write_csv(tmp_path / "a.csv", [_by("A", "genuine", "medium", "2023-01")])
    newer = write_csv(tmp_path / "b.csv", [_by("B", "suspected_counterfeit", "medium", "2024-06")])
    load_files(engine, [newer, older])  # one load, newer file first
    assert _chosen(engine) == "suspected_counterfeit"


def test_reports_can_leave_counterfeits_out(engine: Engine, tmp_path: Path) -> None:
    fake = _by("Lab", "counterfeit", "high")
    real = {**_by("Lab", "genuine", "high"), "part_number": "OPA2"}
    load_files(engine, [write_csv(tmp_path / "f.csv", [fake, real])])
    with engine.connect() as conn:
        every = foreign_parts(conn)
        genuine = foreign_parts(conn, exclude_counterfeit=True)
    assert (every.weapons[0].parts, every.counterfeit_excluded) == (2, None)
    assert (genuine.weapons[0].parts, genuine.counterfeit_excluded) == (1, 1)


def test_a_source_cannot_change_its_own_claim_by_loading_again(
    engine: Engine, tmp_path: Path
) -> None:
    load_files(engine, [write_csv(tmp_path / "first.csv", [_by("Lab", "unknown")])])
    assert _claims(engine) == {"Lab": None}
    # A claim the source had not made yet is given to its citation.
    load_files(engine, [write_csv(tmp_path / "second.csv", [_by("Lab", "genuine")])])
    assert _claims(engine) == {"Lab": "genuine"} and _chosen(engine) == "genuine"
    before = dump(engine)
    third = write_csv(tmp_path / "third.csv", [_by("Lab", "counterfeit")])
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [third])
    assert dump(engine) == before
    (error,) = caught.value.errors
    assert (error.row, error.column) == (2, "authenticity")
    assert "this source already states authenticity genuine for the part" in error.message
    summary = load_files(engine, [third], options=LoadOptions(rejects=tmp_path / "bad.csv"))
    assert summary[0].rows_rejected == 1 and _claims(engine) == {"Lab": "genuine"}


def test_rows_of_one_source_that_disagree_are_a_conflict(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [_by("Lab", "genuine"), _by("Lab", "counterfeit")])
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path])
    assert dump(engine) == before
    assert sorted(e.row for e in caught.value.errors) == [2, 3]


def test_the_migration_moves_authenticity_into_claims_and_back(
    empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    two_sources = [_by("A", "counterfeit"), _by("B", "unknown")]
    load_files(empty_engine, [write_csv(tmp_path / "f.csv", two_sources)])
    migrate.downgrade(empty_engine, "0007")
    with empty_engine.begin() as conn:
        assert conn.execute(select(Component.authenticity)).scalar_one() == (
            Authenticity.COUNTERFEIT
        )
    migrate.upgrade_schema(empty_engine)
    # Upgrading gives the component's authenticity to every citing source's citation.
    assert _claims(empty_engine) == {"A": "counterfeit", "B": "counterfeit"}
    assert _chosen(empty_engine) == "counterfeit"


def test_component_show(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {ENV_VAR: f"sqlite:///{tmp_path / 'c.db'}"}
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    rows = [_by("Maker", "genuine", "medium"), _by("Lab", "counterfeit", "high")]
    path = write_csv(tmp_path / "f.csv", rows)
    assert runner.invoke(cli, ["load", str(path)], env=env).exit_code == 0
    listing = runner.invoke(cli, ["report", "components", "--format", "json"], env=env)
    (component,) = json.loads(listing.output)["components"]
    assert component["standing"] == "disputed"
    shown = runner.invoke(cli, ["component", "show", str(component["component_id"])], env=env)
    assert shown.exit_code == 0, shown.output
    assert "authenticity: counterfeit (standing: disputed" in shown.output
    assert "- Lab: Lab report\n      counterfeit; reliability high" in shown.output
    assert "- Maker: Maker report\n      genuine; reliability medium" in shown.output
    as_json = runner.invoke(
        cli, ["component", "show", str(component["component_id"]), "--format", "json"], env=env
    )
    assert [c["claim"] for c in json.loads(as_json.output)["claims"]] == ["counterfeit", "genuine"]
    missing = runner.invoke(cli, ["component", "show", "999"], env=env)
    assert missing.exit_code == 1 and "there is no component 999" in missing.output


@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_corrections_of_where_and_when_a_part_was_made_keep_every_statement(
    engine: Engine, tmp_path: Path, order: str
) -> None:
    """A later, more reliable source says the converter was made in Malaysia in 2023-03, not in
    Taiwan in 2023: both statements stay, the component takes the more reliable one."""
    first = _by("Portal", "unknown", "medium", "2024-01", made_in="TW", manufactured_on="2023")
    second = _by("Lab", "unknown", "high", "2023-06", made_in="MY", manufactured_on="2023-03")
    files = [write_csv(tmp_path / "a.csv", [first]), write_csv(tmp_path / "b.csv", [second])]
    for path in files if order == "as written" else files[::-1]:
        load_files(engine, [path])
    with engine.connect() as conn:
        (listed,) = components(conn)
        detail = component_detail(conn, listed.component_id)
        made_in = foreign_parts(conn, basis=Basis.MADE_IN).weapons[0].origins
    assert (listed.made_in, listed.manufactured) == ("Malaysia", "2023-03")
    assert [(c.source, c.made_in, c.manufactured) for c in detail.claims] == [
        ("Lab: Lab report", "Malaysia", "2023-03"),
        ("Portal: Portal report", "Taiwan", "2023"),
    ]
    assert [(o.country_code, o.parts) for o in made_in] == [("MY", 1)]


def test_a_source_cannot_restate_where_its_part_was_made(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [_by("Lab", "unknown", made_in="TW")])])
    before = dump(engine)
    again = write_csv(tmp_path / "b.csv", [_by("Lab", "unknown", made_in="CN")])
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [again])
    assert dump(engine) == before
    (error,) = caught.value.errors
    assert error.column == "made_in"
    assert "this source already states made in TW" in error.message and "CN" in error.message
