"""Datasette metadata for a provenance SQLite file: ``provenance datasette-metadata``.

Written from the same documentation as ``docs/views.md`` (``provenance.views``) and, for the
tables, from the models' docstrings and column comments. Datasette itself is an optional extra
(``pip install 'provenance[datasette]'``); run it with

    provenance datasette-metadata --db sqlite:///findings.db > metadata.json
    datasette findings.db --metadata metadata.json
"""

from __future__ import annotations

import inspect
from typing import Any

from sqlalchemy import Table

from provenance.models import Base
from provenance.views import VIEWS

#: The column Datasette shows instead of an id where another table points to a row.
LABEL_COLUMNS = {
    "countries": "display_name",
    "weapon_systems": "designation",
    "specimens": "label",
    "manufacturers": "name",
    "sources": "title",
    "load_batches": "file_name",
    "chpl_lists": "version",
    "country_groups": "name",
    "components": "function",
}

_TITLE = "provenance: components found in recovered weapons"
_DESCRIPTION = (
    "Which countries' and companies' parts end up in which weapons, with the source behind every "
    "finding. Start from the views (v_components, v_foreign_parts_by_weapon, ...): their columns "
    "are documented and stable; the tables may change between versions."
)


def _table_description(tbl: Table) -> str:
    for mapper in Base.registry.mappers:
        if mapper.local_table is tbl:
            doc = inspect.getdoc(mapper.class_)
            if doc and not doc.startswith(f"{mapper.class_.__name__}("):  # not dataclass repr
                return " ".join(doc.split("\n\n")[0].split())
    return ""


def _table_columns(tbl: Table) -> dict[str, str]:
    return {c.name: c.comment for c in tbl.columns if c.comment}


def metadata(database: str = "provenance") -> dict[str, Any]:
    """Datasette's metadata document (title, databases -> tables -> description, columns,
    facets, sort, label_column) for a database that Datasette calls ``database`` (the file name
    without .db)."""
    tables: dict[str, Any] = {}
    for v in VIEWS:
        tables[v.name] = {
            "description": v.description,
            "columns": {c.name: f"{c.description} ({c.type})" for c in v.columns},
            "facets": list(v.facets),
            "sort": v.key[0],
        }
    for tbl in Base.metadata.sorted_tables:
        entry: dict[str, Any] = {}
        description = _table_description(tbl)
        if description:
            entry["description"] = description
        columns = _table_columns(tbl)
        if columns:
            entry["columns"] = columns
        if tbl.name in LABEL_COLUMNS:
            entry["label_column"] = LABEL_COLUMNS[tbl.name]
        tables[tbl.name] = entry
    tables["alembic_version"] = {"hidden": True}
    return {
        "title": _TITLE,
        "description": _DESCRIPTION,
        "databases": {
            database: {
                "description": _DESCRIPTION,
                "tables": tables,
            }
        },
    }
