"""A read-only PostgreSQL role for BI tools and colleagues: ``provenance db grant-readonly``.

The role can log in, connect to this database, use its schema and SELECT the views (with
``tables=True`` also the tables): no superuser, CREATEDB, CREATEROLE, replication or
row-security bypass, no membership of other roles, read-only transactions by default and a
statement timeout (both set for this database only: defaults, which the role itself can change
with SET; its privileges are what stop it writing). Run by a superuser, it also revokes EXECUTE
on the functions that create large objects from PUBLIC in this database (provenance stores
none) and sets a ``temp_file_limit`` the role cannot lift. PUBLIC's CONNECT on the server's
other databases is theirs to change: the summary's notes name them.

Views recreated later: migrations drop and create views, and PostgreSQL drops the grants with
them. The role therefore also gets default privileges: SELECT on every table or view that the
role running this command (the one that runs migrations) creates later in the schema. Nothing is
stored in provenance's own tables. PostgreSQL's default privileges cannot tell views from tables:
a table a later migration creates becomes readable too; running the command again narrows the
grants back to the views.

Role names and passwords only reach SQL through ``psycopg.sql.Identifier``/``Literal``; the
password is hashed (SCRAM-SHA-256) on the client, so the server and its logs never see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from provenance.db import write_transaction
from provenance.errors import RoleError
from provenance.migrate import ensure_current
from provenance.views import view_names

DEFAULT_STATEMENT_TIMEOUT_S = 60
_MAX_NAME_BYTES = 63
_UNSAFE_ATTRIBUTES = {
    "rolsuper": "superuser",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


@dataclass
class GrantSummary:
    role: str
    database: str
    schema: str
    created: bool
    password_set: bool
    views: list[str]
    tables: bool
    statement_timeout_s: int
    default_privileges_for: str  # the role whose future tables and views the role may read
    notes: list[str] = field(default_factory=list)


#: The functions that create large objects: granted to PUBLIC by PostgreSQL, so that any role,
#: this one too, could store data of any size with ``BEGIN READ WRITE; SELECT lo_from_bytea``.
LARGE_OBJECT_CREATORS = (
    "lo_creat(integer)",
    "lo_create(oid)",
    "lo_from_bytea(oid,bytea)",
    "lo_import(text)",
    "lo_import(text,oid)",
)
#: The most temporary-file space one of the role's sessions may fill (a setting only a
#: superuser can change, so the role cannot lift it).
TEMP_FILE_LIMIT = "1GB"


def _harden(raw: Any, role: str, ident: Any, db_ident: Any, database: str) -> list[str]:
    """What a superuser can add: no large objects in this database, a temporary-file limit
    the role cannot lift. Each in a savepoint: without the privilege, a note says what to ask
    an administrator for. Then notes on what the role can still do (docs/bi.md)."""
    import psycopg
    from psycopg import sql

    notes: list[str] = []
    functions = sql.SQL(", ").join(sql.SQL(f) for f in LARGE_OBJECT_CREATORS)
    steps = [
        (
            sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(functions),
            "could not revoke EXECUTE on the large-object functions from PUBLIC (it takes a "
            f"superuser): the role can store large objects; a superuser can run: REVOKE "
            f"EXECUTE ON FUNCTION {', '.join(LARGE_OBJECT_CREATORS)} FROM PUBLIC",
        ),
        (
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET temp_file_limit = {}").format(
                ident, db_ident, sql.Literal(TEMP_FILE_LIMIT)
            ),
            "could not set temp_file_limit for the role (it takes a superuser): its sorts "
            "and hashes may fill the server's disk",
        ),
    ]
    for statement, note in steps:
        try:
            with raw.transaction():  # a savepoint
                raw.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            notes.append(note)
    others = [
        name
        for (name,) in raw.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND datname <> %s"
            " AND has_database_privilege(%s, datname, 'CONNECT') ORDER BY 1",
            [database, role],
        ).fetchall()
    ]
    if others:
        notes.append(
            f"the role can also connect to {', '.join(others)} (PUBLIC has CONNECT there, "
            "PostgreSQL's default): to stop it, REVOKE CONNECT ON DATABASE ... FROM PUBLIC "
            f"there, or give it a 'reject' line in pg_hba.conf for every other database"
        )
    return notes


def _check_name(role: str) -> None:
    if not role or not role.strip():
        raise RoleError("the role name is empty")
    if len(role.encode("utf-8")) > _MAX_NAME_BYTES:
        raise RoleError(f"the role name is longer than {_MAX_NAME_BYTES} bytes: {role!r}")
    if role.lower().startswith("pg_"):
        raise RoleError(f"role names starting with pg_ are reserved by PostgreSQL: {role!r}")
    if role.upper() == "PUBLIC":
        raise RoleError("PUBLIC is not a role: choose a name for the read-only role")


def grant_readonly(
    engine: Engine,
    role: str,
    *,
    password: str | None = None,
    tables: bool = False,
    statement_timeout_s: int = DEFAULT_STATEMENT_TIMEOUT_S,
) -> GrantSummary:
    """Create ``role`` if needed and give it read access to the views (and the tables).

    Running it again updates the password (when given) and sets the grants to exactly what it
    asks for: without ``tables``, SELECT on the tables is revoked again.
    """
    if engine.dialect.name != "postgresql":
        raise RoleError(
            "grant-readonly needs PostgreSQL (--db postgresql+psycopg://...); "
            "a SQLite file is shared read-only by handing out a copy (provenance export) "
            "or with `provenance query`, which opens it read-only"
        )
    _check_name(role)
    if statement_timeout_s < 1:
        raise RoleError("the statement timeout must be at least 1 second")
    ensure_current(engine)
    with write_transaction(engine) as conn:
        return _grant(conn, role, password, tables, statement_timeout_s)


# Long on purpose: the role's privileges are one ordered sequence of statements in one
# transaction, read top to bottom as the security review reads them.
def _grant(
    conn: Connection, role: str, password: str | None, tables: bool, timeout_s: int
) -> GrantSummary:
    import psycopg
    from psycopg import sql

    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise RoleError(
            "grant-readonly uses the psycopg 3 driver: --db postgresql+psycopg://user@host/dbname"
        )
    me, database, schema = conn.exec_driver_sql(
        "SELECT current_user, current_database(), current_schema()"
    ).one()
    if role == me:
        raise RoleError(f"{role!r} is the role you are connected as: choose another name")
    found = conn.exec_driver_sql(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = %(role)s",
        {"role": role},
    ).one_or_none()
    if found is not None:
        unsafe = [
            label for (_, label), on in zip(_UNSAFE_ATTRIBUTES.items(), found, strict=True) if on
        ]
        if unsafe:
            raise RoleError(
                f"role {role!r} exists with more than read access ({', '.join(unsafe)}): "
                "choose another name"
            )
        member_of = list(
            conn.exec_driver_sql(
                "SELECT g.rolname FROM pg_auth_members am"
                " JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles r ON r.oid = am.member"
                " WHERE r.rolname = %(role)s ORDER BY 1",
                {"role": role},
            ).scalars()
        )
        if member_of:
            raise RoleError(
                f"role {role!r} exists and is a member of {', '.join(member_of)}, whose "
                "privileges it may use: choose another name"
            )

    ident = sql.Identifier(role)
    attributes = sql.SQL(
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
    )
    statements: list[sql.Composed] = []
    verb = sql.SQL("CREATE ROLE" if found is None else "ALTER ROLE")
    if password is not None:
        # Hashed here (libpq's PQencryptPasswordConn): the server never sees the password.
        verifier = raw.pgconn.encrypt_password(
            password.encode("utf-8"), role.encode("utf-8"), b"scram-sha-256"
        ).decode("ascii")
        statements.append(
            sql.SQL("{} {} {} PASSWORD {}").format(verb, ident, attributes, sql.Literal(verifier))
        )
    else:
        statements.append(sql.SQL("{} {} {}").format(verb, ident, attributes))
    db_ident, schema_ident = sql.Identifier(database), sql.Identifier(schema)
    statements += [
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(
            ident, db_ident
        ),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET statement_timeout = {}").format(
            ident, db_ident, sql.Literal(f"{timeout_s}s")
        ),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db_ident, ident),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident),
        # Start from nothing, so that running the command again narrows the grants.
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_ident, ident),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema_ident, ident),
    ]
    names = view_names()
    statements += [
        sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(schema, name), ident)
        for name in names
    ]
    if tables:
        statements.append(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema_ident, ident)
        )
    statements.append(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
        ).format(sql.Identifier(me), schema_ident, ident)
    )
    try:
        for statement in statements:
            raw.execute(statement)
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RoleError(f"cannot set up the read-only role {role!r}: {message}") from exc
    notes = _harden(raw, role, ident, db_ident, database)
    can_create = conn.exec_driver_sql(
        "SELECT has_schema_privilege(%(role)s, %(schema)s, 'CREATE')",
        {"role": role, "schema": schema},
    ).scalar()
    if can_create:
        notes.append(
            f"every role may create objects in schema {schema} (PUBLIC has CREATE there, the "
            "default before PostgreSQL 15): an administrator can stop that with "
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"
        )
    if not tables:
        notes.append(
            "tables that migrations create later become readable through the default "
            "privileges too; run this command again after an upgrade to narrow the grants"
        )
    return GrantSummary(
        role=role,
        database=database,
        schema=schema,
        created=found is None,
        password_set=password is not None,
        views=names,
        tables=tables,
        statement_timeout_s=timeout_s,
        default_privileges_for=me,
        notes=notes,
    )
