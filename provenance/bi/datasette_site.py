"""``provenance serve``: the database in a browser, through Datasette, set up for researchers.

Everything here is Datasette's own configuration (its metadata: title, about, descriptions,
facets, sort orders, labels, full-text search, canned queries) plus a small plugin
(:mod:`provenance.bi.datasette_plugin`: shares as percentages, weapon systems linked to their
origins, the home page's lists) and one template (the home page): no web framework of our own.

Datasette serves a *copy* of the database (:func:`served_copy`): a SQLite file written by
``provenance export`` (from SQLite or PostgreSQL), with full-text indexes over the components
(part number, marking, what the part is, manufacturer, weapon system) and the manufacturers
(names and aliases) added to the copy only; Datasette opens it immutable (read-only). The
database itself is never written, and its schema never changes.

One canned query per report (:data:`QUERIES`), with parameters for the weapon system (a
designation or alias, any case), the basis, dates, a country group, how many to list.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from provenance.bi import export
from provenance.bi.datasette import metadata
from provenance.views import VIEWS

#: The address Datasette listens on unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001

#: A weapon system parameter matches a designation or an alias, in any case.
_WEAPON = """(:weapon = ''
       OR lower(weapon_system) = lower(:weapon)
       OR weapon_system_id IN (SELECT weapon_system_id FROM weapon_system_aliases
                               WHERE lower(alias) = lower(:weapon)))"""


@dataclass(frozen=True)
class CannedQuery:
    """One report as a Datasette canned query."""

    name: str
    title: str
    description: str
    sql: str
    report: str  # the `provenance report` command it mirrors


def _query(name: str, title: str, description: str, sql: str, report: str) -> CannedQuery:
    return CannedQuery(name, title, description, sql.replace("{weapon}", _WEAPON), report)


QUERIES: tuple[CannedQuery, ...] = (
    _query(
        "foreign_share",
        "Foreign share per weapon system",
        "How many of each weapon system's parts are foreign: made by a company from another "
        "country than the one that produces the weapon. Basis: manufacturer (the company's "
        "headquarters, the default) or made-in (the country of manufacture marked on the "
        "part). Click a weapon system for its parts by origin country. The share is empty "
        "(n/a) when no part's origin is known on the basis.",
        """
SELECT weapon_system, weapon_producer_country AS producer, basis, parts, foreign_parts,
       CASE WHEN parts > unknown_origin_parts THEN foreign_share END AS foreign_share,
       domestic_parts, unknown_origin_parts, foreign_country_count, source_count,
       CASE WHEN parts > unknown_origin_parts THEN ''
            ELSE 'n/a: no part''s origin is known on this basis' END AS note
FROM v_foreign_share_by_weapon
WHERE basis = COALESCE(NULLIF(:basis, ''), 'manufacturer') AND {weapon}
ORDER BY parts DESC, weapon_system
""",
        "countries",
    ),
    _query(
        "origins",
        "Parts of a weapon system by origin country",
        "The foreign-origin report: a weapon system's parts by origin country, foreign first, "
        "with their share of its parts and how many manufacturers made them. Give a weapon "
        "system (e.g. KN-23; empty: every one), the basis, and a country group (e.g. "
        "coalition) to see which origins belong to it today.",
        """
SELECT weapon_system, origin_country,
       CASE is_foreign WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END AS "foreign",
       parts, share, manufacturer_count, component_count, basis,
       CASE WHEN :group = '' THEN ''
            WHEN origin_country_code IN (
                SELECT m.country_code FROM country_group_members m
                JOIN country_groups g ON g.id = m.group_id
                WHERE g.code = lower(:group)
                  AND (m.member_from IS NULL OR m.member_from <= date('now'))
                  AND (m.member_until IS NULL OR m.member_until >= date('now')))
            THEN 'member' ELSE 'not a member' END AS in_group
FROM v_foreign_parts_by_weapon
WHERE basis = COALESCE(NULLIF(:basis, ''), 'manufacturer') AND {weapon}
ORDER BY weapon_system, is_foreign IS NULL, is_foreign = 0, parts DESC, origin_country
""",
        "foreign-parts",
    ),
    _query(
        "manufacturers",
        "Top manufacturers",
        "The companies whose parts were found most, with their headquarters, parts, "
        "components, weapon systems and the first and last manufacture dates seen. Optional: "
        "a weapon system, manufacture dates from and to (YYYY, YYYY-MM or YYYY-MM-DD), how many "
        "to list (default 20).",
        """
SELECT manufacturer, manufacturer_country AS headquarters, SUM(quantity) AS parts,
       COUNT(*) AS components, COUNT(DISTINCT weapon_system) AS weapon_systems,
       MIN(manufactured_on) AS first_made, MAX(manufactured_on) AS last_made
FROM v_components
WHERE {weapon}
  AND (:since = '' OR manufactured_on >= :since)
  AND (:until = '' OR substr(manufactured_on, 1, length(:until)) <= :until)
GROUP BY manufacturer_id, manufacturer, manufacturer_country
ORDER BY parts DESC, manufacturer
LIMIT CAST(COALESCE(NULLIF(:top, ''), '20') AS INTEGER)
""",
        "manufacturers",
    ),
    _query(
        "chpl",
        "Parts on the Common High Priority List",
        "Parts per CHPL tier of their HS code (the newest list loaded), per weapon system, and "
        "how many of them are foreign on the basis chosen. A lead for export-control review, "
        "not a legal classification.",
        """
SELECT weapon_system,
       CASE WHEN chpl_tier IS NOT NULL THEN 'tier ' || chpl_tier
            WHEN hs_code IS NULL THEN 'no HS code'
            WHEN hs6 IS NULL THEN 'HS code under 6 digits'
            ELSE 'not on the list' END AS tier,
       SUM(quantity) AS parts,
       SUM(CASE WHEN (CASE WHEN :basis = 'made-in' THEN foreign_by_made_in
                          ELSE foreign_by_manufacturer END) = 1
                THEN quantity ELSE 0 END) AS foreign_parts
FROM v_components
WHERE {weapon}
GROUP BY weapon_system, tier
ORDER BY weapon_system, chpl_tier IS NULL, tier
""",
        "chpl",
    ),
    _query(
        "timeline",
        "Parts by manufacture year",
        "Parts per weapon system and year of manufacture (from the date code or the date "
        "given); parts without a manufacture date are counted apart.",
        """
SELECT weapon_system, COALESCE(substr(manufactured_on, 1, 4), '(no manufacture date)') AS year,
       SUM(quantity) AS parts, COUNT(*) AS components
FROM v_components
WHERE {weapon}
  AND (:since = '' OR manufactured_on >= :since)
  AND (:until = '' OR substr(manufactured_on, 1, length(:until)) <= :until)
GROUP BY weapon_system, year
ORDER BY weapon_system, year
""",
        "timeline",
    ),
    _query(
        "sources",
        "Sources behind the figures",
        "Who reported the components of a weapon system (empty: of all of them), with how many "
        "components and parts each source reports. A component reported by several sources "
        "counts for each.",
        """
SELECT s.publisher, s.title, s.published_on, s.reliability, s.url,
       COUNT(*) AS components, SUM(c.quantity) AS parts
FROM citations ci
JOIN sources s ON s.id = ci.source_id
JOIN components c ON c.id = ci.component_id
JOIN specimens sp ON sp.id = c.specimen_id
WHERE sp.weapon_system_id IN (
    SELECT weapon_system_id
    FROM (SELECT id AS weapon_system_id, designation AS weapon_system FROM weapon_systems)
    WHERE {weapon})
GROUP BY s.id, s.publisher, s.title, s.published_on, s.reliability, s.url
ORDER BY parts DESC, s.publisher, s.title
""",
        "sources",
    ),
)

#: Full-text indexes built in the served copy: (index, the view and the table it searches, key)
SEARCH = (
    ("components_fts", ("v_components", "component_id"), ("components", "id")),
    ("manufacturers_fts", ("v_manufacturers", "manufacturer_id"), ("manufacturers", "id")),
)

#: Facets a researcher starts from, per view (the views' own first).
_FACETS = {
    "v_components": [
        "weapon_system",
        "weapon_producer_country",
        "manufacturer_country",
        "made_in_country",
        "manufacturer",
        "authenticity",
        "chpl_tier",
    ],
    "v_foreign_share_by_weapon": ["basis", "weapon_producer_country", "weapon_category"],
    "v_foreign_parts_by_weapon": ["basis", "weapon_system", "origin_country", "is_foreign"],
}
#: Default sorts, largest first where a count leads.
_SORT_DESC = {
    "v_foreign_share_by_weapon": "parts",
    "v_manufacturers": "parts",
    "v_sources": "parts",
}

_CODE = re.compile(r"`([^`]+)`")


def plain(text: str) -> str:
    """Documentation text without its Markdown code marks."""
    return _CODE.sub(r"\1", text)


def _html(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def _view_description(name: str, description: str, columns: Mapping[str, str]) -> str:
    """The view's description in plain words, its column docs folded away."""
    items = "".join(f"<dt>{html.escape(c)}</dt><dd>{_html(d)}</dd>" for c, d in columns.items())
    return (
        f"<p>{html.escape(plain(description))}</p>"
        f"<details><summary>What the {len(columns)} columns of {html.escape(name)} mean"
        f"</summary><dl>{items}</dl></details>"
    )


@dataclass(frozen=True)
class Site:
    """What Datasette is started with."""

    path: Path  # the served copy
    database: str  # the name Datasette gives it (the file's stem)
    metadata: dict[str, Any]


def served_copy(engine: Engine, folder: Path, name: str) -> Path:
    """A SQLite copy of the database (``provenance export``) in ``folder``, with the full-text
    indexes of :data:`SEARCH`."""
    path = folder / f"{name}.db"
    export.export(engine, path, "sqlite")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE VIRTUAL TABLE components_fts USING fts5("
            "part_number, marking, component, manufacturer, weapon_system)"
        )
        conn.execute(
            "INSERT INTO components_fts"
            "(rowid, part_number, marking, component, manufacturer, weapon_system)"
            " SELECT component_id, part_number, marking, component, manufacturer, weapon_system"
            " FROM v_components"
        )
        conn.execute("CREATE VIRTUAL TABLE manufacturers_fts USING fts5(name, aliases)")
        conn.execute(
            "INSERT INTO manufacturers_fts(rowid, name, aliases)"
            " SELECT m.id, m.name, group_concat(a.alias, ' ') FROM manufacturers m"
            " LEFT JOIN manufacturer_aliases a ON a.manufacturer_id = m.id GROUP BY m.id, m.name"
        )
    return path


def _about(path: Path) -> str:
    """What the database holds and who reported it, in one sentence."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        components, parts = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(quantity), 0) FROM components"
        ).fetchone()
        weapons = conn.execute("SELECT COUNT(*) FROM weapon_systems").fetchone()[0]
        publishers = [
            p
            for (p,) in conn.execute(
                "SELECT s.publisher FROM sources s JOIN citations c ON c.source_id = s.id"
                " GROUP BY s.publisher ORDER BY COUNT(*) DESC, s.publisher LIMIT 6"
            )
        ]
        sources = conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    reported = f"; reported by {', '.join(publishers)}" if publishers else ""
    more = " and others" if publishers and sources > len(publishers) else ""
    return (
        f"{components} component records ({parts} parts) in {weapons} weapon systems, from "
        f"{sources} sources{reported}{more}."
    )


def site_metadata(path: Path, database: str, title: str) -> dict[str, Any]:
    """Datasette's metadata for the served copy: :func:`provenance.bi.datasette.metadata`
    made for researchers (plain descriptions, column docs folded, facets, sorts, search,
    the canned queries)."""
    document = metadata(database)
    tables: dict[str, Any] = document["databases"][database]["tables"]
    for view in VIEWS:
        entry = tables[view.name]
        entry["description_html"] = _view_description(
            view.name, view.description, entry.pop("columns")
        )
        entry.pop("description", None)
        entry["facets"] = _FACETS.get(view.name, entry["facets"])
        if view.name in _SORT_DESC:
            entry.pop("sort", None)
            entry["sort_desc"] = _SORT_DESC[view.name]
    for index, *searched in SEARCH:
        tables[index] = {"hidden": True}
        for table, key in searched:
            tables[table].update({"fts_table": index, "fts_pk": key})
    about = _about(path)
    document.update(title=title, description=f"The database {path.stem}: {about}")
    document["databases"][database].update(
        description=plain(document["databases"][database]["description"]),
        queries={
            q.name: {
                "title": q.title,
                "description": q.description,
                "sql": q.sql.strip(),
                "hide_sql": True,
            }
            for q in QUERIES
        },
    )
    return document


def build(engine: Engine, folder: Path, name: str) -> Site:
    """The served copy of the database in ``folder`` and Datasette's metadata for it."""
    path = served_copy(engine, folder, name)
    title = f"provenance: {name}"
    return Site(path, name, site_metadata(path, name, title))
