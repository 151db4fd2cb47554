"""The shipped seed data: it loads, loads once, and carries the published findings."""

from __future__ import annotations

import csv
import datetime as dt

from sqlalchemy import Engine, func, select

from provenance.ingest.seed import demo_files, seed
from provenance.models import (
    Authenticity,
    Citation,
    Component,
    DatePrecision,
    Manufacturer,
    Source,
    WeaponSystem,
)
from provenance.reports import foreign_parts as reports
from tests.helpers import dump


def test_seed_loads_once_and_every_component_cites_a_source(engine: Engine) -> None:
    ref, loaded = seed(engine)
    assert ref.weapon_systems_created >= 2 and ref.sources_created >= 3
    assert sum(s.components_added for s in loaded) > 0
    before = dump(engine)

    ref2, loaded2 = seed(engine)
    assert (ref2.weapon_systems_created, ref2.sources_created, ref2.aliases_created) == (0, 0, 0)
    assert sum(s.components_added + s.citations_added for s in loaded2) == 0
    after = dump(engine)
    assert {k: v for k, v in after.items() if k != "load_batches"} == {
        k: v for k, v in before.items() if k != "load_batches"
    }

    with engine.connect() as conn:
        uncited = conn.scalar(
            select(func.count())
            .select_from(Component)
            .where(~Component.id.in_(select(Citation.component_id)))
        )
    assert uncited == 0


def test_seed_matches_the_shipped_csv(engine: Engine) -> None:
    """Components and citations in the database are those of the CSV, computed independently."""
    _, findings = demo_files()
    components: set[tuple[str, ...]] = set()
    citations: set[tuple[str, ...]] = set()
    for path in findings:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for r in csv.DictReader(handle):
                key = tuple(
                    r[c].strip().casefold()
                    for c in ("specimen", "component", "part_number", "marking", "manufacturer")
                )
                key += (r["date_code"].strip().casefold(),)
                if r["manufacturer"] == "Not identified":  # one unknown maker per country
                    key += (r["manufacturer_country"],)
                components.add(key)
                citations.add((*key, r["source_publisher"], r["source_title"]))
    seed(engine)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Component)) == len(components)
        assert conn.scalar(select(func.count()).select_from(Citation)) == len(citations)


def test_seed_carries_the_published_findings(engine: Engine) -> None:
    seed(engine)
    with engine.connect() as conn:
        converter = conn.execute(
            select(
                Component.manufactured_on,
                Component.manufactured_precision,
                Component.hs_code,
                Manufacturer.country_code,
            )
            .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
            .where(Manufacturer.name == "XP Power", Component.function == "voltage converter")
        ).one()
        assert converter.country_code == "GB"
        assert converter.manufactured_on == dt.date(2023, 2, 1)
        assert converter.manufactured_precision == DatePrecision.MONTH
        assert converter.hs_code == "8504.40"

        fakes = conn.execute(
            select(Component.manufacturer_id, Component.reported_maker_country_code).where(
                Component.authenticity == Authenticity.COUNTERFEIT
            )
        ).all()
        assert fakes == [(None, "JP")]  # a Japanese company's part, the company not named

        # A source that names only the maker's country: no company is made up for it.
        makers = set(conn.scalars(select(Manufacturer.name)))
        assert not {m for m in makers if m.startswith(("Unnamed", "Not identified"))}
        placeholders = conn.execute(
            select(Component.reported_maker_country_code, Component.notes).where(
                Component.manufacturer_id.is_(None)
            )
        ).all()
        assert {c for c, _ in placeholders} == {"CH", "CN", "DE", "JP", "NL", "SG", "TW", "US"}
        for country, notes in placeholders:
            assert notes is not None and notes.startswith("PLACEHOLDER:"), country

        kn23 = conn.execute(
            select(WeaponSystem.producer_country_code).where(WeaponSystem.designation == "KN-23")
        ).scalar_one()
        assert kn23 == "KP"
        publishers = set(conn.scalars(select(Source.publisher)))
        assert {"Conflict Armament Research", "Defence Intelligence of Ukraine"} <= publishers

        # The KN-23 report, by designation and by alias, names the countries the reports named.
        report = reports.foreign_parts(conn, "KN-23")
        by_alias = reports.foreign_parts(conn, "hwasong-11ga")
    assert by_alias.weapons == report.weapons
    [kn] = report.weapons
    countries = {o.country_code for o in kn.origins}
    assert {"US", "CN", "DE", "JP", "NL", "SG", "CH", "TW", "GB"} <= countries
    assert kn.foreign_parts == kn.parts  # no North Korean part is recorded
