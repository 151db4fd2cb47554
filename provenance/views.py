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

TYPES = ("integer", "real", "text", "date", "timestamp")


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
CURRENT_VERSION = "0011"


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
        "ISO 3166-1 alpha-2 code of the country that produces the weapon system; NULL when not "
        "known (its parts are then neither foreign nor domestic).",
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
        _c(
            "manufacturer_id",
            "integer",
            "Id of the manufacturer (`v_manufacturers`); NULL when the source could not identify "
            "the manufacturer.",
            "5",
        ),
        _c(
            "manufacturer",
            "text",
            "The manufacturer's canonical name; NULL when not identified.",
            "XP Power",
        ),
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
            "reported_maker_country_code",
            "text",
            "ISO code of the manufacturer's country as the source reported it for this part (a "
            "part of an unidentified maker may still have one); NULL when not reported.",
            "CN",
        ),
        _c("reported_maker_country", "text", "Name of that country.", "China"),
        _c(
            "manufacturer_origin_code",
            "text",
            "The part's origin on the manufacturer basis: the manufacturer's headquarters when "
            "recorded, else the country the source reported for the maker; NULL when neither.",
            "GB",
        ),
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
            "1 when `manufacturer_origin_code` differs from the weapon's producer country, 0 when "
            "it is the same, NULL when either is not known.",
            "1",
        ),
        _c(
            "foreign_by_made_in",
            "integer",
            "1 when the country of manufacture differs from the weapon's producer country, 0 when "
            "it is the same, NULL when the part does not say where it was made or the producer "
            "is not known.",
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
        _c(
            "first_source_record_id",
            "text",
            "The first source's own id of this finding (`v_citations` lists every source's).",
            "gur-7188",
        ),
        _c(
            "first_source_record_url",
            "text",
            "Where the first source shows the finding.",
            "https://example.org/components/7188",
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
            "same, NULL when the origin or the producer is unknown.",
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
            "`foreign_parts / parts` (unknown origin counts in `parts`), between 0 and 1; NULL "
            "when the producer country is not known.",
            "0.6667",
        ),
        _c("foreign_country_count", "integer", "Distinct foreign origin countries.", "2"),
        _c(
            "source_count",
            "integer",
            "Distinct sources that reported the weapon system's components.",
            "2",
        ),
        _c(
            "unknown_producer_parts",
            "integer",
            "Parts of known origin in a weapon system whose producer country is not known: "
            "neither foreign nor domestic.",
            "0",
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

V_CITATIONS = View(
    name="v_citations",
    description=(
        "One row per source reporting a component: the source, its own id of the finding and "
        "where it shows it (a portal's page per part), and the photo it gives. Every figure "
        "traces back through these rows to what each source published."
    ),
    key=("component_id", "source_id"),
    facets=("publisher",),
    columns=(
        _c("component_id", "integer", "Id of the component (`v_components`).", "17"),
        _c("weapon_system_id", "integer", "Id of the component's weapon system.", "1"),
        _c("source_id", "integer", "Id of the source (`v_sources`).", "2"),
        _c("publisher", "text", "Who published the finding.", "Defence Intelligence of Ukraine"),
        _c("title", "text", "Title of the publication.", "War & Sanctions: components"),
        _c("source_url", "text", "Where the source is published.", "https://example.org"),
        _c(
            "source_record_id",
            "text",
            "The source's own id of the finding; NULL when it gives none.",
            "gur-7188",
        ),
        _c(
            "source_record_url",
            "text",
            "Where the source shows this finding; NULL when not given.",
            "https://example.org/components/7188",
        ),
        _c(
            "evidence_url",
            "text",
            "The source's photo or document of the part (recorded, never fetched).",
            "https://example.org/uploads/7188.jpg",
        ),
        _c(
            "authenticity",
            "text",
            "What this source claims of the part: genuine, suspected_counterfeit or counterfeit; "
            "NULL when it says nothing (`v_components.authenticity` is the claim reports use).",
            "counterfeit",
        ),
        _c(
            "authenticity_basis",
            "text",
            "On what the source bases its claim: engraving style, X-ray, the maker's statement.",
            "engraving style differs from the maker's",
        ),
        _c(
            "made_in_code",
            "text",
            "The country of manufacture this source states (ISO alpha-2); NULL when none.",
            "MY",
        ),
        _c(
            "manufactured_on",
            "date",
            "The first day of the manufacture period this source states; NULL when none.",
            "2023-02-01",
        ),
        _c(
            "manufactured_precision",
            "text",
            "How precisely this source states it: year, month, week or day.",
            "month",
        ),
        _c("batch_id", "integer", "Id of the load batch that added the citation.", "1"),
    ),
)

V_EVIDENCE = View(
    name="v_evidence",
    description=(
        "One row per photo or document of a component or specimen: `stored` files kept by their "
        "content (`provenance evidence add`, hashes and EXIF, the custody count), and `remote` "
        "references a source gave as a URL (recorded, never fetched)."
    ),
    key=("kind", "evidence_id", "remote_url", "component_id", "specimen_id", "source_id"),
    facets=("kind", "media_type", "weapon_system"),
    columns=(
        _c("kind", "text", "`stored` (in the evidence store) or `remote` (a URL).", "stored"),
        _c("evidence_id", "integer", "Id of the stored file; NULL for a remote one.", "3"),
        _c("sha256", "text", "SHA-256 of the file's bytes (hex): its name in the store.", ""),
        _c("sha1", "text", "SHA-1 of the bytes (hex), as FollowTheMoney names files.", ""),
        _c("media_type", "text", "Media type sniffed from the bytes.", "image/jpeg"),
        _c("size_bytes", "integer", "Size of the file in bytes.", "2483112"),
        _c("original_name", "text", "The file's name when it was first added.", "IMG_0412.jpg"),
        _c("remote_url", "text", "Where a remote reference points (never fetched).", ""),
        _c("component_id", "integer", "The component it shows; NULL for a specimen's.", "17"),
        _c("specimen_id", "integer", "The specimen it shows (or the component's).", "4"),
        _c("specimen_label", "text", "The specimen's own label.", "UA-2024-0113"),
        _c("weapon_system_id", "integer", "Id of the weapon system.", "1"),
        _c("weapon_system", "text", "Designation of the weapon system.", "KN-23"),
        _c("caption", "text", "What the photo shows, as its adder wrote it.", "converter, top"),
        _c("taken_by", "text", "Who took it, when recorded.", ""),
        _c("source_id", "integer", "The source that published or gave it, when known.", "2"),
        _c("taken_at", "text", "EXIF time taken, camera's local time, no zone.", ""),
        _c("camera", "text", "EXIF camera make and model.", ""),
        _c("gps_latitude", "real", "EXIF latitude, decimal degrees (NULL when stripped).", ""),
        _c("gps_longitude", "real", "EXIF longitude, decimal degrees.", ""),
        _c("added_at", "timestamp", "When the file was linked to the part or specimen.", ""),
        _c("custody_events", "integer", "Events in the file's chain of custody.", "2"),
        _c("last_verified_at", "timestamp", "When its bytes were last hashed again.", ""),
    ),
)

V_SCREENING_CANDIDATES = View(
    name="v_screening_candidates",
    description="One row per candidate match of a manufacturer with an entity of a sanctions "
    "list (`provenance screen run`), with the person's decision: `open`, `accepted` or `rejected`.",
    key=("manufacturer", "entity_key"),
    facets=("decision", "entity_schema", "list_file"),
    columns=(
        _c("candidate_id", "integer", "Id of the candidate (`provenance screen review`).", "3"),
        _c("manufacturer_id", "integer", "Id of the manufacturer (`v_manufacturers`).", "5"),
        _c("manufacturer", "text", "The manufacturer's name.", "Xilinx"),
        _c("manufacturer_country_code", "text", "Its headquarters country, when known.", "US"),
        _c("entity_key", "text", "The entity's OpenSanctions id.", "NK-2a5hBmaG3ZQd4vuXnLTa4j"),
        _c("entity_name", "text", "The entity's name on the list.", "XILINX, INC"),
        _c("entity_schema", "text", "FtM schema: Company, Organization, Person, ...", "Company"),
        _c("entity_countries", "text", "The entity's countries (ISO, lower case, `;`).", "us"),
        _c("entity_datasets", "text", "The lists' datasets naming it (`;`).", "us_ofac_sdn"),
        _c("entity_sanctions", "text", "The sanctions, as the list says.", ""),
        _c("list_file", "text", "The file the entity was last found in.", "targets.simple.csv"),
        _c("list_date", "date", "The newest change the list records.", "2024-05-01"),
        _c("score", "real", "0 to 100: name likeness, the country for or against.", "100.0"),
        _c("reasons", "text", "Why it is a candidate: the names compared, the countries.", ""),
        _c("decision", "text", "`open`, `accepted` or `rejected`.", "accepted"),
        _c("decided_by", "text", "Who decided.", "A. Analyst"),
        _c("decided_at", "timestamp", "When.", ""),
        _c("note", "text", "The decision's note.", "same company, same address"),
    ),
)

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
