"""Running one read-only SQL statement that a user typed: ``provenance query "SELECT ..."``.

Three layers, so that no write gets through even if one of them misjudges a statement:

1. The text: exactly one statement, starting with SELECT, WITH or VALUES, and no write keyword
   (INSERT, UPDATE, DELETE, DROP, ATTACH, PRAGMA, ...) outside strings, quoted names and comments.
2. The connection: on SQLite the file is opened read-only (``mode=ro``) with
   ``PRAGMA query_only=ON`` and an authorizer that only lets reads through (no ATTACH: a
   read-only connection could still create a new database file by attaching it); on PostgreSQL
   the statement runs inside a ``READ ONLY`` transaction that is always rolled back, as a
   prepared statement (which cannot hold two statements), with a ``statement_timeout``.
3. The database's own privileges: for a shared server, give people a role made by
   ``provenance db grant-readonly``.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from provenance.errors import QueryError, QueryRefusedError
from provenance.migrate import ensure_current, sqlite_file

DEFAULT_TIMEOUT_S = 30.0
_ALLOWED_FIRST = {"SELECT", "WITH", "VALUES"}
#: Words that let a statement starting with SELECT/WITH/VALUES write: data-modifying CTEs
#: (PostgreSQL's WITH x AS (DELETE ...), SQLite's WITH ... INSERT), SELECT ... INTO a new table,
#: SELECT ... FOR UPDATE. Anything else that writes starts a statement of its own, which the
#: first-word and one-statement checks refuse.
WRITE_KEYWORDS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "INTO",
        "TRUNCATE",
        "CREATE",
        "DROP",
        "ALTER",
        "GRANT",
        "REVOKE",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "VACUUM",
        "REINDEX",
        "COPY",
    }
)
REFUSED = QueryRefusedError.REFUSED


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


# --- layer 1: the text -------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass
class _Lexed:
    statements: list[list[str]]  # per statement: its bare words, upper-cased, in order
    first_tokens: list[str]  # per statement: its first token ("(" or a word), upper-cased


# A character-level state machine (strings, quoted names, comments, dollar quotes): one loop
# reads best as one function.
def _lex(text: str, dialect: str) -> _Lexed:  # noqa: C901
    """Split ``text`` into statements and bare words, skipping strings, quoted names, comments."""
    statements: list[list[str]] = [[]]
    firsts: list[str] = [""]
    i, n = 0, len(text)

    def skip_to(end: str, start: int, what: str) -> int:
        found = text.find(end, start)
        if found < 0:
            raise QueryRefusedError(f"unterminated {what}")
        return found + len(end)

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch.isspace():
            i += 1
        elif ch == "-" and nxt == "-":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "/" and nxt == "*":
            depth, i = 1, i + 2  # PostgreSQL nests block comments
            while depth:
                if i >= n:
                    raise QueryRefusedError("unterminated /* comment")
                if text.startswith("/*", i) and dialect == "postgresql":
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif ch == "'":
            i = _skip_quoted(text, i, "'", backslash=False)
        elif ch in "eE" and nxt == "'" and dialect == "postgresql":
            i = _skip_quoted(text, i + 1, "'", backslash=True)
        elif ch == '"':
            i = _skip_quoted(text, i, '"', backslash=False)
        elif ch == "`" and dialect == "sqlite":
            i = _skip_quoted(text, i, "`", backslash=False)
        elif ch == "[" and dialect == "sqlite":
            i = skip_to("]", i + 1, "[quoted name]")
        elif ch == "$" and dialect == "postgresql" and (tag := _DOLLAR_TAG.match(text, i)):
            i = skip_to(tag.group(0), tag.end(), "$-quoted string")
        elif ch == ";":
            statements.append([])
            firsts.append("")
            i += 1
        elif word := _WORD.match(text, i):
            upper = word.group(0).upper()
            statements[-1].append(upper)
            if not firsts[-1]:
                firsts[-1] = upper
            i = word.end()
        else:
            if not firsts[-1]:
                firsts[-1] = ch
            i += 1
    kept = [(words, first) for words, first in zip(statements, firsts, strict=True) if first]
    return _Lexed([w for w, _ in kept], [f for _, f in kept])


def _skip_quoted(text: str, start: int, quote: str, backslash: bool) -> int:
    i = start + 1
    while i < len(text):
        ch = text[i]
        if backslash and ch == "\\":
            i += 2
        elif ch == quote:
            if text.startswith(quote * 2, i):
                i += 2  # a doubled quote stands for itself
            else:
                return i + 1
        else:
            i += 1
    raise QueryRefusedError("unterminated string or quoted name")


def check_statement(text: str, dialect: str = "sqlite") -> None:
    """Refuse anything but one read-only SELECT (``QueryRefusedError`` says why)."""
    lexed = _lex(text, dialect)
    if not lexed.statements:
        raise QueryRefusedError("the statement is empty")
    if len(lexed.statements) > 1:
        raise QueryRefusedError(f"found {len(lexed.statements)} statements")
    words, first = lexed.statements[0], lexed.first_tokens[0]
    leading = next((w for w in words if w), "")
    if first not in _ALLOWED_FIRST and not (first == "(" and leading in _ALLOWED_FIRST):
        raise QueryRefusedError(f"it starts with {first!r}, not SELECT, WITH or VALUES")
    writes = sorted({w for w in words if w in WRITE_KEYWORDS})
    if writes:
        raise QueryRefusedError(f"found {', '.join(writes)}")


# --- layers 2 and 3: the connection ---------------------------------------------------------


def run_query(engine: Engine, text: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Run one read-only statement and return its columns and rows."""
    check_statement(text, engine.dialect.name)
    path = sqlite_file(engine)
    if path is None or path.exists():  # a missing file gets its own message below
        ensure_current(engine)  # the views and columns a query names are those of the head
    return execute_readonly(engine, text, timeout_s)


def execute_readonly(
    engine: Engine, text: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> QueryResult:
    """Run ``text`` on a read-only connection, without the text check of ``run_query``.

    The connection refuses writes by itself; tests call this to show that it does.
    """
    if engine.dialect.name == "sqlite":
        return _sqlite(engine, text, timeout_s)
    if engine.dialect.name == "postgresql":
        return _postgresql(engine, text, timeout_s)
    raise QueryError(f"query supports SQLite and PostgreSQL, not {engine.dialect.name}")


# SQLite's authorizer action codes that a read needs. SQLITE_UPDATE on the schema table is what
# the pragma table-valued functions (pragma_table_info(...)) ask for while reading the schema.
_SQLITE_READS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, 33}
_SQLITE_SCHEMA_TABLES = {"sqlite_master", "sqlite_schema", "sqlite_temp_master"}
#: Pragmas that only report (reachable as table-valued functions inside a SELECT).
_SQLITE_READ_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "database_list",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
}


def _sqlite_authorizer(
    action: int, arg1: str | None, _arg2: str | None, _db: str | None, _source: str | None
) -> int:
    if action in _SQLITE_READS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in _SQLITE_READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 in _SQLITE_SCHEMA_TABLES:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


#: What SQLite says when the authorizer, query_only or mode=ro stop a statement.
_SQLITE_REFUSALS = ("not authorized", "authorization denied", "readonly", "read-only")


def _sqlite_path(engine: Engine) -> Path:
    path = sqlite_file(engine)
    if path is None:
        raise QueryError("query needs a SQLite database file, e.g. --db sqlite:///findings.db")
    if not path.is_file():
        raise QueryError(f"no such database file: {path}")
    return path.resolve()


def _sqlite(engine: Engine, text: str, timeout_s: float) -> QueryResult:
    path = _sqlite_path(engine)
    deadline = time.monotonic() + timeout_s
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise QueryError(f"cannot open {path} read-only: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.set_authorizer(_sqlite_authorizer)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(text)
            rows = [tuple(r) for r in cursor.fetchall()]
        except sqlite3.ProgrammingError as exc:  # e.g. "You can only execute one statement ..."
            raise QueryRefusedError(f"the database refused it: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            message = str(exc)
            if message == "interrupted":
                raise QueryError(
                    f"the query ran longer than {timeout_s:g} s and was stopped"
                ) from exc
            if any(word in message for word in _SQLITE_REFUSALS):
                raise QueryRefusedError(f"the database refused it: {message}") from exc
            raise QueryError(f"the query failed: {message}") from exc
        columns = [d[0] for d in cursor.description or ()]
        return QueryResult(columns, rows)
    finally:
        conn.close()


_PSYCOPG_ONLY = (
    "on PostgreSQL, use the psycopg 3 driver: --db postgresql+psycopg://user@host/dbname"
)


def _postgresql(engine: Engine, text: str, timeout_s: float) -> QueryResult:
    import psycopg  # PostgreSQL only, an optional dependency

    timeout_ms = max(1, round(timeout_s * 1000))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if not isinstance(raw, psycopg.Connection):
            raise QueryError(_PSYCOPG_ONLY)
        raw.rollback()  # start from a clean slate: READ ONLY comes first in the transaction
        try:
            with raw.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)]
                )
                # Prepared: the extended protocol takes one statement only (a "; COMMIT; ..."
                # cannot end the read-only transaction).
                cursor.execute(text, prepare=True)
                columns = [d.name for d in cursor.description or ()]
                rows = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if state == "25006":  # read_only_sql_transaction
                raise QueryRefusedError(f"the database refused it: {message}") from exc
            if state == "57014":  # query_canceled: the statement timeout
                raise QueryError(
                    f"the query ran longer than {timeout_s:g} s and was stopped"
                ) from exc
            if state == "42601" and "multiple commands" in message:
                raise QueryRefusedError(f"the database refused it: {message}") from exc
            raise QueryError(f"the query failed: {message}") from exc
        finally:
            raw.rollback()  # whatever happened: nothing is kept
    return QueryResult(columns, rows)
