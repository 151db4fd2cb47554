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
introduced a set of definitions to their SQL, and a released set is never edited (a test pins
each one by hash). To change a view: add a new set under the new migration's revision id, point
:data:`CURRENT_VERSION` at it, update the column documentation in :data:`VIEWS`, and write a
migration that calls ``drop_views(op)`` then ``create_views(op, "<new revision>")``.

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
from typing import Protocol

from sqlalchemy import Connection

TYPES = ("integer", "real", "text", "date", "timestamp")


class _HasBind(Protocol):
    """Alembic's ``op`` (module or ``Operations``): anything that hands out its connection."""

    def get_bind(self) -> Connection: ...


Target = Connection | _HasBind


# --- the SQL, per revision ----------------------------------------------------------------------
# Released sets are frozen: never edit them, add a new set (see the module docstring).

_PARTS_BY_BASIS_0004 = """
    bases(basis) AS (VALUES ('manufacturer'), ('made-in')),
    parts AS (
        SELECT
            b.basis AS basis,
            s.weapon_system_id AS weapon_system_id,
            CASE WHEN b.basis = 'manufacturer' THEN m.country_code ELSE c.made_in_code END
                AS origin_code,
            c.manufacturer_id AS manufacturer_id,
            c.quantity AS quantity
        FROM components c
        JOIN specimens s ON s.id = c.specimen_id
        JOIN manufacturers m ON m.id = c.manufacturer_id
        CROSS JOIN bases b
    )"""

_V_COMPONENTS_0004 = """
SELECT
    c.id AS component_id,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.category AS weapon_category,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    s.id AS specimen_id,
    s.label AS specimen,
    s.identification_confidence AS identification_confidence,
    s.recovered_on AS recovered_on,
    s.recovered_at AS recovered_at,
    s.recovered_by AS recovered_by,
    c."function" AS component,
    c.part_number AS part_number,
    c.marking AS marking,
    c.date_code AS date_code,
    c.quantity AS quantity,
    m.id AS manufacturer_id,
    m.name AS manufacturer,
    pm.name AS manufacturer_parent,
    m.country_code AS manufacturer_country_code,
    mc.display_name AS manufacturer_country,
    c.made_in_code AS made_in_code,
    mi.display_name AS made_in_country,
    c.manufactured_on AS manufactured_on,
    c.manufactured_precision AS manufactured_precision,
    c.hs_code AS hs_code,
    c.hs6 AS hs6,
    ce.tier AS chpl_tier,
    CASE WHEN c.hs6 IS NOT NULL THEN cl.version END AS chpl_version,
    c.authenticity AS authenticity,
    CASE
        WHEN m.country_code IS NULL THEN NULL
        WHEN m.country_code <> ws.producer_country_code THEN 1
        ELSE 0
    END AS foreign_by_manufacturer,
    CASE
        WHEN c.made_in_code IS NULL THEN NULL
        WHEN c.made_in_code <> ws.producer_country_code THEN 1
        ELSE 0
    END AS foreign_by_made_in,
    CAST(COALESCE(sc.source_count, 0) AS INTEGER) AS source_count,
    fs.publisher AS first_source_publisher,
    fs.title AS first_source_title,
    fs.url AS first_source_url,
    fs.published_on AS first_source_published_on,
    c.batch_id AS batch_id,
    lb.file_name AS batch_file_name,
    lb.loaded_at AS batch_loaded_at
FROM components c
JOIN specimens s ON s.id = c.specimen_id
JOIN weapon_systems ws ON ws.id = s.weapon_system_id
JOIN countries wpc ON wpc.code = ws.producer_country_code
JOIN manufacturers m ON m.id = c.manufacturer_id
JOIN load_batches lb ON lb.id = c.batch_id
LEFT JOIN manufacturers pm ON pm.id = m.parent_id
LEFT JOIN countries mc ON mc.code = m.country_code
LEFT JOIN countries mi ON mi.code = c.made_in_code
LEFT JOIN chpl_lists cl ON cl.id = (
    SELECT newest.id FROM chpl_lists newest
    ORDER BY newest.published_on DESC, newest.id DESC
    LIMIT 1
)
LEFT JOIN chpl_entries ce ON ce.list_id = cl.id AND ce.hs6 = c.hs6
LEFT JOIN (
    SELECT component_id, COUNT(*) AS source_count
    FROM citations
    GROUP BY component_id
) sc ON sc.component_id = c.id
LEFT JOIN (
    SELECT
        ci.component_id AS component_id,
        so.publisher AS publisher,
        so.title AS title,
        so.url AS url,
        so.published_on AS published_on,
        ROW_NUMBER() OVER (
            PARTITION BY ci.component_id
            ORDER BY CASE WHEN so.published_on IS NULL THEN 1 ELSE 0 END, so.published_on, so.id
        ) AS source_order
    FROM citations ci
    JOIN sources so ON so.id = ci.source_id
) fs ON fs.component_id = c.id AND fs.source_order = 1
"""

_V_FOREIGN_PARTS_BY_WEAPON_0004 = f"""
WITH{_PARTS_BY_BASIS_0004}
SELECT
    p.basis AS basis,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    p.origin_code AS origin_country_code,
    COALESCE(oc.display_name, '(unknown origin)') AS origin_country,
    CASE
        WHEN p.origin_code IS NULL THEN NULL
        WHEN p.origin_code <> ws.producer_country_code THEN 1
        ELSE 0
    END AS is_foreign,
    CAST(SUM(p.quantity) AS INTEGER) AS parts,
    CAST(SUM(SUM(p.quantity)) OVER (PARTITION BY p.basis, ws.id) AS INTEGER) AS weapon_parts,
    CAST(SUM(p.quantity) AS DOUBLE PRECISION)
        / SUM(SUM(p.quantity)) OVER (PARTITION BY p.basis, ws.id) AS share,
    CAST(COUNT(*) AS INTEGER) AS component_count,
    CAST(COUNT(DISTINCT p.manufacturer_id) AS INTEGER) AS manufacturer_count
FROM parts p
JOIN weapon_systems ws ON ws.id = p.weapon_system_id
JOIN countries wpc ON wpc.code = ws.producer_country_code
LEFT JOIN countries oc ON oc.code = p.origin_code
GROUP BY
    p.basis, ws.id, ws.designation, ws.producer_country_code, wpc.display_name,
    p.origin_code, oc.display_name
"""  # noqa: S608 - a constant fragment, no input

_V_FOREIGN_SHARE_BY_WEAPON_0004 = f"""
WITH{_PARTS_BY_BASIS_0004},
    cited AS (
        SELECT s.weapon_system_id AS weapon_system_id, COUNT(DISTINCT ci.source_id) AS sources
        FROM citations ci
        JOIN components c ON c.id = ci.component_id
        JOIN specimens s ON s.id = c.specimen_id
        GROUP BY s.weapon_system_id
    )
SELECT
    p.basis AS basis,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.category AS weapon_category,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    CAST(SUM(p.quantity) AS INTEGER) AS parts,
    CAST(SUM(CASE
        WHEN p.origin_code IS NOT NULL AND p.origin_code <> ws.producer_country_code
        THEN p.quantity ELSE 0 END) AS INTEGER) AS foreign_parts,
    CAST(SUM(CASE
        WHEN p.origin_code = ws.producer_country_code THEN p.quantity ELSE 0 END) AS INTEGER)
        AS domestic_parts,
    CAST(SUM(CASE WHEN p.origin_code IS NULL THEN p.quantity ELSE 0 END) AS INTEGER)
        AS unknown_origin_parts,
    CAST(SUM(CASE
        WHEN p.origin_code IS NOT NULL AND p.origin_code <> ws.producer_country_code
        THEN p.quantity ELSE 0 END) AS DOUBLE PRECISION) / SUM(p.quantity) AS foreign_share,
    CAST(COUNT(DISTINCT CASE
        WHEN p.origin_code <> ws.producer_country_code THEN p.origin_code END) AS INTEGER)
        AS foreign_country_count,
    CAST(COALESCE(MAX(cited.sources), 0) AS INTEGER) AS source_count
FROM parts p
JOIN weapon_systems ws ON ws.id = p.weapon_system_id
JOIN countries wpc ON wpc.code = ws.producer_country_code
LEFT JOIN cited ON cited.weapon_system_id = ws.id
GROUP BY
    p.basis, ws.id, ws.designation, ws.category, ws.producer_country_code, wpc.display_name
"""  # noqa: S608 - a constant fragment, no input

_V_MANUFACTURERS_0004 = """
SELECT
    m.id AS manufacturer_id,
    m.name AS manufacturer,
    m.parent_id AS parent_manufacturer_id,
    pm.name AS parent_manufacturer,
    m.country_code AS country_code,
    mc.display_name AS country,
    CAST(COALESCE(al.alias_count, 0) AS INTEGER) AS alias_count,
    CAST(COALESCE(found.component_count, 0) AS INTEGER) AS component_count,
    CAST(COALESCE(found.parts, 0) AS INTEGER) AS parts,
    CAST(COALESCE(found.weapon_system_count, 0) AS INTEGER) AS weapon_system_count,
    found.first_manufactured_on AS first_manufactured_on,
    found.last_manufactured_on AS last_manufactured_on,
    m.batch_id AS batch_id
FROM manufacturers m
LEFT JOIN manufacturers pm ON pm.id = m.parent_id
LEFT JOIN countries mc ON mc.code = m.country_code
LEFT JOIN (
    SELECT manufacturer_id, COUNT(*) AS alias_count
    FROM manufacturer_aliases
    GROUP BY manufacturer_id
) al ON al.manufacturer_id = m.id
LEFT JOIN (
    SELECT
        c.manufacturer_id AS manufacturer_id,
        COUNT(*) AS component_count,
        SUM(c.quantity) AS parts,
        COUNT(DISTINCT s.weapon_system_id) AS weapon_system_count,
        MIN(c.manufactured_on) AS first_manufactured_on,
        MAX(c.manufactured_on) AS last_manufactured_on
    FROM components c
    JOIN specimens s ON s.id = c.specimen_id
    GROUP BY c.manufacturer_id
) found ON found.manufacturer_id = m.id
"""

_V_SOURCES_0004 = """
SELECT
    so.id AS source_id,
    so.publisher AS publisher,
    so.title AS title,
    so.url AS url,
    so.published_on AS published_on,
    so.published_precision AS published_precision,
    so.reliability AS reliability,
    CAST(COALESCE(cited.component_count, 0) AS INTEGER) AS component_count,
    CAST(COALESCE(cited.parts, 0) AS INTEGER) AS parts,
    CAST(COALESCE(cited.specimen_count, 0) AS INTEGER) AS specimen_count,
    CAST(COALESCE(cited.weapon_system_count, 0) AS INTEGER) AS weapon_system_count,
    so.notes AS notes,
    so.batch_id AS batch_id
FROM sources so
LEFT JOIN (
    SELECT
        ci.source_id AS source_id,
        COUNT(*) AS component_count,
        SUM(c.quantity) AS parts,
        COUNT(DISTINCT c.specimen_id) AS specimen_count,
        COUNT(DISTINCT s.weapon_system_id) AS weapon_system_count
    FROM citations ci
    JOIN components c ON c.id = ci.component_id
    JOIN specimens s ON s.id = c.specimen_id
    GROUP BY ci.source_id
) cited ON cited.source_id = so.id
"""

#: revision that introduced a set of definitions -> ((view name, SELECT), ...) in creation order.
DEFINITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "0004": (
        ("v_components", _V_COMPONENTS_0004),
        ("v_foreign_parts_by_weapon", _V_FOREIGN_PARTS_BY_WEAPON_0004),
        ("v_foreign_share_by_weapon", _V_FOREIGN_SHARE_BY_WEAPON_0004),
        ("v_manufacturers", _V_MANUFACTURERS_0004),
        ("v_sources", _V_SOURCES_0004),
    ),
}
#: The set the newest migration creates; the documentation in ``VIEWS`` describes it.
CURRENT_VERSION = "0004"


# --- the documentation of the current views -----------------------------------------------------


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: str  # one of TYPES
    description: str
    example: str  # as a BI user would see it; "" when NULL is the typical value


@dataclass(frozen=True)
class View:
    name: str
    description: str
    #: the columns that identify a row; exports are sorted by them
    key: tuple[str, ...]
    #: columns worth faceting on in Datasette
    facets: tuple[str, ...]
    columns: tuple[ViewColumn, ...]

    @property
    def sql(self) -> str:
        """The SELECT of the current definition."""
        return dict(DEFINITIONS[CURRENT_VERSION])[self.name]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: str, description: str, example: str = "") -> ViewColumn:
    return ViewColumn(name, type_, description, example)


_WEAPON = (
    _c("weapon_system_id", "integer", "Id of the weapon system (`weapon_systems.id`).", "1"),
    _c("weapon_system", "text", "Designation of the weapon system.", "KN-23"),
)
_PRODUCER = (
    _c(
        "weapon_producer_country_code",
        "text",
        "ISO 3166-1 alpha-2 code of the country that produces the weapon system.",
        "KP",
    ),
    _c(
        "weapon_producer_country",
        "text",
        "Name of the producer country, as reports show it.",
        "North Korea",
    ),
)
_BASIS = _c(
    "basis",
    "text",
    "What a part's origin country is taken to be: `manufacturer` (the manufacturer's "
    "headquarters country) or `made-in` (the country of manufacture marked on the part). Every "
    "weapon system has rows for both bases: filter on one.",
    "manufacturer",
)

V_COMPONENTS = View(
    name="v_components",
    description=(
        "One row per component found in a recovered weapon (specimen), with every label flat: "
        "the weapon system, the specimen, the part, its manufacturer and their countries, the "
        "manufacture date, the HS code and Common High Priority List (CHPL) tier, authenticity, "
        "whether the part is foreign on each basis, its sources and the load that brought it. "
        "`quantity` is the number of identical parts: sum it to count parts."
    ),
    key=("component_id",),
    facets=(
        "weapon_system",
        "manufacturer_country",
        "made_in_country",
        "chpl_tier",
        "authenticity",
        "foreign_by_manufacturer",
    ),
    columns=(
        _c("component_id", "integer", "Id of the component (`components.id`).", "17"),
        *_WEAPON,
        _c("weapon_category", "text", "Category: SRBM, cruise missile, UAV, ...", "SRBM"),
        *_PRODUCER,
        _c("specimen_id", "integer", "Id of the recovered weapon (`specimens.id`).", "3"),
        _c("specimen", "text", "The finding's own label for the recovered weapon.", "CAR-KN23-1"),
        _c(
            "identification_confidence",
            "text",
            "How sure the identification of the specimen's weapon system is: `confirmed`, "
            "`likely` or `possible`; NULL when not stated.",
            "likely",
        ),
        _c("recovered_on", "date", "When the specimen was recovered.", "2024-01-02"),
        _c("recovered_at", "text", "Where the specimen was recovered.", "Kharkiv"),
        _c("recovered_by", "text", "Who recovered it.", "Ukrainian authorities"),
        _c("component", "text", "What the part does.", "voltage converter"),
        _c("part_number", "text", "Part number as marked.", "TSM0505S"),
        _c("marking", "text", "The whole marking as read.", "TSM0505S 2413"),
        _c("date_code", "text", "Date code as read (kept as written).", "2413"),
        _c(
            "quantity", "integer", "Number of identical parts this row stands for (1 or more).", "1"
        ),
        _c("manufacturer_id", "integer", "Id of the manufacturer (`v_manufacturers`).", "5"),
        _c("manufacturer", "text", "The manufacturer's canonical name.", "XP Power"),
        _c(
            "manufacturer_parent",
            "text",
            "Name of the manufacturer's parent company, when recorded.",
            "Analog Devices",
        ),
        _c(
            "manufacturer_country_code",
            "text",
            "ISO code of the manufacturer's headquarters country (the brand's country); NULL when "
            "not known.",
            "GB",
        ),
        _c("manufacturer_country", "text", "Name of that country.", "United Kingdom"),
        _c(
            "made_in_code",
            "text",
            'ISO code of the country of manufacture, when the marking says so ("Made in ...").',
            "CN",
        ),
        _c("made_in_country", "text", "Name of the country of manufacture.", "China"),
        _c(
            "manufactured_on",
            "date",
            "First day of the manufacture period (see `manufactured_precision`).",
            "2023-02-01",
        ),
        _c(
            "manufactured_precision",
            "text",
            "Precision of `manufactured_on`: `year`, `month`, `week` or `day`.",
            "month",
        ),
        _c("hs_code", "text", "Customs (Harmonized System) code as given.", "8504.40"),
        _c("hs6", "text", "The HS code's first six digits, no dots.", "850440"),
        _c(
            "chpl_tier",
            "text",
            "Tier of the HS-6 code on the newest Common High Priority List loaded (the list with "
            "the latest `published_on`): 1, 2, 3.A, 3.B, 4.A or 4.B. NULL when the code is not on "
            "that list, the component has no HS-6 code, or no list is loaded. A lead for "
            "export-control review, not a legal classification.",
            "3.A",
        ),
        _c(
            "chpl_version",
            "text",
            "Version of the list `chpl_tier` was looked up in; NULL when no list is loaded or "
            "the component has no HS-6 code.",
            "2024-02-23",
        ),
        _c(
            "authenticity",
            "text",
            "`genuine`, `suspected_counterfeit`, `counterfeit` or `unknown`.",
            "genuine",
        ),
        _c(
            "foreign_by_manufacturer",
            "integer",
            "1 when the manufacturer's headquarters country differs from the weapon's producer "
            "country, 0 when it is the same, NULL when the headquarters is not known.",
            "1",
        ),
        _c(
            "foreign_by_made_in",
            "integer",
            "1 when the country of manufacture differs from the weapon's producer country, 0 when "
            "it is the same, NULL when the part does not say where it was made.",
            "",
        ),
        _c("source_count", "integer", "Number of sources that reported the component.", "2"),
        _c(
            "first_source_publisher",
            "text",
            "Publisher of the first source: the earliest published (undated last; ties: the "
            "source recorded first).",
            "Conflict Armament Research",
        ),
        _c("first_source_title", "text", "Title of the first source.", "Kharkiv missile"),
        _c("first_source_url", "text", "URL of the first source.", "https://example.org/report"),
        _c(
            "first_source_published_on",
            "date",
            "Publication date of the first source.",
            "2024-02-01",
        ),
        _c("batch_id", "integer", "Id of the load batch that added the component.", "1"),
        _c("batch_file_name", "text", "Name of the file that load read.", "kn23.csv"),
        _c(
            "batch_loaded_at",
            "timestamp",
            "When that load ran (UTC).",
            "2026-11-24 20:49:22.123456",
        ),
    ),
)

V_FOREIGN_PARTS_BY_WEAPON = View(
    name="v_foreign_parts_by_weapon",
    description=(
        "The foreign-origin report as a view: one row per weapon system, basis and origin "
        "country, with the number of parts (the sum of the components' quantities) and their "
        "share of the weapon system's parts. A part is foreign when its origin country differs "
        "from the weapon system's producer country; parts whose origin is not known on the basis "
        "are one row with `origin_country_code` NULL and `is_foreign` NULL. The same figures as "
        "`provenance report foreign-parts`."
    ),
    key=("basis", "weapon_system", "origin_country_code"),
    facets=("basis", "weapon_system", "origin_country", "is_foreign"),
    columns=(
        _BASIS,
        *_WEAPON,
        *_PRODUCER,
        _c(
            "origin_country_code",
            "text",
            "ISO code of the origin country on this basis; NULL for parts of unknown origin.",
            "US",
        ),
        _c(
            "origin_country",
            "text",
            "Name of the origin country; `(unknown origin)` when not known.",
            "United States",
        ),
        _c(
            "is_foreign",
            "integer",
            "1 when the origin country differs from the producer country, 0 when it is the "
            "same, NULL when the origin is unknown.",
            "1",
        ),
        _c("parts", "integer", "Parts of this origin in the weapon system.", "3"),
        _c("weapon_parts", "integer", "All parts of the weapon system (on any origin).", "6"),
        _c("share", "real", "`parts / weapon_parts`, between 0 and 1.", "0.5"),
        _c("component_count", "integer", "Component rows behind `parts`.", "2"),
        _c("manufacturer_count", "integer", "Distinct manufacturers behind `parts`.", "2"),
    ),
)

V_FOREIGN_SHARE_BY_WEAPON = View(
    name="v_foreign_share_by_weapon",
    description=(
        "The foreign-origin report's totals: one row per weapon system and basis, with its "
        "parts, how many are foreign, domestic or of unknown origin, the foreign share and the "
        "number of sources behind the figures."
    ),
    key=("basis", "weapon_system"),
    facets=("basis", "weapon_category", "weapon_producer_country"),
    columns=(
        _BASIS,
        *_WEAPON,
        _c("weapon_category", "text", "Category: SRBM, cruise missile, UAV, ...", "SRBM"),
        *_PRODUCER,
        _c("parts", "integer", "All parts found in the weapon system's specimens.", "6"),
        _c("foreign_parts", "integer", "Parts whose origin differs from the producer.", "4"),
        _c("domestic_parts", "integer", "Parts whose origin is the producer country.", "1"),
        _c("unknown_origin_parts", "integer", "Parts whose origin is not known.", "1"),
        _c(
            "foreign_share",
            "real",
            "`foreign_parts / parts` (unknown origin counts in `parts`), between 0 and 1.",
            "0.6667",
        ),
        _c("foreign_country_count", "integer", "Distinct foreign origin countries.", "2"),
        _c(
            "source_count",
            "integer",
            "Distinct sources that reported the weapon system's components.",
            "2",
        ),
    ),
)

V_MANUFACTURERS = View(
    name="v_manufacturers",
    description=(
        "One row per manufacturer with its headquarters country, parent company and what was "
        "found of it: components, parts, weapon systems and the range of manufacture dates."
    ),
    key=("manufacturer_id",),
    facets=("country",),
    columns=(
        _c("manufacturer_id", "integer", "Id of the manufacturer (`manufacturers.id`).", "5"),
        _c("manufacturer", "text", "Canonical name.", "Texas Instruments"),
        _c("parent_manufacturer_id", "integer", "Id of the parent company, when recorded.", ""),
        _c("parent_manufacturer", "text", "Name of the parent company.", ""),
        _c("country_code", "text", "ISO code of the headquarters country; NULL if unknown.", "US"),
        _c("country", "text", "Name of the headquarters country.", "United States"),
        _c("alias_count", "integer", "Other names recorded for the manufacturer.", "1"),
        _c("component_count", "integer", "Component rows of this manufacturer.", "2"),
        _c("parts", "integer", "Parts (sum of quantities) of this manufacturer.", "5"),
        _c("weapon_system_count", "integer", "Weapon systems its parts were found in.", "2"),
        _c(
            "first_manufactured_on", "date", "Earliest manufacture date of its parts.", "2020-01-01"
        ),
        _c("last_manufactured_on", "date", "Latest manufacture date of its parts.", "2023-02-01"),
        _c("batch_id", "integer", "Id of the load batch that created the manufacturer.", "1"),
    ),
)

V_SOURCES = View(
    name="v_sources",
    description=(
        "One row per source (who reported findings) with what it reported: components, parts, "
        "specimens and weapon systems. Every figure should be traceable to these rows."
    ),
    key=("source_id",),
    facets=("publisher", "reliability"),
    columns=(
        _c("source_id", "integer", "Id of the source (`sources.id`).", "2"),
        _c("publisher", "text", "Who published the finding.", "Conflict Armament Research"),
        _c("title", "text", "Title of the publication.", "Kharkiv missile"),
        _c("url", "text", "Where it is published.", "https://example.org/report"),
        _c(
            "published_on",
            "date",
            "First day of the publication period (see `published_precision`).",
            "2024-02-01",
        ),
        _c("published_precision", "text", "`year`, `month`, `week` or `day`.", "month"),
        _c("reliability", "text", "`high`, `medium` or `low`; NULL when not rated.", "high"),
        _c("component_count", "integer", "Components the source reported.", "5"),
        _c("parts", "integer", "Parts (sum of quantities) of those components.", "6"),
        _c("specimen_count", "integer", "Recovered weapons those components came from.", "1"),
        _c("weapon_system_count", "integer", "Weapon systems concerned.", "1"),
        _c("notes", "text", "Free-text notes on the source.", ""),
        _c("batch_id", "integer", "Id of the load batch that created the source.", "1"),
    ),
)

#: The current views, in creation order.
VIEWS: tuple[View, ...] = (
    V_COMPONENTS,
    V_FOREIGN_PARTS_BY_WEAPON,
    V_FOREIGN_SHARE_BY_WEAPON,
    V_MANUFACTURERS,
    V_SOURCES,
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
