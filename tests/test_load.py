"""Loading findings files: formats, matching, idempotence, provenance, and all-or-nothing errors.

Every test that takes ``engine`` runs on SQLite and on PostgreSQL (see conftest.py). Tests that
reject a file compare a logical dump of the database before and after: a failed load must leave
every table exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from provenance.errors import InvalidDataError
from provenance.ingest import catalogue, loader, write
from provenance.ingest.loader import COLUMNS, MAX_REPORTED_ERRORS, LoadSummary, load_files
from provenance.ingest.readers import detect_format
from provenance.models import (
    Citation,
    Component,
    LoadBatch,
    Manufacturer,
    ManufacturerAlias,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
)
from provenance.values.text import name_key
from tests.helpers import count, dump, row, write_csv, write_json

# ---------------------------------------------------------------------------------------------
# Helpers


def stored_components(engine: Engine) -> list[dict[str, Any]]:
    """Every component with the names it points to, in insertion order."""
    query = (
        select(
            WeaponSystem.designation.label("weapon"),
            WeaponSystem.producer_country_code.label("producer"),
            Specimen.label.label("specimen"),
            Specimen.recovered_on,
            Specimen.recovered_at,
            Component.function,
            Component.part_number,
            Component.marking,
            Manufacturer.name.label("manufacturer"),
            Manufacturer.country_code.label("hq"),
            Component.made_in_code,
            Component.date_code,
            Component.manufactured_on,
            Component.manufactured_precision,
            Component.quantity,
            Component.hs_code,
            Component.authenticity,
            Component.notes,
        )
        .join(Specimen, Component.specimen_id == Specimen.id)
        .join(WeaponSystem, Specimen.weapon_system_id == WeaponSystem.id)
        .join(Manufacturer, Component.manufacturer_id == Manufacturer.id)
        .order_by(Component.id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def batches(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(LoadBatch).order_by(LoadBatch.id)).mappings()]


def assert_traceable(engine: Engine) -> None:
    """Every component cites a source, and every component and citation names its load batch."""
    with engine.connect() as conn:
        uncited = conn.execute(
            select(Component.id).where(~Component.id.in_(select(Citation.component_id)))
        ).all()
        assert uncited == []
        batch_ids = set(conn.execute(select(LoadBatch.id)).scalars())
        for table in (Component, Citation):
            used = set(conn.execute(select(table.batch_id)).scalars())
            assert used <= batch_ids
            assert None not in used


def without_batches(d: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: rows for name, rows in d.items() if name != "load_batches"}


def preload(engine: Engine, tmp_path: Path) -> None:
    """Stored findings for the tests that check rows against the database: KN-23 (North Korea),
    specimen SPEC-1, XP Power (United Kingdom), source "Test Publisher: Test report"."""
    load_files(engine, [write_csv(tmp_path / "preload.csv", [row()])])


def rejected(engine: Engine, *paths: Path, dry_run: bool = False) -> InvalidDataError:
    """Load ``paths`` expecting InvalidDataError; check that the database did not change."""
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, list(paths), dry_run=dry_run)
    assert dump(engine) == before
    return caught.value


def where(error: InvalidDataError) -> list[tuple[str, int, str]]:
    return [(e.file, e.row, e.column) for e in error.errors]


def counts(summary: LoadSummary) -> dict[str, int]:
    return {
        "rows_read": summary.rows_read,
        "components_added": summary.components_added,
        "components_matched": summary.components_matched,
        "duplicate_rows": summary.duplicate_rows,
        "citations_added": summary.citations_added,
        "weapon_systems_created": summary.weapon_systems_created,
        "specimens_created": summary.specimens_created,
        "manufacturers_created": summary.manufacturers_created,
        "manufacturers_updated": summary.manufacturers_updated,
        "sources_created": summary.sources_created,
    }


TWO_ROWS = [
    row(),
    row(
        component="microcontroller",
        part_number="STM32F405",
        marking="ST e3 GH229",
        manufacturer="STMicroelectronics",
        manufacturer_country="Switzerland",
        made_in="Malaysia",
        date_code="2229",
        manufactured_on="2022-07-18",
        quantity="2",
        hs_code="854231",
        authenticity="suspected counterfeit",
        notes="found on the guidance board",
    ),
]

EXPECTED_TWO_ROWS = [
    {
        "weapon": "KN-23",
        "producer": "KP",
        "specimen": "SPEC-1",
        "recovered_on": dt.date(2024, 1, 2),
        "recovered_at": "Kharkiv",
        "function": "voltage converter",
        "part_number": None,
        "marking": None,
        "manufacturer": "XP Power",
        "hq": "GB",
        "made_in_code": None,
        "date_code": None,
        "manufactured_on": dt.date(2023, 2, 1),
        "manufactured_precision": "month",
        "quantity": 1,
        "hs_code": "8504.40",
        "authenticity": "genuine",
        "notes": None,
    },
    {
        "weapon": "KN-23",
        "producer": "KP",
        "specimen": "SPEC-1",
        "recovered_on": dt.date(2024, 1, 2),
        "recovered_at": "Kharkiv",
        "function": "microcontroller",
        "part_number": "STM32F405",
        "marking": "ST e3 GH229",
        "manufacturer": "STMicroelectronics",
        "hq": "CH",
        "made_in_code": "MY",
        "date_code": "2229",
        "manufactured_on": dt.date(2022, 7, 18),
        "manufactured_precision": "day",
        "quantity": 2,
        "hs_code": "854231",
        "authenticity": "suspected_counterfeit",
        "notes": "found on the guidance board",
    },
]


# ---------------------------------------------------------------------------------------------
# Formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"], ids=["plain", "bom"])
def test_csv_loads_one_component_per_row(engine: Engine, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "findings.csv", TWO_ROWS, encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbfweapon_system,")

    [summary] = load_files(engine, [path])

    assert counts(summary) == {
        "rows_read": 2,
        "components_added": 2,
        "components_matched": 0,
        "duplicate_rows": 0,
        "citations_added": 2,
        "weapon_systems_created": 1,
        "specimens_created": 1,
        "manufacturers_created": 2,
        "manufacturers_updated": 0,
        "sources_created": 1,
    }
    assert summary.file == str(path)
    assert summary.warnings == []
    assert not summary.dry_run
    assert stored_components(engine) == EXPECTED_TWO_ROWS
    with engine.connect() as conn:
        source = conn.execute(select(Source)).one()
        assert (source.publisher, source.title, source.url) == (
            "Test Publisher",
            "Test report",
            None,
        )
        assert (source.published_on, source.published_precision) == (dt.date(2024, 11, 1), "month")
    assert count(engine, "citations") == 2
    assert_traceable(engine)


@pytest.mark.parametrize("lines", [False, True], ids=["json-array", "json-lines"])
def test_json_array_and_json_lines(engine: Engine, tmp_path: Path, lines: bool) -> None:
    path = write_json(tmp_path / ("findings.jsonl" if lines else "findings.json"), TWO_ROWS, lines)
    [summary] = load_files(engine, [path])
    assert (summary.rows_read, summary.components_added) == (2, 2)
    assert stored_components(engine) == EXPECTED_TWO_ROWS
    assert_traceable(engine)


def test_json_with_bom_and_unknown_extension(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "findings.export"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(TWO_ROWS).encode())
    [summary] = load_files(engine, [path])
    assert summary.components_added == 2
    assert stored_components(engine) == EXPECTED_TWO_ROWS


def test_json_numbers_and_nulls(engine: Engine, tmp_path: Path) -> None:
    record: dict[str, Any] = {
        **row(),
        "part_number": None,
        "marking": None,
        "date_code": 2314,
        "manufactured_on": 2023,
        "quantity": 3,
        "hs_code": 8504.40,
        "notes": None,
        "source_url": None,
    }
    text = json.dumps([record, {**record, "component": "relay", "hs_code": 853641}])
    # json.dumps writes 8504.4; write the number as a researcher would.
    path = tmp_path / "numbers.json"
    path.write_text(text.replace("8504.4", "8504.40"), "utf-8")

    [summary] = load_files(engine, [path])

    assert summary.components_added == 2
    first, second = stored_components(engine)
    assert first["date_code"] == "2314"
    assert (first["manufactured_on"], first["manufactured_precision"]) == (
        dt.date(2023, 1, 1),
        "year",
    )
    assert first["quantity"] == 3
    assert first["hs_code"] == "8504.40"  # the digits as written, not a float's 8504.4
    assert (first["part_number"], first["marking"], first["notes"]) == (None, None, None)
    assert second["hs_code"] == "853641"


def test_json_rejects_values_that_are_not_single_values(engine: Engine, tmp_path: Path) -> None:
    records: list[Any] = [
        row(),
        {**row(specimen="SPEC-2"), "marking": ["a", "b"]},
        "not an object",
        row(specimen="SPEC-4", quantity="0"),
    ]
    path = write_json(tmp_path / "nested.json", records)
    error = rejected(engine, path)
    assert where(error) == [
        (str(path), 2, "marking"),
        (str(path), 3, ""),
        (str(path), 4, "quantity"),
    ]
    assert all(e.row_kind == "record" for e in error.errors)
    assert "record 2" in str(error)
    assert "expected a JSON object" in error.errors[1].message


def test_json_lines_errors_name_the_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "findings.jsonl"
    rows = [row(), row(specimen="SPEC-2", quantity="0")]
    path.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n", "utf-8")
    error = rejected(engine, path)
    assert where(error) == [(str(path), 3, "quantity")]
    assert f"{path}:3: quantity" in str(error)


def test_invalid_json_is_reported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n {"weapon_system": "KN-23",\n', "utf-8")
    error = rejected(engine, path)
    assert [(e.file, e.column) for e in error.errors] == [(str(path), "")]
    assert "invalid JSON" in error.errors[0].message


def test_json_that_is_not_an_array(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "object.json"
    path.write_text(json.dumps(row()), "utf-8")
    error = rejected(engine, path)
    assert "expected a JSON array" in error.errors[0].message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", b"[", "json"),  # the content decides
        ("a.csv", b"PK\x03\x04", "xlsx"),
        ("a.tsv", b"a\tb\n", "tsv"),
        ("a.json", b'{"a": 1}', "json"),
        ("a.JSON", b"", "json"),
        ("a.ndjson", b"", "jsonl"),
        ("a.txt", b'\xef\xbb\xbf  \n[{"a": 1}]', "json"),
        ("a.txt", b'{"a": 1}\n', "jsonl"),
        ("a", b"weapon_system,specimen\n", "csv"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


def test_columns_in_any_order(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "reversed.csv", TWO_ROWS, columns=reversed(COLUMNS))
    assert path.read_text("utf-8").startswith("notes,source_published_on,")
    load_files(engine, [path])
    assert stored_components(engine) == EXPECTED_TWO_ROWS


def test_optional_columns_may_be_left_out(engine: Engine, tmp_path: Path) -> None:
    required = ["weapon_system", "weapon_producer_country", "specimen", "component"]
    columns = [*required, "manufacturer", "source_url"]
    path = write_csv(
        tmp_path / "minimal.csv",
        [{c: row(source_url="https://example.org/report")[c] for c in columns}],
        columns=columns,
    )
    [summary] = load_files(engine, [path])
    assert summary.components_added == 1
    [component] = stored_components(engine)
    assert (component["quantity"], component["authenticity"]) == (1, "unknown")
    assert (component["manufactured_on"], component["manufactured_precision"]) == (None, None)
    with engine.connect() as conn:
        source = conn.execute(select(Source)).one()
    # A source given only by its URL is named after it.
    assert (source.publisher, source.title, source.url) == (
        "example.org",
        "https://example.org/report",
        "https://example.org/report",
    )


def test_text_is_cleaned(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "messy.csv",
        [
            row(
                weapon_system="  KN-23 ",
                component="voltage\u200b  converter",
                part_number="\uff2c\uff2d\uff13\uff11\uff17",  # full-width LM317
                manufacturer=" XP  Power",
                marking="   ",
            )
        ],
    )
    load_files(engine, [path])
    [component] = stored_components(engine)
    assert component["weapon"] == "KN-23"
    assert component["function"] == "voltage converter"
    assert component["part_number"] == "LM317"
    assert component["manufacturer"] == "XP Power"
    assert component["marking"] is None


def test_multiline_cells_and_blank_lines_keep_line_numbers(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "multiline.csv",
        [row(notes="first line\nsecond line"), row(specimen="SPEC-2", quantity="many")],
    )
    content = path.read_bytes()
    assert content.count(b"\r\nKN-23") == 2
    path.write_bytes(content.replace(b"\r\nKN-23", b"\r\n\r\nKN-23", 1) + b",,\r\n\r\n")
    # line 1 header, line 2 blank, lines 3-4 the first row, line 5 the bad row, then blank rows
    error = rejected(engine, path)
    assert where(error) == [(str(path), 5, "quantity")]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("manufactured_on", "2023", (dt.date(2023, 1, 1), "year")),
        ("manufactured_on", "2023-02", (dt.date(2023, 2, 1), "month")),
        ("manufactured_on", "2023-2", (dt.date(2023, 2, 1), "month")),
        ("manufactured_on", "2023-02-14", (dt.date(2023, 2, 14), "day")),
        ("manufactured_on", "", (None, None)),
    ],
)
def test_manufactured_on_keeps_its_precision(
    engine: Engine, tmp_path: Path, column: str, value: str, expected: tuple[Any, Any]
) -> None:
    load_files(engine, [write_csv(tmp_path / "f.csv", [row(**{column: value})])])
    [component] = stored_components(engine)
    assert (component["manufactured_on"], component["manufactured_precision"]) == expected


def test_countries_in_other_languages_and_aliases(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "countries.csv",
        [
            row(weapon_producer_country="DPRK", manufacturer_country="Großbritannien"),
            row(
                component="op-amp",
                manufacturer="Texas Instruments",
                manufacturer_country="Vereinigte Staaten",
                made_in="Schweiz",
            ),
            row(
                weapon_system="Shahed-136",
                weapon_producer_country="Iran, Islamic Republic of",
                specimen="SPEC-2",
                manufacturer="u-blox",
                manufacturer_country="CH",
                made_in="Taiwan",
            ),
        ],
    )
    load_files(engine, [path])
    got = [(c["producer"], c["hq"], c["made_in_code"]) for c in stored_components(engine)]
    assert got == [("KP", "GB", None), ("KP", "US", "CH"), ("IR", "CH", "TW")]


# ---------------------------------------------------------------------------------------------
# Matching what is already stored


def test_known_weapon_manufacturer_and_source_match_case_insensitively(
    engine: Engine, tmp_path: Path
) -> None:
    preload(engine, tmp_path)
    path = write_csv(
        tmp_path / "second.csv",
        [
            row(
                weapon_system="kn-23",
                weapon_producer_country="",  # not needed for a known weapon system
                specimen="spec-1",
                component="DC-DC converter",
                manufacturer="XP POWER",
                manufacturer_country="",
                source_publisher="TEST publisher",
                source_title="test REPORT",
            )
        ],
    )
    [summary] = load_files(engine, [path])
    assert counts(summary) | {"components_added": 1} == counts(summary)
    assert (
        summary.weapon_systems_created,
        summary.specimens_created,
        summary.manufacturers_created,
        summary.sources_created,
    ) == (0, 0, 0, 0)
    for table in ("weapon_systems", "specimens", "manufacturers", "sources"):
        assert count(engine, table) == 1
    names = {(c["weapon"], c["specimen"], c["manufacturer"]) for c in stored_components(engine)}
    assert names == {("KN-23", "SPEC-1", "XP Power")}


def test_aliases_of_weapon_systems_and_manufacturers_match(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        ws_id = conn.execute(
            insert(WeaponSystem).returning(WeaponSystem.id),
            {"designation": "KN-23", "designation_key": "kn-23", "producer_country_code": "KP"},
        ).scalar_one()
        conn.execute(
            insert(WeaponSystemAlias),
            {"weapon_system_id": ws_id, "alias": "Hwasong-11Ga", "alias_key": "hwasong-11ga"},
        )
        m_id = conn.execute(
            insert(Manufacturer).returning(Manufacturer.id),
            {"name": "Analog Devices", "name_key": "analog devices", "country_code": "US"},
        ).scalar_one()
        conn.execute(
            insert(ManufacturerAlias),
            {"manufacturer_id": m_id, "alias": "ADI", "alias_key": name_key("ADI")},
        )
    path = write_csv(
        tmp_path / "aliases.csv",
        [
            row(
                weapon_system="HWASONG-11GA",
                weapon_producer_country="North Korea",
                manufacturer="adi",
                manufacturer_country="USA",
            )
        ],
    )
    [summary] = load_files(engine, [path])
    assert (summary.weapon_systems_created, summary.manufacturers_created) == (0, 0)
    [component] = stored_components(engine)
    assert (component["weapon"], component["manufacturer"]) == ("KN-23", "Analog Devices")
    assert count(engine, "weapon_systems") == count(engine, "manufacturers") == 1

    # The same part written under the canonical name is the same component.
    again = write_csv(
        tmp_path / "canonical.csv",
        [row(weapon_system="KN-23", manufacturer="Analog Devices", manufacturer_country="")],
    )
    [summary] = load_files(engine, [again])
    assert (summary.components_added, summary.components_matched) == (0, 1)


def test_manufacturer_without_country_gets_one(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(manufacturer_country="")])])
    assert stored_components(engine)[0]["hq"] is None
    [summary] = load_files(
        engine, [write_csv(tmp_path / "b.csv", [row(component="relay", manufacturer="xp power")])]
    )
    assert summary.manufacturers_updated == 1
    assert {c["hq"] for c in stored_components(engine)} == {"GB"}


def test_specimen_details_are_filled_in_later(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "a.csv", [row(recovered_on="", recovered_at="")])])
    load_files(engine, [write_csv(tmp_path / "b.csv", [row(component="relay")])])
    details = {(c["recovered_on"], c["recovered_at"]) for c in stored_components(engine)}
    assert details == {(dt.date(2024, 1, 2), "Kharkiv")}


# ---------------------------------------------------------------------------------------------
# Idempotence, citations, duplicates


def test_loading_the_same_file_again_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "findings.csv", TWO_ROWS)
    load_files(engine, [path])
    before = dump(engine)

    [summary] = load_files(engine, [path])

    assert counts(summary) == {
        "rows_read": 2,
        "components_added": 0,
        "components_matched": 2,
        "duplicate_rows": 0,
        "citations_added": 0,
        "weapon_systems_created": 0,
        "specimens_created": 0,
        "manufacturers_created": 0,
        "manufacturers_updated": 0,
        "sources_created": 0,
    }
    after = dump(engine)
    assert without_batches(after) == without_batches(before)
    assert len(after["load_batches"]) == len(before["load_batches"]) + 1
    second = batches(engine)[-1]
    assert second["id"] == summary.batch_id
    assert (second["components_added"], second["components_matched"]) == (0, 2)
    assert second["citations_added"] == 0


def test_same_findings_in_json_after_csv_add_nothing(engine: Engine, tmp_path: Path) -> None:
    load_files(engine, [write_csv(tmp_path / "findings.csv", TWO_ROWS)])
    before = without_batches(dump(engine))
    shuffled: list[dict[str, Any]] = [
        {**TWO_ROWS[1], "manufacturer": "stmicroelectronics", "quantity": 2},
        {**TWO_ROWS[0], "weapon_system": "kn-23", "specimen": " SPEC-1 "},
    ]
    [summary] = load_files(engine, [write_json(tmp_path / "findings.json", shuffled)])
    assert (summary.components_added, summary.components_matched) == (0, 2)
    assert without_batches(dump(engine)) == before


def test_a_new_source_for_a_known_component_adds_a_citation(engine: Engine, tmp_path: Path) -> None:
    preload(engine, tmp_path)
    path = write_csv(
        tmp_path / "second-source.csv",
        [row(source_publisher="", source_title="", source_url="https://example.org/kn-23")],
    )
    [summary] = load_files(engine, [path])
    assert (summary.components_added, summary.components_matched) == (0, 1)
    assert (summary.citations_added, summary.sources_created) == (1, 1)
    assert count(engine, "components") == 1
    assert count(engine, "sources") == 2
    with engine.connect() as conn:
        citations = conn.execute(select(Citation.source_id, Citation.batch_id)).all()
    assert len(citations) == 2
    assert {b for _, b in citations} == {batches(engine)[0]["id"], summary.batch_id}

    # The same URL again is the same source: nothing new.
    [summary] = load_files(engine, [path])
    assert (summary.citations_added, summary.sources_created) == (0, 0)


def test_a_known_source_gets_the_url_it_was_missing(engine: Engine, tmp_path: Path) -> None:
    preload(engine, tmp_path)  # "Test Publisher: Test report", without a URL
    url = "https://example.org/report"
    [summary] = load_files(engine, [write_csv(tmp_path / "a.csv", [row(source_url=url)])])
    assert (summary.sources_created, summary.citations_added) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(Source.url)).scalars().all() == [url]
    # Cited by its URL alone, it is the same source.
    by_url = row(component="relay", source_publisher="", source_title="", source_url=url)
    [summary] = load_files(engine, [write_csv(tmp_path / "b.csv", [by_url])])
    assert (summary.sources_created, summary.citations_added) == (0, 1)
    assert count(engine, "sources") == 1


def test_two_sources_in_one_file_cite_one_component(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "two-sources.csv",
        [row(), row(source_publisher="Other", source_title="Other report")],
    )
    [summary] = load_files(engine, [path])
    assert (summary.components_added, summary.components_matched) == (1, 1)
    assert (summary.citations_added, summary.duplicate_rows) == (2, 0)
    assert count(engine, "components") == 1
    assert count(engine, "citations") == 2


def test_duplicate_rows_in_one_file(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dup.csv", [row(), row(), row(component="relay"), row(manufacturer="xp power")]
    )
    [summary] = load_files(engine, [path])
    # Duplicates of a row are "already known" and counted as skipped duplicates.
    assert counts(summary) | {
        "rows_read": 4,
        "components_added": 2,
        "components_matched": 2,
        "duplicate_rows": 2,
        "citations_added": 2,
    } == counts(summary)
    assert count(engine, "components") == 2
    assert count(engine, "citations") == 2
    [batch] = batches(engine)
    assert (batch["rows_read"], batch["duplicate_rows"], batch["rows_rejected"]) == (4, 2, 0)


def test_a_portal_export_that_repeats_its_pages(engine: Engine, tmp_path: Path) -> None:
    """Pages of 3 rows, page 2 exported twice: each finding loads once."""
    pages = [
        [row(component=f"part {page}-{i}", source_url=f"https://example.org/{page}/{i}",
             source_publisher="", source_title="") for i in range(3)]
        for page in range(3)
    ]  # fmt: skip
    path = write_csv(tmp_path / "export.csv", [*pages[0], *pages[1], *pages[1], *pages[2]])
    [summary] = load_files(engine, [path])
    assert (summary.rows_read, summary.components_added, summary.duplicate_rows) == (12, 9, 3)
    assert count(engine, "citations") == 9
    assert batches(engine)[0]["duplicate_rows"] == 3


def test_progress_is_reported(engine: Engine, tmp_path: Path) -> None:
    rows = [row(component=f"part {i}") for i in range(loader.PROGRESS_EVERY * 2 + 5)]
    calls: list[int] = []
    load_files(engine, [write_csv(tmp_path / "big.csv", rows)], progress=calls.append)
    assert calls == [loader.PROGRESS_EVERY, loader.PROGRESS_EVERY * 2, len(rows)]


def test_same_component_in_two_specimens_is_two_components(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [row(), row(specimen="SPEC-2")])
    [summary] = load_files(engine, [path])
    assert (summary.components_added, summary.specimens_created) == (2, 2)


def test_a_file_larger_than_a_chunk(engine: Engine, tmp_path: Path) -> None:
    """Lookups and inserts go in chunks of catalogue.CHUNK rows: rows across them still match."""
    n = catalogue.CHUNK * 2 + 37
    rows = [
        row(
            specimen=f"SPEC-{i % (catalogue.CHUNK + 50)}",
            component=f"part {i}",
            manufacturer=f"Maker {i % (catalogue.CHUNK + 10)}",
            source_title=f"Report {i % (catalogue.CHUNK + 20)}",
        )
        for i in range(n)
    ]
    path = write_csv(tmp_path / "big.csv", rows)
    [summary] = load_files(engine, [path])
    assert (summary.rows_read, summary.components_added, summary.citations_added) == (n, n, n)
    assert summary.specimens_created == catalogue.CHUNK + 50
    assert summary.manufacturers_created == catalogue.CHUNK + 10
    assert summary.sources_created == catalogue.CHUNK + 20
    assert_traceable(engine)
    before = without_batches(dump(engine))
    [summary] = load_files(engine, [path])
    assert (summary.components_added, summary.components_matched) == (0, n)
    assert without_batches(dump(engine)) == before


def test_the_same_file_twice_in_one_load(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "findings.csv", TWO_ROWS)
    first, second = load_files(engine, [path, path])
    assert (first.components_added, second.components_added) == (2, 0)
    assert (second.components_matched, second.weapon_systems_created) == (2, 0)
    assert [b["sha256"] for b in batches(engine)] == [first.sha256] * 2
    assert count(engine, "components") == 2


# ---------------------------------------------------------------------------------------------
# Load batches


def test_load_batch_records_file_hash_and_counts(engine: Engine, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "first.csv", TWO_ROWS)
    second = write_json(
        tmp_path / "second.jsonl",
        [row(source_title="Another report"), row(specimen="SPEC-2", component="relay")],
        lines=True,
    )
    s1, s2 = load_files(engine, [first, second])

    b1, b2 = batches(engine)
    assert (b1["id"], b2["id"]) == (s1.batch_id, s2.batch_id)
    assert b1["file_name"] == "first.csv"
    assert b2["file_name"] == "second.jsonl"
    assert b1["sha256"] == s1.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    assert b2["sha256"] == s2.sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    assert isinstance(b1["loaded_at"], dt.datetime)
    assert b1["tool_version"]
    got = [
        (b["rows_read"], b["components_added"], b["components_matched"], b["citations_added"])
        for b in (b1, b2)
    ]
    assert got == [(2, 2, 0, 2), (2, 1, 1, 2)]

    with engine.connect() as conn:
        component_batches = conn.execute(
            select(Component.batch_id, func.count()).group_by(Component.batch_id)
        ).all()
        citation_batches = conn.execute(
            select(Citation.batch_id, func.count()).group_by(Citation.batch_id)
        ).all()
        created = {
            table.__tablename__: set(conn.execute(select(table.batch_id)).scalars())
            for table in (WeaponSystem, Specimen, Manufacturer, Source)
        }
    assert sorted(component_batches) == [(b1["id"], 2), (b2["id"], 1)]
    assert sorted(citation_batches) == [(b1["id"], 2), (b2["id"], 2)]
    assert created == {
        "weapon_systems": {b1["id"]},
        "specimens": {b1["id"], b2["id"]},
        "manufacturers": {b1["id"]},
        "sources": {b1["id"], b2["id"]},
    }
    assert_traceable(engine)


# ---------------------------------------------------------------------------------------------
# Bad values: the whole file is rejected, every problem named


BAD_VALUES = [
    pytest.param("manufacturer_country", "Germny", "unknown country; closest: Germany", id="hq"),
    pytest.param("made_in", "Swizerland", "closest: Switzerland", id="made-in"),
    pytest.param("weapon_producer_country", "Atlantis", "unknown country", id="producer"),
    pytest.param("weapon_system", "", "required, but empty", id="no-weapon"),
    pytest.param("specimen", "  ", "required, but empty", id="blank-specimen"),
    pytest.param("component", "", "required, but empty", id="no-component"),
    pytest.param("manufacturer", "\u200b", "required, but empty", id="invisible-manufacturer"),
    pytest.param("manufactured_on", "2023-13", "not a real date", id="month-13"),
    pytest.param("manufactured_on", "2023-02-30", "not a real date", id="feb-30"),
    pytest.param("manufactured_on", "early 2023", "YYYY, YYYY-MM or YYYY-MM-DD", id="words"),
    pytest.param("manufactured_on", "Febr 2023", "a month as 'Feb 2023'", id="bad-month"),
    pytest.param("manufactured_on", "2023-W54", "not a real week", id="week-54"),
    pytest.param("date_code", "2460", "not a real date code read as YYWW", id="date-code-wk60"),
    pytest.param("date_code", "2400", "not week 0", id="date-code-wk0"),
    pytest.param("manufactured_on", "23", "YYYY, YYYY-MM or YYYY-MM-DD", id="two-digits"),
    pytest.param("manufactured_on", "2023-02-14T10:00", "YYYY-MM-DD", id="datetime"),
    pytest.param("manufactured_on", "\u0662\u0660\u0662\u0663", "YYYY-MM", id="arabic-digits"),
    pytest.param("manufactured_on", "0000", "not a real date", id="year-0"),
    pytest.param("recovered_on", "2024-02-30", "YYYY-MM-DD", id="recovered-feb-30"),
    pytest.param("recovered_on", "2024-02", "YYYY-MM-DD", id="recovered-month"),
    pytest.param("recovered_on", "yesterday", "YYYY-MM-DD", id="recovered-word"),
    pytest.param("source_published_on", "2024-00", "not a real date", id="published"),
    pytest.param("quantity", "0", "whole number of parts, 1 or more", id="qty-0"),
    pytest.param("quantity", "-1", "whole number of parts, 1 or more", id="qty-negative"),
    pytest.param("quantity", "1.5", "whole number of parts, 1 or more", id="qty-fraction"),
    pytest.param("quantity", "abc", "whole number of parts, 1 or more", id="qty-word"),
    pytest.param("quantity", "1_000", "whole number of parts, 1 or more", id="qty-underscore"),
    pytest.param("quantity", "\u0663", "whole number of parts, 1 or more", id="qty-arabic-digit"),
    pytest.param("hs_code", "85A4.40", "HS code of 4 to 10 digits", id="hs-letters"),
    pytest.param("hs_code", "85", "HS code of 4 to 10 digits", id="hs-short"),
    pytest.param("hs_code", "85044000001", "HS code of 4 to 10 digits", id="hs-long"),
    pytest.param("hs_code", "8504..40", "HS code of 4 to 10 digits", id="hs-two-dots"),
    pytest.param("hs_code", "8504.", "HS code of 4 to 10 digits", id="hs-trailing-dot"),
    pytest.param("hs_code", "\u0668\u0665\u0660\u0664", "HS code", id="hs-arabic-digits"),
    pytest.param("source_url", "not a url", "http:// or https://", id="url-words"),
    pytest.param("source_url", "www.example.org/a", "http:// or https://", id="url-no-scheme"),
    pytest.param("source_url", "ftp://example.org/a", "http:// or https://", id="url-ftp"),
    pytest.param("source_url", "https://", "http:// or https://", id="url-no-host"),
    pytest.param("authenticity", "real", "expected one of: genuine,", id="authenticity"),
]


@pytest.mark.parametrize(("column", "value", "expected"), BAD_VALUES)
def test_a_bad_value_rejects_the_whole_file(
    engine: Engine, tmp_path: Path, column: str, value: str, expected: str
) -> None:
    preload(engine, tmp_path)
    path = write_csv(
        tmp_path / "bad.csv",
        [
            # A good row that would add a weapon system, specimen, manufacturer and source.
            row(
                weapon_system="Shahed-136",
                weapon_producer_country="Iran",
                specimen="SPEC-2",
                manufacturer="Texas Instruments",
                manufacturer_country="US",
                source_title="Another report",
            ),
            row(**{"specimen": "SPEC-3", column: value}),
        ],
    )
    error = rejected(engine, path)
    assert where(error) == [(str(path), 3, column)]
    [problem] = error.errors
    assert problem.value == value
    assert expected in problem.message
    assert str(error).startswith(f"{path}:3: {column}: ")
    assert error.total == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"source_publisher": "", "source_title": "", "source_url": ""},
        {"source_publisher": "Test Publisher", "source_title": "", "source_url": ""},
        {"source_publisher": "", "source_title": "Test report", "source_url": ""},
    ],
    ids=["none", "publisher-only", "title-only"],
)
def test_every_finding_needs_a_source(
    engine: Engine, tmp_path: Path, changes: dict[str, str]
) -> None:
    path = write_csv(tmp_path / "nosource.csv", [row(**changes)])
    error = rejected(engine, path)
    assert where(error) == [(str(path), 2, "source_publisher")]
    assert "needs a source" in error.errors[0].message


def test_unknown_weapon_system_needs_its_producer_country(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv", [row(weapon_system="Shahed-136", weapon_producer_country="")]
    )
    error = rejected(engine, path)
    assert where(error) == [(str(path), 2, "weapon_producer_country")]
    assert "Shahed-136" in error.errors[0].message


@pytest.mark.parametrize(
    ("changes", "column", "expected"),
    [
        (
            {"weapon_producer_country": "Russia", "specimen": "SPEC-2"},
            "weapon_producer_country",
            "KN-23 is recorded as produced by North Korea",
        ),
        (
            {"weapon_system": "Shahed-136", "weapon_producer_country": "Iran"},
            "weapon_system",
            "specimen SPEC-1 is recorded as a KN-23",
        ),
        (
            {"recovered_on": "2024-03-01"},
            "recovered_on",
            "specimen SPEC-1 is recorded with 2024-01-02",
        ),
    ],
    ids=["producer", "specimen-weapon", "specimen-date"],
)
def test_rows_that_contradict_the_database(
    engine: Engine, tmp_path: Path, changes: dict[str, str], column: str, expected: str
) -> None:
    preload(engine, tmp_path)
    path = write_csv(tmp_path / "conflict.csv", [row(component="relay"), row(**changes)])
    error = rejected(engine, path)
    assert where(error) == [(str(path), 3, column)]
    assert expected in error.errors[0].message


def test_rows_that_contradict_each_other(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [
            row(),
            row(specimen="SPEC-2", weapon_producer_country="Russia"),
            row(specimen="SPEC-3", component="relay", manufacturer_country="Japan"),
        ],
    )
    error = rejected(engine, path)
    # Issue 18: neither row wins by coming first: the rows on both sides are reported.
    assert sorted(where(error)) == [
        (str(path), 2, "manufacturer_country"),
        (str(path), 2, "weapon_producer_country"),
        (str(path), 3, "weapon_producer_country"),
        (str(path), 4, "manufacturer_country"),
    ]
    first = next(e for e in error.errors if e.row == 2 and e.column == "weapon_producer_country")
    assert "North Korea" in first.message and "Russia" in first.message
    later = next(e for e in error.errors if e.row == 4)
    assert f"contradicts {path}:2, which gives United Kingdom for the headquarters country of " in (
        later.message
    )


def test_a_headquarters_the_database_records_stays_and_the_row_keeps_its_own(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 18: a row that reports another country for a manufacturer whose headquarters is
    recorded loads; the part keeps the country as reported, and the load warns naming both."""
    preload(engine, tmp_path)
    path = write_csv(
        tmp_path / "other.csv",
        [row(component="relay", manufacturer="xp power", manufacturer_country="Deutschland")],
    )
    [summary] = load_files(engine, [path])
    assert summary.components_added == 1
    [warning] = [w for w in summary.warnings if "XP Power" in w]
    assert "1 row report Germany for XP Power" in warning
    assert "recorded with headquarters in United Kingdom" in warning
    assert f"({path}:2)" in warning
    with engine.connect() as conn:
        stored = conn.execute(
            select(Component.reported_maker_country_code, Manufacturer.country_code)
            .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
            .where(Component.function == "relay")
        ).one()
    assert tuple(stored) == ("DE", "GB")


def test_sources_that_contradict_the_database(engine: Engine, tmp_path: Path) -> None:
    a, b = "https://example.org/a", "https://example.org/b"
    stored = [row(source_url=a), row(source_title="Second report", source_url=b)]
    load_files(engine, [write_csv(tmp_path / "stored.csv", stored)])
    path = write_csv(
        tmp_path / "bad.csv",
        [
            # Test report is stored with URL a.
            row(component="relay", source_url="https://example.org/c"),
            # URL b is Second report's.
            row(component="relay", source_url=b),
        ],
    )
    error = rejected(engine, path)
    assert where(error) == [(str(path), 2, "source_url"), (str(path), 3, "source_url")]
    assert "recorded with the URL https://example.org/a" in error.errors[0].message
    assert "belongs to another source" in error.errors[1].message


def test_every_bad_row_is_reported(engine: Engine, tmp_path: Path) -> None:
    preload(engine, tmp_path)
    path = write_csv(
        tmp_path / "bad.csv",
        [
            row(specimen="SPEC-2", quantity="0"),
            row(specimen="SPEC-3"),
            row(specimen="SPEC-4", manufacturer_country="Narnia"),
            row(specimen="SPEC-5", hs_code="x", manufactured_on="2023-13"),
        ],
    )
    error = rejected(engine, path)
    assert where(error) == [
        (str(path), 2, "quantity"),
        (str(path), 4, "manufacturer_country"),
        (str(path), 5, "manufactured_on"),
        (str(path), 5, "hs_code"),
    ]
    assert error.total == 4
    assert len(str(error).splitlines()) == 4


def test_errors_over_the_limit_are_counted(engine: Engine, tmp_path: Path) -> None:
    bad = MAX_REPORTED_ERRORS + 7
    path = write_csv(
        tmp_path / "many.csv", [row(specimen=f"SPEC-{i}", quantity="none") for i in range(bad)]
    )
    error = rejected(engine, path)
    assert len(error.errors) == MAX_REPORTED_ERRORS
    assert error.total == bad
    assert [e.row for e in error.errors] == list(range(2, MAX_REPORTED_ERRORS + 2))
    # Issue 18: one line for the group, with its count, first rows and values.
    assert str(error) == (
        f"{path}: {bad} rows: quantity: expected a whole number of parts, 1 or more "
        "(at most 2,147,483,647) (e.g. row 2 'none', row 3 'none', row 4 'none', ...)"
    )


def test_a_bad_file_stops_the_good_files_too(engine: Engine, tmp_path: Path) -> None:
    preload(engine, tmp_path)
    good = write_csv(tmp_path / "good.csv", [row(specimen="SPEC-2", component="relay")])
    bad = write_csv(tmp_path / "bad.csv", [row(specimen="SPEC-3", quantity="-1")])
    error = rejected(engine, good, bad)
    assert where(error) == [(str(bad), 2, "quantity")]
    error = rejected(engine, bad, good)
    assert where(error) == [(str(bad), 2, "quantity")]


def test_problems_in_several_files_are_all_reported(engine: Engine, tmp_path: Path) -> None:
    bad1 = write_csv(tmp_path / "bad1.csv", [row(quantity="-1")])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = write_csv(tmp_path / "header-only.csv", [])
    bad2 = write_json(tmp_path / "bad2.json", [row(hs_code="abcd")])
    missing = tmp_path / "missing.csv"
    error = rejected(engine, bad1, empty, header_only, bad2, missing)
    assert [(e.file, e.column) for e in error.errors] == [
        (str(bad1), "quantity"),
        (str(empty), ""),
        (str(header_only), ""),
        (str(bad2), "hs_code"),
        (str(missing), ""),
    ]
    assert "holds no findings" in error.errors[2].message
    assert "cannot read the file" in error.errors[4].message


def test_a_failure_while_writing_leaves_the_database_unchanged(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows written before the failure must be rolled back (the SQLite BEGIN pitfall)."""
    preload(engine, tmp_path)
    before = dump(engine)
    first = write_csv(tmp_path / "first.csv", [row(specimen="SPEC-2", weapon_system="KN-24")])
    second = write_csv(tmp_path / "second.csv", [row(specimen="SPEC-3", component="relay")])
    finish = write.Writer.finish

    def failing(writer: Any, file: Any) -> None:
        finish(writer, file)
        # The first file's rows are in the transaction...
        conn = writer.conn
        assert (
            conn.execute(select(func.count()).select_from(Specimen)).scalar_one() == 2 + file.index
        )
        if file.index == 1:
            raise RuntimeError("disk full")

    monkeypatch.setattr(write.Writer, "finish", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_files(engine, [first, second])
    # ... and none of them is kept.
    assert dump(engine) == before


# ---------------------------------------------------------------------------------------------
# Dry run


def test_dry_run_reports_like_a_load_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    preload(engine, tmp_path)
    files = [
        write_csv(tmp_path / "a.csv", [*TWO_ROWS, row(source_title="Second report")]),
        write_json(
            tmp_path / "b.json",
            [row(specimen="SPEC-2", weapon_system="Shahed-136", weapon_producer_country="Iran")],
        ),
    ]
    before = dump(engine)

    dry = load_files(engine, files, dry_run=True)

    assert dump(engine) == before
    assert all(s.dry_run and s.batch_id is None for s in dry)
    real = load_files(engine, files)
    assert [counts(s) for s in dry] == [counts(s) for s in real]
    assert [(s.file, s.sha256) for s in dry] == [(s.file, s.sha256) for s in real]
    assert counts(real[0])["components_added"] == 1
    assert counts(real[1])["weapon_systems_created"] == 1
    assert all(not s.dry_run and s.batch_id is not None for s in real)


def test_dry_run_of_a_bad_file_reports_the_errors(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [row(quantity="0")])
    error = rejected(engine, path, dry_run=True)
    assert where(error) == [(str(path), 2, "quantity")]


# ---------------------------------------------------------------------------------------------
# Malformed files


def test_csv_row_with_the_wrong_number_of_fields(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fields.csv", [row(), row(specimen="SPEC-2")])
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("KN-23,North Korea,SPEC-3,extra\r\n")
        handle.write(",".join(row(specimen="SPEC-4", quantity="0").values()) + "\r\n")
    error = rejected(engine, path)
    assert where(error) == [(str(path), 4, ""), (str(path), 5, "quantity")]
    assert f"expected {len(COLUMNS)} fields as in the header, found 4" in str(error)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("bom-only.csv", b"\xef\xbb\xbf", "the file is empty"),
        ("header-only.csv", ",".join(COLUMNS).encode() + b"\r\n", "holds no findings"),
        ("blank-rows.csv", ",".join(COLUMNS).encode() + b"\r\n\r\n,,\r\n", "holds no findings"),
        ("empty.json", b"", "the file is empty"),
        ("blank.json", b"\xef\xbb\xbf \n", "the file is empty"),
        ("empty-array.json", b"[]", "holds no findings"),
        ("empty.jsonl", b"\n\n", "the file is empty"),
    ],
)
def test_files_without_findings(
    engine: Engine, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    error = rejected(engine, path)
    assert [e.file for e in error.errors] == [str(path)]
    assert expected in error.errors[0].message


def test_file_with_none_of_the_columns(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,age\nAlice,30\n", "utf-8")
    error = rejected(engine, path)
    assert where(error) == [(str(path), 1, "")]
    assert "none of the findings columns" in error.errors[0].message


def test_header_problems(engine: Engine, tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("weapon_system,specimen,specimen\nKN-23,A,A\n", "utf-8")
    error = rejected(engine, twice)
    assert where(error) == [(str(twice), 1, "specimen")]
    empty_name = tmp_path / "empty-name.csv"
    empty_name.write_text("weapon_system,,specimen\nKN-23,x,A\n", "utf-8")
    error = rejected(engine, empty_name)
    assert where(error) == [(str(empty_name), 1, "")]


def test_unknown_column_is_a_warning(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "extra.csv", [{**row(), "analyst": "J. Doe", "Notes2": "x"}])
    [summary] = load_files(engine, [path])
    assert summary.components_added == 1
    [warning] = summary.warnings
    assert "analyst, Notes2" in warning
    assert str(path) in warning


def test_optional_extra_columns_are_known(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "extra.csv",
        [
            row(
                weapon_category="ballistic missile",
                recovered_by="HUR",
                identification_confidence="likely",
                source_reliability="High",
            )
        ],
    )
    [summary] = load_files(engine, [path])
    assert summary.warnings == []
    with engine.connect() as conn:
        assert conn.execute(select(WeaponSystem.category)).scalar_one() == "ballistic missile"
        specimen = conn.execute(select(Specimen)).one()
        assert (specimen.recovered_by, specimen.identification_confidence) == ("HUR", "likely")
        assert conn.execute(select(Source.reliability)).scalar_one() == "high"


@pytest.mark.parametrize("at_line", [2, 300], ids=["first-block", "later-block"])
def test_a_file_that_mixes_encodings(engine: Engine, tmp_path: Path, at_line: int) -> None:
    """A UTF-8 file with one line in another encoding is not read as Windows-1252 (which would
    turn every UTF-8 character into two): the error names the line that is not UTF-8."""
    rows = [row(specimen=f"SPEC-{i}") for i in range(at_line - 2)]
    rows.append(row(specimen="SPEC-X", manufacturer_country="Großbritannien"))
    rows += [row(specimen=f"SPEC-Y{i}", recovered_at="Kyjiw – Oblast") for i in range(3)]
    good = write_csv(tmp_path / "good.csv", rows)
    lines = good.read_text("utf-8").splitlines(keepends=True)
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"".join(
            line.encode("cp1252" if number == at_line else "utf-8")
            for number, line in enumerate(lines, start=1)
        )
    )

    error = rejected(engine, path)

    assert where(error) == [(str(path), at_line, "")]
    assert "mixes encodings" in error.errors[0].message
    assert str(error).startswith(f"{path}:{at_line}: the file is not UTF-8 text")


def test_a_cp1252_json_lines_file_loads(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.jsonl"
    lines = [json.dumps(row(manufacturer_country="Großbritannien"), ensure_ascii=False)] * 2
    path.write_bytes("\n".join(lines).encode("cp1252"))
    [summary] = load_files(engine, [path])
    assert summary.components_matched == 1
    assert stored_components(engine)[0]["hq"] == "GB"


def test_a_missing_file(engine: Engine, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [row()])
    missing = tmp_path / "missing.csv"
    error = rejected(engine, good, missing)
    assert [e.file for e in error.errors] == [str(missing)]


@pytest.mark.parametrize(
    "bad",
    [
        {"component": ""},
        {"quantity": "0"},
        {"hs_code": "85"},
        {"manufactured_on": "2023-13"},
        {"authenticity": "maybe"},
        {"made_in": "Atlantis"},
        {"part_number": "\u0422I317"},  # a Cyrillic Т before a Latin I
        {"quantity": "two", "made_in": "Atlantis", "recovered_on": "yesterday"},
    ],
    ids=lambda bad: ",".join(bad),
)
def test_a_rows_problems_do_not_depend_on_the_rows_before_it(
    engine: Engine, tmp_path: Path, bad: dict[str, str]
) -> None:
    """A bad row whose weapon system, specimen, manufacturer and source are those of good rows
    before it (whose values the loader has cached) is reported exactly as when it comes first."""
    alone = rejected(engine, write_csv(tmp_path / "alone.csv", [row(**bad)]))
    after = rejected(
        engine,
        write_csv(
            tmp_path / "after.csv",
            [
                row(component="relay"),
                row(component="fuse", manufacturer="XP POWER LTD"),
                row(**bad),
            ],
        ),
    )
    assert [(e.row, e.column, e.value, e.message) for e in after.errors] == [
        (e.row + 2, e.column, e.value, e.message) for e in alone.errors
    ]


def test_a_load_pauses_the_garbage_collector_and_restores_it(
    engine: Engine, tmp_path: Path
) -> None:
    seen: list[bool] = []
    good = write_csv(tmp_path / "good.csv", [row()])
    bad = write_csv(tmp_path / "bad.csv", [row(quantity="0")])
    assert gc.isenabled()
    load_files(engine, [good], progress=lambda _: seen.append(gc.isenabled()))
    assert seen == [False]
    assert gc.isenabled()
    rejected(engine, bad)
    assert gc.isenabled()
    gc.disable()
    try:
        load_files(engine, [good])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
