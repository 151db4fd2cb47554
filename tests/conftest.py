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

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

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
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    """Delete every finding, keeping the schema and the reference tables."""
    engine = make_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in _REFERENCE_TABLES]
    with engine.begin() as conn:
        conn.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
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
