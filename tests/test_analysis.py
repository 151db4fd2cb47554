"""The researcher's reports on the hand-made data set of ``tests/analysis_data.py``, on SQLite and
PostgreSQL. Every expected figure is worked out by hand from the table in that module's docstring.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from provenance.errors import ChplError, FilterError, UnknownGroupError, UnknownWeaponError
from provenance.reports.chpl import HS_TOO_SHORT, NO_HS, NOT_LISTED, chpl_report
from provenance.reports.core import Basis, DateField, Filters, RollUp
from provenance.reports.countries import CountriesReport, countries
from provenance.reports.manufacturers import manufacturers
from provenance.reports.sources import sources
from provenance.reports.timeline import Period, timeline
from tests.analysis_data import (
    ALL_COMPONENTS,
    ALL_PARTS,
    KN23_PARTS,
    SHAHED_PARTS,
    ensure_reference_lists,
    load_sample,
)


@pytest.fixture
def sample(engine: Engine, tmp_path: Path) -> Engine:
    load_sample(engine, tmp_path)
    return engine


def _cells(report: CountriesReport) -> dict[str, dict[str, int]]:
    return {r.label: r.parts_by_weapon for r in report.rows}


# countries -------------------------------------------------------------------------------------


def test_countries_matrix_by_manufacturer(sample: Engine) -> None:
    with sample.connect() as conn:
        report = countries(conn)
    assert _cells(report) == {
        "United States": {"KN-23": 9, "Shahed-136": 4},
        "Japan": {"KN-23": 2},
        "Iran": {"Shahed-136": 2},
        "North Korea": {"KN-23": 1},
        "Switzerland": {"KN-23": 1},
        "United Kingdom": {"KN-23": 1},
        "(unknown origin)": {"KN-23": 1},
    }
    # Largest first (ties by name), unknown origin last.
    assert [r.label for r in report.rows] == [
        "United States",
        "Iran",
        "Japan",
        "North Korea",
        "Switzerland",
        "United Kingdom",
        "(unknown origin)",
    ]
    kn23, shahed = report.weapons
    assert (kn23.parts, kn23.foreign_parts, kn23.domestic_parts, kn23.unknown_origin_parts) == (
        15,
        13,
        1,
        1,
    )
    assert (shahed.parts, shahed.foreign_parts, shahed.domestic_parts) == (6, 4, 2)
    assert report.total.parts == ALL_PARTS == report.scope.parts
    assert report.scope.components == ALL_COMPONENTS
    # Numbers add up: every column sums to its weapon system's parts.
    for w in report.weapons:
        assert sum(r.parts_by_weapon.get(w.designation, 0) for r in report.rows) == w.parts
    assert sum(r.total for r in report.rows) == ALL_PARTS
    us = report.rows[0]
    assert report.share(us, "KN-23") == pytest.approx(9 / 15)
    assert report.share(us, None) == pytest.approx(13 / 21)


def test_countries_made_in_basis_counts_unmarked_parts_as_unknown(sample: Engine) -> None:
    with sample.connect() as conn:
        report = countries(conn, Filters(weapon="kn-23", basis=Basis.MADE_IN))
    assert _cells(report) == {
        "(unknown origin)": {"KN-23": 6},
        "China": {"KN-23": 4},
        "Japan": {"KN-23": 2},
        "Philippines": {"KN-23": 2},
        "North Korea": {"KN-23": 1},
    }
    (kn23,) = report.weapons
    assert (kn23.parts, kn23.foreign_parts, kn23.domestic_parts, kn23.unknown_origin_parts) == (
        KN23_PARTS,
        8,
        1,
        6,
    )
    assert report.scope.weapon == "KN-23"
    assert "Basis: origin = the country of manufacture marked on the part." in report.scope.lines()


def test_countries_by_group_on_a_date(sample: Engine) -> None:
    with sample.connect() as conn:
        coalition = countries(conn, group="coalition", group_on=dt.date(2025, 1, 1))
        eu_2019 = countries(conn, group="EU", group_on=dt.date(2019, 6, 1))
        eu_2021 = countries(conn, group="eu", group_on=dt.date(2021, 1, 1))
    assert [(r.key, r.total) for r in coalition.rows] == [("in", 17), ("out", 3), (None, 1)]
    assert coalition.rows[0].countries == [
        "Japan",
        "Switzerland",
        "United Kingdom",
        "United States",
    ]
    assert coalition.rows[1].countries == ["Iran", "North Korea"]
    assert coalition.rows[0].parts_by_weapon == {"KN-23": 13, "Shahed-136": 4}
    # The United Kingdom was in the EU until 31 January 2020.
    assert [(r.key, r.total) for r in eu_2019.rows] == [("in", 1), ("out", 19), (None, 1)]
    assert [(r.key, r.total) for r in eu_2021.rows] == [("in", 0), ("out", 20), (None, 1)]
    assert coalition.references[0].basis and "24 February 2022" in coalition.references[0].basis


def test_unknown_group_and_weapon(sample: Engine) -> None:
    with sample.connect() as conn:
        with pytest.raises(UnknownGroupError, match="known groups: coalition, eu, g7"):
            countries(conn, group="nato")
        with pytest.raises(UnknownWeaponError):
            countries(conn, Filters(weapon="Tomahawk"))


# date filters ----------------------------------------------------------------------------------


def test_manufacture_date_filter_counts_what_it_leaves_out(sample: Engine) -> None:
    filters = Filters.parse(since="2022", until="2022")
    assert (filters.since, filters.until) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    with sample.connect() as conn:
        report = countries(conn, filters)
    scope = report.scope
    assert (scope.parts, scope.parts_without_date, scope.parts_outside_range) == (5, 5, 11)
    assert scope.parts + scope.parts_without_date + scope.parts_outside_range == ALL_PARTS
    assert report.total.parts == 5
    assert _cells(report) == {
        "United States": {"KN-23": 2},
        "Japan": {"KN-23": 2},
        "Switzerland": {"KN-23": 1},
    }
    lines = "\n".join(scope.lines())
    assert "manufacture date from 2022-01-01 to 2022-12-31" in lines
    assert "5 parts without a manufacture date, 11 parts outside the range" in lines


def test_recovery_date_filter(sample: Engine) -> None:
    filters = Filters.parse(since="2024-01", date_field="recovered")
    with sample.connect() as conn:
        scope = countries(conn, filters).scope
    # KN23-A (recovered 2024-01-02) counts; KN23-B has no recovery date; the Shahed is older.
    assert (scope.parts, scope.parts_without_date, scope.parts_outside_range) == (14, 1, 6)
    assert scope.date_field is DateField.RECOVERED


def test_bad_filters() -> None:
    with pytest.raises(FilterError, match="--since '2022-13'"):
        Filters.parse(since="2022-13")
    with pytest.raises(FilterError, match="before --since"):
        Filters.parse(since="2023", until="2022")


# manufacturers ---------------------------------------------------------------------------------


def test_manufacturers_top_and_others(sample: Engine) -> None:
    with sample.connect() as conn:
        report = manufacturers(conn, top=3)
    overall = report.overall
    assert [(r.rank, r.name, r.parts, r.components) for r in overall.rows] == [
        (1, "Texas Instruments", 5, 2),
        (2, "Analog Devices", 3, 2),
        (3, "Vishay", 3, 1),
    ]
    ti, ad, _ = overall.rows
    assert ti.weapon_systems == ["KN-23", "Shahed-136"]
    assert (ti.first_made, ti.last_made) == ("2020", "2021-05-17")
    assert (ad.country, ad.first_made, ad.last_made) == ("United States", "2022", "2023-03")
    assert (overall.manufacturers, overall.other_parts, overall.other_components) == (11, 10, 8)
    assert overall.parts == ALL_PARTS and overall.components == ALL_COMPONENTS
    assert sum(r.parts for r in overall.rows) + overall.other_parts == ALL_PARTS
    kn23, shahed = report.per_weapon
    assert [(r.name, r.parts) for r in kn23.rows] == [
        ("Analog Devices", 3),
        ("Vishay", 3),
        ("NSK", 2),
    ]
    assert (kn23.parts, kn23.other_parts, kn23.manufacturers) == (KN23_PARTS, 7, 10)
    assert [(r.name, r.parts) for r in shahed.rows] == [
        ("Texas Instruments", 4),
        ("Iran Electronics Industries", 2),
    ]
    assert shahed.parts == SHAHED_PARTS


def test_manufacturers_parent_roll_up(sample: Engine) -> None:
    with sample.connect() as conn:
        plain = manufacturers(conn, Filters(weapon="KN-23"), top=20)
        rolled = manufacturers(conn, top=3, roll_up=RollUp.PARENT)
    maxim = next(r for r in plain.overall.rows if r.name == "Maxim Integrated")
    assert maxim.parent == "Analog Devices"
    assert [(r.name, r.parts, r.components) for r in rolled.overall.rows] == [
        ("Texas Instruments", 5, 2),
        ("Analog Devices", 4, 3),
        ("Vishay", 3, 1),
    ]
    ad = rolled.overall.rows[1]
    assert ad.includes == ["Maxim Integrated"]
    assert (ad.first_made, ad.last_made) == ("2022", "2023-03")
    assert (rolled.overall.manufacturers, rolled.overall.other_parts) == (10, 9)


def test_manufacturers_made_in_shows_where_parts_were_made(sample: Engine) -> None:
    with sample.connect() as conn:
        report = manufacturers(conn, Filters(basis=Basis.MADE_IN), top=2)
    ti = report.overall.rows[0]
    assert ti.name == "Texas Instruments"
    assert ti.made_in == [("(unknown origin)", 4), ("China", 1)]


# CHPL ------------------------------------------------------------------------------------------


def test_chpl_tiers_and_foreign_share(sample: Engine) -> None:
    with sample.connect() as conn:
        report = chpl_report(conn)
    assert report.version.version == "2024-02-23"
    assert report.categories == [
        "1",
        "2",
        "3.A",
        "3.B",
        "4.A",
        "4.B",
        NOT_LISTED,
        HS_TOO_SHORT,
        NO_HS,
    ]
    kn23, shahed = report.weapons
    assert kn23.by_category == {
        "1": 4,
        "2": 1,
        "3.A": 1,
        "3.B": 3,
        NOT_LISTED: 3,
        HS_TOO_SHORT: 1,
        NO_HS: 2,
    }
    assert sum(kn23.by_category.values()) == kn23.parts == KN23_PARTS
    assert (kn23.foreign_parts, kn23.foreign_listed, kn23.foreign_coded) == (13, 9, 12)
    assert kn23.foreign_listed_share == pytest.approx(9 / 13)
    assert kn23.foreign_listed_share_of_coded == pytest.approx(9 / 12)
    assert kn23.listed_parts == 9
    assert shahed.by_category == {"2": 4, NO_HS: 2}
    assert (shahed.foreign_parts, shahed.foreign_listed) == (4, 4)
    total = report.total
    assert sum(total.by_category.values()) == total.parts == ALL_PARTS
    assert (total.foreign_parts, total.foreign_listed, total.foreign_coded) == (17, 13, 16)
    codes = [(c.hs6, c.tier, c.parts, c.foreign_parts) for c in report.codes if c.weapon == "KN-23"]
    assert codes == [
        ("854231", "1", 2, 2),
        ("854233", "1", 1, 1),
        ("854239", "1", 1, 1),
        ("852691", "2", 1, 1),
        ("850440", "3.A", 1, 1),
        ("848210", "3.B", 2, 2),
        ("901420", "3.B", 1, 1),
        ("853321", None, 3, 3),
    ]
    assert "US Department of Commerce" in report.references[0].citation


def test_chpl_made_in_basis(sample: Engine) -> None:
    with sample.connect() as conn:
        kn23 = chpl_report(conn, Filters(weapon="KN-23", basis=Basis.MADE_IN)).weapons[0]
    # Foreign by country of manufacture: PH 2 (tier 1), CN 1 (tier 1) + 3 (not listed), JP 2 (3.B).
    assert (kn23.foreign_parts, kn23.foreign_listed, kn23.foreign_coded) == (8, 5, 8)


def test_chpl_version_choice(sample: Engine) -> None:
    with sample.connect() as conn, pytest.raises(ChplError, match="holds: 2024-02-23"):
        chpl_report(conn, version="2023-05")


# timeline --------------------------------------------------------------------------------------


def test_timeline_by_year(sample: Engine) -> None:
    with sample.connect() as conn:
        report = timeline(conn)
    assert [(b.label, b.parts_by_weapon) for b in report.buckets] == [
        ("2020", {"Shahed-136": 4}),
        ("2021", {"KN-23": 1}),
        ("2022", {"KN-23": 5}),
        ("2023", {"KN-23": 6}),
        ("(no manufacture date)", {"KN-23": 3, "Shahed-136": 2}),
    ]
    assert sum(b.total for b in report.buckets) == ALL_PARTS
    assert report.controls_dates == [dt.date(2022, 2, 24)]


def test_timeline_by_month_keeps_year_only_dates_apart(sample: Engine) -> None:
    with sample.connect() as conn:
        report = timeline(conn, Filters(weapon="KN-23"), period=Period.MONTH)
    assert [(b.label, b.total) for b in report.buckets] == [
        ("2021-05", 1),
        ("2022 (month unknown)", 2),
        ("2022-02", 2),
        ("2022-03", 1),
        ("2023-01", 1),
        ("2023-02", 1),
        ("2023-03", 1),
        ("2023-06", 3),
        ("(no manufacture date)", 3),
    ]
    assert sum(b.total for b in report.buckets) == KN23_PARTS


def test_timeline_made_after_controls(sample: Engine) -> None:
    with sample.connect() as conn:
        report = timeline(conn)
    kn23, shahed, total = report.controls
    # After: XP Power 2023-02, u-blox 2022-03, Vishay 3 (2023-06-12), Maxim 2023-01, gyroscope
    # 2023-03. Before: the op amp of 2021-05-17. Undetermined: the microcontrollers (2022: the
    # year holds 24 February) and the bearings (February 2022). No date: Amphenol. No controls:
    # the North Korean harness. Unknown origin: the unmarked capacitor.
    assert (kn23.after, kn23.before, kn23.undetermined) == (7, 1, 4)
    assert (kn23.no_date, kn23.no_controls, kn23.unknown_origin) == (1, 1, 1)
    assert (shahed.after, shahed.before, shahed.no_controls) == (0, 4, 2)
    for row in report.controls:
        assert (
            row.after
            + row.before
            + row.undetermined
            + row.no_date
            + row.no_controls
            + row.unknown_origin
            == row.parts
        )
    assert total.parts == ALL_PARTS and total.after == 7


def test_timeline_lag_from_manufacture_to_recovery(sample: Engine) -> None:
    with sample.connect() as conn:
        report = timeline(conn)
    kn23, shahed, total = report.lag
    # Days to 2024-01-02 from: 2023-06-12 (204, three parts), 2023-02-01 (335), 2023-01-01 (366),
    # 2022-03-01 (672), 2022-02-01 (700, two parts), 2021-05-17 (960):
    # [204, 204, 204, 335, 366, 672, 700, 700, 960]; inclusive quartiles 204, 366, 700.
    assert (kn23.parts, kn23.year_only, kn23.missing, kn23.negative) == (9, 2, 4, 0)
    assert (kn23.minimum, kn23.q1, kn23.median, kn23.q3, kn23.maximum) == (
        204.0,
        204.0,
        366.0,
        700.0,
        960.0,
    )
    assert kn23.parts + kn23.year_only + kn23.missing == KN23_PARTS
    assert (shahed.parts, shahed.year_only, shahed.missing, shahed.median) == (0, 4, 2, None)
    assert (total.parts, total.median) == (9, 366.0)


def test_timeline_needs_a_known_controls_group(sample: Engine) -> None:
    with sample.connect() as conn, pytest.raises(UnknownGroupError):
        timeline(conn, controls_group="wassenaar")


# sources ---------------------------------------------------------------------------------------


def test_sources_behind_the_numbers(sample: Engine) -> None:
    with sample.connect() as conn:
        everything = sources(conn)
        narrow = sources(conn, Filters.parse(weapon="KN-23", since="2022", until="2022"))
    assert [(s.publisher, s.components, s.parts) for s in everything.sources] == [
        ("Conflict Armament Research", 7, 11),
        ("Defence Intelligence of Ukraine", 5, 6),
        ("Test NGO", 2, 6),
    ]
    assert everything.components_without_source == 0
    assert everything.sources[0].published == "2024-02"
    assert [(s.publisher, s.components, s.parts) for s in narrow.sources] == [
        ("Conflict Armament Research", 3, 5),
        ("Defence Intelligence of Ukraine", 1, 2),
    ]


def test_sources_group_the_citations_by_source_id_read_from_the_row(sample: Engine) -> None:
    """On SQLite the citations are grouped by ``+source_id`` (the unary plus: not through the
    source_id index, which at 1M rows SQLite walks with a look-up of each citation's component;
    issue 14); the figures are those of any plan, and the same per weapon system."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def capture(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if "citations.source_id" in statement and "GROUP BY" in statement.split("JOIN sources")[0]:
            statements.append((statement, params))

    event.listen(sample, "before_cursor_execute", capture)
    try:
        with sample.connect() as conn:
            report = sources(conn, per_weapon=True)
    finally:
        event.remove(sample, "before_cursor_execute", capture)
    assert [(s.publisher, s.components, s.parts) for s in report.sources] == [
        ("Conflict Armament Research", 7, 11),
        ("Defence Intelligence of Ukraine", 5, 6),
        ("Test NGO", 2, 6),
    ]
    assert sum(s.parts for w in report.by_weapon for s in w.sources) == 23
    assert len(statements) == 2
    if sample.dialect.name == "sqlite":
        # A database this small is planned either way: the statement is what can be checked.
        assert all("+citations.source_id" in s.split("GROUP BY")[-1] for s, _ in statements)


def test_reports_on_an_empty_database(engine: Engine) -> None:
    ensure_reference_lists(engine)
    with engine.connect() as conn:
        by_country = countries(conn)
        listed = chpl_report(conn)
        times = timeline(conn)
        makers = manufacturers(conn)
    assert by_country.rows == [] and by_country.total.parts == 0
    assert listed.weapons == [] and listed.total.parts == 0
    assert times.buckets == [] and times.controls[-1].parts == 0
    assert makers.overall.rows == []


@pytest.mark.parametrize("top", [1, 2, 10])
def test_manufacturers_matches_a_count_of_every_component(sample: Engine, top: int) -> None:
    """The one-statement report (ranked in SQL, dates read for the ranked companies only,
    issue 14) against the components counted one by one in Python: every table's companies,
    parts, components, totals, weapon systems and first and last dates."""
    from collections import defaultdict

    from sqlalchemy import select

    from provenance.models import Component, Manufacturer, Specimen, WeaponSystem
    from provenance.reports.manufacturers import _first_last

    with sample.connect() as conn:
        report = manufacturers(conn, top=top)
        rows = conn.execute(
            select(
                WeaponSystem.designation,
                Manufacturer.name,
                Component.quantity,
                Component.manufactured_on,
                Component.manufactured_precision,
            )
            .select_from(Component)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
            .outerjoin(Manufacturer, Manufacturer.id == Component.manufacturer_id)
        ).all()
    counts: dict[tuple[str | None, str | None], list[int]] = defaultdict(lambda: [0, 0])
    dates: dict[tuple[str | None, str], list[Any]] = defaultdict(list)
    weapons: dict[str, set[str]] = defaultdict(set)
    for weapon, maker, quantity, made, precision in rows:
        for within in (weapon, None):
            counts[(within, maker)][0] += quantity
            counts[(within, maker)][1] += 1
            if maker is not None and made is not None:
                dates[(within, maker)].append((made, precision))
        if maker is not None:
            weapons[maker].add(weapon)
    for table in [report.overall, *report.per_weapon]:
        mine = {m: c for (t, m), c in counts.items() if t == table.weapon and m is not None}
        ranked = sorted(mine.items(), key=lambda mc: (-mc[1][0], mc[0].casefold()))[:top]
        assert [(r.name, r.parts, r.components) for r in table.rows] == [
            (m, c[0], c[1]) for m, c in ranked
        ]
        for r in table.rows:
            assert r.weapon_systems == sorted(weapons[r.name])
            assert (r.first_made, r.last_made) == _first_last(dates[(table.weapon, r.name)])
        unidentified = counts.get((table.weapon, None), [0, 0])
        assert (table.unidentified_parts, table.unidentified_components) == tuple(unidentified)
        assert table.manufacturers == len(mine)
        assert table.parts == sum(c[0] for c in mine.values()) + unidentified[0]
        assert table.other_parts == sum(c[0] for c in mine.values()) - sum(c[0] for _, c in ranked)
    assert [t.weapon for t in report.per_weapon] == sorted({w for w, *_ in rows})
