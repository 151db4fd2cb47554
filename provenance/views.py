"""The SQL views that BI tools and hand-written SQL start from: defined once, here.

Researchers point Metabase, Superset, Power BI, Tableau or Datasette at the database. The views
give them flat, labelled rows with snake_case column names that stay the same when the tables
change. ``docs/views.md`` is generated from :data:`VIEWS` (``python -m provenance.views``) and a
test fails when the two differ, or when a database's views have other columns than documented.

Versioning
----------
Migrations create the views, and a migration must create them *as they were at its revision*,
not as they are in the newest code (an upgrade through revision 0004 to a later head runs 0004's
code against 0004's tables). So the SQL is versioned: :data:`DEFINITIONS` maps the revision that
introduced a set of definitions to their SQL (files in ``provenance/view_sql/<revision>/``), and a
released set is never edited (a test pins each one by hash). To change a view: add a new set
under the new migration's revision id (the new or changed files, and ``INHERITS`` naming the
set it builds on), point :data:`CURRENT_VERSION` at it, update the column documentation in
:data:`VIEWS`, and write a migration that calls ``drop_views(op)`` then
``create_views(op, "<new revision>")``.

The SQL is the same text on SQLite and PostgreSQL (standard SQL only: joins, CASE, CAST, window
functions, CTEs; SQLite 3.25 or newer). Column types are documented in one vocabulary:

- ``integer``: PostgreSQL ``integer``; SQLite integer values. Flags are integers 1/0 (SQLite has
  no boolean type), NULL when not known.
- ``real``: PostgreSQL ``double precision``; SQLite real values.
- ``text``: PostgreSQL ``text`` or ``varchar``; SQLite text values.
- ``date``: PostgreSQL ``date``; SQLite text ``YYYY-MM-DD``.
- ``timestamp``: PostgreSQL ``timestamp with time zone``; SQLite text
  ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC.

SQLite reports no declared type for a computed view column; its values carry the types above.

A migration that alters a table a view reads must drop the views first and create them again at
its end (SQLite's batch mode copies and renames tables, which breaks dependent views; PostgreSQL
refuses to alter a column a view uses): :func:`views_dropped` does both and, on PostgreSQL, grants
again what was granted on the views before (dropping a view drops its grants).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from provenance.view_docs import (
    TYPES,
    V_CITATIONS,
    V_COMPONENTS,
    V_FOREIGN_PARTS_BY_WEAPON,
    V_FOREIGN_SHARE_BY_WEAPON,
    V_MANUFACTURERS,
    V_SOURCES,
    View,
    ViewColumn,
)
from provenance.view_docs_chain import (
    V_CUSTOMS_LINKS,
    V_CUSTOMS_SHIPMENTS,
    V_EVIDENCE,
    V_PARTIES,
    V_SCREENING_CANDIDATES,
    V_TRANSFERS,
)

__all__ = [
    "CURRENT_VERSION",
    "DEFINITIONS",
    "TYPES",
    "VIEWS",
    "View",
    "ViewColumn",
    "create_views",
    "drop_views",
    "view",
    "view_names",
    "views_dropped",
]


class _HasBind(Protocol):
    """Alembic's ``op`` (module or ``Operations``): anything that hands out its connection."""

    def get_bind(self) -> Connection: ...


Target = Connection | _HasBind


# --- the SQL, per revision ----------------------------------------------------------------------
# provenance/view_sql/<revision>/NN_<view>.sql, one file per view, NN the creation order. Released
# sets are frozen: never edit them, add a new set (see the module docstring). A set's INHERITS file
# names the set whose files it takes (its own files added to them, or replacing same names).

_SQL_DIR = Path(__file__).parent / "view_sql"


def _files(folder: Path) -> dict[str, str]:
    """File name -> SQL of a set, with what it inherits."""
    base = folder / "INHERITS"
    files = _files(_SQL_DIR / base.read_text("utf-8").strip()) if base.is_file() else {}
    files.update({f.name: f.read_text(encoding="utf-8") for f in folder.glob("[0-9][0-9]_*.sql")})
    return files


def _definitions() -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for folder in sorted(p for p in _SQL_DIR.iterdir() if p.is_dir()):
        files = _files(folder)
        found[folder.name] = tuple(
            (Path(name).stem.split("_", 1)[1], files[name]) for name in sorted(files)
        )
    return found


#: revision that introduced a set of definitions -> ((view name, SELECT), ...) in creation order.
DEFINITIONS: dict[str, tuple[tuple[str, str], ...]] = _definitions()
#: The set the newest migration creates; the documentation in ``VIEWS`` describes it.
CURRENT_VERSION = "0014"


# --- the documentation of the current views -----------------------------------------------------
# --- the documentation of the current views (provenance/view_docs*.py) ----------------------------

#: The current views, in creation order.
VIEWS: tuple[View, ...] = (
    V_COMPONENTS,
    V_FOREIGN_PARTS_BY_WEAPON,
    V_FOREIGN_SHARE_BY_WEAPON,
    V_MANUFACTURERS,
    V_SOURCES,
    V_CITATIONS,
    V_EVIDENCE,
    V_SCREENING_CANDIDATES,
    V_PARTIES,
    V_TRANSFERS,
    V_CUSTOMS_SHIPMENTS,
    V_CUSTOMS_LINKS,
)


def view(name: str) -> View:
    for v in VIEWS:
        if v.name == name:
            return v
    raise KeyError(name)


def view_names() -> list[str]:
    return [v.name for v in VIEWS]


# --- creating and dropping them (migrations) ----------------------------------------------------


def _connection(target: Target) -> Connection:
    return target if isinstance(target, Connection) else target.get_bind()


def all_view_names() -> list[str]:
    """Every view name any version defined, newest definitions' order first."""
    names: list[str] = []
    for version in reversed(list(DEFINITIONS)):
        names += [name for name, _sql in DEFINITIONS[version] if name not in names]
    return names


def create_views(target: Target, version: str) -> None:
    """Create the views of ``version`` (a key of DEFINITIONS: the revision that introduced them).

    Migrations pass the version current at their own revision, never CURRENT_VERSION.
    """
    conn = _connection(target)
    for name, select_sql in DEFINITIONS[version]:
        # Names and SQL are constants of this module, never input.
        conn.exec_driver_sql(f"CREATE VIEW {name} AS {select_sql}")


def drop_views(target: Target, version: str | None = None) -> None:
    """Drop the views of ``version`` or, by default, every view any version defined (if present).

    Dropped in reverse creation order; never CASCADE (a view someone built on ours makes the
    migration fail rather than vanish silently).
    """
    conn = _connection(target)
    names = [n for n, _ in DEFINITIONS[version]] if version else all_view_names()
    for name in reversed(names):
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")


@dataclass(frozen=True, order=True)
class Grant:
    """A privilege someone was granted on one of the views (PostgreSQL)."""

    view: str
    grantee: str  # a role name, or "PUBLIC"
    privilege: str


def view_grants(conn: Connection, names: Sequence[str] | None = None) -> list[Grant]:
    """The privileges granted on the views to roles other than their owner (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.exec_driver_sql(
        "SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname END,"
        " a.privilege_type"
        " FROM pg_class c"
        " CROSS JOIN LATERAL aclexplode(c.relacl) a"
        " LEFT JOIN pg_roles r ON r.oid = a.grantee"
        " WHERE c.relkind = 'v' AND c.relnamespace = current_schema()::regnamespace"
        " AND c.relname = ANY(%(names)s) AND a.grantee <> c.relowner",
        {"names": list(names if names is not None else all_view_names())},
    ).all()
    return sorted(Grant(view, grantee, privilege) for view, grantee, privilege in rows)


def restore_grants(conn: Connection, grants: Sequence[Grant]) -> None:
    """Grant again what ``view_grants`` found, on the views that exist now (PostgreSQL only)."""
    if conn.dialect.name != "postgresql" or not grants:
        return
    from psycopg import sql  # PostgreSQL only, an optional dependency

    present = {
        str(name)
        for (name,) in conn.exec_driver_sql(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'v'"
            " AND c.relnamespace = current_schema()::regnamespace"
        )
    }
    raw = conn.connection.driver_connection
    assert raw is not None
    for grant in grants:
        if grant.view not in present:
            continue
        grantee = sql.SQL("PUBLIC") if grant.grantee == "PUBLIC" else sql.Identifier(grant.grantee)
        raw.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(grant.privilege), sql.Identifier(grant.view), grantee
            )
        )


@contextmanager
def views_dropped(target: Target, recreate: str) -> Iterator[None]:
    """For a migration that alters tables the views read: drop every view, run the block, then
    create the views of version ``recreate`` and grant again what was granted on them.

        def upgrade() -> None:
            with views_dropped(op, recreate="0004"):  # the version current at this revision
                with op.batch_alter_table("components") as batch_op:
                    ...
    """
    conn = _connection(target)
    grants = view_grants(conn)
    drop_views(conn)
    yield
    create_views(conn, recreate)
    restore_grants(conn, grants)


# --- documentation -----------------------------------------------------------------------------

_DOC_INTRO = """\
# Views for BI tools and SQL

<!-- Generated from provenance/views.py by `python -m provenance.views > docs/views.md`;
     tests/test_docs.py fails when this file and the code differ. Edit the code, not this file. -->

provenance keeps a small set of views for Metabase, Superset, Power BI, Tableau, Datasette or
hand-written SQL. Start from them rather than from the tables: their column names are snake_case
and stable, the same on SQLite and PostgreSQL, and they do not change when the tables do (a change
is a new migration and a new entry in this file). See [bi.md](bi.md) for connecting tools and
example queries.

Column types, the same on both databases:

| type | PostgreSQL | SQLite |
|---|---|---|
| `integer` | `integer` | integer values |
| `real` | `double precision` | real values |
| `text` | `text` or `varchar` | text values |
| `date` | `date` | text `YYYY-MM-DD` |
| `timestamp` | `timestamp with time zone` | text `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) |

Flags (`foreign_by_manufacturer`, `is_foreign`, ...) are integers: 1 yes, 0 no, NULL unknown.
Counts of *parts* are sums of `quantity` (a component row with quantity 3 is three parts).
SQLite reports no declared type for computed columns of a view; the values have the types above.

The views are created by the Alembic migrations (revision {version} for the definitions below);
the SQL lives in `provenance/views.py`.
"""


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The text of docs/views.md."""
    out = [_DOC_INTRO.format(version=CURRENT_VERSION)]
    out.append("Views: " + ", ".join(f"[`{v.name}`](#{v.name})" for v in VIEWS) + ".\n")
    for v in VIEWS:
        out.append(f"## {v.name}\n")
        out.append(v.description + "\n")
        out.append(f"One row per: {', '.join(f'`{k}`' for k in v.key)}.\n")
        out.append("| column | type | meaning | example |")
        out.append("|---|---|---|---|")
        for c in v.columns:
            example = f"`{_md(c.example)}`" if c.example else "NULL"
            out.append(f"| `{c.name}` | {c.type} | {_md(c.description)} | {example} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - regenerates docs/views.md
    print(markdown(), end="")
