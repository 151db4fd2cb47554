"""`provenance db grant-readonly`: a PostgreSQL role for BI tools that can read and nothing else.

Each test logs in as the role it made (the test server trusts local connections, so no password
is needed to log in; the password is checked in the catalogue) and shows that SELECT on the views
works while SELECT on the tables (without --tables), INSERT, UPDATE, DELETE and DDL fail, and that
the database is unchanged. Roles are cluster-wide: each gets a unique name and is dropped after
the test (DROP OWNED BY in every database it was granted something in, then DROP ROLE).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, func, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from provenance import migrate, views
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine
from provenance.reference import install
from tests import bi_data
from tests.conftest import PG_ENV, empty_postgres, scratch_postgres_database
from tests.helpers import dump

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-Pw-for-the-test"


def _invoke(args: list[str], code: int = 0, env: dict[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(
        cli, args, env={ENV_VAR: None, **(env or {})}, prog_name="provenance"
    )
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output
    return result


@dataclass
class Role:
    name: str
    databases: list[str] = field(default_factory=list)  # URLs it may hold privileges in

    def url(self, database_url: str) -> str:
        return (
            make_url(database_url)
            .set(username=self.name, password=None)
            .render_as_string(hide_password=False)
        )


def _drop_role(server: str, role: Role) -> None:
    from psycopg import sql

    for url in [*role.databases, server]:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                exists = raw.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", [role.name]
                ).fetchone()
                if exists:
                    raw.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role.name)))
        except OperationalError:
            pass  # that database is gone already, and the role's privileges with it
        finally:
            engine.dispose()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role.name)))
    finally:
        admin.dispose()


@pytest.fixture
def role(postgres_url: str) -> Iterator[Role]:
    made = Role(f"provenance_ro_{uuid.uuid4().hex[:10]}", [postgres_url])
    yield made
    _drop_role(os.environ[PG_ENV], made)


@pytest.fixture
def scratch_engine(role: Role) -> Iterator[Engine]:
    """A database of its own (migrations go down and up there), dropped before the role."""
    with scratch_postgres_database(os.environ[PG_ENV]) as url:
        role.databases.append(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def loaded_pg(postgres_url: str, tmp_path: Path) -> Iterator[Engine]:
    empty_postgres(postgres_url)
    engine = make_engine(postgres_url)
    bi_data.load(engine, tmp_path)
    yield engine
    engine.dispose()


def _grant(role: Role, url: str, *extra: str, env: dict[str, str | None] | None = None) -> str:
    return _invoke(["db", "grant-readonly", role.name, "--db", url, *extra], env=env).output


def _fails(engine: Engine, statement: str, *, read_write: bool = False) -> str:
    """Run ``statement`` as the role; return the database's error message."""
    with engine.connect() as conn:
        if read_write:  # the role may switch its transactions to read-write; privileges hold
            conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
            conn.commit()
        with pytest.raises(DBAPIError) as caught:
            conn.exec_driver_sql(statement)
        conn.rollback()
    return str(caught.value.orig)


_WRITES = [
    "INSERT INTO manufacturers (name, name_key) VALUES ('X', 'x')",
    "UPDATE manufacturers SET name = 'X'",
    "DELETE FROM citations",
    "TRUNCATE citations",
    "DELETE FROM v_sources",
    "CREATE TABLE stolen (a integer)",
    "CREATE VIEW v_mine AS SELECT 1 AS a",
    "DROP VIEW v_components",
    "ALTER TABLE manufacturers ADD COLUMN x integer",
    "GRANT SELECT ON components TO PUBLIC",
]


#: What PostgreSQL says when it refuses one of _WRITES to the role.
_REFUSALS = (
    "read-only transaction",
    "permission denied",
    "must be owner",
    "cannot delete from view",
)


def _view_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in views.view_names()
        }


def test_the_role_reads_the_views_and_nothing_else(
    loaded_pg: Engine, postgres_url: str, role: Role
) -> None:
    before = dump(loaded_pg)
    output = _grant(role, postgres_url, "--password-env", "RO_PW", env={"RO_PW": PASSWORD})
    assert f"role {role.name} created with a password" in output
    assert "statement timeout 60 s" in output

    with loaded_pg.connect() as conn:
        stored = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role.name}
        ).scalar_one()
    assert stored.startswith("SCRAM-SHA-256$")  # hashed by the client, not sent in clear

    reader = create_engine(role.url(postgres_url))
    try:
        assert _view_counts(reader) == _view_counts(loaded_pg)
        assert _view_counts(reader)["v_components"] == 7
        with reader.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1min"
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        assert "permission denied" in _fails(reader, "SELECT * FROM components")
        assert "permission denied" in _fails(reader, "SELECT * FROM alembic_version")
        for statement in _WRITES:
            for read_write in (False, True):
                message = _fails(reader, statement, read_write=read_write)
                assert any(r in message for r in _REFUSALS), (statement, message)
                if read_write:  # the privileges alone refuse it
                    assert "read-only transaction" not in message, (statement, message)
    finally:
        reader.dispose()
    assert dump(loaded_pg) == before


def test_with_tables_and_again_without(loaded_pg: Engine, postgres_url: str, role: Role) -> None:
    output = _grant(role, postgres_url, "--tables", "--statement-timeout", "5")
    assert "SELECT the views and the tables" in output
    reader = create_engine(role.url(postgres_url))
    try:
        with reader.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM components").scalar() == 7
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
        assert "permission denied" in _fails(
            reader, "INSERT INTO chpl_lists (version) VALUES ('x')", read_write=True
        )
        # Again without --tables: the grants narrow back to the views.
        output = _grant(role, postgres_url)
        assert f"role {role.name} updated" in output
        assert "permission denied" in _fails(reader, "SELECT * FROM components")
        # CAR, DIU, the NGO and the trace reply bi_data adds
        assert _view_counts(reader)["v_sources"] == 4
    finally:
        reader.dispose()


def test_views_created_later_are_readable(scratch_engine: Engine, role: Role) -> None:
    """Default privileges: views that migrations drop and create again stay readable."""
    empty_engine = scratch_engine
    url = empty_engine.url.render_as_string(hide_password=False)
    install.upgrade(empty_engine)
    _grant(role, url)
    reader = create_engine(role.url(url))
    try:
        assert _view_counts(reader) == dict.fromkeys(views.view_names(), 0)
        migrate.downgrade(empty_engine, "0003")
        install.upgrade(empty_engine)
        assert _view_counts(reader) == dict.fromkeys(views.view_names(), 0)
    finally:
        reader.dispose()


def test_views_dropped_grants_again_without_default_privileges(
    scratch_engine: Engine, role: Role
) -> None:
    """A migration run by another role than the one with default privileges: the migration
    helper grants again what was granted on the views."""
    empty_engine = scratch_engine
    url = empty_engine.url.render_as_string(hide_password=False)
    install.upgrade(empty_engine)
    _grant(role, url)
    from psycopg import sql

    with empty_engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM {}"
            ).format(sql.Identifier(role.name))
        )
        with views.views_dropped(conn, recreate=views.CURRENT_VERSION):
            conn.exec_driver_sql("ALTER TABLE components ALTER COLUMN part_number TYPE text")
    reader = create_engine(role.url(url))
    try:
        assert _view_counts(reader)["v_components"] == 0
    finally:
        reader.dispose()


def test_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = _invoke(["db", "grant-readonly", "someone", "--db", url], code=1)
    assert result.output.startswith("Error: grant-readonly needs PostgreSQL")


def test_refusals(postgres_url: str, role: Role) -> None:
    result = _invoke(
        ["db", "grant-readonly", role.name, "--db", postgres_url, "--password-env", "NOT_SET_X"],
        code=1,
        env={"NOT_SET_X": None},
    )
    assert "the environment variable NOT_SET_X is not set" in result.output

    me = make_url(postgres_url).username or "postgres"
    result = _invoke(["db", "grant-readonly", me, "--db", postgres_url], code=1)
    assert "is the role you are connected as" in result.output

    result = _invoke(["db", "grant-readonly", "pg_mine", "--db", postgres_url], code=1)
    assert "reserved by PostgreSQL" in result.output

    from psycopg import sql

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(role.name)))
    finally:
        admin.dispose()
    result = _invoke(["db", "grant-readonly", role.name, "--db", postgres_url], code=1)
    assert "exists with more than read access (CREATEDB)" in result.output


def test_a_role_name_is_an_identifier_not_sql(postgres_url: str, role: Role) -> None:
    """A name with quotes and spaces is just a name."""
    role.name = f'ro "x"; DROP TABLE citations; --{uuid.uuid4().hex[:6]}'
    empty_postgres(postgres_url)
    output = _grant(role, postgres_url)
    assert "created" in output
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            names = conn.exec_driver_sql(
                "SELECT rolname FROM pg_roles WHERE rolname = %(r)s", {"r": role.name}
            ).scalars()
            assert list(names) == [role.name]
            assert conn.exec_driver_sql("SELECT count(*) FROM citations").scalar() == 0
    finally:
        engine.dispose()
