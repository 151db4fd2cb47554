"""Sanctions screening (issue 16): loading OpenSanctions lists in both formats, matching the
manufacturers, a person's decisions kept across runs and newer lists; on SQLite and PostgreSQL.

The lists are made here, small and by hand (never a copy of a real list): an entity named like
the manufacturer Xilinx with its country (a true candidate), one named like Microchip without a
country (a false candidate a person rejects), one named like Analog Devices in another country
(below the threshold), a person with a maker's name spelt a little differently (never fuzzy), a
vessel (skipped).
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError, ScreeningError
from provenance.ingest import screening
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.screening import load_list
from provenance.ingest.screening_run import candidates, review, run_screening
from provenance.limits import Limits
from provenance.models import ScreeningCandidate, ScreeningDecision, ScreeningEntity
from provenance.reference.manufacturers import add_alias, merge
from provenance.values.text import latin_key
from tests.helpers import count, dump, row, write_csv

CSV_COLUMNS = [
    *("id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers"),
    *("sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change"),
]


def _entity(**cells: str) -> dict[str, str]:
    return {c: cells.get(c, "") for c in CSV_COLUMNS}


TARGETS = [
    _entity(
        id="NK-xlnx",
        schema="Company",
        name="XILINX, INC",
        aliases="Xilinx Incorporated;XLNX",
        countries="us",
        identifiers="LEI-123",
        sanctions="Test authority - Test programme",
        dataset="Test Sanctions",
        last_change="2026-11-30T06:00:00",
    ),
    _entity(
        id="NK-mchp",
        schema="Company",
        name="Microchip Technologies LLC",
        dataset="Test Sanctions;Other List",
        last_change="2026-12-01T06:00:00",
    ),
    _entity(
        id="NK-adi",
        schema="Company",
        name="Analog Device Ltd",
        countries="ru",
        dataset="Test Sanctions",
        last_change="2026-10-01",
    ),
    _entity(id="NK-person", schema="Person", name="Xilinks Inc", dataset="Test Sanctions"),
    _entity(id="NK-ship", schema="Vessel", name="XILINX", dataset="Test Sanctions"),
]


def _targets_csv(path: Path, rows: list[dict[str, str]] = TARGETS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _ftm(entity_id: str, schema: str, **props: list[str]) -> dict[str, Any]:
    return {
        "id": entity_id,
        "schema": schema,
        "properties": props,
        "datasets": ["test_sanctions"],
        "last_change": "2026-12-02T00:00:00",
    }


FTM = [
    _ftm("NK-xlnx", "Company", name=["XILINX, INC", "Xilinx Incorporated"], country=["us"]),
    _ftm("NK-mchp", "Company", name=["Microchip Technologies LLC"]),
    _ftm("NK-sanction", "Sanction", entity=["NK-xlnx"], authority=["Test"], program=["P-1"]),
    _ftm("NK-addr", "Address", full=["1 Test Street"]),
]


def _ftm_file(path: Path, entities: list[dict[str, Any]] = FTM) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entities), encoding="utf-8")
    return path


def _makers(engine: Engine, tmp_path: Path) -> None:
    """Manufacturers Xilinx (US), Microchip (US), Analog Devices (US) and XP Power (UK)."""
    findings = write_csv(
        tmp_path / "findings.csv",
        [
            row(component="FPGA", manufacturer="Xilinx Inc.", manufacturer_country="USA"),
            row(component="MCU", manufacturer="Microchip Technology", manufacturer_country="US"),
            row(component="ADC", manufacturer="Analog Devices", manufacturer_country="US"),
            row(),
        ],
    )
    load_files(engine, [findings], options=LoadOptions(new_manufacturers=True))


def _open_pairs(engine: Engine) -> dict[str, tuple[str | None, str]]:
    with engine.connect() as conn:
        return {c.entity_id: (c.manufacturer, c.status) for c in candidates(conn)}


# --- loading ------------------------------------------------------------------------------------


def test_a_targets_csv_loads_companies_and_people_and_skips_other_kinds(
    engine: Engine, tmp_path: Path
) -> None:
    summary = load_list(engine, _targets_csv(tmp_path / "targets.simple.csv"))
    assert (summary.format, summary.entities, summary.skipped) == ("csv", 4, 1)
    assert summary.datasets == ["Other List", "Test Sanctions"]
    assert str(summary.list_date) == "2026-12-01"
    with engine.connect() as conn:
        xlnx = conn.execute(
            select(ScreeningEntity).where(ScreeningEntity.entity_id == "NK-xlnx")
        ).one()
    assert xlnx.aliases == "Xilinx Incorporated;XLNX"
    assert (xlnx.countries, xlnx.identifiers) == ("us", "LEI-123")
    assert xlnx.sanctions == "Test authority - Test programme"


def test_ftm_json_lines_load_with_the_sanctions_of_their_entities(
    engine: Engine, tmp_path: Path
) -> None:
    # The name says CSV: the content decides.
    summary = load_list(engine, _ftm_file(tmp_path / "download.csv"))
    assert (summary.format, summary.entities, summary.skipped) == ("ftm", 2, 1)
    assert summary.datasets == ["test_sanctions"]
    with engine.connect() as conn:
        xlnx = conn.execute(
            select(ScreeningEntity).where(ScreeningEntity.entity_id == "NK-xlnx")
        ).one()
    assert (xlnx.name, xlnx.aliases, xlnx.countries) == ("XILINX, INC", "Xilinx Incorporated", "us")
    assert xlnx.sanctions == "Test P-1"


def test_loading_the_same_file_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _targets_csv(tmp_path / "targets.simple.csv")
    first = load_list(engine, path)
    before = dump(engine)
    again = load_list(engine, path)
    assert again.already_loaded and again.list_id == first.list_id
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "id,schema,name\nNK-1,Company,Good\nNK-2,,Bad\n",
            "targets.simple.csv:3: schema: required",
        ),
        (
            "id,schema,name\nNK-1,Company,One\nNK-1,Company,Again\n",
            "targets.simple.csv:3: id: the id is given again (first on line 2)",
        ),
        ("id,schema,name\nNK-1,Company\n", "targets.simple.csv:2: expected 3 cells, found 2"),
        (
            "id,schema,name,last_change\nNK-1,Company,A,yesterday\n",
            "targets.simple.csv:2: last_change: expected a date",
        ),
        (
            '{"id": "NK-1", "schema": "Company", "properties": {"name": ["A"]}}\n{"id": \n',
            "targets.simple.csv:2: not JSON",
        ),
        (
            '{"id": "NK-1", "schema": "Company", "properties": {"name": "A"}}\n',
            "targets.simple.csv:1: properties.name: expected a list of texts",
        ),
        ("name;country\nAcme;US\n", "not an OpenSanctions list"),
        (f"id,schema,name\n{'N' * 201},Company,A\n", "2: id: an id of at most 200 characters"),
        ("", "not an OpenSanctions list"),
    ],
)
def test_a_bad_list_is_refused_naming_the_line_and_nothing_is_written(
    engine: Engine, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_text(content, encoding="utf-8")
    before = dump(engine)
    with pytest.raises((InvalidDataError, ScreeningError)) as caught:
        load_list(engine, path)
    assert expected in str(caught.value)
    assert dump(engine) == before


def test_the_same_list_loaded_twice_at_once_is_loaded_once(engine: Engine, tmp_path: Path) -> None:
    path = _targets_csv(tmp_path / "targets.simple.csv")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: load_list(engine, path), range(2)))
    assert sorted(r.already_loaded for r in results) == [False, True]
    assert count(engine, "screening_lists") == 1
    assert count(engine, "screening_entities") == 4


def test_a_load_failing_half_way_through_its_writes_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _targets_csv(tmp_path / "targets.simple.csv")
    before = dump(engine)
    real_row = screening._Entity.row

    def row_or_null(entity: Any, list_id: int) -> dict[str, Any]:
        values = real_row(entity, list_id)
        return {**values, "name": None} if entity.entity_id == "NK-adi" else values

    monkeypatch.setattr(screening, "_CHUNK", 1)  # two entities are written before the third
    monkeypatch.setattr(screening._Entity, "row", row_or_null)
    with pytest.raises(IntegrityError):
        load_list(engine, path)
    assert dump(engine) == before


def test_a_csv_with_a_byte_order_mark_loads(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_text("id,schema,name\nNK-1,Company,Acme\n", encoding="utf-8-sig")
    assert load_list(engine, path).entities == 1


def test_a_json_line_over_the_line_limit_is_refused_naming_it(
    engine: Engine, tmp_path: Path
) -> None:
    long = _ftm("NK-long", "Company", name=["x" * 500])
    path = _ftm_file(tmp_path / "entities.ftm.json", [FTM[1], long])
    with pytest.raises(InvalidDataError, match=r"entities\.ftm\.json:2: a line longer than 300"):
        load_list(engine, path, Limits(line_size=300))
    assert count(engine, "screening_entities") == 0


def test_a_file_that_is_not_utf8_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_bytes("id,schema,name\nNK-1,Company,Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InvalidDataError, match=r"targets\.simple\.csv:2: not UTF-8"):
        load_list(engine, path)


def test_a_list_over_the_size_limit_is_refused_with_the_limit_named(
    engine: Engine, tmp_path: Path
) -> None:
    path = _targets_csv(tmp_path / "targets.simple.csv")
    with pytest.raises(InvalidDataError, match=r"larger than 100 bytes.*--limit file-size"):
        load_list(engine, path, Limits(file_size=100))
    assert count(engine, "screening_lists") == 0


# --- screening ------------------------------------------------------------------------------------


def test_screening_finds_the_true_and_the_false_candidate_and_not_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    _makers(engine, tmp_path)
    load_list(engine, _targets_csv(tmp_path / "targets.simple.csv"))
    summary = run_screening(engine)
    assert (summary.candidates, summary.new) == (2, 2)
    with engine.connect() as conn:
        found = {c.entity_id: c for c in candidates(conn)}
    assert set(found) == {"NK-xlnx", "NK-mchp"}  # not the person, the vessel, nor Analog Device
    xlnx, mchp = found["NK-xlnx"], found["NK-mchp"]
    assert (xlnx.manufacturer, xlnx.manufacturer_country) == ("Xilinx Inc.", "US")
    assert (xlnx.score, xlnx.status) == (100.0, "open")
    assert "the same key" in xlnx.reasons and "country US agrees (+5)" in xlnx.reasons
    assert mchp.manufacturer == "Microchip Technology"
    assert mchp.score == 90.5 and "country not known" in mchp.reasons
    # Analog Device Ltd (RU) is 96 on the name, 86 with the other country: below 88.
    assert run_screening(engine, threshold=80).candidates == 3


def test_a_person_is_a_candidate_only_when_the_key_is_the_same(
    engine: Engine, tmp_path: Path
) -> None:
    _makers(engine, tmp_path)
    person = _entity(id="NK-p2", schema="Person", name="XP POWER LIMITED", countries="gb")
    load_list(engine, _targets_csv(tmp_path / "people.csv", [TARGETS[3], person]))
    run_screening(engine)
    assert _open_pairs(engine) == {"NK-p2": ("XP Power", "open")}


def test_an_alias_of_a_manufacturer_is_screened_too(engine: Engine, tmp_path: Path) -> None:
    _makers(engine, tmp_path)
    add_alias(engine, "XP Power", "Excelsior Power Systems")
    entity = _entity(id="NK-ex", schema="Company", name="EXCELSIOR POWER SYSTEMS LTD")
    load_list(engine, _targets_csv(tmp_path / "t.csv", [entity]))
    run_screening(engine)
    with engine.connect() as conn:
        (found,) = candidates(conn)
    assert found.manufacturer == "XP Power"
    assert "'Excelsior Power Systems'" in found.reasons


def test_latin_key_writes_cyrillic_letters_in_latin_ones() -> None:
    assert latin_key("щёлково электроника") == "shchelkovo elektronika"
    assert latin_key("xilinx") == "xilinx"


def test_a_name_in_cyrillic_letters_is_compared_in_latin_ones_too(
    engine: Engine, tmp_path: Path
) -> None:
    findings = write_csv(
        tmp_path / "ru.csv", [row(manufacturer="АО Микрон", manufacturer_country="Russia")]
    )
    load_files(engine, [findings], options=LoadOptions(new_manufacturers=True))
    entity = _entity(id="NK-mik", schema="Company", name="MIKRON", countries="ru")
    load_list(engine, _targets_csv(tmp_path / "t.csv", [entity]))
    run_screening(engine)
    with engine.connect() as conn:
        (found,) = candidates(conn)
    assert (found.manufacturer, found.entity_id, found.score) == ("АО Микрон", "NK-mik", 100.0)
    assert "'АО Микрон' ~ Company 'MIKRON': the same key" in found.reasons


def test_decisions_are_kept_across_runs_and_a_newer_list(engine: Engine, tmp_path: Path) -> None:
    _makers(engine, tmp_path)
    load_list(engine, _targets_csv(tmp_path / "targets.simple.csv"))
    run_screening(engine)
    ids = {c.entity_id: c.candidate_id for c in candidates(engine.connect())}
    accepted = review(engine, ids["NK-xlnx"], ScreeningDecision.ACCEPTED, "A. Analyst", "same LEI")
    assert (accepted.status, accepted.decided_by, accepted.note) == (
        "accepted",
        "A. Analyst",
        "same LEI",
    )
    review(engine, ids["NK-mchp"], ScreeningDecision.REJECTED, "A. Analyst", "other company")

    again = run_screening(engine)
    assert (again.new, again.updated, again.dropped) == (0, 2, 0)
    # A newer list in the other format: Xilinx again, Microchip gone (its rejection is kept).
    newer = [FTM[0], FTM[2]]
    load_list(engine, _ftm_file(tmp_path / "entities.ftm.json", newer))
    load_list(engine, _targets_csv(tmp_path / "empty.csv", []))
    run_screening(engine)
    with engine.connect() as conn:
        after = {c.entity_id: c for c in candidates(conn)}
        rows = conn.execute(select(ScreeningCandidate.id, ScreeningCandidate.entity_key)).all()
    assert after["NK-xlnx"].status == "accepted"
    assert after["NK-xlnx"].sanctions == "Test P-1"  # the newest list's entry
    assert after["NK-mchp"].status == "rejected"
    assert {r.entity_key: r.id for r in rows} == ids  # the same rows, not new ones


def test_an_open_candidate_no_longer_found_is_dropped(engine: Engine, tmp_path: Path) -> None:
    _makers(engine, tmp_path)
    load_list(engine, _targets_csv(tmp_path / "targets.simple.csv"))
    run_screening(engine, threshold=80)
    summary = run_screening(engine)
    assert (summary.dropped, summary.decided_kept) == (1, 0)
    assert set(_open_pairs(engine)) == {"NK-xlnx", "NK-mchp"}


def test_a_review_of_an_unknown_candidate_or_without_a_name_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    with pytest.raises(ScreeningError, match="no screening candidate 99"):
        review(engine, 99, ScreeningDecision.ACCEPTED, "A. Analyst")
    with pytest.raises(ScreeningError, match="--by NAME"):
        review(engine, 1, ScreeningDecision.ACCEPTED, "  ")
    with pytest.raises(ScreeningError, match="at most 200 characters"):
        review(engine, 1, ScreeningDecision.ACCEPTED, "x" * 201)


def test_a_merge_of_manufacturers_keeps_their_screening_decisions(
    engine: Engine, tmp_path: Path
) -> None:
    _makers(engine, tmp_path)
    load_list(engine, _targets_csv(tmp_path / "targets.simple.csv"))
    run_screening(engine)
    (mchp,) = [c for c in candidates(engine.connect()) if c.entity_id == "NK-mchp"]
    review(engine, mchp.candidate_id, ScreeningDecision.REJECTED, "A. Analyst")
    merge(engine, "Xilinx Inc.", "Microchip Technology", "test")
    after = _open_pairs(engine)
    assert after == {"NK-xlnx": ("Xilinx Inc.", "open"), "NK-mchp": ("Xilinx Inc.", "rejected")}


# --- the command line ---------------------------------------------------------------------------


def _invoke(args: list[str], code: int = 0) -> str:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_the_screen_commands_load_run_review_and_list(db_url: str, tmp_path: Path) -> None:
    from provenance.db import make_engine

    engine = make_engine(db_url)
    _makers(engine, tmp_path)
    engine.dispose()
    db = ["--db", db_url]
    path = str(_targets_csv(tmp_path / "targets.simple.csv"))
    assert "4 entities loaded, 1 of other kinds skipped" in _invoke(["screen", "load", path, *db])
    assert "already loaded" in _invoke(["screen", "load", path, *db])
    (loaded,) = json.loads(_invoke(["screen", "lists", "--format", "json", *db]))
    assert (loaded["file_name"], loaded["entities"], loaded["list_date"]) == (
        "targets.simple.csv",
        4,
        "2026-12-01",
    )
    assert loaded["datasets"] == "Other List; Test Sanctions"
    assert "2 candidates (2 new" in _invoke(["screen", "run", *db])
    listed = json.loads(_invoke(["screen", "list", "--format", "json", *db]))
    assert [c["entity_id"] for c in listed] == ["NK-xlnx", "NK-mchp"]
    first = str(listed[0]["candidate_id"])
    assert "--by" in _invoke(["screen", "review", "--accept", first, *db], code=2)
    out = _invoke(["screen", "review", "--accept", first, "--by", "Me", "--note", "LEI", *db])
    assert "accepted" in out
    accepted = _invoke(["screen", "list", "--status", "accepted", "--format", "csv", *db])
    assert accepted.splitlines()[0].startswith("candidate_id,manufacturer,")
    assert len(accepted.splitlines()) == 2
    assert "NK-mchp" in _invoke(["screen", "review", *db])
    assert "Error: no screening candidate 99" in _invoke(
        ["screen", "review", "--reject", "99", "--by", "Me", *db], code=1
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("id,schema,name\nNK-1,,x\n", encoding="utf-8")
    assert "bad.csv:2: schema: required" in _invoke(["screen", "load", str(bad), *db], code=1)


def test_the_manufacturers_report_marks_confirmed_hits(engine: Engine, tmp_path: Path) -> None:
    from provenance.publish import report_documents
    from provenance.publish.documents import to_text
    from provenance.reports.manufacturers import manufacturers

    rows = [
        row(manufacturer="XP Power", manufacturer_country="UK"),
        row(component="MCU", manufacturer="Analog Devices", manufacturer_country="US"),
    ]
    load_files(engine, [write_csv(tmp_path / "f.csv", rows)])
    with engine.connect() as conn:
        plain = to_text(report_documents.manufacturers_document(manufacturers(conn)))
    assert "sanctions" not in plain  # no decision yet: the table as before
    targets = tmp_path / "targets.simple.csv"
    targets.write_text(
        "id,schema,name,countries,dataset\nNK-xp,Company,XP POWER LIMITED,gb,Test List\n",
        encoding="utf-8",
    )
    load_list(engine, targets)
    run_screening(engine)
    with engine.connect() as conn:
        (candidate,) = candidates(conn)
    review(engine, candidate.candidate_id, ScreeningDecision.ACCEPTED, "Analyst")
    with engine.connect() as conn:
        report = manufacturers(conn)
        text = to_text(report_documents.manufacturers_document(report))
    marked = {r.name: r.sanctions_matches for r in report.overall.rows}
    assert marked == {"XP Power": ["XP POWER LIMITED (NK-xp)"], "Analog Devices": []}
    assert "confirmed on a sanctions list" in text and "XP POWER LIMITED (NK-xp)" in text
