"""Column mappings: the mapping file checked, columns renamed, split and set, and the shipped
mappings loading their example files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import Engine, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError, MappingError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import load_mapping, parse_mapping
from provenance.models import (
    AliasKind,
    Citation,
    Component,
    Manufacturer,
    ManufacturerAlias,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.reference.sync import load_reference
from provenance.resources import seeds_path
from tests.helpers import dump

MAPPINGS = seeds_path() / "mappings"
EXAMPLES = MAPPINGS / "examples"


def problems(data: Any) -> list[str]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(data, "m.yaml")
    return caught.value.problems


# ---------------------------------------------------------------------------------------------
# Checking the mapping file


def test_shipped_mappings_are_valid_and_documented() -> None:
    readme = (MAPPINGS / "README.md").read_text("utf-8")
    shipped = sorted(MAPPINGS.glob("*.yaml"))
    assert len(shipped) >= 2
    for path in shipped:
        mapping = load_mapping(path)
        assert mapping.description
        assert path.name in readme, f"{path.name} is not described in seeds/mappings/README.md"
        examples = [e for e in EXAMPLES.iterdir() if e.stem.startswith(path.stem)]
        assert examples, f"{path.name} has no example file in {EXAMPLES}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"colums": {}}, "unknown key 'colums' (closest: columns)"),
        ({"columns": {"Weapon": "weapon"}}, "'weapon' is not a column of the findings layout"),
        ({"columns": {"a": "weapon_system", "b": "weapon_system"}}, "gives weapon_system, which"),
        ({"constants": {"speciman": "x"}}, "(closest: specimen)"),
        ({"constants": {"notes": ["a", "b"]}}, "expected a single value"),
        ({"constants": {"specimen": "HUR {weapon}"}}, "{weapon} is not a column"),
        ({"constants": {"notes": "a } b"}}, "write a literal brace"),
        ({"split": [{"column": "x", "pattern": "(?P<component>"}]}, "is not a regular expression"),
        ({"split": [{"column": "x", "pattern": "(.*)"}]}, "no named groups"),
        ({"split": [{"column": "x", "pattern": "(?P<kind>.*)"}]}, "'kind' is not a column"),
        ({"split": [{"column": "x", "separator": "/"}]}, "'into' must list our columns"),
        ({"split": [{"column": "x"}]}, "give either 'separator'"),
        ({"split": [{"column": "x", "separator": "/", "into": ["a"], "sep": 1}]}, "unknown key"),
        ({"date_codes": "ddmm"}, "date_codes: expected one of yyww, wwyy, yyyy"),
        ({"sheets": {"A": {"constant": {}}}}, "unknown key 'constant'"),
        ({"manufacturer_aliases": {"TI": None}}, "expected name: name"),
        ("just text", "expected a mapping"),
    ],
)
def test_a_bad_mapping_is_refused_with_its_key(data: Any, expected: str) -> None:
    found = problems(data)
    assert any(expected in p for p in found), found


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("colums: {}\ndate_codes: dd\n", "utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_a_mapping_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("columns: [a\n", "utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(path)


# ---------------------------------------------------------------------------------------------
# Applying a mapping to a table

COLUMNS = {"Found in": "weapon_system"}
MAPPING = {
    "columns": COLUMNS,
    "ignore": ["photo"],
    "constants": {"source_publisher": "Portal", "specimen": "P {weapon_system}"},
    "split": [
        {
            "column": "name_marking",
            "separator": " / ",
            "into": ["component", "part_number", "date_code"],
        },
        {
            "column": "Maker",
            "pattern": r"(?P<manufacturer>.+?)\s*\((?P<manufacturer_parent>[^()]+)\)",
            "otherwise": "manufacturer",
        },
    ],
}


def test_a_plan_renames_splits_and_sets() -> None:
    mapping = parse_mapping(MAPPING)
    plan = mapping.plan("f.csv")
    plan.see_all(["found_in", "name_marking", "Maker", "photo", "Notes", "extra"])
    values, errors = plan.apply(
        {
            "found_in": "KN-23",
            "name_marking": "DC/DC converter / TSM0505S / 2413",
            "Maker": "Maxim Integrated (Analog Devices)",
            "photo": "x.jpg",
            "Notes": "n",
            "extra": "?",
        }
    )
    assert errors == []
    assert values == {
        "source_publisher": "Portal",
        "weapon_system": "KN-23",
        "component": "DC/DC converter",
        "part_number": "TSM0505S",
        "date_code": "2413",
        "manufacturer": "Maxim Integrated",
        "manufacturer_parent": "Analog Devices",
        "notes": "n",
        "specimen": "P KN-23",
    }
    assert plan.unknown == ["extra"]
    assert plan.column("weapon_system") == "found_in (weapon_system)"
    assert plan.column("date_code") == "name_marking (date_code)"
    assert plan.column("specimen") == "specimen (mapping constant)"
    assert plan.column("notes") == "Notes"

    values, errors = plan.apply({"name_marking": "Relay / A / B / C", "Maker": "XP Power"})
    assert values["manufacturer"] == "XP Power"
    assert "manufacturer_parent" not in values
    assert errors == [
        (
            "name_marking",
            "Relay / A / B / C",
            "expected at most 3 parts separated by ' / ' (component, part_number, date_code), "
            "found 4",
        )
    ]


def test_two_columns_for_one_of_ours_is_an_error() -> None:
    plan = parse_mapping(MAPPING).plan("f.csv")
    with pytest.raises(InvalidDataError) as caught:
        plan.see_all(["found_in", "weapon_system"])
    assert "gives weapon_system, which column 'found_in' gives too" in str(caught.value)


def test_our_own_columns_written_another_way() -> None:
    plan = parse_mapping({}).plan("f.csv")
    plan.see_all(["Weapon System", "specimen", "HS-Code"])
    values, _ = plan.apply({"Weapon System": "KN-23", "specimen": "S", "HS-Code": "8504.40"})
    assert values == {"weapon_system": "KN-23", "specimen": "S", "hs_code": "8504.40"}


# ---------------------------------------------------------------------------------------------
# Loading through a mapping


def _reference(engine: Engine) -> None:
    load_reference(engine, seeds_path() / "reference.yaml")


def test_the_portal_example(engine: Engine) -> None:
    _reference(engine)
    options = LoadOptions(mapping=load_mapping(MAPPINGS / "hur-portal.yaml"))
    [summary] = load_files(engine, [EXAMPLES / "hur-portal-export.csv"], options=options)
    assert summary.warnings == []
    assert (summary.rows_read, summary.components_added, summary.duplicate_rows) == (6, 5, 1)
    assert summary.manufacturers_created == 4  # Example Power, Integrated, Devices, Navigation
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                WeaponSystem.designation,
                Specimen.label,
                Component.function,
                Component.part_number,
                Component.date_code,
                Component.manufactured_on,
                Component.manufactured_precision,
                Manufacturer.name,
            )
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
            .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
            .order_by(Component.id)
        ).all()
        parents = dict(
            conn.execute(
                select(Manufacturer.name, Manufacturer.parent_id).where(
                    Manufacturer.parent_id.isnot(None)
                )
            ).all()
        )
        devices = conn.execute(
            select(Manufacturer.id, Manufacturer.country_code).where(
                Manufacturer.name == "Example Devices"
            )
        ).one()
        publishers = set(
            conn.scalars(select(Source.publisher).join(Citation, Citation.source_id == Source.id))
        )
    assert [tuple(r) for r in rows] == [
        ("KN-23", "HUR-PORTAL KN-23", "DC/DC converter", "EXC-0505S", "2413",
         dt.date(2024, 3, 25), "week", "Example Power AG"),
        ("KN-23", "HUR-PORTAL KN-23", "Microcontroller", "EXM-32F4", "2231",
         dt.date(2022, 8, 1), "week", "Example Integrated"),
        ("Shahed-136", "HUR-PORTAL Shahed-136", "GNSS module", "EXG-M8", "2305",
         dt.date(2023, 1, 30), "week", "Example Navigation Ltd"),
        ("KN-23", "HUR-PORTAL KN-23", "Voltage regulator", "EXR-1963", None,
         None, None, "Example Power AG"),  # "EXAMPLE POWER LTD" is Example Power AG
        ("KN-23", "HUR-PORTAL KN-23", "Op amp", "EXA-358", "2219",
         dt.date(2022, 5, 9), "week", "Example Integrated"),
    ]  # fmt: skip
    assert parents == {"Example Integrated": devices.id}
    assert devices.country_code is None  # the parent's headquarters is not given
    assert publishers == {"Defence Intelligence of Ukraine (War&Sanctions portal)"}

    # Loading it again adds nothing.
    before = {k: v for k, v in dump(engine).items() if k != "load_batches"}
    [again] = load_files(engine, [EXAMPLES / "hur-portal-export.csv"], options=options)
    assert (again.components_added, again.components_matched) == (0, 6)
    assert {k: v for k, v in dump(engine).items() if k != "load_batches"} == before


def test_the_annex_example(engine: Engine) -> None:
    options = LoadOptions(mapping=load_mapping(MAPPINGS / "report-annex.yaml"))
    [summary] = load_files(engine, [EXAMPLES / "report-annex.xlsx"], options=options)
    assert summary.warnings == []
    assert (summary.rows_read, summary.components_added) == (6, 6)
    assert summary.manufacturer_aliases_added == 1
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Specimen.label,
                Component.function,
                Component.date_code,
                Component.manufactured_on,
                Component.hs_code,
                Component.quantity,
                Manufacturer.name,
            )
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
            .order_by(Component.id)
        ).all()
        alias = conn.execute(
            select(ManufacturerAlias.alias, ManufacturerAlias.kind, Manufacturer.name).join(
                Manufacturer, Manufacturer.id == ManufacturerAlias.manufacturer_id
            )
        ).one()
        designations = dict(
            conn.execute(
                select(Specimen.label, WeaponSystem.designation).join(
                    WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id
                )
            ).all()
        )
        citations = conn.execute(select(Citation.component_id)).all()
    kn23 = "EXAMPLE-ANNEX-KN23-1"
    assert [tuple(r) for r in rows[:3]] == [
        (kn23, "Voltage converter", "0823", dt.date(2023, 2, 20), "8504.40", 1,
         "Example Power AG"),
        (kn23, "Microcontroller", "1222", dt.date(2022, 3, 21), "8542.31", 2,
         "Example Instruments Inc."),
        (kn23, "Gyroscope", "4522", dt.date(2022, 11, 7), "9014.20", 1,
         "Example Sensors K.K."),
    ]  # fmt: skip
    assert tuple(alias) == ("Example Instrument", AliasKind.ALIAS, "Example Instruments Inc.")
    assert designations == {kn23: "KN-23", "EXAMPLE-ANNEX-SHAHED-1": "Shahed-136"}
    assert len(citations) == 6


def test_a_bad_value_is_named_by_the_files_column(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "portal.csv"
    path.write_text(
        "name_marking,found_in,Maker,production_date,source_url\n"
        "Relay / R1 / 2460,KN-23,Omron,,https://example.org/1\n"
        "Relay / R2,KN-23,Omron,53rd week of 2023,https://example.org/2\n",
        "utf-8",
    )
    mapping = parse_mapping(
        {**MAPPING, "columns": {**COLUMNS, "production_date": "manufactured_on"}}
    )
    engine_before = dump(engine)
    load_reference(engine, seeds_path() / "reference.yaml")
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path], options=LoadOptions(mapping=mapping))
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:2: name_marking (date_code): not a real date code read as YYWW "
        "(2024 has weeks 1 to 52, not week 60) (got '2460')",
        f"{path}:3: production_date (manufactured_on): not a real week "
        "(2023 has weeks 1 to 52, not week 53) (got '53rd week of 2023')",
    ]
    assert engine_before != dump(engine)  # the reference data only


def _annex(tmp_path: Path, header: list[str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Table A1"
    sheet.append(header)
    sheet.append(["KN-23", "North Korea", "S-1", "relay", "Omron", "P", "T", "x"][: len(header)])
    path = tmp_path / "annex.xlsx"
    book.save(path)
    return path


def test_unknown_columns_warn_and_strict_refuses(engine: Engine, tmp_path: Path) -> None:
    header = [
        "weapon_system",
        "weapon_producer_country",
        "specimen",
        "component",
        "manufacturer",
        "source_publisher",
        "source_title",
        "Analyst",
    ]
    path = _annex(tmp_path, header)
    mapping = parse_mapping({"columns": {"Comment": "notes"}})
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path], options=LoadOptions(mapping=mapping, strict=True))
    assert dump(engine) == before
    assert [str(e) for e in caught.value.errors] == [
        f"{path}[Table A1]:1: columns that neither the findings layout nor the mapping uses: "
        "Analyst (--strict)",
        f"{path}[Table A1]:1: columns of the mapping that it does not have: Comment (--strict)",
    ]
    [summary] = load_files(engine, [path], options=LoadOptions(mapping=mapping))
    assert summary.components_added == 1
    assert summary.warnings == [
        f"{path}[Table A1]: ignored columns that neither the findings layout nor the mapping "
        "uses: Analyst",
        f"{path}[Table A1]: columns of the mapping that it does not have: Comment",
    ]


def test_cli_load_with_a_mapping(db_url: str, engine: Engine, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING), "utf-8")
    _reference(engine)
    path = tmp_path / "portal.tsv"
    path.write_text(
        "name_marking\tFound in\tMaker\tsource_url\n"
        "Relay / R1 / 2413\tKN-23\tOmron (Omron Group)\thttps://example.org/1\n",
        "utf-16",
    )
    result = CliRunner().invoke(
        cli,
        ["load", "--db", db_url, "--mapping", str(mapping), "--format", "json", str(path)],
        env={ENV_VAR: None},
    )
    assert result.exit_code == 0, result.output
    assert '"components_added": 1' in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {a: weapon}\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["load", "--db", db_url, "--mapping", str(bad), str(path)], env={ENV_VAR: None}
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: columns.a: 'weapon' is not a column")
