"""Screening the parties of the supply chain (issue 16), on SQLite and PostgreSQL: candidates,
decisions, and where confirmed parties show (report parties, chain, FtM).

Made here, by hand: manufacturer XP Power (GB); parties Hongda Trading (CN, alias "Hongda HK",
registration 914403-TEST), Arrow Electronics (US, LEI 5493 00ABC), "XP Power Ltd" (the party that
is the manufacturer XP Power) and Nordic Shipping (no country). The list: HONGDA TRADING CO LTD
(cn; a true candidate by name), an entity with another name whose identifiers hold Arrow's LEI
(a candidate by identifier only), NORDIC SHIPPING AS in Russia (a name alike: found, then
rejected), XP POWER LIMITED (the manufacturer's candidate: the party that is XP Power gets none
of its own).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from provenance.bi import ftm
from provenance.chain.parties import PartySpec, add_party
from provenance.chain.read import chain_of_component
from provenance.chain.render import to_markdown, to_text
from provenance.chain.transfers import load_transfers
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine, write_transaction
from provenance.errors import ProvenanceError
from provenance.ingest.loader import load_files
from provenance.ingest.screening import load_list
from provenance.ingest.screening_run import candidates, review, run_screening
from provenance.migrate import current_revision, downgrade
from provenance.models import Party, ScreeningCandidate, ScreeningDecision
from provenance.reference import install
from provenance.reports.parties import parties_report
from tests.helpers import dump, row, write_csv

LIST = (
    "id,schema,name,aliases,countries,identifiers,dataset\n"
    "NK-hongda,Company,HONGDA TRADING CO LTD,,cn,,Test Sanctions\n"
    "NK-other,Company,Pacific Components Holding,,hk,549300ABC;HK-77,Test Sanctions\n"
    "NK-nordic,Company,NORDIC SHIPPING AS,,ru,,Test Sanctions\n"
    "NK-xp,Company,XP POWER LIMITED,,gb,,Test Sanctions\n"
)


def _case(engine: Engine, tmp_path: Path) -> None:
    findings = write_csv(
        tmp_path / "f.csv", [row(manufacturer="XP Power", manufacturer_country="UK")]
    )
    load_files(engine, [findings])
    add_party(
        engine,
        PartySpec(
            "Hongda Trading",
            country="CN",
            aliases=["Hongda HK"],
            identifiers=[("registration", "914403-TEST")],
        ),
    )
    add_party(
        engine, PartySpec("Arrow Electronics", country="US", identifiers=[("lei", "5493 00ABC")])
    )
    add_party(engine, PartySpec("XP Power Ltd", country="GB", manufacturer="XP Power"))
    add_party(engine, PartySpec("Nordic Shipping"))
    listed = tmp_path / "targets.simple.csv"
    listed.write_text(LIST, encoding="utf-8")
    load_list(engine, listed)


def _found(engine: Engine) -> dict[str, tuple[str, str, float]]:
    with engine.connect() as conn:
        return {c.entity_id: (c.subject_kind, c.subject, c.score) for c in candidates(conn)}


def test_parties_are_screened_by_name_and_by_identifier(engine: Engine, tmp_path: Path) -> None:
    _case(engine, tmp_path)
    summary = run_screening(engine)
    # XP Power Ltd is the manufacturer XP Power: screened once, as the manufacturer.
    assert (summary.manufacturers, summary.parties) == (1, 3)
    assert _found(engine) == {
        "NK-hongda": ("party", "Hongda Trading", 100.0),
        "NK-other": ("party", "Arrow Electronics", 100.0),
        "NK-xp": ("manufacturer", "XP Power", 100.0),
        "NK-nordic": ("party", "Nordic Shipping", 100.0),
    }
    with engine.connect() as conn:
        by_entity = {c.entity_id: c for c in candidates(conn)}
    arrow = by_entity["NK-other"]
    assert arrow.reasons == "identifier lei '5493 00ABC' is the entity's (100)"
    assert (arrow.manufacturer, arrow.party, arrow.party_country) == (
        None,
        "Arrow Electronics",
        "US",
    )
    hongda = by_entity["NK-hongda"]
    assert "country CN agrees (+5)" in hongda.reasons and hongda.manufacturer is None
    # Nordic Shipping has no country: nothing for or against.
    assert "country not known on both sides" in by_entity["NK-nordic"].reasons
    with engine.connect() as conn:
        rows = conn.execute(
            select(ScreeningCandidate.entity_key, ScreeningCandidate.manufacturer_id,
                   ScreeningCandidate.party_id).order_by(ScreeningCandidate.entity_key)
        ).all()  # fmt: skip
    assert [(key, m is None, p is None) for key, m, p in rows] == [
        ("NK-hongda", True, False),
        ("NK-nordic", True, False),
        ("NK-other", True, False),
        ("NK-xp", False, True),
    ]


def test_a_partys_alias_is_screened_and_a_far_name_is_not(engine: Engine, tmp_path: Path) -> None:
    findings = write_csv(tmp_path / "f.csv", [row()])
    load_files(engine, [findings])
    add_party(engine, PartySpec("Shenzhen Bright Star", aliases=["Hongda HK"]))
    listed = tmp_path / "targets.simple.csv"
    listed.write_text("id,schema,name,countries\nNK-h,Company,HONGDA HK LIMITED,hk\n", "utf-8")
    load_list(engine, listed)
    run_screening(engine)
    with engine.connect() as conn:
        (only,) = candidates(conn)
    assert (only.party, only.entity_id) == ("Shenzhen Bright Star", "NK-h")
    assert "'Hongda HK'" in only.reasons


def test_party_decisions_are_kept_across_runs_and_rows_stay(engine: Engine, tmp_path: Path) -> None:
    _case(engine, tmp_path)
    run_screening(engine)
    with engine.connect() as conn:
        ids = {c.entity_id: c.candidate_id for c in candidates(conn)}
    review(engine, ids["NK-hongda"], ScreeningDecision.ACCEPTED, "A. Analyst", "same address")
    review(engine, ids["NK-nordic"], ScreeningDecision.REJECTED, "A. Analyst", "Norway, not RU")
    again = run_screening(engine)
    assert (again.new, again.updated, again.dropped) == (0, 4, 0)
    with engine.connect() as conn:
        status = {c.entity_id: (c.candidate_id, c.status) for c in candidates(conn)}
    assert status == {
        "NK-hongda": (ids["NK-hongda"], "accepted"),
        "NK-nordic": (ids["NK-nordic"], "rejected"),
        "NK-other": (ids["NK-other"], "open"),
        "NK-xp": (ids["NK-xp"], "open"),
    }
    # A higher threshold: the open ones below it would go, the decided ones stay.
    assert run_screening(engine, threshold=100).dropped == 0  # all four are 100


def test_a_candidate_has_exactly_one_subject(engine: Engine, tmp_path: Path) -> None:
    _case(engine, tmp_path)
    run_screening(engine)
    before = dump(engine)
    for subject in ({}, {"manufacturer_id": 1, "party_id": 1}):
        with pytest.raises(IntegrityError), write_transaction(engine) as conn:
            conn.execute(
                insert(ScreeningCandidate).values(
                    entity_key="NK-x", entity_name="x", score=1.0, reasons="r",
                    found_at=dt.datetime.now(dt.UTC),
                    **subject,
                )
            )  # fmt: skip
    assert dump(engine) == before


def test_the_parties_report_and_ftm_mark_a_confirmed_party(engine: Engine, tmp_path: Path) -> None:
    _case(engine, tmp_path)
    steps = tmp_path / "transfers.csv"
    steps.write_text(
        "component_id,from_party,to_party,date,source_publisher,source_title\n"
        "1,XP Power Ltd,Hongda Trading,2023-03,CAR,Dispatch\n"
        "1,Hongda Trading,Nordic Shipping,2023-04,CAR,Dispatch\n",
        "utf-8",
    )
    load_transfers(engine, steps)
    run_screening(engine)
    with engine.connect() as conn:
        ids = {c.entity_id: c.candidate_id for c in candidates(conn)}
    review(engine, ids["NK-hongda"], ScreeningDecision.ACCEPTED, "A. Analyst")
    review(engine, ids["NK-xp"], ScreeningDecision.ACCEPTED, "A. Analyst")
    review(engine, ids["NK-nordic"], ScreeningDecision.REJECTED, "A. Analyst")
    with engine.connect() as conn:
        report = parties_report(conn)
        exported = [e for e in ftm.entities(conn) if e["schema"] == "Similar"]
        hongda_key = conn.execute(
            select(Party.name_key).where(Party.name == "Hongda Trading")
        ).scalar_one()
    marks = {(r.party, r.role): r.sanctions_matches for r in report.rows}
    assert marks == {
        ("Hongda Trading", None): ["HONGDA TRADING CO LTD (NK-hongda)"],
        ("Nordic Shipping", None): [],
        # the party that is XP Power carries the manufacturer's confirmed hit
        ("XP Power Ltd", None): ["XP POWER LIMITED (NK-xp)"],
    }
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1)
    # The chain names its confirmed parties (not the rejected Nordic Shipping).
    assert chain.as_dict()["sanctions_matches"] == {
        "Hongda Trading": ["HONGDA TRADING CO LTD (NK-hongda)"],
        "XP Power Ltd": ["XP POWER LIMITED (NK-xp)"],
    }
    text = to_text(chain)
    assert "Hongda Trading: confirmed on a sanctions list as HONGDA TRADING CO LTD" in text
    assert "Nordic Shipping: confirmed" not in text
    assert "**Hongda Trading: confirmed" in to_markdown(chain)
    similar = sorted((e["properties"]["candidate"], e["properties"]["match"]) for e in exported)
    assert similar == sorted(
        [
            ([ftm.party_id(hongda_key, None)], ["NK-hongda"]),
            ([ftm.entity_id("manufacturer", "xp power")], ["NK-xp"]),
        ]
    )


def test_the_screen_commands_show_parties(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    _case(engine, tmp_path)
    engine.dispose()

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--db", db_url], env={ENV_VAR: None})
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 manufacturers and 3 parties screened" in invoke("screen", "run")
    listed = json.loads(invoke("screen", "list", "--format", "json"))
    hongda = next(c for c in listed if c["entity_id"] == "NK-hongda")
    assert (hongda["subject_kind"], hongda["party"], hongda["manufacturer"]) == (
        "party",
        "Hongda Trading",
        None,
    )
    header = invoke("screen", "list", "--format", "csv").splitlines()[0].split(",")
    # The columns scripts read stay first and in order; the new ones come after.
    assert header[:4] == ["candidate_id", "manufacturer", "manufacturer_country", "entity_id"]
    assert header[-3:] == ["subject_kind", "party", "party_country"]
    table = invoke("screen", "list")
    assert "Hongda Trading" in table and "party" in table


def test_downgrading_below_0014_refuses_a_partys_candidate(
    empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    _case(empty_engine, tmp_path)
    run_screening(empty_engine)
    before = dump(empty_engine)
    with pytest.raises(ProvenanceError, match="3 screening candidates are of parties"):
        downgrade(empty_engine, "0013")
    assert current_revision(empty_engine) == "0014"
    assert dump(empty_engine) == before
