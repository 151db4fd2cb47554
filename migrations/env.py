"""Alembic environment: one migration tree for SQLite and PostgreSQL.

Run through ``provenance db upgrade`` (or ``provenance.migrate``), which hands a connection in
``config.attributes["connection"]``. On SQLite, tables are altered in batch mode (copy, drop,
rename) with foreign keys off for the duration, and checked afterwards.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from provenance.db import make_engine
from provenance.models import Base

config = context.config
target_metadata = Base.metadata


def _run(conn: Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # PRAGMA foreign_keys is ignored inside a transaction: set it on the raw connection first.
        if conn.in_transaction():
            conn.commit()
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    try:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if conn.in_transaction():
            conn.commit()
        if sqlite:
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.commit()
            if problems:
                raise RuntimeError(f"foreign key check failed after migration: {problems[:10]}")
    finally:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def run_migrations_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        _run(conn)
        return
    # alembic -c migrations/alembic.ini -x url=... overrides sqlalchemy.url of the ini file.
    url = context.get_x_argument(as_dictionary=True).get("url")
    engine = make_engine(url or config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as new_conn:
            _run(new_conn.execution_options(provenance_write=True))
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("provenance migrations run online only: use `provenance db upgrade`")
run_migrations_online()
