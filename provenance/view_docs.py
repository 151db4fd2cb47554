"""The documentation of the views (the columns BI users see): what ``docs/views.md`` is written
from (``provenance.views``). This module: the types, and the views of findings (components, foreign
parts, manufacturers, sources, citations); ``view_docs_chain``: the views of the investigation
around them (evidence, screening, parties, transfers, customs records).
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = ("integer", "real", "text", "date", "timestamp")


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
