"""Customs records (issue 16): loading shipment rows, bad rows, reloads, the matching rules and a
person's decisions kept across re-matches; on SQLite and PostgreSQL.

Every shipment here is made up (never a copy of real customs data): XP Power converters of part
number TSM0505S (the part a finding names), one of another part number (same brand and HS code:
never linked), one without a part number (only the weaker rule links it) and one of a brand no
manufacturer has.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import CustomsError, InvalidDataError
from provenance.ingest.customs import load_customs, part_from_description, part_key
from provenance.ingest.customs_match import links, match_customs, review_link
from provenance.ingest.loader import LoadOptions, load_files
from provenance.models import Component, CustomsLinkStatus, CustomsShipment
from provenance.reference.manufacturers import add_alias
from tests.helpers import count, dump, row, write_csv

HEADER = [
    "date",
    "hs_code",
    "description",
    "brand",
    "part_number",
    "exporter",
    "importer",
    "origin_country",
    "dispatch_country",
    "value",
    "currency",
    "quantity",
    "record_id",
]


def _shipment(**cells: str) -> dict[str, str]:
    base = {
        "date": "2023-03-14",
        "hs_code": "8504.40.00",
        "description": "DC/DC converter",
        "brand": "XP Power Ltd",
        "part_number": "",
        "exporter": "Made-up Trading Co., Ltd",
        "importer": "Example Import LLC",
        "origin_country": "United Kingdom",
        "dispatch_country": "Hong Kong",
        "value": "1,200.50",
        "currency": "usd",
        "quantity": "10",
        "record_id": "",
    }
    return {**base, **cells}


SHIPMENTS = [
    _shipment(record_id="C-1", part_number="TSM-0505S"),
    _shipment(record_id="C-2", part_number="TSM1205D"),  # same brand and HS, other part
    _shipment(record_id="C-3", description="DC/DC converter, no part number given"),
    _shipment(record_id="C-4", description="converter P/N tsm0505s", origin_country="unknown"),
    _shipment(record_id="C-5", brand="Nobody Electronics", part_number="TSM0505S"),
]


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _findings(engine: Engine, tmp_path: Path) -> None:
    """Two XP Power converters (TSM0505S in SPEC-1, none given in SPEC-2) and an Analog
    Devices part with the same HS code."""
    load_files(
        engine,
        [
            write_csv(
                tmp_path / "findings.csv",
                [
                    row(part_number="TSM0505S"),
                    row(specimen="SPEC-2", component="converter, unread"),
                    row(component="MCU", manufacturer="Analog Devices", manufacturer_country="US"),
                ],
            )
        ],
        options=LoadOptions(new_manufacturers=True),
    )


def _pairs(engine: Engine) -> dict[tuple[str | None, str], tuple[str, str]]:
    with engine.connect() as conn:
        return {(k.record_id, k.specimen): (k.rule, k.status) for k in links(conn)}


# --- values -------------------------------------------------------------------------------------


def test_part_numbers_are_compared_without_case_spaces_or_punctuation() -> None:
    assert part_key("TSM-0505 S") == part_key("tsm0505s") == "tsm0505s"
    assert part_key("ＴＳＭ０５０５Ｓ") == "tsm0505s"
    assert part_key(" - ") is None


def test_a_part_number_is_read_from_a_description_only_when_it_says_so() -> None:
    assert part_from_description("DC/DC converter P/N TSM0505S, 10 pcs") == "TSM0505S"
    assert part_from_description("part no. LM317T.") == "LM317T"
    assert part_from_description("PN: AD7606") == "AD7606"
    assert part_from_description("DC/DC converter TSM0505S") is None
    assert part_from_description("PNEUMATIC valve") is None
    assert part_from_description("P/N unknown") is None


# --- loading ------------------------------------------------------------------------------------


def test_a_customs_file_loads_every_shipment_with_its_values(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    summary = load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    assert (summary.rows_read, summary.shipments_added, summary.brands_resolved) == (5, 5, 4)
    with engine.connect() as conn:
        got = {
            r.record_id: r
            for r in conn.execute(select(CustomsShipment).order_by(CustomsShipment.id))
        }
    first = got["C-1"]
    assert (str(first.shipped_on), first.shipped_precision) == ("2023-03-14", "day")
    assert (first.hs_code, first.hs6) == ("85044000", "850440")
    assert (first.origin_code, first.dispatch_code) == ("GB", "HK")
    assert (first.value, first.currency, first.quantity) == (Decimal("1200.5"), "USD", 10)
    assert (first.part_number, first.part_key, first.part_number_from) == (
        "TSM-0505S",
        "tsm0505s",
        "column",
    )
    assert first.exporter_key == "made up trading"
    assert first.importer_key == "example import"
    assert first.manufacturer_id is not None
    assert (got["C-4"].part_number, got["C-4"].part_number_from) == ("tsm0505s", "description")
    assert got["C-4"].origin_code is None  # unknown stays unknown
    assert got["C-3"].part_number is None
    assert got["C-5"].manufacturer_id is None  # no manufacturer of that name: not guessed


def test_a_brand_resolves_through_an_alias_but_never_by_a_near_spelling(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    add_alias(engine, "XP Power", "XPP Group")
    load_customs(
        engine,
        _write(
            tmp_path / "s.csv",
            [
                _shipment(record_id="A", brand="XPP Group"),
                _shipment(record_id="B", brand="XP Powr"),
            ],
        ),
    )
    with engine.connect() as conn:
        query = select(CustomsShipment.record_id, CustomsShipment.manufacturer_id)
        got = {record: maker for record, maker in conn.execute(query)}
    assert got["A"] is not None
    assert got["B"] is None


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    before = dump(engine)
    bad = [
        _shipment(record_id="B-1", date="14/03/2023"),
        _shipment(record_id="B-2", hs_code="85.04"),
        _shipment(record_id="B-3", origin_country="Atlantis"),
        _shipment(record_id="B-4", value="twelve"),
        _shipment(record_id="B-5", currency="US$"),
        _shipment(record_id="OK-1"),
        _shipment(record_id="OK-1"),
        _shipment(record_id="B-6", quantity="-3"),
    ]
    with pytest.raises(InvalidDataError) as caught:
        load_customs(engine, _write(tmp_path / "bad.csv", bad))
    where = {(e.row, e.column) for e in caught.value.errors}
    assert where == {
        (2, "date"),
        (3, "hs_code"),
        (4, "origin_country"),
        (5, "value"),
        (6, "currency"),
        (8, "record_id"),
        (9, "quantity"),
    }
    assert all(e.file == "bad.csv" for e in caught.value.errors)
    assert dump(engine) == before


def test_an_unknown_column_is_an_error_naming_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("date,hs_code,shipper\n2023,8504.40,someone\n", "utf-8")
    with pytest.raises(InvalidDataError) as caught:
        load_customs(engine, path)
    assert [e.column for e in caught.value.errors] == ["shipper"]


def test_loading_the_same_file_again_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "shipments.csv", SHIPMENTS)
    load_customs(engine, path)
    before = dump(engine)
    again = load_customs(engine, path)
    assert again.already_loaded and again.shipments_added == 0
    assert dump(engine) == before


def test_rows_loaded_before_from_another_file_are_not_added_again(
    engine: Engine, tmp_path: Path
) -> None:
    no_ids = [_shipment(), _shipment(), _shipment(quantity="2")]  # two identical rows: both kept
    first = load_customs(engine, _write(tmp_path / "a.csv", SHIPMENTS[:2] + no_ids))
    assert first.shipments_added == 5
    second = load_customs(engine, _write(tmp_path / "b.csv", SHIPMENTS + no_ids + no_ids[:1]))
    assert (second.shipments_added, second.already_known) == (4, 5)
    assert count(engine, "customs_shipments") == 9


def test_a_record_id_loaded_before_with_other_values_is_an_error(
    engine: Engine, tmp_path: Path
) -> None:
    load_customs(engine, _write(tmp_path / "a.csv", SHIPMENTS))
    before = dump(engine)
    changed = [SHIPMENTS[0], {**SHIPMENTS[1], "value": "999"}]
    with pytest.raises(InvalidDataError) as caught:
        load_customs(engine, _write(tmp_path / "b.csv", changed))
    (error,) = caught.value.errors
    assert (error.file, error.row, error.column, error.value) == ("b.csv", 3, "record_id", "C-2")
    assert re.search(r"loaded before \(load batch [0-9]+\) with other values", error.message)
    assert dump(engine) == before


def test_json_lines_are_read_too(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "shipments.jsonl"
    path.write_text(json.dumps({"Date": "2024", "HS code": "8542.31", "brand": "x"}) + "\n")
    summary = load_customs(engine, path)
    assert summary.shipments_added == 1


# --- matching and review ------------------------------------------------------------------------


def test_match_proposes_only_links_of_equal_hs6_manufacturer_and_part_number(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    summary = match_customs(engine)
    assert (summary.matches, summary.new) == (2, 2)
    assert _pairs(engine) == {
        ("C-1", "SPEC-1"): ("hs-brand-part", "proposed"),
        ("C-4", "SPEC-1"): ("hs-brand-part", "proposed"),
    }


def test_the_weaker_rule_links_only_where_a_part_number_is_missing(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    match_customs(engine, "hs-brand")
    pairs = _pairs(engine)
    assert ("C-2", "SPEC-1") not in pairs  # TSM1205D is not TSM0505S, whatever the rule
    assert pairs[("C-3", "SPEC-1")] == ("hs-brand", "proposed")
    assert pairs[("C-3", "SPEC-2")] == ("hs-brand", "proposed")
    assert pairs[("C-1", "SPEC-2")] == ("hs-brand", "proposed")
    assert pairs[("C-1", "SPEC-1")] == ("hs-brand-part", "proposed")
    assert not any(r == "C-5" for r, _ in pairs)  # its brand is no known manufacturer
    assert {status for _, status in pairs.values()} == {"proposed"}


def test_decisions_are_kept_when_matching_again(engine: Engine, tmp_path: Path) -> None:
    _findings(engine, tmp_path)
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    match_customs(engine)
    with engine.connect() as conn:
        first, second = links(conn)
    accepted = review_link(engine, first.link_id, CustomsLinkStatus.ACCEPTED, " A. Analyst ", "lot")
    assert (accepted.status, accepted.decided_by, accepted.note) == (
        "accepted",
        "A. Analyst",
        "lot",
    )
    review_link(engine, second.link_id, CustomsLinkStatus.REJECTED, "B. Analyst")
    again = match_customs(engine, "hs-brand")
    assert again.kept == 2
    with engine.connect() as conn:
        assert [(k.link_id, k.status) for k in links(conn, "accepted")] == [
            (first.link_id, "accepted")
        ]
        assert [k.link_id for k in links(conn, "rejected")] == [second.link_id]
        assert all(k.rule == "hs-brand" for k in links(conn, "proposed"))


def test_a_brand_added_later_as_a_manufacturer_is_resolved_by_match(
    engine: Engine, tmp_path: Path
) -> None:
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS[:1]))
    _findings(engine, tmp_path)
    summary = match_customs(engine)
    assert (summary.brands_resolved, summary.new) == (1, 1)


def test_a_decision_needs_a_name_and_a_known_link(engine: Engine, tmp_path: Path) -> None:
    _findings(engine, tmp_path)
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    match_customs(engine)
    with pytest.raises(CustomsError, match="--by NAME"):
        review_link(engine, 1, CustomsLinkStatus.ACCEPTED, "  ")
    with pytest.raises(CustomsError, match="no customs link 99"):
        review_link(engine, 99, CustomsLinkStatus.ACCEPTED, "A. Analyst")
    with pytest.raises(CustomsError, match="unknown rule"):
        match_customs(engine, "fuzzy")


def test_links_follow_a_component_combined_by_a_manufacturer_merge(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.reference.manufacturers import merge

    _findings(engine, tmp_path)
    load_files(
        engine,
        [write_csv(tmp_path / "twin.csv", [row(part_number="TSM0505S", manufacturer="XP Twin")])],
        options=LoadOptions(new_manufacturers=True),
    )
    load_customs(
        engine,
        _write(
            tmp_path / "s.csv", [_shipment(record_id="T", brand="XP Twin", part_number="TSM0505S")]
        ),
    )
    match_customs(engine)
    review_link(engine, 1, CustomsLinkStatus.ACCEPTED, "A. Analyst")
    merge(engine, "XP Power", "XP Twin")
    with engine.connect() as conn:
        (link,) = links(conn)
        survivor = conn.execute(
            select(Component.id).where(Component.function == "voltage converter")
        )
        assert link.component_id in set(survivor.scalars())
    assert (link.status, link.manufacturer) == ("accepted", "XP Power")


# --- the command line ---------------------------------------------------------------------------


def test_the_customs_commands_load_match_review_and_list(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, engine.url.render_as_string(hide_password=False))
    _findings(engine, tmp_path)
    runner = CliRunner()
    path = _write(tmp_path / "shipments.csv", SHIPMENTS)
    loaded = runner.invoke(cli, ["customs", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "5 shipments added" in loaded.output
    again = runner.invoke(cli, ["customs", "load", str(path)])
    assert "nothing changed" in again.output
    matched = runner.invoke(cli, ["customs", "match", "--format", "json"])
    assert json.loads(matched.output)["new"] == 2
    proposed = runner.invoke(cli, ["customs", "review", "--format", "json"])
    rows = json.loads(proposed.output)
    assert [r["record_id"] for r in rows] == ["C-1", "C-4"]
    assert rows[0]["shipped_on"] == "2023-03-14"  # as precisely as the file gives it
    decided = runner.invoke(
        cli, ["customs", "review", "--accept", str(rows[0]["link_id"]), "--by", "A. Analyst"]
    )
    assert decided.exit_code == 0, decided.output
    no_name = runner.invoke(cli, ["customs", "review", "--reject", "1"])
    assert no_name.exit_code != 0 and "--by NAME" in no_name.output
    listed = runner.invoke(cli, ["customs", "list", "--status", "accepted", "--format", "csv"])
    assert listed.output.splitlines()[0].startswith("link_id,status,rule,shipment_id,record_id")
    assert len(listed.output.splitlines()) == 2
    table = runner.invoke(cli, ["customs", "list"])
    assert "hs-brand-part" in table.output


def test_a_bad_customs_file_exits_non_zero_naming_the_row(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, engine.url.render_as_string(hide_password=False))
    path = _write(tmp_path / "bad.csv", [_shipment(date="yesterday")])
    result = CliRunner().invoke(cli, ["customs", "load", str(path)])
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "date" in result.output


# --- a provider's layout, through a mapping -----------------------------------------------------

PROVIDER_MAPPING = """\
kind: customs
description: a made-up customs data provider's export
columns:
  Declaration date: date
  HS: hs_code
  Goods: description
  Trademark: brand
  Shipper: exporter
  Consignee: importer
  Country of origin: origin_country
  Value USD: value
  Declaration no: record_id
  Internal ref: null
constants:
  currency: USD
unknown_values:
  brand: [NO BRAND]
"""


def test_a_file_in_a_provider_layout_loads_through_a_customs_mapping(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.ingest.mapping import load_mapping

    _findings(engine, tmp_path)
    mapping_file = tmp_path / "provider.yaml"
    mapping_file.write_text(PROVIDER_MAPPING, "utf-8")
    header = [
        "Declaration no",
        "Declaration date",
        "HS",
        "Goods",
        "Trademark",
        "Shipper",
        "Consignee",
        "Country of origin",
        "Value USD",
        "Internal ref",
    ]
    rows = [
        [
            "D-1",
            "2023-05",
            "850440",
            "converter P/N TSM0505S",
            "XP POWER",
            "A Ltd",
            "B",
            "GB",
            "9",
            "x",
        ],
        ["D-2", "2023-05", "850440", "converter", "NO BRAND", "A Ltd", "B", "unk", "9", "y"],
    ]
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    summary = load_customs(engine, path, mapping=load_mapping(mapping_file))
    assert (summary.shipments_added, summary.brands_resolved) == (2, 1)
    with engine.connect() as conn:
        got = {r.record_id: r for r in conn.execute(select(CustomsShipment))}
    assert (got["D-1"].currency, got["D-1"].part_number, got["D-1"].origin_code) == (
        "USD",
        "TSM0505S",
        "GB",
    )
    assert (got["D-2"].brand, got["D-2"].origin_code) == (None, None)  # unknown stays unknown
    assert match_customs(engine).new == 1


def test_a_mapping_of_another_kind_is_refused_for_customs_and_a_customs_one_for_load(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.errors import ProvenanceError
    from provenance.ingest.mapping import load_mapping

    path = _write(tmp_path / "shipments.csv", SHIPMENTS)
    with pytest.raises(CustomsError, match="kind: customs"):
        load_customs(engine, path, mapping=load_mapping("hur-portal"))
    mapping_file = tmp_path / "provider.yaml"
    mapping_file.write_text(PROVIDER_MAPPING, "utf-8")
    with pytest.raises(ProvenanceError, match="customs load"):
        load_files(engine, [path], options=LoadOptions(mapping=load_mapping(mapping_file)))


def test_a_part_number_mixing_latin_and_cyrillic_is_an_error_and_a_brand_is_folded(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    before = dump(engine)
    cyrillic_m = "\u041c"
    bad = [_shipment(record_id="M-1", part_number=f"T S{cyrillic_m}0505S")]
    with pytest.raises(InvalidDataError) as caught:
        load_customs(engine, _write(tmp_path / "mixed.csv", bad))
    (error,) = caught.value.errors
    assert (error.row, error.column) == (2, "part_number")
    assert "Latin and Cyrillic" in error.message
    assert dump(engine) == before
    folded = [_shipment(record_id="M-2", brand="\u0425P Power", part_number="TSM0505S")]
    assert load_customs(engine, _write(tmp_path / "folded.csv", folded)).brands_resolved == 1


def test_customs_load_takes_a_mapping_on_the_command_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, engine.url.render_as_string(hide_password=False))
    mapping_file = tmp_path / "provider.yaml"
    mapping_file.write_text(PROVIDER_MAPPING, "utf-8")
    path = tmp_path / "export.csv"
    path.write_text("Declaration no,HS,Trademark,Internal ref\nD-9,8504.40,XP Power,z\n", "utf-8")
    args = ["customs", "load", "--mapping", str(mapping_file), "--format", "json", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["shipments_added"] == 1
    other = tmp_path / "other.csv"
    other.write_text("Declaration no,HS\nD-10,8504.40\n", "utf-8")
    unmapped = CliRunner().invoke(cli, ["customs", "load", str(other)])
    assert unmapped.exit_code == 1
    assert "Declaration no" in unmapped.output and "customs layout" in unmapped.output


# --- all or nothing, and writers at once --------------------------------------------------------


def test_a_load_failing_half_way_through_its_writes_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from provenance.ingest import customs

    load_customs(engine, _write(tmp_path / "a.csv", SHIPMENTS[4:]))
    before = dump(engine)
    monkeypatch.setattr(customs, "_CHUNK", 1)
    monkeypatch.setattr(customs, "_present", lambda conn, identities: {})
    with pytest.raises(IntegrityError):  # C-5 is written again, after C-1 .. C-4
        load_customs(engine, _write(tmp_path / "b.csv", SHIPMENTS))
    assert dump(engine) == before


def test_the_same_file_loaded_twice_at_once_is_loaded_once(engine: Engine, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = _write(tmp_path / "shipments.csv", SHIPMENTS)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: load_customs(engine, path), range(2)))
    assert sorted(r.already_loaded for r in results) == [False, True]
    assert count(engine, "customs_shipments") == 5


def test_two_matches_at_once_propose_each_link_once(engine: Engine, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _findings(engine, tmp_path)
    load_customs(engine, _write(tmp_path / "shipments.csv", SHIPMENTS))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: match_customs(engine), range(2)))
    assert sorted(r.new for r in results) == [0, 2]
    assert count(engine, "customs_links") == 2
