"""The YAML inputs (column mappings, the reference file, reference lists, country aliases) checked
against their schemas: a file with several problems gets every one of them reported, each with
its key path, and the database is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import CountryAliasError, InvalidDataError, MappingError
from provenance.ingest.mapping import load_mapping
from provenance.reference.schemas import ListFile, ReferenceFile, read_list_files
from provenance.reference.sync import load_reference, load_reference_lists
from provenance.resources import seeds_path
from provenance.values.countries import AliasFile, default_resolver, read_alias_file
from provenance.yamlfile import Problem, Schema, check, check_file, key_path
from tests.analysis_data import ensure_reference_lists
from tests.helpers import dump, row, write_csv

# ---------------------------------------------------------------------------------------------
# Column mappings

BAD_MAPPING = """\
description: A partner's sheet
colums: {Found in: weapon_system}
columns:
  Found in: weapon_system
  Maker: manufacturer
  Weapon: weapon
ignore: [photo, maker]
split:
  - column: name_marking
    separator: " / "
    into: [component, part_number, weapon_system]
  - column: Origin
    pattern: '(?P<made_in>.+'
constants:
  speciman: HUR-PORTAL
  specimen: "HUR {weapon}"
sheets:
  Table A1:
    constant: {weapon_system: KN-23}
date_codes: ddmm
"""

MAPPING_PROBLEMS = [
    "unknown key 'colums' (closest: columns); known keys: columns, constants, date_codes, "
    "description, fold_mixed_script, ignore, kind, lists, manufacturer_aliases, "
    "parent_separators, sheets, split, unknown_defaults, unknown_values",
    "columns.Weapon: 'weapon' is not a column of the findings layout (closest: weapon_system)",
    "ignore[2]: 'maker' is also under columns",
    # Found although the file has other problems: the checks across keys run without them.
    "split[1]: gives weapon_system, which columns['Found in'] gives too",
    "split[2].pattern: pattern '(?P<made_in>.+' is not a regular expression "
    "(missing ) at position 14)",
    "constants.speciman: 'speciman' is not a column of the findings layout (closest: specimen)",
    "constants.specimen: {weapon} is not a column of the findings layout (closest: "
    "weapon_system) (placeholders are {our_column}, nothing more)",
    "sheets['Table A1']: unknown key 'constant' (closest: constants); known keys: constants, skip",
    "date_codes: expected one of yyww, wwyy, yyyy (got 'ddmm')",
]


def test_a_mapping_with_several_problems(engine: Engine, db_url: str, tmp_path: Path) -> None:
    mapping = tmp_path / "partner.yaml"
    mapping.write_text(BAD_MAPPING, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping)
    assert caught.value.problems == MAPPING_PROBLEMS
    findings = write_csv(tmp_path / "f.csv", [row()])
    before = dump(engine)
    result = CliRunner().invoke(
        cli, ["load", "--db", db_url, "--mapping", str(mapping), str(findings)], env={ENV_VAR: None}
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {mapping}: {MAPPING_PROBLEMS[0]}",
        *(f"{mapping}: {p}" for p in MAPPING_PROBLEMS[1:]),
    ]
    assert dump(engine) == before


# ---------------------------------------------------------------------------------------------
# The reference file (weapon systems and sources)

BAD_REFERENCE = """\
weapon_systems:
  - designation: Shahed-136
    producer_country: IR
    aliases: [Geran-2]
  - designation: Zircon
    producer_country: NO
    category: [cruise missile]
  - designation: Kinzhal
    producer_country: RU
    aliases: [Kh-47M2, SHAHED-136]
    used_by: [RU, Atlantis]
    range_km: 2000
sources:
  - publisher: Example Research Group
    title: Example report
    published_on: 2024-13
    reliability: very high
  - publisher: Example Research Group
"""


def test_a_reference_file_with_several_problems(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text(BAD_REFERENCE, encoding="utf-8")
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_reference(engine, path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}: weapon_systems[2].producer_country: YAML reads NO, YES, ON and OFF as "
        'true/false: write the code in quotes (producer_country: "NO" for Norway)',
        f"{path}: weapon_systems[2].category: expected text",
        f"{path}: weapon_systems[3].aliases[2]: is the designation of another weapon system "
        "(got 'SHAHED-136')",
        f"{path}: weapon_systems[3].used_by[2]: unknown country (got 'Atlantis')",
        f"{path}: weapon_systems[3]: unknown key 'range_km'; known keys: aliases, category, "
        "description, designation, producer_country, used_by",
        f"{path}: sources[1].published_on: not a real date (month must be in 1..12) "
        "(got '2024-13')",
        f"{path}: sources[1].reliability: expected one of high, medium, low (got 'very high')",
        f"{path}: sources[2].title: required, but missing",
    ]
    assert dump(engine) == before


def test_an_alias_that_names_a_stored_weapon_system(engine: Engine, tmp_path: Path) -> None:
    load_reference(engine, seeds_path() / "reference.yaml")
    path = tmp_path / "reference.yaml"
    path.write_text(
        "weapon_systems:\n"
        "  - {designation: Iskander-M, producer_country: RU, aliases: [9K720, kn-23]}\n"
        "sources:\n"
        "  - {publisher: Example Research Group, title: Example report}\n",
        encoding="utf-8",
    )
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_reference(engine, path)
    assert str(caught.value) == (
        f"{path}: weapon_systems[1].aliases[2]: is the designation of another weapon system "
        "(got 'kn-23')"
    )
    assert dump(engine) == before


# ---------------------------------------------------------------------------------------------
# Reference lists (CHPL versions and country groups)

BAD_LISTS = """\
version: 1
chpl_lists:
  - version: "2025-01-01"
    published_on: "2025-01-01"
    publisher: Test publisher
    title: Test list
    tiers:
      "1": ["8542.31", "8542"]
      "2": ["8542.31", {hs: "8504.40", note: x}]
country_groups:
  - code: nordic
    name: Nordic countries
    members: [DK, FI, NO, IS, Sweden, Denmark]
  - code: aukus
    members: [{country: AU, from: "2021-09-15", until: "2021-09-01"}]
"""


def test_a_reference_list_file_with_several_problems(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    path = tmp_path / "lists.yaml"
    path.write_text(BAD_LISTS, encoding="utf-8")
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_reference_lists(engine, path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}: chpl_lists[1].tiers['1'][2].hs: expected a six-digit HS code, e.g. 8504.40 "
        "(got '8542')",
        f"{path}: chpl_lists[1].tiers['2'][1]: listed in tier 1 too (got '8542.31')",
        f"{path}: chpl_lists[1].tiers['2'][2]: unknown key 'note'; known keys: description, hs",
        f"{path}: country_groups[1].members[3].country: YAML reads NO, YES, ON and OFF as "
        'true/false: write the code in quotes (country: "NO" for Norway)',
        f"{path}: country_groups[1].members[6]: listed twice with the same 'from' (got 'DK')",
        f"{path}: country_groups[2].members[1].until: is before 'from' (got '2021-09-01')",
        f"{path}: country_groups[2].name: required, but missing",
    ]
    assert dump(engine) == before


def test_list_files_are_read_together(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\n", encoding="utf-8")
    old = tmp_path / "old.yaml"
    old.write_text("version: 2\nchpl_list: []\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ncountry_groups: [\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as caught:
        read_list_files([good, old, broken], default_resolver())
    lines = str(caught.value).splitlines()
    assert lines[:2] == [
        f"{old}: version: expected one of 1 (the layout of the file, e.g. `version: 1`) (got '2')",
        f"{old}: unknown key 'chpl_list' (closest: chpl_lists); known keys: chpl_lists, "
        "country_groups, version",
    ]
    assert lines[2].startswith(f"{broken}: line 3: not valid YAML (")
    assert len(lines) == 3


# ---------------------------------------------------------------------------------------------
# The country alias file


def test_an_alias_file_with_several_problems(tmp_path: Path) -> None:
    path = tmp_path / "country_aliases.yaml"
    path.write_text(
        "languages: [de, fr]\n"
        "aliases:\n"
        '  "Norge": NO\n'
        '  "Blighty": "GB"\n'
        '  "blighty": "IE"\n'
        '  "Atlantis": "XX"\n'
        "display_name:\n"
        '  "RU": "Russia"\n',
        encoding="utf-8",
    )
    with pytest.raises(CountryAliasError) as caught:
        read_alias_file(path)
    assert str(caught.value).splitlines() == [
        f"{path}: aliases.Norge: YAML reads NO, YES, ON and OFF as true/false: write the code in "
        'quotes ("NO" for Norway)',
        f"{path}: aliases.blighty: aliases 'Blighty' (GB) and 'blighty' (IE) are the same name "
        "once case and accents are ignored",
        f"{path}: aliases.Atlantis: 'XX' is not an ISO 3166-1 alpha-2 country code",
        f"{path}: unknown key 'display_name' (closest: display_names); known keys: aliases, "
        "display_names, languages",
    ]


# ---------------------------------------------------------------------------------------------
# The shipped files, and how problems are found and written


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("reference.yaml", ReferenceFile),
        ("chpl.yaml", ListFile),
        ("country_groups.yaml", ListFile),
        ("country_aliases.yaml", AliasFile),
    ],
)
def test_the_shipped_files_pass_their_schemas(name: str, schema: type[Schema]) -> None:
    checked, problems = check_file(seeds_path() / name, schema, {"resolver": default_resolver()})
    assert problems == []
    assert checked is not None


@pytest.mark.parametrize(
    ("path", "written"),
    [
        ((), ""),
        (("columns", "Found in"), "columns['Found in']"),
        (("split", 0, "into", 2), "split[1].into[3]"),
        (("chpl_lists", 1, "tiers", "3.A", 0, "hs"), "chpl_lists[2].tiers['3.A'][1].hs"),
        (("sheets", "Notes", "skip"), "sheets.Notes.skip"),
    ],
)
def test_key_paths_count_items_from_one(path: tuple[str | int, ...], written: str) -> None:
    assert key_path(path) == written


def test_a_problem_shows_the_value_it_found() -> None:
    assert str(Problem(("version",), "expected one of 1", "7")) == (
        "version: expected one of 1 (got '7')"
    )
    assert str(Problem((), "not valid YAML")) == "not valid YAML"


def test_an_unquoted_date_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text("version: 1\nchpl_lists:\n  - published_on: 2024-02-30\n", encoding="utf-8")
    checked, problems = check_file(path, ListFile, {"resolver": default_resolver()})
    assert checked is None
    assert [str(p) for p in problems] == [
        "not valid YAML (day is out of range for month): write dates in quotes, e.g. '2024-02-23'"
    ]


def test_a_file_that_is_not_a_mapping() -> None:
    checked, problems = check(ReferenceFile, ["KN-23"], {"resolver": default_resolver()})
    assert checked is None
    assert [str(p) for p in problems] == [
        "expected a mapping with keys such as sources, weapon_systems"
    ]
