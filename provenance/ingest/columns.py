"""The findings layout: the columns a findings file may have, in the order the README lists them."""

from __future__ import annotations

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
)
#: Every column of the layout.
ALL_COLUMNS: tuple[str, ...] = COLUMNS + EXTRA_COLUMNS
REQUIRED: tuple[str, ...] = ("weapon_system", "specimen", "component", "manufacturer")
#: The column a rejects file adds to the rows it holds; ignored when such a file is loaded again.
ERROR_COLUMN = "error"
