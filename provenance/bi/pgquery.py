"""``provenance query`` on PostgreSQL: one statement, with a read-only role's privileges.

The statement runs in a transaction that is always rolled back, as one prepared statement
(the extended protocol takes one statement only), read-only, with a statement timeout, its rows
streamed and bounded (``QueryOptions``). Whose privileges it runs with:

- ``role`` given (``--role``, e.g. the BI role ``provenance db grant-readonly`` made): ``SET
  LOCAL ROLE`` to it. It must have none of superuser, CREATEROLE, CREATEDB, REPLICATION or
  BYPASSRLS, and the connecting user must be allowed to set it (a superuser, or a member).
- connected as a **superuser**, without ``role``: a role made for this statement inside the
  transaction (and so gone with its rollback), which may only use the schema and SELECT the
  views (``tables``: the tables too). Before the transaction switches to it, EXECUTE on the
  server functions that could undo the sandbox (``set_config`` changes the role back, the
  ``*_to_xml`` functions and ``ts_stat`` run SQL text, large-object, ``dblink``, file and
  signal functions) is revoked from PUBLIC, also inside the transaction: nobody else ever sees
  it, and the statement meets PostgreSQL's own privilege check even where the text check
  cannot see a call. Two such queries at once run one after the other (the revoke locks
  those functions' catalog rows until the rollback).
- any other user: that user's own privileges, read-only, with the text check's deny-list.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator
from typing import Any

from sqlalchemy import Engine

from provenance.bi.queryresult import QueryOptions, QueryResult, fetch_bounded
from provenance.errors import QueryError, QueryRefusedError
from provenance.views import view_names

__all__ = ["SANDBOX_REVOKED", "run_postgresql"]

_PSYCOPG_ONLY = (
    "on PostgreSQL, use the psycopg 3 driver: --db postgresql+psycopg://user@host/dbname"
)
#: Server functions whose EXECUTE is revoked from PUBLIC inside a superuser's query
#: transaction (regular expressions on pg_proc.proname).
SANDBOX_REVOKED = (
    r"^set_config$",
    r"^(query|cursor|table|schema|database)_to_xml",
    r"^ts_(stat|rewrite)$",
    r"^lo_",
    r"^lo(read|write)$",
    r"^dblink",
    r"^pg_(read|ls|stat_file|file_)",
    r"^pg_(terminate|cancel)_backend$",
    r"^pg_advisory",
    r"^pg_(reload_conf|rotate_logfile|switch_wal|promote|logical_emit_message)$",
)
_UNSAFE = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


def run_postgresql(engine: Engine, text: str, options: QueryOptions) -> QueryResult:
    import psycopg  # PostgreSQL only, an optional dependency

    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if not isinstance(raw, psycopg.Connection):
            raise QueryError(_PSYCOPG_ONLY)
        raw.rollback()  # start from a clean slate
        try:
            with raw.cursor() as cursor:
                _sandbox(cursor, options)
                cursor.execute("SET TRANSACTION READ ONLY")
                # Streamed: the extended protocol (one statement only; a "; COMMIT; ..."
                # cannot end the transaction), one row at a time (memory stays bounded).
                stream: Generator[Any, None, None] = cursor.stream(text)  # type: ignore[assignment]
                try:
                    rows = fetch_bounded(stream, options)
                finally:
                    stream.close()  # past a limit: cancel the rest, before the rollback
                columns = [d.name for d in cursor.description or ()]
        except psycopg.Error as exc:
            raise _error(exc, options) from exc
        finally:
            raw.rollback()  # whatever happened: nothing is kept
    return QueryResult(columns, rows)


def _sandbox(cursor: Any, options: QueryOptions) -> None:
    """Set the statement's timeout and role, before the transaction is made read-only."""
    from psycopg import sql

    timeout_ms = max(1, round(options.timeout_s * 1000))
    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)])
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(timeout_ms)])
    if options.role is not None:
        _check_role(cursor, options.role)
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(options.role)))
        return
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    found = cursor.fetchone()
    if not (found and found[0]):
        return  # a user's own privileges (docs/bi.md)
    role = f"provenance_query_{uuid.uuid4().hex[:16]}"
    ident = sql.Identifier(role)
    cursor.execute("SELECT current_schema()")
    schema = cursor.fetchone()[0]
    cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(ident))
    cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), ident))
    for name in view_names():
        cursor.execute(
            sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(schema, name), ident)
        )
    if options.tables:
        cursor.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), ident
            )
        )
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proname ~ %s ORDER BY p.oid",
        ["|".join(SANDBOX_REVOKED)],
    )
    # regprocedure's text is each function's signature, its names quoted by PostgreSQL.
    functions = [sql.SQL(signature) for (signature,) in cursor.fetchall()]
    cursor.execute(
        sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(", ").join(functions))
    )
    cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(ident))


def _check_role(cursor: Any, role: str) -> None:
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = %s",
        [role],
    )
    found = cursor.fetchone()
    if found is None:
        raise QueryError(
            f"there is no role {role!r}: make one with `provenance db grant-readonly {role}`"
        )
    unsafe = [name[3:] for name, on in zip(_UNSAFE, found, strict=True) if on]
    if unsafe:
        raise QueryError(f"role {role!r} has more than read access ({', '.join(unsafe)})")


def _error(exc: Exception, options: QueryOptions) -> QueryError:
    state = getattr(exc, "sqlstate", None)
    text = str(exc).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    if state == "25006":  # read_only_sql_transaction
        return QueryRefusedError(f"the database refused it: {message}")
    if state == "57014":  # query_canceled: the statement timeout
        return QueryError(f"the query ran longer than {options.timeout_s:g} s and was stopped")
    if state == "42501":  # insufficient_privilege
        hint = ""
        if "for table" in message and not options.tables:
            hint = " (query reads the views; --tables lets it read the tables too)"
        return QueryRefusedError(f"the database refused it: {message}{hint}")
    if state == "42601" and "multiple commands" in message:
        return QueryRefusedError(f"the database refused it: {message}")
    return QueryError(f"the query failed: {message}")
