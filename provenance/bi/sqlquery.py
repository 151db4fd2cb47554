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

from sqlalchemy import Engine

from provenance.bi.queryresult import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_S,
    QueryOptions,
    QueryResult,
    fetch_bounded,
)
from provenance.errors import QueryError, QueryRefusedError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT_S",
    "DENIED_FUNCTIONS",
    "REFUSED",
    "WRITE_KEYWORDS",
    "QueryOptions",
    "QueryResult",
    "check_statement",
    "execute_readonly",
    "fetch_bounded",
    "run_query",
]
from provenance.migrate import ensure_current, sqlite_file

#: SQLite: the longest text or blob a query may make (randomblob(4e8) took 2 GB), and the most
#: columns; with the page caches (64 MiB each, main and temp) they bound the memory a query takes.
SQLITE_MAX_VALUE = 16 << 20
SQLITE_MAX_COLUMNS = 500

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


# --- layer 1: the text -------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass
class _Lexed:
    statements: list[list[str]]  # per statement: its bare words, upper-cased, in order
    first_tokens: list[str]  # per statement: its first token ("(" or a word), upper-cased
    ends: list[int]  # per statement: where its text ends (its ';', or the end of the text)
    names: list[str]  # every quoted name ("..." or `...`), upper-cased


# A character-level state machine (strings, quoted names, comments, dollar quotes): one loop
# reads best as one function.
def _lex(text: str, dialect: str) -> _Lexed:  # noqa: C901
    """Split ``text`` into statements and bare words, skipping strings, quoted names, comments."""
    statements: list[list[str]] = [[]]
    firsts: list[str] = [""]
    ends: list[int] = []
    names: list[str] = []
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
            end = _skip_quoted(text, i, '"', backslash=False)
            names.append(text[i + 1 : end - 1].replace('""', '"').upper())
            if text[max(0, i - 2) : i].upper() == "U&" and dialect == "postgresql":
                raise QueryRefusedError('names written U&"..." (with escapes) are not allowed')
            i = end
        elif ch == "`" and dialect == "sqlite":
            end = _skip_quoted(text, i, "`", backslash=False)
            names.append(text[i + 1 : end - 1].upper())
            i = end
        elif ch == "[" and dialect == "sqlite":
            end = skip_to("]", i + 1, "[quoted name]")
            names.append(text[i + 1 : end - 1].upper())
            i = end
        elif ch == "$" and dialect == "postgresql" and (tag := _DOLLAR_TAG.match(text, i)):
            i = skip_to(tag.group(0), tag.end(), "$-quoted string")
        elif ch == ";":
            statements.append([])
            firsts.append("")
            ends.append(i)
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
    ends.append(n)
    kept = [
        (words, first, end)
        for words, first, end in zip(statements, firsts, ends, strict=True)
        if first  # "SELECT 1 ;;;" is one statement: empty ones are dropped
    ]
    return _Lexed([w for w, _, _ in kept], [f for _, f, _ in kept], [e for _, _, e in kept], names)


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


#: Server functions a query may not call, on PostgreSQL: they read or write the server's files,
#: create large objects, reach other databases, signal or reconfigure the server, change the
#: role or a setting mid-statement, or run SQL text of their own (which the text check cannot
#: see). Matched on bare and quoted names; names ending in * are prefixes.
DENIED_FUNCTIONS: dict[str, frozenset[str]] = {
    "postgresql": frozenset(
        {
            "PG_READ_*",
            "PG_LS_*",
            "PG_STAT_FILE",
            "PG_FILE_*",
            "LO_*",
            "LOREAD",
            "LOWRITE",
            "DBLINK*",
            "PG_TERMINATE_BACKEND",
            "PG_CANCEL_BACKEND",
            "PG_RELOAD_CONF",
            "PG_ROTATE_LOGFILE",
            "PG_SWITCH_WAL",
            "PG_CREATE_RESTORE_POINT",
            "PG_BACKUP_*",
            "PG_START_BACKUP",
            "PG_STOP_BACKUP",
            "PG_PROMOTE",
            "PG_WAL_REPLAY_*",
            "PG_LOG_BACKEND_MEMORY_CONTEXTS",
            "PG_LOGICAL_EMIT_MESSAGE",
            "PG_REPLICATION_*",
            "PG_CREATE_*_REPLICATION_SLOT",
            "PG_DROP_REPLICATION_SLOT",
            "PG_ADVISORY_*",
            "PG_IMPORT_SYSTEM_COLLATIONS",
            "SET_CONFIG",
            "QUERY_TO_XML*",
            "CURSOR_TO_XML*",
            "TABLE_TO_XML*",
            "SCHEMA_TO_XML*",
            "DATABASE_TO_XML*",
            "TS_STAT",
            "TS_REWRITE",
        }
    ),
    # Python's sqlite3 has no file functions; these two are off by default, refused anyway.
    "sqlite": frozenset({"LOAD_EXTENSION", "FTS3_TOKENIZER", "READFILE", "WRITEFILE", "EDIT"}),
}


def _denied(name: str, dialect: str) -> bool:
    for entry in DENIED_FUNCTIONS.get(dialect, frozenset()):
        if "*" in entry:
            head, _, tail = entry.partition("*")
            if name.startswith(head) and name.endswith(tail) and len(name) >= len(entry) - 1:
                return True
        elif name == entry:
            return True
    return False


def check_statement(text: str, dialect: str = "sqlite") -> str:
    """Refuse anything but one read-only SELECT (``QueryRefusedError`` says why); the text of
    that one statement (without a trailing ``;``)."""
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
    denied = sorted({w for w in (*words, *lexed.names) if _denied(w, dialect)})
    if denied:
        raise QueryRefusedError(
            f"it names {', '.join(w.lower() for w in denied)}, a server function that query "
            "may not call"
        )
    start = len(text) - len(text.lstrip())
    return text[start : lexed.ends[0]].rstrip()


# --- layers 2 and 3: the connection ---------------------------------------------------------


def run_query(
    engine: Engine,
    text: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    options: QueryOptions | None = None,
) -> QueryResult:
    """Run one read-only statement and return its columns and rows."""
    options = options or QueryOptions(timeout_s=timeout_s)
    statement = check_statement(text, engine.dialect.name)
    path = sqlite_file(engine)
    if path is None or path.exists():  # a missing file gets its own message below
        ensure_current(engine)  # the views and columns a query names are those of the head
    return execute_readonly(engine, statement, options=options)


def execute_readonly(
    engine: Engine,
    text: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    options: QueryOptions | None = None,
) -> QueryResult:
    """Run ``text`` on a read-only connection, without the text check of ``run_query``.

    The connection refuses writes by itself; tests call this to show that it does.
    """
    options = options or QueryOptions(timeout_s=timeout_s)
    if engine.dialect.name == "sqlite":
        return _sqlite(engine, text, options)
    if engine.dialect.name == "postgresql":
        from provenance.bi.pgquery import run_postgresql

        return run_postgresql(engine, text, options)
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
    action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None
) -> int:
    if action == sqlite3.SQLITE_FUNCTION and _denied((arg2 or "").upper(), "sqlite"):
        return sqlite3.SQLITE_DENY
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


def _sqlite(engine: Engine, text: str, options: QueryOptions) -> QueryResult:
    path = _sqlite_path(engine)
    timeout_s = options.timeout_s
    deadline = time.monotonic() + timeout_s
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise QueryError(f"cannot open {path} read-only: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB of pages
        conn.execute("PRAGMA temp.cache_size=-65536")
        conn.execute("PRAGMA temp_store=FILE")  # sorts and DISTINCT past the cache go to disk
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_VALUE)
        conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, SQLITE_MAX_COLUMNS)
        conn.set_authorizer(_sqlite_authorizer)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(text)
            rows = fetch_bounded(cursor, options)
        except sqlite3.ProgrammingError as exc:  # e.g. "You can only execute one statement ..."
            raise QueryRefusedError(f"the database refused it: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            message = str(exc)
            if message == "interrupted":
                raise QueryError(
                    f"the query ran longer than {timeout_s:g} s and was stopped"
                ) from exc
            if "too big" in message or "too many columns" in message:
                raise QueryError(
                    f"the query failed: {message} (a value may be at most {SQLITE_MAX_VALUE:,} "
                    f"bytes, a row at most {SQLITE_MAX_COLUMNS} columns)"
                ) from exc
            if any(word in message for word in _SQLITE_REFUSALS):
                raise QueryRefusedError(f"the database refused it: {message}") from exc
            raise QueryError(f"the query failed: {message}") from exc
        columns = [d[0] for d in cursor.description or ()]
        return QueryResult(columns, rows)
    finally:
        conn.close()
