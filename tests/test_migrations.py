"""Migrations and the connection safety they rely on, on SQLite and PostgreSQL.

- the tree has one head, and every revision file belongs to it;
- upgrading an empty database creates every table of the models, and nothing differs from the
  models afterwards: neither what autogenerate compares (``schema_drift``) nor the names of the
  constraints and indexes (autogenerate does not see CHECK constraints: a CHECK missing from a
  revision only shows up in the name comparison);
- every name follows the naming convention;
- the developers' route (``alembic -c migrations/alembic.ini -x url=...``) upgrades and checks;
- downgrading, with data in the tables, and upgrading again work;
- ``ensure_current`` says what to do on an empty database and on one migrated by a newer version,
  which ``upgrade`` refuses to touch;
- SQLite: foreign keys on (also after migrating), a failed transaction keeps nothing, writers lock
  at BEGIN.

Tests that change the schema or the revision use ``empty_engine``/``empty_db_url``: a database of
their own on PostgreSQL too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.script import Script, ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy import table as sql_table
from sqlalchemy.exc import IntegrityError

from provenance import migrate
from provenance.cli.main import cli
from provenance.db import make_engine, write_transaction
from provenance.errors import DatabaseNotReadyError, ProvenanceError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.models import NAMING_CONVENTION, Base, Component, LoadBatch, Manufacturer
from provenance.reference import install
from provenance.resources import migrations_path
from provenance.views import all_view_names
from tests.helpers import count, dump, row, write_csv

#: (kind, name) of every constraint and index of a table; kind is a naming-convention prefix.
Names = set[tuple[str, str]]

_KIND = {
    PrimaryKeyConstraint: "pk",
    UniqueConstraint: "uq",
    ForeignKeyConstraint: "fk",
    CheckConstraint: "ck",
}


class Boom(Exception):
    """Raised inside a transaction to make it fail."""


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config())


def _revisions() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(_script().walk_revisions())))


def _findings(tmp_path: Path, name: str = "findings.csv") -> Path:
    return write_csv(
        tmp_path / name,
        [
            row(),
            row(component="MCU", manufacturer="Analog Devices", manufacturer_country="USA"),
            row(specimen="SPEC-2", component="GNSS module", manufacturer="u-blox", made_in="CH"),
        ],
    )


# --- the revision tree ------------------------------------------------------------------------


def test_single_head() -> None:
    heads = _script().get_heads()
    assert len(heads) == 1, f"several heads {heads}: merge them with `alembic merge`"
    assert heads[0] == migrate.head_revision()


def test_the_version_check_reads_the_same_tree_as_alembic() -> None:
    # ensure_current reads the revision ids without importing Alembic (start-up time).
    def downs(script: Script) -> tuple[str, ...]:
        down = script.down_revision
        return () if down is None else (down,) if isinstance(down, str) else tuple(down)

    assert migrate.shipped_revisions() == {s.revision: downs(s) for s in _revisions()}
    assert migrate.known_revisions() == {s.revision for s in _revisions()}


def test_every_revision_file_is_on_the_path_from_base_to_head() -> None:
    files = sorted(p.name for p in (migrations_path() / "versions").glob("*.py"))
    on_path = sorted(Path(s.path).name for s in _revisions())
    assert on_path == files
    assert _revisions()[0].down_revision is None


# --- upgrade from empty, and the result equals the models -------------------------------------


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    assert migrate.table_names(empty_engine) == []

    install.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert set(migrate.table_names(empty_engine)) == set(Base.metadata.tables) | {"alembic_version"}
    migrate.ensure_current(empty_engine)
    assert count(empty_engine, "countries") > 200  # upgrade to head fills the reference table


def test_upgrade_twice_changes_nothing(empty_engine: Engine) -> None:
    install.upgrade(empty_engine)
    before = dump(empty_engine)
    install.upgrade(empty_engine)
    assert dump(empty_engine) == before
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_no_drift_between_models_and_migrated_database(engine: Engine) -> None:
    assert migrate.schema_drift(engine) == []


def _copy_of_models() -> MetaData:
    copy = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def test_drift_is_found_when_the_models_change(engine: Engine) -> None:
    changed = _copy_of_models()
    changed.tables["components"].append_column(Column("serial_number", String(100)))

    drift = migrate.schema_drift(engine, changed)

    assert [(d[0], d[2], d[3].name) for d in drift] == [
        ("add_column", "components", "serial_number")
    ]


def test_drift_is_found_when_the_database_changes(empty_engine: Engine) -> None:
    install.upgrade(empty_engine)
    with write_transaction(empty_engine) as conn:
        conn.execute(text("DROP INDEX ix_components__made_in_code"))

    drift = migrate.schema_drift(empty_engine)

    assert [(d[0], d[1].name) for d in drift] == [("add_index", "ix_components__made_in_code")]


def _model_names(metadata: MetaData) -> dict[str, Names]:
    """The constraint and index names the models define, per table."""
    out: dict[str, Names] = {}
    for table in metadata.sorted_tables:
        names: Names = {(_KIND[type(c)], str(c.name)) for c in table.constraints}
        names |= {("ix", str(i.name)) for i in table.indexes}
        out[table.name] = names
    return out


def _database_names(engine: Engine) -> dict[str, Names]:
    """The constraint and index names in the database, per table (reflected)."""
    insp = inspect(engine)
    out: dict[str, Names] = {}
    for table in insp.get_table_names():
        if table == "alembic_version":
            continue
        names: Names = {("pk", str(insp.get_pk_constraint(table)["name"]))}
        names |= {("uq", str(c["name"])) for c in insp.get_unique_constraints(table)}
        names |= {("fk", str(c["name"])) for c in insp.get_foreign_keys(table)}
        names |= {("ck", str(c["name"])) for c in insp.get_check_constraints(table)}
        # PostgreSQL lists the index behind each unique constraint too: that one is a "uq".
        names |= {
            ("ix", str(i["name"]))
            for i in insp.get_indexes(table)
            if "duplicates_constraint" not in i
        }
        out[table] = names
    return out


def _differences(models: dict[str, Names], database: dict[str, Names]) -> dict[str, Any]:
    return {
        table: {
            "only in the models": sorted(models.get(table, set()) - database.get(table, set())),
            "only in the database": sorted(database.get(table, set()) - models.get(table, set())),
        }
        for table in sorted(set(models) | set(database))
        if models.get(table) != database.get(table)
    }


def test_constraint_and_index_names_equal_the_models(engine: Engine) -> None:
    models = _model_names(Base.metadata)
    database = _database_names(engine)

    assert _differences(models, database) == {}
    # The comparison covers the CHECK constraints autogenerate cannot see.
    assert ("ck", "ck_components__quantity_positive") in database["components"]
    assert ("ck", "ck_components__manufactured_precision_with_date") in database["components"]
    assert ("ck", "ck_components__authenticity") in database["components"]


def test_constraint_comparison_finds_a_check_missing_from_the_migrations(engine: Engine) -> None:
    changed = _copy_of_models()
    changed.tables["specimens"].append_constraint(
        CheckConstraint("recovered_on >= '1900-01-01'", name="recovered_on_plausible")
    )

    differences = _differences(_model_names(changed), _database_names(engine))

    assert differences == {
        "specimens": {
            "only in the models": [("ck", "ck_specimens__recovered_on_plausible")],
            "only in the database": [],
        }
    }


#: PostgreSQL's longest identifier.
_LONGEST_NAME = 63


def test_every_name_follows_the_naming_convention(engine: Engine) -> None:
    insp = inspect(engine)
    wrong: list[str] = []

    def check(name: str | None, expected: str, exact: bool = True) -> None:
        if name is None or not (name == expected if exact else name.startswith(expected)):
            wrong.append(f"{name!r}: expected {expected!r}{'' if exact else '...'}")

    tables = [t for t in insp.get_table_names() if t != "alembic_version"]
    assert sorted(tables) == sorted(Base.metadata.tables)
    for t in tables:
        check(insp.get_pk_constraint(t)["name"], f"pk_{t}")
        for uq in insp.get_unique_constraints(t):
            check(uq["name"], f"uq_{t}__{'_'.join(uq['column_names'])}")
        for fk in insp.get_foreign_keys(t):
            cols = "_".join(fk["constrained_columns"])
            check(fk["name"], f"fk_{t}__{cols}__{fk['referred_table']}")
        for ck in insp.get_check_constraints(t):
            check(ck["name"], f"ck_{t}__", exact=False)
        for ix in insp.get_indexes(t):
            if "duplicates_constraint" in ix:
                continue
            cols = "_".join(str(c) for c in ix["column_names"])
            expected = f"ix_{t}__{cols}"
            if len(expected) <= _LONGEST_NAME:
                check(ix["name"], expected)
            else:  # named in the model: the convention's name is too long for PostgreSQL
                check(ix["name"], expected[:50], exact=False)
                assert ix["name"] is not None and len(ix["name"]) <= _LONGEST_NAME, ix["name"]
    assert wrong == []


def test_alembic_command_line_upgrade_and_check(empty_db_url: str, tmp_path: Path) -> None:
    """The developers' route (migrations/README.md): alembic -c migrations/alembic.ini."""
    ini = migrations_path() / "alembic.ini"
    alembic = [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={empty_db_url}"]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    outputs = []
    for command in (["upgrade", "head"], ["check"], ["current"]):
        result = subprocess.run(
            [*alembic, *command], cwd=cwd, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"alembic {command}:\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout + result.stderr)
    assert "No new upgrade operations detected" in outputs[1]
    assert migrate.head_revision() in outputs[2]
    assert list(cwd.iterdir()) == []  # -x url was used, not the ini's alembic-dev.db


# --- down and up again, with data ---------------------------------------------------------------


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(
    empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    [summary] = load_files(empty_engine, [_findings(tmp_path)])
    assert summary.components_added == 3

    migrate.downgrade(empty_engine, "base")

    assert migrate.current_revision(empty_engine) is None
    assert set(migrate.table_names(empty_engine)) <= {"alembic_version"}
    insp = inspect(empty_engine)
    assert insp.get_view_names() == []
    if empty_engine.dialect.name == "postgresql":
        assert insp.get_sequence_names() == []
    with pytest.raises(DatabaseNotReadyError):
        migrate.ensure_current(empty_engine)

    install.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert migrate.schema_drift(empty_engine) == []
    assert _differences(_model_names(Base.metadata), _database_names(empty_engine)) == {}
    [again] = load_files(empty_engine, [_findings(tmp_path)])
    assert again.components_added == 3
    assert count(empty_engine, "components") == 3


def test_one_revision_at_a_time_up_and_down(empty_engine: Engine, tmp_path: Path) -> None:
    revisions = [s.revision for s in _revisions()]
    for expected in revisions:
        install.upgrade(empty_engine, "+1")
        assert migrate.current_revision(empty_engine) == expected
    assert count(empty_engine, "countries") > 200  # filled on reaching head, however reached
    load_files(empty_engine, [_findings(tmp_path)])
    for expected_after in [*reversed(revisions[:-1]), None]:
        migrate.downgrade(empty_engine, "-1")
        assert migrate.current_revision(empty_engine) == expected_after
    assert set(migrate.table_names(empty_engine)) <= {"alembic_version"}


def test_stepping_down_and_up_again_keeps_the_data(empty_engine: Engine, tmp_path: Path) -> None:
    """For each revision after the first: from head with data, down below it and back up."""
    steps = [s for s in _revisions() if s.down_revision is not None]
    if not steps:
        pytest.skip("one revision only: its downgrade goes to base (tested above)")
    install.upgrade(empty_engine)
    load_files(empty_engine, [_findings(tmp_path)])
    before = dump(empty_engine)
    for script in reversed(steps):
        assert isinstance(script.down_revision, str), "merge revisions: test them by hand"
        migrate.downgrade(empty_engine, script.down_revision)
        kept = _columns(empty_engine)
        install.upgrade(empty_engine)
        after = dump(empty_engine)
        # What the lower revision could hold comes back unchanged (a column added later, like a
        # citation's record id, goes when its revision is undone).
        assert _project(after, kept) == _project(before, kept), (
            f"data changed by {script.revision} down and up"
        )


def _columns(engine: Engine) -> dict[str, set[str]]:
    insp = inspect(engine)
    return {
        name: {c["name"] for c in insp.get_columns(name)}
        for name in insp.get_table_names()
        if name != "alembic_version"
    }


def _raw(engine: Engine, kept: dict[str, set[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables, in the columns they have now (in the models' order)."""
    out = {}
    with engine.connect() as conn:
        for name, columns in kept.items():
            table = Base.metadata.tables[name]
            rows = conn.execute(select(*(c for c in table.columns if c.name in columns))).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def _project(
    dumped: dict[str, list[tuple[Any, ...]]], kept: dict[str, set[str]]
) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for name, columns in kept.items():
        names = [c.name for c in Base.metadata.tables[name].columns]
        keep = [i for i, c in enumerate(names) if c in columns]
        out[name] = sorted((tuple(r[i] for i in keep) for r in dumped[name]), key=repr)
    return out


def test_downgrading_below_0006_refuses_what_0005_cannot_hold(
    empty_engine: Engine, tmp_path: Path
) -> None:
    """A part of an unidentified maker, or a weapon system of unknown producer, has no place in
    revision 0005: the downgrade says so, and changes nothing."""
    install.upgrade(empty_engine)
    path = write_csv(
        tmp_path / "unknowns.csv",
        [
            row(manufacturer="Not identified", manufacturer_country="CN"),
            row(weapon_system="Mystery UAV", weapon_producer_country="UNK", specimen="SPEC-9"),
        ],
    )
    load_files(empty_engine, [path])
    before = dump(empty_engine)
    with pytest.raises(ProvenanceError) as caught:
        migrate.downgrade(empty_engine, "0005")
    message = str(caught.value)
    assert "cannot downgrade below revision 0006" in message
    assert "1 components have no manufacturer" in message
    assert "1 weapon systems have no producer country (Mystery UAV)" in message
    # Each revision's step is its own transaction: the steps above 0006 ran (0007 and 0008
    # changed nothing these rows hold), the refused one changed nothing.
    assert migrate.current_revision(empty_engine) == "0006"
    kept = _columns(empty_engine)
    assert _raw(empty_engine, kept) == _project(before, kept)


def test_downgrading_below_0007_refuses_a_function_longer_than_300(
    empty_engine: Engine, tmp_path: Path
) -> None:
    install.upgrade(empty_engine)
    load_files(empty_engine, [write_csv(tmp_path / "long.csv", [row(component="x" * 331)])])
    before = dump(empty_engine)
    with pytest.raises(ProvenanceError) as caught:
        migrate.downgrade(empty_engine, "0006")
    assert "1 components have a function longer than 300 characters" in str(caught.value)
    assert migrate.current_revision(empty_engine) == "0007"  # the refusing step changed nothing
    kept = _columns(empty_engine)
    assert _raw(empty_engine, kept) == _project(before, kept)


# --- version checks ----------------------------------------------------------------------------


def test_ensure_current_on_an_empty_database_says_to_run_init(empty_engine: Engine) -> None:
    with pytest.raises(DatabaseNotReadyError) as caught:
        migrate.ensure_current(empty_engine)
    message = str(caught.value)
    assert "no provenance schema" in message
    assert "provenance init" in message
    assert "provenance db upgrade" in message


def test_ensure_current_on_a_database_from_a_newer_version(empty_engine: Engine) -> None:
    install.upgrade(empty_engine)
    with write_transaction(empty_engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": "9999_future"})

    with pytest.raises(DatabaseNotReadyError) as caught:
        migrate.ensure_current(empty_engine)

    message = str(caught.value)
    assert "9999_future" in message
    assert "newer version" in message
    assert "upgrade provenance" in message


def test_upgrade_refuses_a_database_from_a_newer_version(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        install.upgrade(engine)
        with write_transaction(engine) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": "9999_future"})
        for run in (install.upgrade, lambda e: migrate.downgrade(e, "base")):
            with pytest.raises(DatabaseNotReadyError, match="newer version"):
                run(engine)
        assert migrate.current_revision(engine) == "9999_future"
        assert count(engine, "countries") > 200  # nothing dropped
    finally:
        engine.dispose()

    result = CliRunner().invoke(cli, ["init", "--db", empty_db_url])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")
    assert "newer version" in result.output


def test_migrating_to_an_unknown_revision_is_a_clear_error(empty_engine: Engine) -> None:
    with pytest.raises(ProvenanceError, match=r"cannot upgrade .* to revision 'nonsense'"):
        install.upgrade(empty_engine, "nonsense")
    install.upgrade(empty_engine)
    with pytest.raises(ProvenanceError, match=r"cannot downgrade .* to revision 'nonsense'"):
        migrate.downgrade(empty_engine, "nonsense")
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_load_refuses_a_database_without_schema(empty_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotReadyError, match="provenance init"):
        load_files(empty_engine, [_findings(tmp_path)])
    assert migrate.table_names(empty_engine) == []


# --- connection safety: foreign keys, rollback, write lock ------------------------------------


def _insert_batch_and_manufacturer(conn: Connection) -> tuple[int, int]:
    batch = conn.execute(
        insert(LoadBatch).values(
            file_name="x.csv",
            sha256="0" * 64,
            loaded_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            rows_read=1,
            components_added=1,
            components_matched=0,
            citations_added=0,
            tool_version="test",
        )
    ).inserted_primary_key
    assert batch is not None
    maker = conn.execute(
        insert(Manufacturer).values(name="Maker", name_key="maker", batch_id=batch[0])
    ).inserted_primary_key
    assert maker is not None
    return int(batch[0]), int(maker[0])


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    with pytest.raises(IntegrityError), write_transaction(engine) as conn:
        batch, maker = _insert_batch_and_manufacturer(conn)
        conn.execute(
            insert(Component).values(
                specimen_id=999_999,  # no such specimen
                identity="x" * 32,
                function="MCU",
                manufacturer_id=maker,
                batch_id=batch,
            )
        )

    assert count(engine, "load_batches") == 0
    assert count(engine, "components") == 0


def test_foreign_keys_are_on_again_after_migrating(empty_engine: Engine) -> None:
    """env.py turns them off for SQLite migrations; pooled connections must not keep that."""
    install.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    install.upgrade(empty_engine)
    if empty_engine.dialect.name == "sqlite":
        with empty_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(IntegrityError), write_transaction(empty_engine) as conn:
        conn.execute(insert(Manufacturer).values(name="Maker", name_key="maker", country_code="??"))


def _failed_transaction(
    engine: Engine, begin: Callable[[Engine], AbstractContextManager[Connection]]
) -> None:
    """Read, write inside a released savepoint, write again, then fail."""
    with pytest.raises(Boom), begin(engine) as conn:
        conn.execute(select(func.count()).select_from(LoadBatch))  # a read comes first
        with conn.begin_nested():
            _insert_batch_and_manufacturer(conn)
        conn.execute(insert(Manufacturer).values(name="Other", name_key="other"))
        raise Boom


def test_failed_write_transaction_keeps_nothing(engine: Engine) -> None:
    before = dump(engine)
    _failed_transaction(engine, write_transaction)
    assert dump(engine) == before
    assert count(engine, "load_batches") == 0


@contextmanager
def _plain_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


def test_without_make_engine_sqlite_keeps_half_a_failed_transaction(sqlite_url: str) -> None:
    """The pitfall the previous test guards against, shown with a plain engine.

    Python's sqlite3 (legacy transaction mode) sends no BEGIN before SELECT or SAVEPOINT, so the
    savepoint starts the only transaction and releasing it commits.
    """
    legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)
    with closing(sqlite3.connect(":memory:")) as probe:
        mode = getattr(probe, "autocommit", legacy)  # no such attribute before Python 3.12
    if mode != legacy:
        pytest.skip("this sqlite3 module does not default to legacy transaction control")
    plain = create_engine(sqlite_url)
    try:
        _failed_transaction(plain, _plain_transaction)
        assert count(plain, "load_batches") == 1  # kept, though the transaction failed
    finally:
        plain.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database (the SQLite half of ``db_url``)."""
    path = tmp_path / "provenance.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


def _other_writer(url: str) -> sqlite3.Connection:
    """A second connection that gives up on a lock after 50 ms."""
    path = url.removeprefix("sqlite:///")
    return sqlite3.connect(path, timeout=0.05, isolation_level=None)


_OTHER_INSERT = "INSERT INTO manufacturers (name, name_key) VALUES (?, ?)"


def test_write_transaction_takes_the_write_lock_at_begin(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    other = _other_writer(sqlite_url)
    try:
        with write_transaction(engine):
            # Nothing written yet: the lock comes from BEGIN IMMEDIATE.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute(_OTHER_INSERT, ("Other", "other"))
            # Readers are not blocked.
            assert other.execute("SELECT count(*) FROM countries").fetchone()[0] > 200
        other.execute(_OTHER_INSERT, ("Other", "other"))  # committed: the lock is gone
        assert count(engine, "manufacturers") == 1
    finally:
        other.close()
        engine.dispose()


def test_read_transaction_does_not_take_the_write_lock(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    other = _other_writer(sqlite_url)
    try:
        with engine.connect() as conn, conn.begin():
            # BEGIN (deferred) was sent: another connection can still write.
            other.execute(_OTHER_INSERT, ("Other", "other"))
        assert count(engine, "manufacturers") == 1
    finally:
        other.close()
        engine.dispose()


def _fill_every_table(engine: Engine, tmp_path: Path) -> None:
    """Rows in every table of the head schema (the reference tables are filled by upgrade)."""
    from provenance.evidence.custody import custody_event
    from provenance.evidence.files import sha256_of as photo_sha
    from provenance.evidence.records import add_evidence
    from provenance.evidence.store import Store
    from provenance.ingest.screening import load_list
    from provenance.ingest.screening_run import run_screening
    from provenance.models import CustodyEvent, WeaponSystem, WeaponSystemAlias, WeaponSystemUser
    from provenance.reference.manufacturers import add_alias, merge

    load_files(
        engine,
        [_findings(tmp_path)],
    )
    load_files(
        engine,
        [
            write_csv(
                tmp_path / "more.csv",
                [row(specimen="SPEC-3", component="op amp", manufacturer="Analog Devices Twin")],
            )
        ],
        options=LoadOptions(new_manufacturers=True),
    )
    add_alias(engine, "Analog Devices", "ADI")
    merge(engine, "Analog Devices", "Analog Devices Twin", "one company")
    photo = tmp_path / "photo.txt"
    photo.write_text("a photo's bytes", encoding="utf-8")
    store = Store(tmp_path / "store")
    add_evidence(engine, store, [photo], component_id=1, caption="top", by="analyst")
    custody_event(engine, store, photo_sha(photo), CustodyEvent.TRANSFERRED, actor="analyst")
    with write_transaction(engine) as conn:
        ws = conn.execute(select(WeaponSystem.id)).scalar_one()
        conn.execute(
            insert(WeaponSystemAlias).values(weapon_system_id=ws, alias="Iskander-E", alias_key="x")
        )
        conn.execute(insert(WeaponSystemUser).values(weapon_system_id=ws, country_code="RU"))
    listed = tmp_path / "targets.simple.csv"
    listed.write_text("id,schema,name,countries\nNK-ublox,Company,U-BLOX AG,ch\n", "utf-8")
    load_list(engine, listed)
    run_screening(engine)
    from provenance.ingest.customs import load_customs
    from provenance.ingest.customs_match import match_customs, review_link
    from provenance.models import CustomsLinkStatus

    shipments = tmp_path / "customs.csv"
    shipments.write_text(
        "date,hs_code,brand,origin_country,value,currency,quantity,record_id\n"
        "2023-03,8504.40.00,XP Power Ltd,UK,1200.50,USD,10,C-1\n",
        "utf-8",
    )
    load_customs(engine, shipments)
    match_customs(engine, "hs-brand")
    review_link(engine, 1, CustomsLinkStatus.ACCEPTED, "analyst", "made-up")
    _fill_chain(engine, tmp_path)


def _fill_chain(engine: Engine, tmp_path: Path) -> None:
    """Parties (with an alias and an identifier), a transfer and an answered trace request."""
    import datetime as dt

    from provenance.chain.parties import PartySpec, add_party
    from provenance.chain.trace import NamedStep, TraceSpec, add_request, answer_request
    from provenance.chain.transfers import load_transfers

    add_party(
        engine, PartySpec("Arrow Electronics", aliases=["Arrow"], identifiers=[("lei", "X1")])
    )
    add_party(engine, PartySpec("Hongda Trading", country="CN"))
    steps = tmp_path / "transfers.csv"
    steps.write_text(
        "component_id,from_party,to_party,date,source_publisher,source_title\n"
        "1,Arrow,Hongda Trading,2022-06,CAR,Dispatch\n",
        "utf-8",
    )
    load_transfers(engine, steps)
    request = add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arrow", components=[1]))
    answer_request(
        engine, request, dt.date(2024, 5, 1), "sold to Hongda", steps=[NamedStep("Hongda Trading")]
    )


def test_every_step_down_and_up_keeps_the_data_of_every_table(
    empty_engine: Engine, tmp_path: Path
) -> None:
    """With a row in every table: each revision down and up again keeps every row of the tables
    that the lower revision has, and the views are back after each step."""
    install.upgrade(empty_engine)
    _fill_every_table(empty_engine, tmp_path)
    before = dump(empty_engine)
    empty = sorted(name for name, rows in before.items() if not rows)
    assert empty == [], f"tables without rows: {empty}"
    revisions = [s.revision for s in _revisions()]
    views = set(all_view_names())
    for lower in reversed(revisions[:-1]):
        migrate.downgrade(empty_engine, lower)
        insp = inspect(empty_engine)
        # What the lower revision can hold: its tables, their columns (a column added later, like
        # an alias's kind, goes when its revision is undone).
        kept = {
            name: {c["name"] for c in insp.get_columns(name)}
            for name in insp.get_table_names()
            if name != "alembic_version"
        }
        assert kept, lower
        install.upgrade(empty_engine)
        after = dump(empty_engine)
        for name, columns in kept.items():
            names = [c.name for c in Base.metadata.tables[name].columns]
            keep = [i for i, c in enumerate(names) if c in columns]
            old_rows = sorted([tuple(r[i] for i in keep) for r in before[name]], key=repr)
            new_rows = sorted([tuple(r[i] for i in keep) for r in after[name]], key=repr)
            assert new_rows == old_rows, f"{name} changed by down to {lower} and up"
        assert views <= set(inspect(empty_engine).get_view_names()), lower
        with empty_engine.connect() as conn:
            for view in sorted(views):  # each view still answers
                conn.execute(select(func.count()).select_from(sql_table(view))).scalar_one()
        before = after
