"""Shared fixtures: a migrated database on SQLite and, when the server is given, on PostgreSQL.

Every test that takes ``engine`` runs twice: on a SQLite file in its own temporary folder, and on
PostgreSQL (a database created for this test session, emptied before each test). The PostgreSQL
runs are skipped unless $PROVENANCE_TEST_POSTGRES_URL names a server, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test (the database there is only used to create and
drop the session's own database).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    CompoundSelect,
    Engine,
    Table,
    create_engine,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from provenance.db import make_engine
from provenance.models import Base
from provenance.reference import install

PG_ENV = "PROVENANCE_TEST_POSTGRES_URL"
# Reference tables that migrations and `init` fill: kept between tests.
_REFERENCE_TABLES = {"countries", "country_aliases"}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    install.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test session, migrated to head."""
    server = os.environ.get(PG_ENV)
    if not server:
        if os.environ.get("PROVENANCE_REQUIRE_POSTGRES"):
            pytest.fail(f"PROVENANCE_REQUIRE_POSTGRES is set but ${PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need ${PG_ENV}")
    name = f"provenance_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # name made above, not user input
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    install.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        _drop_cleaner(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# One engine per session database for emptying it between tests (a new engine, and so a new
# connection, for each test cost more than the emptying itself).
_CLEANERS: dict[str, Engine] = {}

# The tables whose serial/identity sequence has handed out a number since it was created or last
# restarted: a rolled-back insert leaves the table empty but the sequence moved on.
_MOVED_SEQUENCES = """
FROM pg_class AS s
JOIN pg_depend AS d
  ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class AS t ON t.oid = d.refobjid
JOIN pg_namespace AS n ON n.oid = s.relnamespace
JOIN pg_sequences AS ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname
WHERE s.relkind = 'S' AND n.nspname = current_schema() AND ps.last_value IS NOT NULL
"""


def _emptied_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in _REFERENCE_TABLES]


# A table with at least this many rows is truncated rather than deleted from: DELETE costs per
# row, TRUNCATE about 25 ms a table (new files for the table and its indexes) whatever its size.
_DELETE_AT_MOST = 1000


def _row_counts(tables: list[Table]) -> CompoundSelect[Any]:
    """(name, rows up to _DELETE_AT_MOST) of each table that holds a row."""
    return union_all(
        *(
            select(
                literal(t.name),
                select(func.count())
                .select_from(select(literal(1)).select_from(t).limit(_DELETE_AT_MOST).subquery())
                .scalar_subquery(),
            ).where(exists(select(literal(1)).select_from(t)))
            for t in tables
        )
    )


def empty_postgres(url: str) -> None:
    """Delete every finding, keeping the schema and the reference tables.

    Same end state as ``TRUNCATE`` of every table but the reference ones ``RESTART IDENTITY``,
    for less: only the tables that hold rows are emptied, small ones with DELETE (children
    first), large ones with TRUNCATE, and only the sequences that moved are restarted. Should a
    DELETE be refused (``custody_events`` refuses it by trigger) or leave rows, the tables are
    truncated instead.
    """
    engine = _CLEANERS.get(url)
    if engine is None:
        engine = _CLEANERS[url] = make_engine(url)
    tables = _emptied_tables()
    with engine.begin() as conn:
        rows: dict[str, int] = {name: n for name, n in conn.execute(_row_counts(tables))}
        moved = set(conn.execute(text("SELECT t.relname" + _MOVED_SEQUENCES)).scalars())
        big = [t.name for t in tables if rows.get(t.name, 0) >= _DELETE_AT_MOST]
        if big:
            conn.execute(text(f"TRUNCATE {_names(big)} CASCADE"))  # children of big ones too
        small = [t for t in reversed(tables) if t.name in rows and t.name not in big]
        if small:
            try:
                with conn.begin_nested():
                    for t in small:
                        conn.execute(delete(t))
                    left = {name for name, _ in conn.execute(_row_counts(tables))}
                    if left:
                        raise _RowsLeft(left)
            except (DBAPIError, _RowsLeft):
                conn.execute(text(f"TRUNCATE {_names([t.name for t in small])} CASCADE"))
        restart = [t.name for t in tables if t.name in moved]  # as RESTART IDENTITY would
        if restart:
            conn.execute(
                text(
                    "SELECT setval(s.oid::regclass, ps.start_value, false)"
                    + _MOVED_SEQUENCES
                    + " AND t.relname = ANY(:names)"
                ),
                {"names": restart},
            )


class _RowsLeft(Exception):
    """DELETE left rows (a trigger put them back or elsewhere)."""


def _names(tables: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in tables)  # names from the models, not user input


def _drop_cleaner(url: str) -> None:
    engine = _CLEANERS.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of a migrated, empty database (reference tables filled), on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "provenance.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@contextmanager
def scratch_postgres_database(server: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of the URL ``server``, dropped afterwards."""
    from psycopg import sql  # only needed when a PostgreSQL server is given

    name = f"provenance_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database without any schema, on each backend; for migration tests.

    On PostgreSQL each test gets its own database (dropped afterwards), so tests may change the
    schema or the revision without disturbing the session database behind ``db_url``.
    """
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        path.touch()  # an empty SQLite database is an empty file
        yield f"sqlite:///{path}"
        return
    server = os.environ.get(PG_ENV)
    if not server:
        if os.environ.get("PROVENANCE_REQUIRE_POSTGRES"):
            pytest.fail(f"PROVENANCE_REQUIRE_POSTGRES is set but ${PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need ${PG_ENV}")
    with scratch_postgres_database(server) as url:
        yield url


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    """An engine (from ``make_engine``) on a new database without any schema, on each backend."""
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()
