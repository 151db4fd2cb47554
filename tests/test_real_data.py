"""Real third-party data loads right (issue 18), on the layouts of a public mirror of the GUR
components portal, through its shipped mappings (``adwo-drones``, ``adwo-manufacturers``,
``adwo-components``).

The fixtures are ``seeds/mappings/examples/adwo-*.csv``, made by hand (fictional companies, no
row of the mirror), with the mirror's traps:

- pages alike in everything but their record id (three "(unspecified)" parts of Arcturus Devices
  in one missile, twice "Comparator AX913"): separate parts, never collapsed;
- the same page three times (duplicate rows): one part;
- "Not identified" makers, with a reported country (JP, CN: counted under it on the manufacturer
  basis) or UNK (unknown origin); a known maker with an UNK country (Kestrel Power);
- a weapon system whose producer is UNK (its parts are neither foreign nor domestic);
- a maker whose name mixes a Cyrillic letter into Latin ("Peak Еlectronics");
- parents in brackets, nearest first ("Lumen Flash (Halvard Semiconductor, Brightwater
  Technologies)"), a Cyrillic name with a prefix legal form ("ОАО Интегра");
- weapons named by the file's own ids, in a JSON list (a part listed in two weapons is a finding
  in each).

The expected figures are computed from the files themselves (each unique record id per weapon,
under its maker's country, "UNK" as unknown), and a few are written out as the fixture says them:
KN-24 (producer KP): US 6, CN 2, JP 1, CH 1, SE 1, TW 1, unknown 2 (14 parts); KN-23/KN-24: JP 1,
DE 1, NL 1; Shahed 136: BY 1, TW 1; the UAV of unknown origin: JP 1, TW 1, unknown 1.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine
from provenance.errors import InvalidDataError, MappingError, UnknownWeaponError
from provenance.ingest.loader import LoadOptions, LoadSummary, load_files
from provenance.ingest.mapping import load_mapping, shipped_mappings
from provenance.models import Citation, Component, Manufacturer, WeaponSystem
from provenance.publish.render import load_summaries
from provenance.reference import install
from provenance.reports.components import components
from provenance.reports.core import Basis, RollUp
from provenance.reports.foreign_parts import foreign_parts
from provenance.resources import seeds_path
from tests.helpers import dump

EXAMPLES = seeds_path() / "mappings" / "examples"
FILES = {name: EXAMPLES / f"adwo-{name}.csv" for name in ("drones", "manufacturers", "components")}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def load(engine: Engine, kind: str, path: Path, **options: Any) -> LoadSummary:
    mapping = load_mapping(f"adwo-{kind}")
    (summary,) = load_files(engine, [path], options=LoadOptions(mapping=mapping, **options))
    return summary


def load_all(engine: Engine, folder: Path | None = None) -> list[LoadSummary]:
    """The three files in the order the mapping says: weapons, makers, components."""
    return [load(engine, k, (folder or EXAMPLES) / f"adwo-{k}.csv") for k in FILES]


def designations(engine: Engine) -> dict[str, str]:
    """The file's weapon id -> the designation it was stored under."""
    return {r["id"]: r["display_name"] for r in read(FILES["drones"])}


def expected_origins() -> dict[str, Counter[str | None]]:
    """Per weapon (designation), the parts per origin country (None: unknown), from the files:
    one part per unique record id, its country the maker's headquarters (manufacturers file),
    else the country the row reports; UNK is unknown."""
    names = {r["id"]: r["display_name"] for r in read(FILES["drones"])}
    seen: set[tuple[str, str]] = set()
    out: dict[str, Counter[str | None]] = {}
    for r in read(FILES["components"]):
        country = None if r["manufacturer_country"] == "UNK" else r["manufacturer_country"]
        for weapon in json.loads(r["found_in_drones"]):
            if (weapon, r["component_id"]) in seen:
                continue
            seen.add((weapon, r["component_id"]))
            out.setdefault(names[weapon], Counter())[country] += 1
    return out


def origins(engine: Engine, **kwargs: Any) -> dict[str, Counter[str | None]]:
    with engine.connect() as conn:
        report = foreign_parts(conn, **kwargs)
    return {
        w.designation: Counter({o.country_code: o.parts for o in w.origins}) for w in report.weapons
    }


def projection(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What was stored, without ids, batches or times: equal for equal content."""
    with engine.connect() as conn:
        listing = components(conn)
        makers = conn.execute(
            select(Manufacturer.name, Manufacturer.name_key, Manufacturer.country_code)
        ).all()
        weapons = conn.execute(
            select(WeaponSystem.designation, WeaponSystem.producer_country_code)
        ).all()
    parts = [
        (
            c.weapon_system,
            c.component,
            c.part_number,
            c.manufacturer,
            c.manufacturer_country,
            c.reported_maker_country,
            c.quantity,
            tuple(c.source_record_ids),
            tuple(c.source_record_urls),
        )
        for c in listing
    ]
    return {
        "parts": sorted(parts, key=repr),
        "makers": sorted(map(tuple, makers)),
        "weapons": sorted(map(tuple, weapons), key=repr),
    }


# ---------------------------------------------------------------------------------------------
# The three files, as they come


def test_the_mirror_loads_with_its_shipped_mappings(engine: Engine) -> None:
    drones, makers, parts = load_all(engine)
    assert (drones.kind, drones.weapon_systems_created) == ("weapon_systems", 4)
    assert (makers.kind, makers.manufacturers_created) == ("manufacturers", 15)
    rows = read(FILES["components"])
    unique = {r["component_id"] for r in rows}
    findings = {(r["component_id"], w) for r in rows for w in json.loads(r["found_in_drones"])}
    assert parts.rows_read == len(rows) == 27
    assert len(unique) == 21  # one of them is listed in two weapons: a finding in each
    assert parts.components_added == len(findings) == 22
    assert parts.duplicate_rows == len(rows) - len(unique) == 6
    assert parts.sources_created == 1
    assert origins(engine) == expected_origins()
    kn24 = origins(engine)["Ballistic Missile KN-24"]
    assert kn24 == Counter({"US": 6, "CN": 2, "JP": 1, "CH": 1, "SE": 1, "TW": 1, None: 2})


def test_pages_alike_are_separate_parts_and_keep_their_record_ids(engine: Engine) -> None:
    load_all(engine)
    with engine.connect() as conn:
        listing = components(conn, weapon="ballistic-missile-kn-24")
    unspecified = [c for c in listing if c.manufacturer == "Arcturus Devices"]
    assert sorted(c.source_record_ids[0] for c in unspecified) == ["gur-101", "gur-102", "gur-103"]
    assert {c.component for c in unspecified} == {"(unspecified)"}
    assert all(c.quantity == 1 for c in unspecified)
    comparators = [c for c in listing if c.part_number == "AX913"]
    assert sorted(c.source_record_ids[0] for c in comparators) == ["gur-104", "gur-105"]
    urls = {c.source_record_ids[0]: c.source_record_urls[0] for c in listing}
    assert urls["gur-120"] == "https://portal.example.org/en/components/120"
    with engine.connect() as conn:
        photos = conn.execute(
            select(Citation.evidence_url).where(Citation.source_record_id == "gur-120")
        ).scalars()
        assert list(photos) == ["https://portal.example.org/uploads/120_photo.jpg.webp"]


def test_a_part_listed_in_two_weapons_is_a_finding_in_each(engine: Engine) -> None:
    load_all(engine)
    with engine.connect() as conn:
        listing = components(conn)
    weapons = sorted(c.weapon_system for c in listing if c.source_record_ids == ["gur-121"])
    listed = next(r for r in read(FILES["components"]) if r["component_id"] == "gur-121")
    names = designations(engine)
    assert len(json.loads(listed["found_in_drones"])) == 2
    assert weapons == sorted(names[w] for w in json.loads(listed["found_in_drones"]))


def test_unknown_stays_unknown(engine: Engine) -> None:
    load_all(engine)
    with engine.connect() as conn:
        names = set(conn.execute(select(Manufacturer.name)).scalars())
        kestrel = conn.execute(
            select(Manufacturer.country_code).where(Manufacturer.name == "Kestrel Power")
        ).scalar_one()
        unidentified = conn.execute(
            select(Component.reported_maker_country_code).where(Component.manufacturer_id.is_(None))
        ).all()
        producers = dict(
            conn.execute(select(WeaponSystem.designation, WeaponSystem.producer_country_code)).all()
        )
    assert not {n for n in names if n.casefold() in {"not identified", "unk", "unknown"}}
    assert kestrel is None  # UNK is no country
    # Not identified with JP, with CN, and twice with UNK (one in a weapon of unknown producer).
    assert sorted((c or "") for (c,) in unidentified) == ["", "", "CN", "JP"]
    assert producers["Test UAV Of Unknown Origin"] is None
    with engine.connect() as conn:
        report = foreign_parts(conn, weapon="uav-test-unknown")
    (uav,) = report.weapons
    assert (uav.foreign_parts, uav.domestic_parts, uav.foreign_share) == (0, 0, None)
    # Of known origin (JP, TW) but neither foreign nor domestic; one of unknown origin.
    assert (uav.parts, uav.unknown_producer_parts, uav.unknown_origin_parts) == (3, 2, 1)


def test_look_alike_letters_and_parent_chains(engine: Engine) -> None:
    makers, _ = load_all(engine)[1:]
    assert any("'Peak Еlectronics' mixes alphabets" in w for w in makers.warnings)
    with engine.connect() as conn:
        names = set(conn.execute(select(Manufacturer.name)).scalars())
        listing = components(conn, weapon="ballistic-missile-kn-23-kn-24")
        rolled = components(conn, weapon="ballistic-missile-kn-24", roll_up=RollUp.PARENT)
    assert "Peak Electronics" in names and "Peak Еlectronics" not in names
    (peak,) = [c for c in listing if c.source_record_ids == ["gur-111"]]
    assert peak.manufacturer == "Peak Electronics"
    assert {"Halvard Semiconductor", "Brightwater Technologies", "ОАО Интегра"} <= names
    # Lumen Flash -> Halvard Semiconductor -> Brightwater Technologies (DE): its top parent.
    (lumen,) = [c for c in rolled if c.source_record_ids == ["gur-110"]]
    assert (lumen.manufacturer, lumen.manufacturer_as_marked) == (
        "Brightwater Technologies",
        "Lumen Flash",
    )
    assert lumen.manufacturer_country == "Germany"


# ---------------------------------------------------------------------------------------------
# No result depends on the order of rows


def _reversed_copies(folder: Path) -> Path:
    for path in FILES.values():
        rows = read(path)
        write(folder / path.name, rows[::-1])
    return folder


def test_reversed_files_store_the_same_and_report_the_same(engine: Engine, tmp_path: Path) -> None:
    load_all(engine)
    forward = projection(engine)
    forward_origins = origins(engine), origins(engine, basis=Basis.MADE_IN)
    other = make_engine(f"sqlite:///{tmp_path / 'reversed.db'}")
    install.upgrade(other)
    load_all(other, _reversed_copies(tmp_path))
    assert projection(other) == forward
    assert (origins(other), origins(other, basis=Basis.MADE_IN)) == forward_origins
    other.dispose()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(27)))
def test_any_order_of_the_components_stores_the_same(
    order: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite (the store is compared with the shipped order's, loaded afresh)."""
    folder = tmp_path_factory.mktemp("order")
    rows = read(FILES["components"])
    path = write(folder / "adwo-components.csv", [rows[i] for i in order])

    def stored(components_file: Path) -> dict[str, list[Any]]:
        db = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'provenance.db'}")
        install.upgrade(db)
        load(db, "drones", FILES["drones"])
        load(db, "manufacturers", FILES["manufacturers"])
        load(db, "components", components_file)
        out: dict[str, list[Any]] = {**projection(db)}
        with db.connect() as conn:  # the listing's order too: by content, not by loading
            out["listing"] = [  # the database's own ids aside
                dataclasses.astuple(dataclasses.replace(c, component_id=0))
                for c in components(conn)
            ]
            for basis in Basis:  # and the report, whole
                out[f"foreign parts {basis}"] = [foreign_parts(conn, basis=basis)]
        db.dispose()
        return out

    baseline = stored(FILES["components"])
    assert stored(path) == baseline


def _two_rows_that_disagree(
    engine: Engine,
) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, str]]:
    """The weapons and makers loaded; the components file's rows by record id, and two new rows
    that give a new maker two headquarters countries."""
    load(engine, "drones", FILES["drones"])
    load(engine, "manufacturers", FILES["manufacturers"])
    rows = {r["component_id"]: r for r in read(FILES["components"])}
    one = {**rows["gur-120"], "component_id": "gur-900", "manufacturer": "Brand New Maker"}
    two = {**one, "component_id": "gur-901", "manufacturer_country": "FR"}
    return rows, one, two


def test_two_rows_that_disagree_are_named_whatever_their_order(
    engine: Engine, tmp_path: Path
) -> None:
    _, one, two = _two_rows_that_disagree(engine)
    places = []
    for pair in ([one, two], [two, one]):
        before = dump(engine)
        with pytest.raises(InvalidDataError) as caught:
            load(engine, "components", write(tmp_path / "two.csv", pair))
        assert dump(engine) == before
        places.append(sorted((e.row, e.column) for e in caught.value.errors))
        assert "Brand New Maker" in str(caught.value)
    assert places[0] == places[1] == [(2, "manufacturer_country"), (3, "manufacturer_country")]


def test_a_disagreement_goes_to_the_rejects_file_with_both_rows(
    engine: Engine, tmp_path: Path
) -> None:
    rows, one, two = _two_rows_that_disagree(engine)
    good = {**rows["gur-119"], "component_id": "gur-902"}
    rejects = tmp_path / "rejects.csv"
    summary = load(
        engine, "components", write(tmp_path / "three.csv", [one, good, two]), rejects=rejects
    )
    assert (summary.components_added, summary.rows_rejected) == (1, 2)
    with rejects.open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert sorted(r["component_id"] for r in rejected) == ["gur-900", "gur-901"]
    assert all("Brand New Maker" in r["error"] for r in rejected)


# ---------------------------------------------------------------------------------------------
# Record ids across loads


def test_loading_again_matches_every_record_and_adds_nothing(engine: Engine) -> None:
    load_all(engine)
    before = projection(engine)
    again = load(engine, "components", FILES["components"])
    assert (again.components_added, again.citations_added) == (0, 0)
    assert again.matched_by_record_id == 22
    assert again.matched_by_attributes == 0
    assert projection(engine) == before


def test_a_record_given_again_fills_blanks_and_a_contradiction_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    load_all(engine)
    rows = read(FILES["components"])
    (oscillator,) = [r for r in rows if r["component_id"] == "gur-114"]
    assert oscillator["oem_part_number"] == ""
    filled = load(
        engine,
        "components",
        write(tmp_path / "fill.csv", [{**oscillator, "oem_part_number": "EP-12"}]),
    )
    assert filled.known_components_filled == 1
    with engine.connect() as conn:
        (row,) = [c for c in components(conn) if c.source_record_ids == ["gur-114"]]
    assert row.part_number == "EP-12"
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load(
            engine,
            "components",
            write(tmp_path / "fix.csv", [{**oscillator, "oem_part_number": "EP-99"}]),
        )
    assert dump(engine) == before
    (error,) = caught.value.errors
    assert (error.row, error.column) == (2, "part_number")
    assert "the database has part number 'EP-12'" in error.message
    assert "'EP-99'" in error.message


def test_the_same_record_id_of_another_source_is_another_finding(
    engine: Engine, tmp_path: Path
) -> None:
    load_all(engine)
    (relay,) = [r for r in read(FILES["components"]) if r["component_id"] == "gur-116"]
    other = load(
        engine,
        "components",
        write(tmp_path / "other.csv", [relay]),
    )
    assert other.components_added == 0
    shipped = load_mapping("adwo-components")
    another = {"source_publisher": "Another portal", "source_url": "https://other.example.org"}
    mapping = dataclasses.replace(shipped, constants={**shipped.constants, **another})
    (summary,) = load_files(engine, [tmp_path / "other.csv"], options=LoadOptions(mapping=mapping))
    assert (summary.components_added, summary.sources_created) == (1, 1)


# ---------------------------------------------------------------------------------------------
# Order of the files, errors, mappings by name, the CLI


def test_components_before_their_weapons_name_each_weapon_once(engine: Engine) -> None:
    """Without the weapons file first, every weapon the components name is unknown: one error
    per weapon (its first row, how many rows name it, what to do), and nothing is written."""
    load(engine, "manufacturers", FILES["manufacturers"])
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load(engine, "components", FILES["components"])
    assert dump(engine) == before
    errors = caught.value.errors
    assert {e.column for e in errors} == {"weapon_producer_country"}
    named = Counter(r["found_in_drones"] for r in read(FILES["components"]))
    weapons = {w for listed in named for w in json.loads(listed)}
    assert len(errors) == len(weapons) == 4
    text = str(caught.value)
    for weapon in weapons:
        assert f"required for a weapon system not yet in the database ({weapon};" in text
    assert "load the weapon systems' reference file first" in text


def test_a_reference_file_that_contradicts_itself_names_both_rows(
    engine: Engine, tmp_path: Path
) -> None:
    rows = read(FILES["drones"])
    twice = [rows[0], {**rows[0], "manufacturer_country": "IR"}]
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load(engine, "drones", write(tmp_path / "drones.csv", twice))
    assert dump(engine) == before
    assert sorted(e.row for e in caught.value.errors) == [2, 3]


def test_shipped_mappings_by_name() -> None:
    names = {m.name: m for m in shipped_mappings()}
    assert {"adwo-drones", "adwo-manufacturers", "adwo-components"} <= set(names)
    assert str(names["adwo-drones"].kind) == "weapon_systems"
    assert names["adwo-components"].examples == (FILES["components"],)
    with pytest.raises(MappingError) as caught:
        load_mapping("adwo-drone")
    assert "closest: adwo-drones" in str(caught.value)


def test_the_cli_loads_the_three_files_and_lists_the_mappings(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {ENV_VAR: f"sqlite:///{tmp_path / 'cli.db'}"}
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    outputs = []
    for kind, path in FILES.items():
        result = runner.invoke(cli, ["load", "--mapping", f"adwo-{kind}", str(path)], env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "4 rows read (weapon systems)" in outputs[0]
    assert "weapon systems: 4 created" in outputs[0]
    assert "manufacturers: 15 created" in outputs[1]
    assert "components: 22 added" in outputs[2]
    listing = runner.invoke(cli, ["mappings", "list", "--format", "json"], env=env)
    assert listing.exit_code == 0
    kinds = {m["name"]: m["kind"] for m in json.loads(listing.output)}
    assert kinds["adwo-manufacturers"] == "manufacturers"
    shown = runner.invoke(cli, ["mappings", "show", "adwo-components"])
    assert shown.exit_code == 0 and "found_in_drones: json" in shown.output
    missing = runner.invoke(cli, ["mappings", "show", "no-such-mapping"])
    assert missing.exit_code == 1 and "no such mapping" in missing.output


def test_reference_summaries_say_what_the_file_held(engine: Engine) -> None:
    text = load_summaries(load_all(engine))
    assert "(weapon systems)\n  weapon systems: 4 created" in text
    assert "(manufacturers)\n  manufacturers: 15 created" in text
    assert "components: 22 added" in text


def test_long_text_loads_or_fails_the_same_on_both_databases(
    engine: Engine, tmp_path: Path
) -> None:
    """A part described in 331 characters (the portal has one) loads; a value longer than its
    stored column (a part number past 200) is a clear error on SQLite as on PostgreSQL."""
    load(engine, "drones", FILES["drones"])
    load(engine, "manufacturers", FILES["manufacturers"])
    (first,) = [r for r in read(FILES["components"]) if r["component_id"] == "gur-120"]
    long_name = {**first, "name_marking": "Microcontroller " + "x" * 315}
    assert load(engine, "components", write(tmp_path / "a.csv", [long_name])).components_added == 1
    before = dump(engine)
    too_long = {**first, "component_id": "gur-999", "oem_part_number": "P" * 201}
    with pytest.raises(InvalidDataError) as caught:
        load(engine, "components", write(tmp_path / "b.csv", [too_long]))
    assert dump(engine) == before
    (error,) = caught.value.errors
    assert (error.row, error.column) == (2, "oem_part_number (part_number)")
    assert "at most 200 characters (this one has 201)" in error.message


def test_an_unknown_weapon_is_matched_by_its_words(engine: Engine) -> None:
    """Real designations are long ("Ballistic Missile KN-24"): a name close to one of their
    words is suggested too."""
    load(engine, "drones", FILES["drones"])
    with engine.connect() as conn, pytest.raises(UnknownWeaponError) as caught:
        foreign_parts(conn, weapon="KN-25")
    assert caught.value.suggestions[:2] == [
        "Ballistic Missile KN-24",
        "Ballistic Missile KN-23 KN-24",
    ]
