"""The foreign-parts report and the component listing, on a small hand-made data set.

Every expected figure below is worked out by hand from the rows in ``_load_sample``:

KN-23 (producer North Korea), specimen KN23-A:

| component         | manufacturer      | HQ | made in | qty | sources  |
|-------------------|-------------------|----|---------|-----|----------|
| voltage converter | XP Power          | GB | -       | 1   | DIU, CAR |
| microcontroller   | Analog Devices    | US | PH      | 2   | DIU      |
| op amp            | Texas Instruments | US | CN      | 1   | CAR      |
| cable harness     | Korea Ryonbong    | KP | KP      | 1   | CAR      |
| capacitor         | Unmarked maker    | -  | -       | 1   | CAR      |

Shahed-136 (producer Iran), specimen SHAHED-1:

| component   | manufacturer                | HQ | made in | qty | sources |
|-------------|-----------------------------|----|---------|-----|---------|
| GNSS module | Texas Instruments           | US | -       | 4   | NGO     |
| servo       | Iran Electronics Industries | IR | IR      | 2   | NGO     |
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from provenance.errors import UnknownWeaponError
from provenance.ingest.loader import load_files
from provenance.models import WeaponSystem, WeaponSystemAlias
from provenance.publish import documents
from provenance.publish.report_documents import components_document, foreign_parts_document
from provenance.reports import core as reports_core
from provenance.reports import foreign_parts as reports
from provenance.reports.components import components
from provenance.reports.core import Basis, RollUp
from tests.helpers import row, write_csv

DIU = {"source_publisher": "Defence Intelligence of Ukraine", "source_title": "KN-23 parts"}
DIU_DATE = {**DIU, "source_published_on": "2024-11"}
CAR = {
    "source_publisher": "Conflict Armament Research",
    "source_title": "Kharkiv missile",
    "source_published_on": "2024-02",
}
NGO = {
    "source_publisher": "Test NGO",
    "source_title": "Shahed parts",
    "source_published_on": "2023-06",
}
KN23 = {"weapon_system": "KN-23", "weapon_producer_country": "DPRK", "specimen": "KN23-A"}
SHAHED = {
    "weapon_system": "Shahed-136",
    "weapon_producer_country": "Iran",
    "specimen": "SHAHED-1",
    "recovered_at": "Kyiv",
    "recovered_on": "2023-05-01",
}
XP_POWER = {
    **KN23,
    "component": "voltage converter",
    "manufacturer": "XP Power",
    "manufacturer_country": "UK",
    "manufactured_on": "2023-02",
    "quantity": "1",
}


def _load_sample(engine: Engine, tmp_path: Path) -> None:
    kn23 = [
        row(**XP_POWER, **DIU_DATE),
        row(**XP_POWER, **CAR),  # the same component, reported by a second source
        row(
            **KN23,
            **DIU_DATE,
            component="microcontroller",
            manufacturer="Analog Devices",
            manufacturer_country="USA",
            made_in="Philippines",
            manufactured_on="2022",
            quantity="2",
            hs_code="8542.31",
        ),
        row(
            **KN23,
            **CAR,
            component="op amp",
            manufacturer="Texas Instruments",
            manufacturer_country="United States",
            made_in="China",  # a US brand, "Made in China"
            manufactured_on="2021-05-17",
            quantity="1",
            hs_code="8542.33",
        ),
        row(
            **KN23,
            **CAR,
            component="cable harness",
            manufacturer="Korea Ryonbong",
            manufacturer_country="North Korea",
            made_in="DPRK",
            manufactured_on="",
            quantity="1",
            hs_code="",
        ),
        row(
            **KN23,
            **CAR,
            component="capacitor",
            manufacturer="Unmarked maker",
            manufacturer_country="",
            manufactured_on="",
            quantity="1",
            hs_code="",
            authenticity="suspected counterfeit",
        ),
    ]
    shahed = [
        row(
            **SHAHED,
            **NGO,
            component="GNSS module",
            manufacturer="Texas Instruments",
            manufacturer_country="",
            manufactured_on="2020",
            quantity="4",
            hs_code="8526.91",
        ),
        row(
            **SHAHED,
            **NGO,
            component="servo",
            manufacturer="Iran Electronics Industries",
            manufacturer_country="Iran",
            made_in="Iran",
            manufactured_on="",
            quantity="2",
            hs_code="",
        ),
    ]
    summaries = load_files(
        engine, [write_csv(tmp_path / "kn23.csv", kn23), write_csv(tmp_path / "shahed.csv", shahed)]
    )
    assert [(s.components_added, s.citations_added) for s in summaries] == [(5, 6), (2, 2)]


def _add_alias(engine: Engine, weapon: str, alias: str) -> None:
    with engine.begin() as conn:
        ws_id = conn.execute(
            select(WeaponSystem.id).where(WeaponSystem.designation == weapon)
        ).scalar_one()
        conn.execute(
            insert(WeaponSystemAlias).values(
                weapon_system_id=ws_id, alias=alias, alias_key=alias.casefold()
            )
        )


def _text(document: documents.Document, fmt: str = "table") -> str:
    """The document as text (every format but xlsx)."""
    text = documents.render(document, fmt)
    assert isinstance(text, str)
    return text


def _report(
    engine: Engine, weapon: str | None = None, basis: Basis = Basis.MANUFACTURER
) -> reports.ForeignPartsReport:
    with engine.connect() as conn:
        return reports.foreign_parts(conn, weapon, basis)


def _origins(w: reports.WeaponForeignParts) -> list[tuple[object, ...]]:
    return [(o.country_code, o.country, o.parts, o.foreign, o.manufacturers) for o in w.origins]


# The report, by hand ------------------------------------------------------------------------


def test_manufacturer_basis(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    report = _report(engine)
    assert report.basis is Basis.MANUFACTURER
    assert report.weapon is None
    kn23, shahed = report.weapons

    assert (kn23.designation, kn23.producer_code, kn23.producer) == ("KN-23", "KP", "North Korea")
    assert (kn23.parts, kn23.foreign_parts, kn23.domestic_parts, kn23.unknown_origin_parts) == (
        6,
        4,
        1,
        1,
    )
    assert kn23.foreign_share == pytest.approx(4 / 6)
    assert kn23.sources == 2
    assert _origins(kn23) == [
        ("US", "United States", 3, True, ["Analog Devices", "Texas Instruments"]),
        ("GB", "United Kingdom", 1, True, ["XP Power"]),
        ("KP", "North Korea", 1, False, ["Korea Ryonbong"]),
        (None, "(unknown origin)", 1, None, ["Unmarked maker"]),
    ]
    assert [o.share for o in kn23.origins] == pytest.approx([3 / 6, 1 / 6, 1 / 6, 1 / 6])

    assert (shahed.designation, shahed.producer_code) == ("Shahed-136", "IR")
    assert (shahed.parts, shahed.foreign_parts, shahed.domestic_parts) == (6, 4, 2)
    assert shahed.unknown_origin_parts == 0
    assert shahed.foreign_share == pytest.approx(4 / 6)
    assert shahed.sources == 1
    assert _origins(shahed) == [
        ("US", "United States", 4, True, ["Texas Instruments"]),
        ("IR", "Iran", 2, False, ["Iran Electronics Industries"]),
    ]
    assert [o.share for o in shahed.origins] == pytest.approx([4 / 6, 2 / 6])


def test_made_in_basis_differs(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    report = _report(engine, basis=Basis.MADE_IN)
    assert report.basis is Basis.MADE_IN
    kn23, shahed = report.weapons

    # The US-brand parts count as made in the Philippines and China; the UK brand's part and the
    # unmarked one say nothing of where they were made.
    assert (kn23.parts, kn23.foreign_parts, kn23.domestic_parts, kn23.unknown_origin_parts) == (
        6,
        3,
        1,
        2,
    )
    assert kn23.foreign_share == pytest.approx(3 / 6)
    assert kn23.sources == 2
    assert _origins(kn23) == [
        ("PH", "Philippines", 2, True, ["Analog Devices"]),
        ("CN", "China", 1, True, ["Texas Instruments"]),
        ("KP", "North Korea", 1, False, ["Korea Ryonbong"]),
        (None, "(unknown origin)", 2, None, ["Unmarked maker", "XP Power"]),
    ]
    assert [o.share for o in kn23.origins] == pytest.approx([2 / 6, 1 / 6, 1 / 6, 2 / 6])

    assert (shahed.parts, shahed.foreign_parts, shahed.domestic_parts) == (6, 0, 2)
    assert shahed.unknown_origin_parts == 4
    assert shahed.foreign_share == 0
    assert _origins(shahed) == [
        ("IR", "Iran", 2, False, ["Iran Electronics Industries"]),
        (None, "(unknown origin)", 4, None, ["Texas Instruments"]),
    ]


@pytest.mark.parametrize("name", ["KN-23", "kn-23", " KN-23 ", "Hwasong-11Ga", "HWASONG-11GA"])
def test_weapon_by_designation_or_alias(engine: Engine, tmp_path: Path, name: str) -> None:
    _load_sample(engine, tmp_path)
    _add_alias(engine, "KN-23", "Hwasong-11Ga")
    for basis, foreign in [(Basis.MANUFACTURER, 4), (Basis.MADE_IN, 3)]:
        report = _report(engine, name, basis)
        assert report.weapon == name
        [kn23] = report.weapons
        assert (kn23.designation, kn23.parts, kn23.foreign_parts, kn23.sources) == (
            "KN-23",
            6,
            foreign,
            2,
        )


def test_weapon_filter_keeps_the_source_count_to_that_weapon(
    engine: Engine, tmp_path: Path
) -> None:
    _load_sample(engine, tmp_path)
    [shahed] = _report(engine, "shahed-136").weapons
    assert (shahed.designation, shahed.parts, shahed.sources) == ("Shahed-136", 6, 1)


def test_unknown_weapon_lists_the_known_ones(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    with engine.connect() as conn:
        with pytest.raises(UnknownWeaponError) as info:
            reports.foreign_parts(conn, "KN-99")
        assert "'KN-99'" in str(info.value)
        assert "known weapon systems: KN-23, Shahed-136" in str(info.value)
        with pytest.raises(UnknownWeaponError):
            components(conn, "KN-99")


def test_empty_database(engine: Engine) -> None:
    for basis in Basis:
        report = _report(engine, basis=basis)
        assert report.weapons == []
        assert "No components recorded" in _text(foreign_parts_document(report))
        assert json.loads(_text(foreign_parts_document(report), "json"))["weapons"] == []
        assert list(csv.reader(io.StringIO(_text(foreign_parts_document(report), "csv"))))[1:] == []
    with engine.connect() as conn:
        assert components(conn) == []
        with pytest.raises(UnknownWeaponError) as info:
            reports.foreign_parts(conn, "KN-23")
    assert "known weapon systems" not in str(info.value)


def test_weapon_without_components(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(WeaponSystem).values(
                designation="Kh-101", designation_key="kh-101", producer_country_code="RU"
            )
        )
    report = _report(engine, "Kh-101")
    assert report.weapons == []
    assert "No components recorded" in _text(foreign_parts_document(report))


def test_quantities_are_summed_in_the_database(engine: Engine, tmp_path: Path) -> None:
    """The report's statements do not grow with the number of components (no per-row queries)."""

    def statements(rows: int) -> int:
        path = write_csv(
            tmp_path / f"bulk{rows}.csv",
            [
                row(component=f"part {i}", manufacturer=f"Maker {i % 7}", quantity=str(i % 3 + 1))
                for i in range(rows)
            ],
        )
        load_files(engine, [path])
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            with engine.connect() as conn:
                report = reports.foreign_parts(conn)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        [kn23] = report.weapons
        assert kn23.parts == sum(i % 3 + 1 for i in range(rows))
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    few = statements(5)
    assert few >= 1
    assert statements(60) == few


# How the report reads the database ---------------------------------------------------------
#
# SQLite and PostgreSQL each have a fast way of reading the components and citations
# (reports._Reader); the plain GROUP BY / COUNT(DISTINCT) one is the reference they must agree
# with, on data with parents, countries of manufacture, quantities and several sources.

_MAKERS = [
    # name, headquarters, parent
    ("Alpha Electronics", "USA", ""),
    ("Bravo Power", "UK", "Alpha Electronics"),
    ("Charlie Semiconductor", "", "Bravo Power"),  # two levels below Alpha
    ("Delta Microsystems", "Japan", ""),
    ("Echo Components", "", "Foxtrot Holdings"),  # its parent's headquarters is not known
    ("Golf Devices", "China", ""),
    ("Hotel Instruments", "Iran", ""),
    ("Kilo Circuits", "North Korea", ""),
    ("Lima Sensors", "", ""),
]
_WEAPONS = [("KN-23", "North Korea"), ("Shahed-136", "Iran"), ("Kh-101", "Russia")]
_SOURCES = ["Source A", "Source B", "Source C", "Source D"]
_MADE_IN = ["", "", "China", "Philippines", "Malaysia", "Iran", "North Korea"]


def _load_mixed(engine: Engine, tmp_path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for n in range(120):
        weapon, producer = _WEAPONS[n % len(_WEAPONS)]
        name, country, parent = rng.choice(_MAKERS)
        finding = row(
            weapon_system=weapon,
            weapon_producer_country=producer,
            specimen=f"{weapon}-{rng.randrange(3)}",
            component=f"part {n}",
            manufacturer=name,
            manufacturer_country=country,
            made_in=rng.choice(_MADE_IN),
            quantity=str(rng.choice([1, 1, 2, 3, 10])),
        )
        if parent:
            finding["manufacturer_parent"] = parent
        for source in rng.sample(_SOURCES, rng.choice([1, 1, 2, 3])):
            rows.append({**finding, "source_publisher": source, "source_title": "parts"})
    # Countries written on the manufacturer must agree between rows: one per name, as above.
    load_files(engine, [write_csv(tmp_path / "mixed.csv", rows)])


def _all_reports(engine: Engine) -> list[reports.ForeignPartsReport]:
    with engine.connect() as conn:
        return [
            reports.foreign_parts(conn, weapon, basis, roll_up)
            for weapon in (None, "KN-23", "kh-101")
            for basis in Basis
            for roll_up in RollUp
        ]


def test_readers_agree(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _load_mixed(engine, tmp_path)
    with engine.connect() as conn:
        fast = reports._reader(conn)
    assert fast is not reports._Reader.GROUPED  # SQLite's JSON or PostgreSQL's arrays
    reports_fast = _all_reports(engine)
    monkeypatch.setattr(reports, "_reader", lambda conn: reports._Reader.GROUPED)
    reports_grouped = _all_reports(engine)

    assert reports_fast == reports_grouped
    everything = reports_fast[0]
    assert {w.designation for w in everything.weapons} == {"Kh-101", "KN-23", "Shahed-136"}
    assert {w.sources for w in everything.weapons} <= {1, 2, 3, 4}
    assert all(w.parts > 0 for w in everything.weapons)
    for report in reports_fast:
        for w in report.weapons:
            assert sum(o.parts for o in w.origins) == w.parts
            for origin in w.origins:  # each company once (their order is the database's)
                assert len(set(origin.manufacturers)) == len(origin.manufacturers)


def test_roll_up_on_the_mixed_data(engine: Engine, tmp_path: Path) -> None:
    _load_mixed(engine, tmp_path)
    with engine.connect() as conn:
        rolled = reports.foreign_parts(conn, roll_up=RollUp.PARENT)
        plain = reports.foreign_parts(conn)
    for w_rolled, w_plain in zip(rolled.weapons, plain.weapons, strict=True):
        assert (w_rolled.designation, w_rolled.parts, w_rolled.sources) == (
            w_plain.designation,
            w_plain.parts,
            w_plain.sources,
        )
        companies = {m for o in w_rolled.origins for m in o.manufacturers}
        # Bravo Power and Charlie Semiconductor count under Alpha Electronics; Echo Components
        # under Foxtrot Holdings, from Echo's own (unknown) headquarters.
        assert not companies & {"Bravo Power", "Charlie Semiconductor", "Echo Components"}
        assert {"Alpha Electronics", "Foxtrot Holdings"} <= companies
        for origin in w_rolled.origins:
            if "Alpha Electronics" in origin.manufacturers:
                assert origin.country_code == "US"
            if "Foxtrot Holdings" in origin.manufacturers:
                assert origin.country_code is None


def test_cells_split_adjacent_keys_of_two_origins() -> None:
    """A company last in name order under one origin and the first under the next have adjacent
    cell keys (5 and 6 below): each origin gets its own parts and companies. On the manufacturer
    basis a recorded headquarters wins over the country reported for the part; a maker without
    one, or not identified (None), takes the reported country."""
    unknown = reports_core.UNKNOWN_MANUFACTURER
    makers = reports._Makers(
        names=["Alpha", "Bravo", unknown],
        company={10: 0, 20: 1, 30: 0, None: 2},
        headquarters={10: "CN", 20: "US", 30: None, None: None},
    )
    cells = reports._Cells(makers, reports._Origins([None, "US", "CN"]), Basis.MANUFACTURER)
    # 20 is Bravo in the US (key 1 * 3 + 1), 10 Alpha in China (2 * 3 + 0) whatever is reported,
    # the unidentified maker reported in the US (1 * 3 + 2), 30 unknown (0 * 3 + 0).
    cells.put(
        1, [10, 20, 10, 30, 20, None], [None, None, "US", None, "JP", "US"], [1, 2, 3, 4, 5, 6]
    )
    assert cells.parts[1] == {4: 7, 5: 6, 6: 4, 0: 4}
    assert list(cells.by_origin(1)) == [
        (None, 4, ["Alpha"]),
        ("US", 13, ["Bravo", unknown]),
        ("CN", 4, ["Alpha"]),
    ]
    # Made-in basis: the countries given, whatever the manufacturers' headquarters.
    made_in = reports._Cells(makers, reports._Origins([None, "US", "CN"]), Basis.MADE_IN)
    made_in.put(2, [20, 10, 20, 30], ["US", "US", "CN", None], [1, 2, 3, 4])
    assert list(made_in.by_origin(2)) == [
        (None, 4, ["Alpha"]),
        ("US", 3, ["Alpha", "Bravo"]),
        ("CN", 3, ["Bravo"]),
    ]


#: sqlite_stat1 of a database loaded from scripts/bench's 1,000,000-row file: with these figures
#: SQLite would rather read the components first and look up their citations at random.
_BENCH_STATS = [
    ("citations", "sqlite_autoindex_citations_1", "917911 1 1"),
    ("citations", "ix_citations__source_id", "917911 22948"),
    (
        "components",
        "ix_components__specimen_id_manufacturer_id_quantity_reported",
        "849882 43 2 2 2",
    ),
    ("components", "sqlite_autoindex_components_1", "849882 43 1"),
    ("components", "ix_components__manufacturer_id", "849882 213"),
    ("components", "ix_components__made_in_code", "849882 94432"),
    ("specimens", "ix_specimens__weapon_system_id", "20000 67"),
    ("specimens", "sqlite_autoindex_specimens_1", "20000 1"),
]


def _sqlite_plans(engine: Engine) -> list[str]:
    """The query plans of the report's JSON statements, on each basis."""
    statements: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if "json_group_array" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as conn:
            for basis in Basis:
                reports.foreign_parts(conn, basis=basis)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as conn:
        return [
            " / ".join(
                step[3]
                for step in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            for statement, parameters in statements
        ]


@pytest.mark.parametrize("statistics", ["none", "bench"])
def test_sqlite_reads_the_covering_index_without_sorting(
    engine: Engine, tmp_path: Path, statistics: str
) -> None:
    """The plans the SQLite reader is built on: the components from the covering index in weapon
    system order, the citations in primary key order, no temporary B-tree (no sort), and the same
    plans when ANALYZE has seen a database of the benchmark's size."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    _load_mixed(engine, tmp_path)
    if statistics == "bench":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            for table, index, stat in _BENCH_STATS:
                conn.exec_driver_sql(
                    "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?",
                    (stat, table, index),
                )
        engine.dispose()  # new connections read the statistics
    plans = _sqlite_plans(engine)
    assert len(plans) == 5  # parts and sources on each basis, and the made-in codes
    assert not [plan for plan in plans if "TEMP B-TREE" in plan]
    by_weapon = "SCAN specimens USING COVERING INDEX ix_specimens__weapon_system_id / SEARCH "
    by_weapon += "components USING COVERING INDEX ix_components__specimen_id_manufacturer_id"
    assert len([plan for plan in plans if plan.startswith(by_weapon)]) == 2
    cited = "SCAN citations USING COVERING INDEX sqlite_autoindex_citations_1 / SEARCH components"
    assert len([plan for plan in plans if plan.startswith(cited)]) == 2


# The component listing ----------------------------------------------------------------------


def test_components(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    _add_alias(engine, "KN-23", "Hwasong-11Ga")
    with engine.connect() as conn:
        rows = components(conn, "KN-23")
        assert components(conn, "hwasong-11ga") == rows
        everything = components(conn)
    car = "Conflict Armament Research: Kharkiv missile"
    diu = "Defence Intelligence of Ukraine: KN-23 parts"
    us, gb, kp, ph, cn = "United States", "United Kingdom", "North Korea", "Philippines", "China"
    listed = [
        (r.component, r.manufacturer, r.manufacturer_country, r.made_in, r.manufactured, r.quantity)
        for r in rows
    ]
    assert listed == [
        ("microcontroller", "Analog Devices", us, ph, "2022", 2),
        ("cable harness", "Korea Ryonbong", kp, kp, "", 1),
        ("op amp", "Texas Instruments", us, cn, "2021-05-17", 1),
        ("capacitor", "Unmarked maker", None, None, "", 1),
        ("voltage converter", "XP Power", gb, None, "2023-02", 1),
    ]
    assert [r.authenticity for r in rows] == ["genuine"] * 3 + ["suspected_counterfeit", "genuine"]
    # The voltage converter was reported by two sources: the older one first.
    assert [r.sources for r in rows] == [[diu], [car], [car], [car], [car, diu]]
    assert {r.specimen for r in rows} == {"KN23-A"}
    assert {r.weapon_system for r in rows} == {"KN-23"}
    assert [r.hs_code for r in rows] == ["8542.31", None, "8542.33", None, "8504.40"]
    assert [r.component for r in everything] == [
        "microcontroller",
        "cable harness",
        "op amp",
        "capacitor",
        "voltage converter",
        "servo",
        "GNSS module",
    ]
    assert everything[-1].manufactured == "2020"
    assert everything[-1].sources == ["Test NGO: Shahed parts"]


def test_component_sources_put_undated_ones_last(engine: Engine, tmp_path: Path) -> None:
    """The same order on both databases (SQLite sorts NULL first, PostgreSQL last)."""
    undated = {"source_publisher": "A statement", "source_title": "Undated"}
    dated = {"source_publisher": "Z report", "source_title": "Dated"}
    undated["source_published_on"], dated["source_published_on"] = "", "2024"
    load_files(engine, [write_csv(tmp_path / "f.csv", [row(**undated), row(**dated)])])
    with engine.connect() as conn:
        [component] = components(conn)
    assert component.sources == ["Z report: Dated", "A statement: Undated"]


# Rendering ----------------------------------------------------------------------------------


def test_render_csv(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    text = _text(foreign_parts_document(_report(engine, basis=Basis.MADE_IN)), "csv")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == [
        "basis",
        "weapon_system",
        "producer_country",
        "sources",
        "origin_country_code",
        "origin_country",
        "foreign",
        "parts",
        "share",
        "manufacturers",
    ]
    assert [r[:4] for r in rows] == [["made-in", "KN-23", "North Korea", "2"]] * 4 + [
        ["made-in", "Shahed-136", "Iran", "1"]
    ] * 2
    assert [r[4:] for r in rows] == [
        ["PH", "Philippines", "yes", "2", "0.3333", "Analog Devices"],
        ["CN", "China", "yes", "1", "0.1667", "Texas Instruments"],
        ["KP", "North Korea", "no", "1", "0.1667", "Korea Ryonbong"],
        ["", "(unknown origin)", "unknown", "2", "0.3333", "Unmarked maker; XP Power"],
        ["IR", "Iran", "no", "2", "0.3333", "Iran Electronics Industries"],
        ["", "(unknown origin)", "unknown", "4", "0.6667", "Texas Instruments"],
    ]


def test_render_json(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    data = json.loads(_text(foreign_parts_document(_report(engine, "KN-23")), "json"))
    assert data["report"] == "foreign-parts"
    assert data["basis"] == "manufacturer"
    [kn23] = data["weapons"]
    assert {k: kn23[k] for k in ("designation", "producer_code", "parts", "sources")} == {
        "designation": "KN-23",
        "producer_code": "KP",
        "parts": 6,
        "sources": 2,
    }
    counts = (kn23["foreign_parts"], kn23["domestic_parts"], kn23["unknown_origin_parts"])
    assert counts == (4, 1, 1)
    assert kn23["foreign_share"] == pytest.approx(4 / 6, abs=1e-6)
    assert [(o["country_code"], o["parts"], o["foreign"]) for o in kn23["origins"]] == [
        ("US", 3, True),
        ("GB", 1, True),
        ("KP", 1, False),
        (None, 1, None),
    ]
    assert kn23["origins"][0]["share"] == 0.5
    assert kn23["origins"][0]["manufacturers"] == ["Analog Devices", "Texas Instruments"]

    with engine.connect() as conn:
        listing = json.loads(_text(components_document(components(conn, "KN-23")), "json"))
    assert listing["report"] == "components"
    assert [c["manufactured"] for c in listing["components"]] == [
        "2022",
        "",
        "2021-05-17",
        "",
        "2023-02",
    ]
    assert listing["components"][-1]["sources"] == [
        "Conflict Armament Research: Kharkiv missile",
        "Defence Intelligence of Ukraine: KN-23 parts",
    ]


def test_render_markdown(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    text = _text(foreign_parts_document(_report(engine, basis=Basis.MADE_IN)), "markdown")
    lines = text.splitlines()
    assert lines[0] == "# Foreign-origin parts per weapon system"
    assert "Basis: origin = the country of manufacture marked on the part." in lines
    assert "## KN-23 (producer: North Korea)" in lines
    assert "## Shahed-136 (producer: Iran)" in lines
    assert (
        "6 parts, 3 foreign (50.0%), 1 domestic, 2 of unknown origin; reported by 2 sources."
        in lines
    )
    assert "reported by 1 source." in text
    table = [line for line in lines if line.startswith("|")]
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == [
        "country",
        "parts",
        "share",
        "foreign",
        "manufacturers",
    ]
    assert any("Philippines" in line and "33.3%" in line for line in table)

    with engine.connect() as conn:
        listing = _text(components_document(components(conn)), "markdown")
    assert listing.startswith("| weapon_system")
    assert len([line for line in listing.splitlines() if line.startswith("|")]) == 2 + 7


def test_render_markdown_escapes_pipes(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "f.csv", [row(manufacturer="A|B Electronics")])])
    text = _text(foreign_parts_document(_report(engine)), "markdown")
    [data_row] = [line for line in text.splitlines() if "Electronics" in line]
    assert "A\\|B Electronics" in data_row
    assert data_row.replace("\\|", "").count("|") == 6  # five cells


def test_render_table(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    text = _text(foreign_parts_document(_report(engine, "KN-23")))
    assert "|" not in text
    assert "Basis: origin = the manufacturer's headquarters country." in text
    assert "Filter: weapon system KN-23." in text
    assert "KN-23 (producer: North Korea)" in text
    assert (
        "6 parts, 4 foreign (66.7%), 1 domestic, 1 of unknown origin; reported by 2 sources."
        in text
    )
    us_line = next(line for line in text.splitlines() if line.startswith("United States"))
    assert us_line.split()[2:5] == ["3", "50.0%", "yes"]
    assert us_line.split(maxsplit=5)[5] == "Analog Devices, Texas Instruments"
    unknown = next(line for line in text.splitlines() if line.startswith("(unknown origin)"))
    assert unknown.split()[2:5] == ["1", "16.7%", "?"]

    with engine.connect() as conn:
        listing = _text(components_document(components(conn, "KN-23")))
    assert "2023-02" in listing
    assert "suspected_counterfeit" in listing


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x.test","y")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_formula_injection(engine: Engine, tmp_path: Path, evil: str) -> None:
    load_files(
        engine,
        [write_csv(tmp_path / "f.csv", [row(manufacturer=evil, manufacturer_country="USA")])],
    )
    text = _text(foreign_parts_document(_report(engine)), "csv")
    [header, first] = list(csv.reader(io.StringIO(text)))
    assert first[header.index("manufacturers")] == "'" + evil
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]

    with engine.connect() as conn:
        listing = _text(components_document(components(conn)), "csv")
    [header, first] = list(csv.reader(io.StringIO(listing)))
    assert first[header.index("manufacturer")] == "'" + evil
    # Numbers stay numbers.
    assert first[header.index("quantity")] == "1"
