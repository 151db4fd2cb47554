"""Creating and migrating a database with the shipped Alembic tree, and checking its version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect

from provenance.db import masked, use_wal
from provenance.errors import DatabaseNotReadyError, ProvenanceError
from provenance.models import Base
from provenance.resources import migrations_path


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, bound to ``conn`` when given."""
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a migration
        raise DatabaseNotReadyError("the shipped migrations have no head revision")
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for other databases and in-memory SQLite)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # URI form: file:path?mode=ro
        return Path(database[len("file:") :].split("?", 1)[0])
    return Path(database)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database without our schema."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _where(engine: Engine) -> str:
    return masked(engine.url.render_as_string(hide_password=False))


def _unknown_revision(engine: Engine, current: str) -> DatabaseNotReadyError:
    return DatabaseNotReadyError(
        f"{_where(engine)} is at schema revision {current}, which this version of provenance "
        "does not know (the database was migrated by a newer version): upgrade provenance"
    )


def _run(engine: Engine, action: str, revision: str) -> None:
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise _unknown_revision(engine, current)
    with engine.connect() as conn:
        conn = conn.execution_options(provenance_write=True)
        config = alembic_config(conn)
        try:
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
        except CommandError as exc:  # a target revision Alembic cannot resolve or reach
            raise ProvenanceError(
                f"cannot {action} {_where(engine)} to revision {revision!r}: {exc}"
            ) from exc


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create the schema, or bring it up to ``revision``: the schema only.

    ``provenance.reference.install.upgrade`` also keeps the reference data in step; commands and
    most callers want that one.
    """
    _run(engine, "upgrade", revision)
    use_wal(engine)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def ensure_current(engine: Engine) -> None:
    """Refuse to work on a database without the schema, or at another version than the code."""
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        # Connecting would create an empty file where the user mistyped a path.
        raise DatabaseNotReadyError(
            f"there is no database file {path}: check the path, or create it with `provenance init`"
        )
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = _where(engine)
    if current is None:
        raise DatabaseNotReadyError(
            f"{where} has no provenance schema: run `provenance init` (or `provenance db upgrade`)"
        )
    if current in known_revisions():
        raise DatabaseNotReadyError(
            f"{where} is at schema revision {current}, older than this version of provenance "
            f"({head}): run `provenance db upgrade`"
        )
    raise _unknown_revision(engine, current)


def schema_drift(engine: Engine, metadata: MetaData | None = None) -> list[Any]:
    """The differences between the models (or ``metadata``) and the migrated database.

    Empty when they agree. Autogenerate does not see CHECK constraints or views: compare those
    separately.
    """
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata if metadata is None else metadata))


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
