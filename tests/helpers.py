"""Helpers for tests: writing findings files, and a logical dump to compare databases."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from provenance.ingest.columns import COLUMNS, EXTRA_COLUMNS
from provenance.models import Base

#: A complete, valid findings row; tests override what they need.
BASE_ROW: dict[str, str] = {
    "weapon_system": "KN-23",
    "weapon_producer_country": "North Korea",
    "specimen": "SPEC-1",
    "recovered_on": "2024-01-02",
    "recovered_at": "Kharkiv",
    "component": "voltage converter",
    "part_number": "",
    "marking": "",
    "manufacturer": "XP Power",
    "manufacturer_country": "UK",
    "made_in": "",
    "date_code": "",
    "manufactured_on": "2023-02",
    "quantity": "1",
    "hs_code": "8504.40",
    "authenticity": "genuine",
    "source_publisher": "Test Publisher",
    "source_title": "Test report",
    "source_url": "",
    "source_published_on": "2024-11",
    "notes": "",
}


def row(**changes: str) -> dict[str, str]:
    """A findings row: BASE_ROW with ``changes``."""
    unknown = set(changes) - set(BASE_ROW) - set(EXTRA_COLUMNS)
    assert not unknown, unknown
    return {**BASE_ROW, **changes}


def write_csv(
    path: Path,
    rows: Iterable[Mapping[str, str]],
    columns: Iterable[str] = COLUMNS,
    encoding: str = "utf-8",
) -> Path:
    rows = list(rows)
    header = list(columns)
    for r in rows:
        header += [k for k in r if k not in header]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, rows: Iterable[Mapping[str, Any]], lines: bool = False) -> Path:
    rows = list(rows)
    if lines:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    else:
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    return path


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal dumps mean equal databases."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(Base.metadata.tables[table])).all())
