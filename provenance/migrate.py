"""Creating and migrating a database with the shipped Alembic tree, and checking its version.

Every command checks the database's version first (:func:`ensure_current`): that check reads the
revision ids from the migration files and the database's ``alembic_version`` row without
importing Alembic (a fifth of a report's start-up); migrating imports it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, MetaData, inspect, text

from provenance.db import masked, use_wal
from provenance.errors import DatabaseNotReadyError, ProvenanceError
from provenance.models import Base
from provenance.resources import migrations_path

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, bound to ``conn`` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def shipped_revisions() -> dict[str, tuple[str, ...]]:
    """Each shipped revision and the revisions it follows, read from the migration files'
    ``revision = "..."`` and ``down_revision = ...`` lines (``tests/test_migrations.py`` checks
    that Alembic reads the same tree)."""
    tree: dict[str, tuple[str, ...]] = {}
    for path in sorted((migrations_path() / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        found: dict[str, str] = {m[1]: m[2] for m in _REVISION.finditer(text)}
        if "revision" not in found:
            continue
        down = re.findall(r"[\"']([^\"']+)[\"']", found.get("down_revision", "None"))
        tree[found["revision"].strip("\"'")] = tuple(down)
    return tree


def head_revision() -> str:
    """The newest revision the code knows."""
    tree = shipped_revisions()
    followed = {down for downs in tree.values() for down in downs}
    heads = sorted(set(tree) - followed)
    if len(heads) != 1:  # pragma: no cover - the package ships one line of migrations
        raise DatabaseNotReadyError(f"the shipped migrations have {len(heads)} head revisions")
    return heads[0]


def known_revisions() -> set[str]:
    return set(shipped_revisions())


def revision_order() -> list[str]:
    """The shipped revisions, oldest first (the history is one line)."""
    from alembic.script import ScriptDirectory  # migrating imports Alembic; reports do not

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _check_direction(engine: Engine, action: str, revision: str, current: str | None) -> None:
    """Refuse an upgrade to an older revision (Alembic would do nothing and say nothing) and a
    downgrade to a newer one."""
    order = revision_order()
    target = order[-1] if revision == "head" else revision
    if target == "base" or target not in order or current is None:
        return  # Alembic's own error, or nothing to compare with
    older, newer = (
        order.index(target) < order.index(current),
        order.index(target) > order.index(current),
    )
    if action == "upgrade" and older:
        raise ProvenanceError(
            f"{_where(engine)} is at revision {current}, newer than {target}: an upgrade does "
            f"not go back; to go back, run `provenance db downgrade {target}`"
        )
    if action == "downgrade" and newer:
        raise ProvenanceError(
            f"{_where(engine)} is at revision {current}, older than {target}: run "
            f"`provenance db upgrade --revision {target}`"
        )


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
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if len(versions) > 1:
        raise DatabaseNotReadyError(
            f"{_where(engine)} is at several schema revisions at once ({', '.join(versions)})"
        )
    return versions[0] if versions else None


def _where(engine: Engine) -> str:
    return masked(engine.url.render_as_string(hide_password=False))


def _unknown_revision(engine: Engine, current: str) -> DatabaseNotReadyError:
    return DatabaseNotReadyError(
        f"{_where(engine)} is at schema revision {current}, which this version of provenance "
        "does not know (the database was migrated by a newer version): upgrade provenance"
    )


def _run(engine: Engine, action: str, revision: str) -> None:
    from alembic import command
    from alembic.util import CommandError

    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise _unknown_revision(engine, current)
    _check_direction(engine, action, revision, current)
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
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata if metadata is None else metadata))


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
