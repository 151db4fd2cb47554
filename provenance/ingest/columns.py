"""The layouts a file loaded with ``provenance load`` may have: findings (one row per component
found in a recovered weapon), and the reference layouts (one row per weapon system, manufacturer
or source) that a mapping's ``kind`` names; and the customs records layout (one row per shipment)
that ``provenance customs load`` reads.
"""

from __future__ import annotations

import enum

#: The findings layout, in the order the README documents it.
COLUMNS: tuple[str, ...] = (
    "weapon_system",
    "weapon_producer_country",
    "specimen",
    "recovered_on",
    "recovered_at",
    "component",
    "part_number",
    "marking",
    "manufacturer",
    "manufacturer_country",
    "made_in",
    "date_code",
    "manufactured_on",
    "quantity",
    "hs_code",
    "authenticity",
    "source_publisher",
    "source_title",
    "source_url",
    "source_published_on",
    "notes",
)
#: Further optional columns.
EXTRA_COLUMNS: tuple[str, ...] = (
    "weapon_category",
    "recovered_by",
    "identification_confidence",
    "source_reliability",
    "manufacturer_parent",
    "manufacturer_parent_country",
    "source_record_id",
    "source_record_url",
    "evidence_url",
    "authenticity_basis",
    "evidence_file",
)
#: Every column of the layout.
ALL_COLUMNS: tuple[str, ...] = COLUMNS + EXTRA_COLUMNS
REQUIRED: tuple[str, ...] = ("weapon_system", "specimen", "component", "manufacturer")
#: The column a rejects file adds to the rows it holds; ignored when such a file is loaded again.
ERROR_COLUMN = "error"


class Kind(enum.StrEnum):
    """What a file loaded with ``provenance load`` holds (a mapping's ``kind``)."""

    FINDINGS = "findings"
    WEAPON_SYSTEMS = "weapon_systems"
    MANUFACTURERS = "manufacturers"
    SOURCES = "sources"
    CUSTOMS = "customs"  # customs shipment rows: ``provenance customs load``, not ``load``


#: The weapon systems layout: one row per weapon system.
WEAPON_SYSTEM_COLUMNS: tuple[str, ...] = (
    "designation",
    "aliases",
    "category",
    "producer_country",
    "users",
    "description",
)
#: The manufacturers layout: one row per company.
MANUFACTURER_COLUMNS: tuple[str, ...] = ("name", "country", "parent", "parent_country", "aliases")
#: The sources layout: one row per publication.
SOURCE_COLUMNS: tuple[str, ...] = (
    "publisher",
    "title",
    "url",
    "published_on",
    "reliability",
    "notes",
)

#: The customs records layout (``provenance customs load``): one row per shipment.
CUSTOMS_COLUMNS: tuple[str, ...] = (
    "date",
    "hs_code",
    "description",
    "brand",
    "part_number",
    "exporter",
    "importer",
    "origin_country",
    "dispatch_country",
    "value",
    "currency",
    "quantity",
    "record_id",
)

#: Every layout's columns.
LAYOUTS: dict[Kind, tuple[str, ...]] = {
    Kind.FINDINGS: ALL_COLUMNS,
    Kind.WEAPON_SYSTEMS: WEAPON_SYSTEM_COLUMNS,
    Kind.MANUFACTURERS: MANUFACTURER_COLUMNS,
    Kind.SOURCES: SOURCE_COLUMNS,
    Kind.CUSTOMS: CUSTOMS_COLUMNS,
}
#: The columns every row of a layout needs.
REQUIRED_OF: dict[Kind, tuple[str, ...]] = {
    Kind.FINDINGS: REQUIRED,
    Kind.WEAPON_SYSTEMS: ("designation",),
    Kind.MANUFACTURERS: ("name",),
    Kind.SOURCES: ("publisher", "title"),
    Kind.CUSTOMS: (),
}
#: Columns of the reference layouts that hold several values: a JSON list (``["RU", "BY"]``) or
#: values separated by ``;``. Several columns of a file may fill one of them.
LIST_COLUMNS: frozenset[str] = frozenset({"aliases", "users"})
#: Every column name of every layout.
EVERY_COLUMN: tuple[str, ...] = tuple(dict.fromkeys(c for cols in LAYOUTS.values() for c in cols))
