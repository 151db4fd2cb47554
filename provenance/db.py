"""Opening a database: the URL to use, engines with SQLite made safe, and transactions for writers.

SQLite leaves foreign keys off and, with Python's sqlite3 in its legacy transaction mode, does not
emit BEGIN before every statement, so "roll back everything" could silently keep half a load. Every
SQLite connection made here turns foreign keys on, leaves transaction control to SQLAlchemy and
emits BEGIN itself (BEGIN IMMEDIATE for writers, so that a writer never fails half-way on a lock).

A second writer waits up to ``SQLITE_BUSY_TIMEOUT_MS`` for the first one to commit. SQLite files
are put in WAL mode when they are created or migrated (``use_wal``), so that reports can read
while a load writes; ``synchronous`` stays FULL, so that a committed load survives a power loss.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_VAR = "PROVENANCE_DATABASE_URL"
DEFAULT_URL = "sqlite:///provenance.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "provenance_write"


def resolve_url(url: str | None = None) -> str:
    """The database URL: the one given, else $PROVENANCE_DATABASE_URL, else ./provenance.db."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def masked(url: str) -> str:
    """The URL with any password hidden (also one given as ?password=), for messages and logs."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # unparsable: show nothing up to the last '@'
        return url.rsplit("@", 1)[-1]
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for the URL; on SQLite with foreign keys on and real transactions."""
    url = resolve_url(url)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _make_sqlite_safe(engine)
    return engine


def _make_sqlite_safe(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (and the begin hook below) decide where transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a writer: committed when the block ends, rolled back on any error."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def use_wal(engine: Engine) -> None:
    """Put a SQLite file in WAL mode (kept in the file): readers no longer wait for a writer."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    raw = engine.raw_connection()
    try:
        # Outside any transaction (the connect hook leaves transaction control to us).
        raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
    finally:
        raw.close()


def is_sqlite(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "sqlite"
