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
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, insert, select

from provenance import render, reports
from provenance.loader import load_files
from provenance.models import WeaponSystem, WeaponSystemAlias
from provenance.reports import Basis, UnknownWeaponError
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


def _report(engine: Engine, weapon: str | None = None, basis: Basis = Basis.MANUFACTURER):
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
            reports.components(conn, "KN-99")


def test_empty_database(engine: Engine) -> None:
    for basis in Basis:
        report = _report(engine, basis=basis)
        assert report.weapons == []
        assert "No components recorded" in render.foreign_parts(report)
        assert json.loads(render.foreign_parts(report, "json"))["weapons"] == []
        assert list(csv.reader(io.StringIO(render.foreign_parts(report, "csv"))))[1:] == []
    with engine.connect() as conn:
        assert reports.components(conn) == []
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
    assert "No components recorded" in render.foreign_parts(report)


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


# The component listing ----------------------------------------------------------------------


def test_components(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    _add_alias(engine, "KN-23", "Hwasong-11Ga")
    with engine.connect() as conn:
        rows = reports.components(conn, "KN-23")
        assert reports.components(conn, "hwasong-11ga") == rows
        everything = reports.components(conn)
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
        [component] = reports.components(conn)
    assert component.sources == ["Z report: Dated", "A statement: Undated"]


# Rendering ----------------------------------------------------------------------------------


def test_render_csv(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    text = render.foreign_parts(_report(engine, basis=Basis.MADE_IN), "csv")
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
    data = json.loads(render.foreign_parts(_report(engine, "KN-23"), "json"))
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
        listing = json.loads(render.components(reports.components(conn, "KN-23"), "json"))
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
    text = render.foreign_parts(_report(engine, basis=Basis.MADE_IN), "markdown")
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
        listing = render.components(reports.components(conn), "markdown")
    assert listing.startswith("| weapon_system")
    assert len([line for line in listing.splitlines() if line.startswith("|")]) == 2 + 7


def test_render_markdown_escapes_pipes(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "f.csv", [row(manufacturer="A|B Electronics")])])
    text = render.foreign_parts(_report(engine), "markdown")
    [data_row] = [line for line in text.splitlines() if "Electronics" in line]
    assert "A\\|B Electronics" in data_row
    assert data_row.replace("\\|", "").count("|") == 6  # five cells


def test_render_table(engine: Engine, tmp_path: Path) -> None:
    _load_sample(engine, tmp_path)
    text = render.foreign_parts(_report(engine, "KN-23"))
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
        listing = render.components(reports.components(conn, "KN-23"))
    assert "2023-02" in listing
    assert "suspected_counterfeit" in listing


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x.test","y")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_formula_injection(engine: Engine, tmp_path: Path, evil: str) -> None:
    load_files(
        engine,
        [write_csv(tmp_path / "f.csv", [row(manufacturer=evil, manufacturer_country="USA")])],
    )
    text = render.foreign_parts(_report(engine), "csv")
    [header, first] = list(csv.reader(io.StringIO(text)))
    assert first[header.index("manufacturers")] == "'" + evil
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]

    with engine.connect() as conn:
        listing = render.components(reports.components(conn), "csv")
    [header, first] = list(csv.reader(io.StringIO(listing)))
    assert first[header.index("manufacturer")] == "'" + evil
    # Numbers stay numbers.
    assert first[header.index("quantity")] == "1"
