"""Manufacturers: the matching key, probable duplicates, parents, aliases, merges and roll-ups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError, ManufacturerError, UnknownManufacturerError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import parse_mapping
from provenance.models import (
    AliasKind,
    Citation,
    Component,
    Manufacturer,
    ManufacturerAlias,
    ManufacturerMerge,
    Source,
    Specimen,
)
from provenance.reference import manufacturers
from provenance.reports import foreign_parts as reports
from provenance.reports.components import components
from provenance.reports.core import RollUp
from provenance.values.text import NearDuplicates, manufacturer_key
from tests.helpers import count, dump, row, write_csv

# ---------------------------------------------------------------------------------------------
# The key


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["XP POWER LTD", "XP Power Limited", "XP Power plc", "xp power", "XP-Power"], "xp power"),
        (["Analog Devices, Inc.", "ANALOG DEVICES INC", "Analog Devices"], "analog devices"),
        (["Murata Manufacturing Co., Ltd.", "Murata Manufacturing"], "murata manufacturing"),
        (["Robert Bosch GmbH & Co. KG", "Robert Bosch GmbH", "Robert Bosch"], "robert bosch"),
        (["Nestlé S.A.", "Nestle S. A.", "NESTLÉ SA"], "nestle"),
        (["A.P. Møller - Mærsk A/S", "AP Moller Maersk"], "ap moller maersk"),
        (["STMicroelectronics N.V.", "STMicroelectronics"], "stmicroelectronics"),
        (["TDK-Lambda K.K.", "TDK Lambda"], "tdk lambda"),
        (["Texas Instruments Incorporated", "Texas Instruments"], "texas instruments"),
        (["Acme Pte. Ltd.", "ACME PTE LTD", "Acme"], "acme"),
        (["ＸＰ Ｐｏｗｅｒ"], "xp power"),  # full-width letters
        (["AG"], "ag"),  # nothing but a legal form: kept
    ],
)
def test_manufacturer_key(names: list[str], key: str) -> None:
    assert {manufacturer_key(n) for n in names} == {key}


def test_near_duplicates_compare_names_with_the_same_numbers() -> None:
    known = NearDuplicates(["texas instruments", "maker 1", "group 4", "xp power"])
    closest = known.closest("texas instrument")
    assert closest is not None
    assert closest[0] == "texas instruments"
    assert closest[1] == pytest.approx(97, abs=1)
    assert known.closest("xp powers") is not None
    assert known.closest("maker 10") is None  # another number: another company
    assert known.closest("group 5") is None
    assert known.closest("analog devices") is None
    assert known.closest("texas instruments") is None  # itself


# ---------------------------------------------------------------------------------------------
# Loading: names matched, probable duplicates, parents


def stored_makers(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    """name -> (headquarters, parent name)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Manufacturer.id,
                Manufacturer.name,
                Manufacturer.country_code,
                Manufacturer.parent_id,
            )
        ).all()
    names = {r.id: r.name for r in rows}
    return {r.name: (r.country_code, names.get(r.parent_id)) for r in rows}


def test_spellings_of_one_company_are_one_manufacturer(engine: Engine, tmp_path: Path) -> None:
    rows = [
        row(manufacturer="XP POWER LTD"),
        row(manufacturer="XP Power Limited", source_title="Second report"),
        row(manufacturer="xp power plc", component="relay"),
    ]
    [summary] = load_files(engine, [write_csv(tmp_path / "f.csv", rows)])
    assert summary.manufacturers_created == 1
    assert (summary.components_added, summary.citations_added) == (2, 3)
    # The stored spelling is the preferred one, whatever the order of the rows (issue 18):
    # mixed case before all capitals or all small letters.
    assert stored_makers(engine) == {"XP Power Limited": ("GB", None)}


def test_a_probable_duplicate_is_an_error(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(manufacturer="Texas Instruments")])])
    path = write_csv(tmp_path / "b.csv", [row(component="op amp", manufacturer="Texas Instrument")])
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path])
    assert dump(engine) == before
    [problem] = caught.value.errors
    assert (problem.row, problem.column, problem.value) == (2, "manufacturer", "Texas Instrument")
    assert "close to 'Texas Instruments' (in the database), similarity 97%" in problem.message
    assert '"Texas Instrument: Texas Instruments" under manufacturer_aliases' in problem.message
    assert "--new-manufacturers" in problem.message


def test_probable_duplicates_within_one_load(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [row(manufacturer="Microchip Technology"), row(manufacturer="Microchip Technologies")],
    )
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path])
    # Issue 18: neither is the duplicate by coming second: both rows are reported.
    problems = sorted(caught.value.errors, key=lambda e: e.row)
    assert [p.row for p in problems] == [2, 3]
    assert "two new manufacturers that are probably one company" in problems[0].message
    assert "'Microchip Technology'" in problems[0].message
    assert "'Microchip Technologies'" in problems[0].message
    assert f"contradicts {path}:2, which gives 'Microchip Technology'" in problems[1].message


def test_new_manufacturers_accepts_them_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(manufacturer="Texas Instruments")])])
    path = write_csv(tmp_path / "b.csv", [row(component="x", manufacturer="Texas Instrument")])
    [summary] = load_files(engine, [path], options=LoadOptions(new_manufacturers=True))
    assert summary.manufacturers_created == 1
    [warning] = summary.warnings
    assert "created the manufacturer 'Texas Instrument', although it is close to" in warning
    assert set(stored_makers(engine)) == {"Texas Instruments", "Texas Instrument"}


def test_a_mapping_alias_resolves_a_probable_duplicate(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(manufacturer="Texas Instruments")])])
    path = write_csv(
        tmp_path / "b.csv",
        [row(component="op amp", manufacturer="TEXAS INSTRUMENT", manufacturer_country="")],
    )
    mapping = parse_mapping({"manufacturer_aliases": {"Texas Instrument": "Texas Instruments"}})
    [summary] = load_files(engine, [path], options=LoadOptions(mapping=mapping))
    assert (summary.manufacturers_created, summary.manufacturer_aliases_added) == (0, 1)
    assert set(stored_makers(engine)) == {"Texas Instruments"}
    with engine.connect() as conn:
        alias = conn.execute(select(ManufacturerAlias.alias, ManufacturerAlias.kind)).one()
    assert tuple(alias) == ("Texas Instrument", AliasKind.ALIAS)
    # The database knows the alias now: the same file loads without the mapping.
    [summary] = load_files(engine, [path])
    assert (summary.components_matched, summary.manufacturers_created) == (1, 0)


def test_a_parent_from_a_column(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**row(manufacturer="Maxim Integrated", manufacturer_country="USA"),
         "manufacturer_parent": "Analog Devices", "manufacturer_parent_country": "USA"},
        {**row(component="ADC", manufacturer="Linear Technology", manufacturer_country=""),
         "manufacturer_parent": "analog devices inc", "manufacturer_parent_country": ""},
    ]  # fmt: skip
    [summary] = load_files(engine, [write_csv(tmp_path / "f.csv", rows)])
    assert summary.manufacturers_created == 3
    assert summary.warnings == []
    assert stored_makers(engine) == {
        "Analog Devices": ("US", None),
        "Maxim Integrated": ("US", "Analog Devices"),
        "Linear Technology": (None, "Analog Devices"),
    }
    # A known manufacturer without a parent gets one; one with another parent is an error.
    extra = {"manufacturer_parent": "Analog Devices Holding", "manufacturer_parent_country": ""}
    maxim = row(manufacturer="Maxim Integrated", manufacturer_country="")
    bad = write_csv(tmp_path / "bad.csv", [{**maxim, **extra}])
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [bad], options=LoadOptions(new_manufacturers=True))
    assert "Maxim Integrated is recorded with the parent Analog Devices" in str(caught.value)


def test_a_parent_that_would_make_a_loop(engine: Engine, tmp_path: Path) -> None:
    first = {**row(manufacturer="Alpha Holdings"), "manufacturer_parent": "Beta Group"}
    load_files(engine, [write_csv(tmp_path / "a.csv", [first])])
    loop = {
        **row(component="x", manufacturer="Beta Group"),
        "manufacturer_parent": "Alpha Holdings Ltd",
    }
    self_parent = {**row(component="y", manufacturer="Gamma"), "manufacturer_parent": "GAMMA LTD"}
    path = write_csv(tmp_path / "b.csv", [loop, self_parent])
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path])
    messages = [e.message for e in caught.value.errors]
    assert "Beta Group is already above it" in messages[0]
    assert "a manufacturer cannot be its own parent" in messages[1]


def test_a_parent_set_on_a_known_manufacturer(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(manufacturer="Maxim Integrated")])])
    with_parent = {**row(component="x", manufacturer="Maxim Integrated"),
                   "manufacturer_parent": "Analog Devices"}  # fmt: skip
    [summary] = load_files(engine, [write_csv(tmp_path / "b.csv", [with_parent])])
    assert (summary.manufacturers_created, summary.manufacturers_updated) == (1, 1)
    assert stored_makers(engine)["Maxim Integrated"] == ("GB", "Analog Devices")


def test_a_parent_created_by_a_later_file_of_the_load(engine: Engine, tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [row(manufacturer="Maxim Integrated")])
    b = write_csv(
        tmp_path / "b.csv",
        [{**row(component="x", manufacturer="Maxim Integrated"),
          "manufacturer_parent": "Analog Devices"}],
    )  # fmt: skip
    load_files(engine, [a, b])
    assert stored_makers(engine)["Maxim Integrated"] == ("GB", "Analog Devices")


# ---------------------------------------------------------------------------------------------
# Merging


def facts(engine: Engine) -> dict[str, Any]:
    """What a merge must keep: which specimens hold which parts, and who reported them."""
    with engine.connect() as conn:
        pairs = conn.execute(
            select(Specimen.label, Source.title)
            .select_from(Citation)
            .join(Component, Component.id == Citation.component_id)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(Source, Source.id == Citation.source_id)
        ).all()
        parts = conn.execute(
            select(Specimen.label, Component.function, Component.part_number, Source.title)
            .select_from(Citation)
            .join(Component, Component.id == Citation.component_id)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(Source, Source.id == Citation.source_id)
        ).all()
    return {
        "components": count(engine, "components"),
        "citations": count(engine, "citations"),
        "specimen_sources": {tuple(p) for p in pairs},
        "parts_cited": {tuple(p) for p in parts},
    }


def _merge_fixture(engine: Engine, tmp_path: Path) -> None:
    """TI and "TI Semiconductors" (recorded apart) share a part in SPEC-1; each has its own
    parts too; "TI Semiconductors" has an alias, a subsidiary, and no headquarters."""
    rows = [
        row(manufacturer="Texas Instruments", component="op amp", part_number="LM358",
            manufacturer_country="USA", source_title="Report A"),
        row(manufacturer="Texas Instruments", component="ADC", manufacturer_country="USA",
            source_title="Report A"),
        row(manufacturer="TI Semiconductors", component="op amp", part_number="LM358",
            manufacturer_country="", source_title="Report B", quantity="3", made_in="Malaysia"),
        # The same part, cited by another report that says the same of it (rows that file one
        # component must agree on it: issue 18).
        row(manufacturer="TI Semiconductors", component="op amp", part_number="LM358",
            manufacturer_country="", source_title="Report A", quantity="3", made_in="Malaysia"),
        row(manufacturer="TI Semiconductors", component="relay", manufacturer_country="",
            source_title="Report B"),
        row(manufacturer="TI Semiconductors", component="relay", specimen="SPEC-2",
            manufacturer_country="", source_title="Report C"),
        {**row(manufacturer="Burr-Brown", component="amplifier", manufacturer_country="USA",
               source_title="Report C"), "manufacturer_parent": "TI Semiconductors"},
    ]  # fmt: skip
    load_files(engine, [write_csv(tmp_path / "fixture.csv", rows)])
    manufacturers.add_alias(engine, "TI Semiconductors", "TI Semi")


def test_merge_loses_nothing(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    before = facts(engine)
    assert before["components"] == 6

    summary = manufacturers.merge(engine, "Texas Instruments", "ti semiconductors", note="one")

    after = facts(engine)
    # The shared op amp is one component now; its citations by A and B are both kept.
    assert after["components"] == before["components"] - 1
    assert after["citations"] == before["citations"] - 1  # Report A cited it twice
    assert after["specimen_sources"] == before["specimen_sources"]
    assert after["parts_cited"] == before["parts_cited"]
    assert (summary.components_moved, summary.components_combined) == (3, 1)
    assert (summary.citations_moved, summary.aliases_moved, summary.subsidiaries_moved) == (1, 1, 1)

    assert stored_makers(engine) == {
        "Texas Instruments": ("US", None),
        "Burr-Brown": ("US", "Texas Instruments"),
    }
    with engine.connect() as conn:
        aliases = {
            (a, str(k))
            for a, k in conn.execute(select(ManufacturerAlias.alias, ManufacturerAlias.kind))
        }
        record = conn.execute(select(ManufacturerMerge)).one()
        survivor = conn.execute(
            select(Component.quantity, Component.made_in_code).where(Component.function == "op amp")
        ).one()
    assert aliases == {("TI Semi", "alias"), ("TI Semiconductors", "merged")}
    assert (record.merged_name, record.merged_country_code) == ("TI Semiconductors", None)
    assert (record.components_moved, record.aliases_moved) == (3, 1)
    assert record.note.startswith("one; 1 of its components were the same")
    # The surviving component keeps its quantity and takes what it lacked.
    assert tuple(survivor) == (1, "MY")

    # Identities follow the kept manufacturer: the original file adds nothing.
    unchanged = {k: v for k, v in dump(engine).items() if k != "load_batches"}
    [again] = load_files(engine, [tmp_path / "fixture.csv"])
    assert (again.components_added, again.citations_added, again.manufacturers_created) == (0, 0, 0)
    assert {k: v for k, v in dump(engine).items() if k != "load_batches"} == unchanged


def test_merges_chain_and_the_history_follows(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    load_files(engine, [write_csv(tmp_path / "c.csv", [row(manufacturer="Tex Inst")])])
    manufacturers.merge(engine, "TI Semiconductors", "Tex Inst")
    manufacturers.merge(engine, "Texas Instruments", "TI Semi")  # found by its alias
    with engine.connect() as conn:
        kept = conn.execute(
            select(Manufacturer.id).where(Manufacturer.name == "Texas Instruments")
        ).scalar_one()
        records = conn.execute(
            select(ManufacturerMerge.kept_id, ManufacturerMerge.merged_name).order_by(
                ManufacturerMerge.id
            )
        ).all()
    assert [tuple(r) for r in records] == [(kept, "Tex Inst"), (kept, "TI Semiconductors")]
    detail = _show(engine, "tex inst")  # a merged name finds the kept manufacturer
    assert detail.name == "Texas Instruments"
    assert [m.merged_name for m in detail.merges] == ["Tex Inst", "TI Semiconductors"]


def _show(engine: Engine, name: str) -> manufacturers.ManufacturerDetail:
    with engine.connect() as conn:
        return manufacturers.show(conn, name)


def test_merge_refusals(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    before = dump(engine)
    with pytest.raises(ManufacturerError, match="are the same manufacturer"):
        manufacturers.merge(engine, "TI Semiconductors", "ti semi")
    with pytest.raises(UnknownManufacturerError, match="closest: Texas Instruments"):
        manufacturers.merge(engine, "Texas Instrumentz", "TI Semi")
    assert dump(engine) == before


def test_a_failed_merge_changes_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _merge_fixture(engine, tmp_path)
    before = dump(engine)

    def failing(*args: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(manufacturers, "_move_relatives", failing)
    with pytest.raises(RuntimeError):
        manufacturers.merge(engine, "Texas Instruments", "TI Semiconductors")
    assert dump(engine) == before


def test_a_subsidiary_merged_into_its_parent(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    manufacturers.merge(engine, "TI Semiconductors", "Burr-Brown")
    assert stored_makers(engine)["TI Semiconductors"] == ("US", None)
    manufacturers.merge(engine, "Texas Instruments", "TI Semiconductors")
    assert stored_makers(engine) == {"Texas Instruments": ("US", None)}


# ---------------------------------------------------------------------------------------------
# Aliases, listing


def test_aliases(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    added = manufacturers.add_alias(
        engine, "texas instruments inc", "Texas Instruments Tucson", AliasKind.FORMER_NAME
    )
    assert (added.manufacturer, added.alias, added.kind) == (
        "Texas Instruments",
        "Texas Instruments Tucson",
        "former_name",
    )
    with pytest.raises(ManufacturerError, match="is the manufacturer Burr-Brown"):
        manufacturers.add_alias(engine, "Texas Instruments", "BURR BROWN Corp")
    with pytest.raises(ManufacturerError, match="already TI Semiconductors's alias"):
        manufacturers.add_alias(engine, "Texas Instruments", "TI Semi")
    with pytest.raises(ManufacturerError, match="own name"):
        manufacturers.add_alias(engine, "Texas Instruments", "TEXAS INSTRUMENTS LTD")
    manufacturers.add_alias(engine, "Texas Instruments", "Texas Instruments Deutschland")
    path = write_csv(
        tmp_path / "d.csv",
        [
            row(
                manufacturer="Texas Instruments Deutschland GmbH",
                manufacturer_country="",
                component="x",
            )
        ],
    )
    [summary] = load_files(engine, [path])
    assert summary.manufacturers_created == 0


def test_list_and_show(engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    with engine.connect() as conn:
        listed = manufacturers.list_manufacturers(conn)
        found = manufacturers.list_manufacturers(conn, "semi")
    assert [(m.name, m.country_code, m.parent, m.components, m.parts) for m in listed] == [
        ("Burr-Brown", "US", "TI Semiconductors", 1, 1),
        ("Texas Instruments", "US", None, 2, 2),
        ("TI Semiconductors", None, None, 3, 5),
    ]
    assert [m.name for m in found] == ["TI Semiconductors"]
    detail = _show(engine, "Burr Brown")
    assert (detail.parents, detail.country, detail.components) == (
        ["TI Semiconductors"],
        "United States",
        1,
    )


# ---------------------------------------------------------------------------------------------
# Reports rolled up to the parent


def test_reports_roll_up_to_the_top_parent(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**row(manufacturer="Maxim Integrated", manufacturer_country="Germany", quantity="2"),
         "manufacturer_parent": "Analog Devices", "manufacturer_parent_country": "USA"},
        {**row(component="ADC", manufacturer="Analog Devices", manufacturer_country="")},
        {**row(component="PMIC", manufacturer="Small Sub", manufacturer_country="Japan"),
         "manufacturer_parent": "Maxim Integrated"},
        {**row(component="relay", manufacturer="Orphan Sub", manufacturer_country="China"),
         "manufacturer_parent": "Unknown Parent Group"},
    ]  # fmt: skip
    load_files(engine, [write_csv(tmp_path / "f.csv", rows)])
    with engine.connect() as conn:
        plain = reports.foreign_parts(conn, "KN-23")
        rolled = reports.foreign_parts(conn, "KN-23", roll_up=RollUp.PARENT)
        listing = components(conn, "KN-23", RollUp.PARENT)
    origins = {o.country_code: (o.parts, o.manufacturers) for o in plain.weapons[0].origins}
    assert origins == {
        "DE": (2, ["Maxim Integrated"]),
        "US": (1, ["Analog Devices"]),
        "JP": (1, ["Small Sub"]),
        "CN": (1, ["Orphan Sub"]),
    }
    origins = {o.country_code: (o.parts, o.manufacturers) for o in rolled.weapons[0].origins}
    assert origins == {
        "US": (4, ["Analog Devices"]),  # Maxim and its subsidiary count under Analog Devices
        "CN": (1, ["Unknown Parent Group"]),  # the parent's headquarters is not known
    }
    assert rolled.roll_up is RollUp.PARENT
    assert {
        (c.manufacturer, c.manufacturer_as_marked, c.manufacturer_country) for c in listing
    } == {
        ("Analog Devices", "Maxim Integrated", "United States"),
        ("Analog Devices", "Analog Devices", "United States"),
        ("Analog Devices", "Small Sub", "United States"),
        ("Unknown Parent Group", "Orphan Sub", "China"),
    }


# ---------------------------------------------------------------------------------------------
# The command line


def _run(args: list[str], code: int = 0) -> str:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None})
    assert result.exit_code == code, result.output
    return result.output


def test_cli_manufacturers(db_url: str, engine: Engine, tmp_path: Path) -> None:
    _merge_fixture(engine, tmp_path)
    listed = _run(["manufacturers", "list", "--db", db_url])
    assert "TI Semiconductors" in listed and "TI Semi" in listed
    data = json.loads(_run(["manufacturers", "list", "--db", db_url, "--format", "json"]))
    assert len(data["manufacturers"]) == 3
    shown = _run(["manufacturers", "show", "--db", db_url, "burr-brown"])
    assert "parent: TI Semiconductors" in shown
    assert "headquarters: United States" in shown
    out = _run(
        ["manufacturers", "alias", "--db", db_url, "Texas Instruments", "TI Inc", "--former-name"]
    )
    assert out == "'TI Inc' is now an alias (former_name) of Texas Instruments\n"
    error = _run(["manufacturers", "alias", "--db", db_url, "Texas Instruments", "TI Semi"], 1)
    assert error.startswith("Error: 'TI Semi' is already TI Semiconductors's alias")
    before = facts(engine)
    out = _run(["manufacturers", "merge", "--db", db_url, "Texas Instruments", "TI Semiconductors"])
    assert out.startswith("merged TI Semiconductors into Texas Instruments: 3 components moved")
    assert facts(engine)["specimen_sources"] == before["specimen_sources"]
    error = _run(["manufacturers", "show", "--db", db_url, "Nobody"], 1)
    assert error.startswith("Error: unknown manufacturer 'Nobody'")
    rolled = _run(["report", "foreign-parts", "--db", db_url, "--roll-up", "parent"])
    assert "Roll-up: manufacturers rolled up to their top parent company" in rolled
    data = json.loads(
        _run(["report", "components", "--db", db_url, "--roll-up", "parent", "--format", "json"])
    )
    assert {c["manufacturer"] for c in data["components"]} == {"Texas Instruments"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ManufacturerMerge)).scalar_one() == 1
