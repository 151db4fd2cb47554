"""The BI views, on SQLite and PostgreSQL.

- every view exists with exactly the documented columns, in order, on both databases;
- the column types are the documented ones (PostgreSQL: as reflected; SQLite: the values'
  storage classes, as SQLite has no declared type for computed view columns);
- the same data gives the same rows on both databases;
- v_foreign_parts_by_weapon and v_foreign_share_by_weapon agree with reports.foreign_parts on both
  bases; the CHPL tier comes from the newest list; the first source is the earliest published;
- the released view SQL is frozen (a change must be a new version and a new migration);
- ``views_dropped`` lets a migration alter a table the views read (SQLite batch mode) and grants
  again on PostgreSQL what was granted on the views.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    column,
    func,
    inspect,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.exc import DBAPIError

from provenance import migrate, views
from provenance.db import make_engine
from provenance.reference import install
from provenance.reports import foreign_parts as reports
from provenance.reports.core import Basis
from tests import bi_data
from tests.conftest import empty_postgres

VIEW_NAMES = [v.name for v in views.VIEWS]


def _rows(conn: Connection, name: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
    v = views.view(name)
    t = table(name, *(column(c) for c in v.column_names))
    wanted = [t.c[c] for c in (columns or v.column_names)]
    return [dict(r._mapping) for r in conn.execute(select(*wanted))]


def _column_names(conn: Connection, name: str) -> list[str]:
    return list(conn.execute(select(literal_column("*")).select_from(table(name)).limit(0)).keys())


# --- columns and types ---------------------------------------------------------------------------


def test_views_have_the_documented_columns(engine: Engine) -> None:
    assert set(VIEW_NAMES) <= set(inspect(engine).get_view_names())
    with engine.connect() as conn:
        for v in views.VIEWS:
            assert _column_names(conn, v.name) == v.column_names, v.name


def test_documentation_is_complete_and_snake_case() -> None:
    for v in views.VIEWS:
        assert v.description, v.name
        assert re.fullmatch(r"v_[a-z0-9_]+", v.name)
        names = v.column_names
        assert len(names) == len(set(names)), f"{v.name}: a column is documented twice"
        assert set(v.key) <= set(names) and set(v.facets) <= set(names), v.name
        for c in v.columns:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", c.name), c.name
            assert c.type in views.TYPES, (v.name, c.name, c.type)
            assert c.description.strip(), (v.name, c.name)


def _type_category(sa_type: Any) -> str:
    if isinstance(sa_type, Integer):
        return "integer"
    if isinstance(sa_type, Float):
        return "real"
    if isinstance(sa_type, DateTime):
        return "timestamp"
    if isinstance(sa_type, Date):
        return "date"
    if isinstance(sa_type, String):
        return "text"
    return f"unexpected {sa_type!r}"


_SQLITE_CLASSES = {
    "integer": "integer",
    "real": "real",
    "text": "text",
    "date": "text",
    "timestamp": "text",
}
_SQLITE_TEXT_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "timestamp": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?"),
}


def test_column_types_are_the_documented_ones(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    postgres = engine.dialect.name == "postgresql"
    insp = inspect(engine)
    never_filled: list[str] = []
    with engine.connect() as conn:
        for v in views.VIEWS:
            documented = {c.name: c.type for c in v.columns}
            if postgres:
                reflected = {c["name"]: _type_category(c["type"]) for c in insp.get_columns(v.name)}
                assert reflected == documented, v.name
            t = table(v.name, *(column(c) for c in v.column_names))
            for name, type_ in documented.items():
                values = list(
                    conn.execute(select(t.c[name]).where(t.c[name].isnot(None))).scalars()
                )
                if not values:
                    never_filled.append(f"{v.name}.{name}")
                    continue
                if postgres:
                    continue
                classes = set(
                    conn.execute(
                        select(func.typeof(t.c[name])).where(t.c[name].isnot(None))
                    ).scalars()
                )
                assert classes == {_SQLITE_CLASSES[type_]}, (v.name, name, classes)
                if type_ in _SQLITE_TEXT_FORMATS:
                    pattern = _SQLITE_TEXT_FORMATS[type_]
                    assert all(pattern.fullmatch(x) for x in values), (v.name, name, values)
    # The data set fills every column, so every type above was checked against a value.
    assert never_filled == []


# --- the same rows on both databases ------------------------------------------------------------


def _normalised_rows(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    v = views.view(name)
    skip = {"batch_loaded_at", "added_at", "last_verified_at", "decided_at"}  # two loads, two times
    wanted = [c for c in v.column_names if c not in skip]
    with engine.connect() as conn:
        rows = [tuple(bi_data.normalise(r[c]) for c in wanted) for r in _rows(conn, name, wanted)]
    return sorted(rows, key=repr)


@pytest.mark.postgres
def test_views_give_the_same_rows_on_sqlite_and_postgresql(
    sqlite_template: Path, postgres_url: str, tmp_path: Path
) -> None:
    sqlite_path = tmp_path / "same.db"
    sqlite_path.write_bytes(sqlite_template.read_bytes())
    empty_postgres(postgres_url)
    engines = [make_engine(f"sqlite:///{sqlite_path}"), make_engine(postgres_url)]
    try:
        for i, engine in enumerate(engines):
            folder = tmp_path / f"data{i}"
            folder.mkdir()
            bi_data.load(engine, folder)
        for name in VIEW_NAMES:
            on_sqlite, on_postgres = (_normalised_rows(e, name) for e in engines)
            assert on_sqlite, f"{name} is empty"
            assert on_sqlite == on_postgres, name
    finally:
        for engine in engines:
            engine.dispose()


# --- the figures ---------------------------------------------------------------------------------


_FLAG = {True: 1, False: 0, None: None}


@pytest.mark.parametrize("basis", list(Basis))
def test_foreign_parts_views_agree_with_the_report(
    engine: Engine, tmp_path: Path, basis: Basis
) -> None:
    bi_data.load(engine, tmp_path)
    with engine.connect() as conn:
        report = reports.foreign_parts(conn, None, basis)
        by_origin = [r for r in _rows(conn, "v_foreign_parts_by_weapon") if r["basis"] == basis]
        totals = [r for r in _rows(conn, "v_foreign_share_by_weapon") if r["basis"] == basis]

    expected_cells = {
        (w.designation, o.country_code): (
            o.country,
            o.parts,
            pytest.approx(o.share),
            _FLAG[o.foreign],
            w.parts,
            len(o.manufacturers),
            w.producer_code,
            w.producer,
        )
        for w in report.weapons
        for o in w.origins
    }
    cells = {
        (r["weapon_system"], r["origin_country_code"]): (
            r["origin_country"],
            r["parts"],
            r["share"],
            r["is_foreign"],
            r["weapon_parts"],
            r["manufacturer_count"],
            r["weapon_producer_country_code"],
            r["weapon_producer_country"],
        )
        for r in by_origin
    }
    assert cells == expected_cells
    assert len(by_origin) == len(cells)

    expected_totals = {
        w.designation: (
            w.parts,
            w.foreign_parts,
            w.domestic_parts,
            w.unknown_origin_parts,
            pytest.approx(w.foreign_share),
            w.sources,
            sum(1 for o in w.origins if o.foreign),
        )
        for w in report.weapons
    }
    got_totals = {
        r["weapon_system"]: (
            r["parts"],
            r["foreign_parts"],
            r["domestic_parts"],
            r["unknown_origin_parts"],
            r["foreign_share"],
            r["source_count"],
            r["foreign_country_count"],
        )
        for r in totals
    }
    assert got_totals == expected_totals


def test_foreign_parts_by_hand(engine: Engine, tmp_path: Path) -> None:
    """The figures of the module docstring of tests/bi_data.py, worked out by hand."""
    bi_data.load(engine, tmp_path)
    with engine.connect() as conn:
        rows = _rows(conn, "v_foreign_parts_by_weapon")
    kn23 = {
        (r["basis"], r["origin_country_code"]): (r["parts"], r["is_foreign"], r["share"])
        for r in rows
        if r["weapon_system"] == "KN-23"
    }
    assert kn23 == {
        ("manufacturer", "US"): (3, 1, pytest.approx(3 / 6)),
        ("manufacturer", "GB"): (1, 1, pytest.approx(1 / 6)),
        ("manufacturer", "KP"): (1, 0, pytest.approx(1 / 6)),
        ("manufacturer", None): (1, None, pytest.approx(1 / 6)),
        ("made-in", "PH"): (2, 1, pytest.approx(2 / 6)),
        ("made-in", "CN"): (1, 1, pytest.approx(1 / 6)),
        ("made-in", "KP"): (1, 0, pytest.approx(1 / 6)),
        ("made-in", None): (2, None, pytest.approx(2 / 6)),
    }


def _components(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r["component"]: r for r in _rows(conn, "v_components")}


def test_v_components_has_every_label_flat(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    rows = _components(engine)
    assert len(rows) == 7
    xp = {k: bi_data.normalise(v) for k, v in rows["voltage converter"].items()}
    assert xp["batch_loaded_at"]
    del xp["batch_loaded_at"]
    assert {k: v for k, v in xp.items() if not k.endswith("_id")} == {
        "weapon_system": "KN-23",
        "weapon_category": "SRBM",
        "weapon_producer_country_code": "KP",
        "weapon_producer_country": "North Korea",
        "specimen": "KN23-A",
        "identification_confidence": "likely",
        "recovered_on": "2024-01-02",
        "recovered_at": "Kharkiv",
        "recovered_by": "Ukrainian authorities",
        "component": "voltage converter",
        "part_number": "TSM0505S",
        "marking": "TSM0505S 2306",
        "date_code": "2306",
        "quantity": 1,
        "manufacturer": "XP Power",
        "manufacturer_parent": None,
        "manufacturer_country_code": "GB",
        "manufacturer_country": "United Kingdom",
        "reported_maker_country_code": "GB",
        "reported_maker_country": "United Kingdom",
        "manufacturer_origin_code": "GB",
        "made_in_code": None,
        "made_in_country": None,
        "manufactured_on": "2023-02-01",
        "manufactured_precision": "month",
        "hs_code": "8504.40",
        "hs6": "850440",
        "chpl_tier": "3.A",
        "chpl_version": "2024-02-23",
        "authenticity": "genuine",
        "foreign_by_manufacturer": 1,
        "foreign_by_made_in": None,
        "source_count": 2,
        # CAR (2024-02) was published before DIU (2024-11), though DIU was loaded first.
        "first_source_publisher": "Conflict Armament Research",
        "first_source_title": "Kharkiv missile",
        "first_source_url": "https://example.org/car",
        "first_source_published_on": "2024-02-01",
        "first_source_record_url": None,
        "batch_file_name": "kn23.csv",
    }
    harness = rows["cable harness"]
    assert (harness["foreign_by_manufacturer"], harness["foreign_by_made_in"]) == (0, 0)
    capacitor = rows["capacitor"]
    assert capacitor["foreign_by_manufacturer"] is None
    assert capacitor["authenticity"] == "suspected_counterfeit"
    assert rows["microcontroller"]["manufacturer_parent"] == "Texas Instruments"
    assert rows["servo"]["batch_file_name"] == "shahed.csv"


def test_chpl_tier_comes_from_the_newest_list(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path, chpl=False)

    def tiers() -> dict[str, tuple[Any, Any]]:
        return {k: (r["chpl_tier"], r["chpl_version"]) for k, r in _components(engine).items()}

    # No list loaded: no tier, no version.
    assert set(tiers().values()) == {(None, None)}

    with engine.begin() as conn:
        bi_data.add_chpl(conn)
    got = tiers()
    assert got["voltage converter"] == ("3.A", "2024-02-23")  # tier 2 on the older list
    assert got["microcontroller"] == ("1", "2024-02-23")
    assert got["op amp"] == (None, "2024-02-23")  # looked up, not on the list
    assert got["cable harness"] == (None, None)  # no HS code: not looked up


def test_v_manufacturers_and_v_sources(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    with engine.connect() as conn:
        makers = {r["manufacturer"]: r for r in _rows(conn, "v_manufacturers")}
        sources = {r["publisher"]: r for r in _rows(conn, "v_sources")}
    ti = {k: bi_data.normalise(v) for k, v in makers["Texas Instruments"].items()}
    assert (ti["country_code"], ti["country"]) == ("US", "United States")
    assert (ti["component_count"], ti["parts"], ti["weapon_system_count"]) == (2, 5, 2)
    assert (ti["first_manufactured_on"], ti["last_manufactured_on"]) == ("2020-01-01", "2023-05-17")
    assert makers["XP Power"]["alias_count"] == 1
    assert makers["Analog Devices"]["parent_manufacturer"] == "Texas Instruments"
    assert makers["Unmarked maker"]["country_code"] is None

    car = sources["Conflict Armament Research"]
    assert (car["component_count"], car["parts"], car["specimen_count"]) == (4, 4, 1)
    assert car["weapon_system_count"] == 1
    assert bi_data.normalise(car["published_on"]) == "2024-02-01"
    assert car["published_precision"] == "month"
    assert sources["Defence Intelligence of Ukraine"]["parts"] == 3


# --- versions -------------------------------------------------------------------------------------

#: sha256 of each released set of view definitions. A released set must never change: add a new
#: version (and a migration that drops the views and creates the new ones) instead.
RELEASED = {
    "0004": "ae589c9e2a06827c8268bab8f233b0ffc42e04451b02794743fa9534bf1fff2e",
    "0006": "7a04198c27618def15d83ac82ac955b6ebc93a6881f28821722241c0335f09e1",
    "0009": "14665ad5b010ab4102c4dc83b9c76de064fd8da764dabfe8aa82f2e00e9307ee",
    "0010": "b5f349f9acced67aad8a1e7177ff3640d4da065d6ebf7d8e316e43ed8029b168",
    "0011": "9fe37c4fcc77717b85ee0fa24142cd46753fcfa29b9a4405ef228cf996db3e29",
}


def _digest(version: str) -> str:
    joined = "\n".join(f"{name}\n{sql}" for name, sql in views.DEFINITIONS[version])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def test_released_view_definitions_are_frozen() -> None:
    for version, digest in RELEASED.items():
        assert _digest(version) == digest, (
            f"the view SQL of released version {version} changed: put the change in a new "
            "version in provenance/views.py and a new migration (see migrations/README.md)"
        )


def test_current_version_is_the_newest_and_is_documented() -> None:
    assert list(views.DEFINITIONS)[-1] == views.CURRENT_VERSION
    assert set(views.DEFINITIONS) <= set(RELEASED) | {views.CURRENT_VERSION}
    assert [name for name, _ in views.DEFINITIONS[views.CURRENT_VERSION]] == VIEW_NAMES
    # Every version is the revision of a migration.
    assert set(views.DEFINITIONS) <= migrate.known_revisions()


def test_head_has_the_current_views(empty_engine: Engine) -> None:
    install.upgrade(empty_engine, "0003")
    assert inspect(empty_engine).get_view_names() == []
    install.upgrade(empty_engine)
    assert sorted(inspect(empty_engine).get_view_names()) == sorted(VIEW_NAMES)
    assert migrate.schema_drift(empty_engine) == []  # autogenerate does not see the views
    migrate.downgrade(empty_engine, "0003")
    assert inspect(empty_engine).get_view_names() == []


# --- migrations that alter tables the views read ------------------------------------------------


@pytest.fixture
def migration_op(empty_engine: Engine) -> Iterator[Operations]:
    """Alembic's ``op`` on a migrated database, as a migration sees it (SQLite: batch mode with
    foreign keys off)."""
    install.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection
        assert raw is not None
        if sqlite:  # outside any transaction, as env.py does it
            raw.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            context = MigrationContext.configure(conn, opts={"render_as_batch": sqlite})
            yield Operations(context)
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")


def _alter_components(op: Operations) -> None:
    """A column the views read gets longer: SQLite copies the table, PostgreSQL alters it."""
    with op.batch_alter_table("components") as batch:
        batch.alter_column("part_number", type_=String(300), existing_type=String(200))


def test_altering_a_table_under_the_views_needs_them_dropped(migration_op: Operations) -> None:
    """The pitfall the helper is for: SQLite's batch copy-and-rename trips over the views, and
    PostgreSQL refuses to change the type of a column a view uses."""
    with pytest.raises(DBAPIError, match=r"v_components|view"):
        _alter_components(migration_op)


def test_views_dropped_recreates_the_views_and_their_grants(migration_op: Operations) -> None:
    conn = migration_op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("GRANT SELECT ON v_components, v_sources TO PUBLIC")
    before = views.view_grants(conn)

    with views.views_dropped(migration_op, recreate=views.CURRENT_VERSION):
        assert inspect(conn).get_view_names() == []
        _alter_components(migration_op)

    assert sorted(inspect(conn).get_view_names()) == sorted(VIEW_NAMES)
    assert views.view_grants(conn) == before
    if postgres:
        assert {(g.view, g.grantee, g.privilege) for g in before} == {
            ("v_components", "PUBLIC", "SELECT"),
            ("v_sources", "PUBLIC", "SELECT"),
        }
    assert _column_names(conn, "v_components") == views.view("v_components").column_names
    conn.execute(text("SELECT count(*) FROM v_components")).scalar_one()
