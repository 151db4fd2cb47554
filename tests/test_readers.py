"""Reading files: formats detected from content, delimiters, encodings, Excel workbooks.

These tests read files without a database (``provenance.ingest.readers``); the loading tests at
the end check that each format and encoding loads the same findings, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from provenance.errors import InvalidDataError
from provenance.ingest.columns import COLUMNS
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.readers import inspect_file, read_tables
from tests.helpers import dump, row, write_csv

# ---------------------------------------------------------------------------------------------
# Helpers


def read(path: Path, **options: Any) -> list[tuple[str, list[str], list[dict[str, str | None]]]]:
    """(table name, columns, record values) of every table of a file."""
    source = inspect_file(path, input_format=options.pop("input_format", None))
    out = []
    for table in read_tables(source, **options):
        records = list(table.records)
        for record in records:
            assert not record.errors, record.errors
        out.append((table.name, table.columns, [r.values for r in records]))
    return out


def read_error(path: Path, **options: Any) -> InvalidDataError:
    with pytest.raises(InvalidDataError) as caught:
        read(path, **options)
    return caught.value


def record_errors(path: Path, **options: Any) -> list[str]:
    source = inspect_file(path)
    return [str(e) for t in read_tables(source, **options) for r in t.records for e in r.errors]


ROWS = [
    {
        "weapon_system": "KN-23",
        "manufacturer": "XP Power",
        "manufacturer_country": "Großbritannien",
    },
    {"weapon_system": "KN-23", "manufacturer": "Murata", "manufacturer_country": "日本"},
]


def text_file(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Delimited text


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [{**r, "notes": "a, b; c"} for r in ROWS]  # other delimiters inside quoted cells
    path = tmp_path / "findings.txt"
    path.write_text(text_file(path, rows, delimiter), "utf-8")
    [(name, columns, values)] = read(path)
    assert name == str(path)
    assert columns == list(rows[0])
    assert values == rows


def test_a_delimiter_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("weapon_system;manufacturer,notes\nKN-23;XP Power,x\n", "utf-8")
    [(_, columns, values)] = read(path, delimiter=";")
    assert columns == ["weapon_system", "manufacturer,notes"]
    assert values == [{"weapon_system": "KN-23", "manufacturer,notes": "XP Power,x"}]


def test_tsv_extension_means_tabs(tmp_path: Path) -> None:
    path = tmp_path / "findings.tsv"
    path.write_text("weapon_system\tmanufacturer\nKN-23\tXP Power, plc\n", "utf-8")
    [(_, _, values)] = read(path)
    assert values == [{"weapon_system": "KN-23", "manufacturer": "XP Power, plc"}]


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "annex.csv"
    path.write_text(
        "Annex 2: components,,\n\nweapon_system,specimen,component\nKN-23,S-1,relay\n", "utf-8"
    )
    source = inspect_file(path)
    [table] = read_tables(source, looks_like_header=lambda cells: "specimen" in cells)
    assert table.columns == ["weapon_system", "specimen", "component"]
    assert table.skipped_rows == 1
    assert [(r.row, r.values["component"]) for r in table.records] == [(4, "relay")]


def test_trailing_delimiters_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("weapon_system,specimen,,\nKN-23,S-1,,\n", "utf-8")
    [(_, columns, values)] = read(path)
    assert columns == ["weapon_system", "specimen"]
    assert values == [{"weapon_system": "KN-23", "specimen": "S-1"}]


# ---------------------------------------------------------------------------------------------
# Encodings

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom": lambda text: text.encode("utf-16"),  # Excel's "Unicode text"
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-16-le-no-bom": lambda text: text.encode("utf-16-le"),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_unicode_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "findings.txt"
    path.write_bytes(ENCODINGS[encoding](text_file(path, ROWS, "\t")))
    [(_, columns, values)] = read(path)
    assert columns == list(ROWS[0])  # no byte-order mark in the first column's name
    assert values == ROWS


def test_windows_1252(tmp_path: Path) -> None:
    rows = [{**r, "manufacturer_country": "Großbritannien – UK"} for r in ROWS]
    path = tmp_path / "excel.csv"
    path.write_bytes(text_file(path, rows).encode("cp1252"))
    assert inspect_file(path).encoding == "cp1252"
    [(_, _, values)] = read(path)
    assert values == rows


@pytest.mark.parametrize(
    ("content", "line", "expected"),
    [
        (b"a,b\n1,2\n3,\x81\n", 3, "not text in UTF-8, UTF-16 or Windows-1252"),
        (b"a,b\n1,2\x00\n", 2, "not text in UTF-8, UTF-16 or Windows-1252"),
        ("a,b\nü,2\n".encode() + "ß,3\n".encode("cp1252"), 3, "mixes encodings"),
    ],
    ids=["undefined-byte", "nul", "mixed"],
)
def test_a_file_in_no_known_encoding(
    tmp_path: Path, content: bytes, line: int, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    error = read_error(path)
    [problem] = error.errors
    assert (problem.file, problem.row) == (str(path), line)
    assert expected in problem.message
    assert "save it as UTF-8" in problem.message


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.lists(
            st.text(
                st.characters(
                    codec="cp1252",
                    exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                    include_characters="\n",
                ),
                max_size=12,
            ),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=5,
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_delimited_text_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[list[str]],
    delimiter: str,
    encoding: str,
) -> None:
    """Whatever the cells hold (quotes, delimiters, line breaks, accents), every encoding and
    delimiter reads back the values written."""
    columns = ["weapon_system", "specimen", "notes"]
    rows = [
        dict(zip(columns, ["KN-23", f"S-{i}", *v[2:]], strict=True)) for i, v in enumerate(values)
    ]
    rows = [{**r, "notes": "".join(v[:2]) + r["notes"]} for r, v in zip(rows, values, strict=True)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    # Windows-1252 text that looks like UTF-8 ("Ã©" is how "é" looks in UTF-8 read as cp1252)
    # is read as UTF-8: real text does not have such pairs, only text garbled before.
    assume(encoding != "cp1252" or not re.search(rb"[\xc2-\xf4][\x80-\xbf]", data))
    path = tmp_path_factory.mktemp("round") / "f.txt"
    path.write_bytes(data)
    [(_, read_columns, read_values)] = read(path, delimiter=delimiter)
    assert read_columns == columns
    expected = [r for r in rows if any(v.strip() for v in r.values())]
    assert read_values == expected


# ---------------------------------------------------------------------------------------------
# Formats from the content


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (json.dumps(ROWS).encode(), "json"),
        ("\n".join(json.dumps(r) for r in ROWS).encode(), "jsonl"),
        (text_file(Path("x"), ROWS).encode(), "csv"),
    ],
)
def test_format_from_content_whatever_the_name(tmp_path: Path, content: bytes, fmt: str) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(content)
    assert inspect_file(path).format == fmt
    [(_, _, values)] = read(path)
    assert values == ROWS


def test_an_old_excel_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "annex.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    error = read_error(path)
    assert "Excel 97-2003" in error.errors[0].message
    assert "save it as an Excel workbook (.xlsx)" in error.errors[0].message


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a workbook")
    error = read_error(path)
    assert "not a readable Excel workbook" in error.errors[0].message


def test_input_format_that_contradicts_the_content(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n", "utf-8")
    assert "not a ZIP file" in read_error(path, input_format="xlsx").errors[0].message


# ---------------------------------------------------------------------------------------------
# Excel


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    book.save(path)
    return path


def test_every_sheet_is_a_table_with_its_own_rows(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "annex.xlsx",
        {
            "KN-23": [["Annex A"], [], ["weapon_system", "specimen"], ["KN-23", "S-1"]],
            "Empty": [],
            "Shahed": [["weapon_system", "specimen"], [None, None], ["Shahed-136", "S-2"]],
        },
    )
    source = inspect_file(path)
    assert source.format == "xlsx"
    tables = list(read_tables(source, looks_like_header=lambda cells: "weapon_system" in cells))
    assert [(t.name, t.sheet) for t in tables] == [
        (f"{path}[KN-23]", "KN-23"),
        (f"{path}[Shahed]", "Shahed"),
    ]
    rows = [[(r.row, r.source, r.values) for r in t.records] for t in tables]
    assert rows == [
        [(4, f"{path}[KN-23]", {"weapon_system": "KN-23", "specimen": "S-1"})],
        [(3, f"{path}[Shahed]", {"weapon_system": "Shahed-136", "specimen": "S-2"})],
    ]


def test_sheets_asked_for(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"A": [["specimen"], ["a"]], "B": [["specimen"], ["b"]]})
    assert [t[0] for t in read(path, sheets=["B"])] == [f"{path}[B]"]
    error = read_error(path, sheets=["C", "A"])
    assert "the workbook has no sheet 'C'; its sheets: 'A', 'B'" in error.errors[0].message


def test_excel_cells_become_text_as_shown(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["date_code", "padded", "hs_code", "quantity", "recovered_on", "flag", "at"])
    sheet.append(
        ["0823", 823, 8504.4, 3.0, dt.datetime(2024, 1, 2), True, dt.datetime(2024, 1, 2, 10, 30)]
    )
    sheet["B2"].number_format = "0000"
    sheet["C2"].number_format = "0.00"
    sheet.append([2413, 7, 854231, 1.5, dt.date(2023, 2, 1), False, None])
    book.save(path)
    [(_, _, values)] = read(path)
    assert values == [
        {
            "date_code": "0823",  # a text cell keeps its leading zero
            "padded": "0823",  # a number shown with four digits keeps it too
            "hs_code": "8504.40",  # shown with two decimals
            "quantity": "3",
            "recovered_on": "2024-01-02",  # an Excel date is an ISO date
            "flag": "true",
            "at": "2024-01-02 10:30:00",
        },
        {
            "date_code": "2413",
            "padded": "7",
            "hs_code": "854231",
            "quantity": "1.5",
            "recovered_on": "2023-02-01",
            "flag": "false",
            "at": None,
        },
    ]


def _set_cached_value(path: Path, cell: str, value: str) -> None:
    """Give a formula cell the stored result Excel would have written (openpyxl writes none)."""
    copy = path.with_suffix(".tmp")
    shutil.move(path, copy)
    with zipfile.ZipFile(copy) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                empty = rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f>(?:<v\s*/>)?'
                text = re.sub(empty, lambda m: f"{m[1]}<f>{m[2]}</f><v>{value}</v>", text)
                data = text.encode()
            dst.writestr(item, data)
    copy.unlink()


def test_formulas_need_their_stored_results(tmp_path: Path) -> None:
    path = tmp_path / "formulas.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["weapon_system", "quantity", "notes"])
    sheet.append(["KN-23", "=1+1", "stored"])
    sheet.append(["KN-23", "=2+2", "not stored"])
    book.save(path)
    _set_cached_value(path, "B2", "2")

    source = inspect_file(path)
    [table] = read_tables(source)
    first, second = list(table.records)
    assert first.values["quantity"] == "2" and not first.errors
    [problem] = second.errors
    assert str(problem).startswith(f"{path}[Sheet1]:3: quantity: cell B3 holds a formula")
    assert "without a stored result" in problem.message
    assert problem.value == "=2+2"


def test_a_value_in_a_column_without_a_header(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"S": [["specimen", None], ["a", None], ["b", "stray"]]})
    problems = record_errors(path)
    assert problems == [
        f"{path}[S]:3: cell B3 has a value, but its column has no header "
        "(1 columns have one) (got 'stray')"
    ]


def test_excel_error_cells(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "S"
    sheet.append(["specimen", "quantity"])
    sheet.append(["a", "#N/A"])
    sheet["B2"].data_type = "e"
    book.save(path)
    [problem] = record_errors(path)
    assert problem.startswith(f"{path}[S]:2: quantity: cell B2 holds the Excel error #N/A")


# ---------------------------------------------------------------------------------------------
# Every format and encoding loads the same findings


FINDINGS = [
    row(manufacturer_country="Großbritannien", recovered_at="Kharkiv – city", date_code="0823"),
    row(
        component="relay",
        manufacturer="Omron",
        manufacturer_country="Japan",
        quantity="2",
        recovered_at="Kharkiv – city",
    ),
]


def _as_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Findings"
    sheet.append(["Findings for the test (a title row)"])
    sheet.append(list(COLUMNS))
    for r in FINDINGS:
        sheet.append([r[c] or None for c in COLUMNS])
    book.save(path)
    return path


def _text(path: Path, encoding: str, delimiter: str = ",") -> Path:
    text = write_csv(path.with_suffix(".tmp"), FINDINGS).read_text("utf-8")
    if delimiter != ",":
        rows = list(csv.reader(io.StringIO(text)))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter).writerows(rows)
        text = out.getvalue()
    path.write_bytes(text.encode(encoding))
    return path


MAKERS = {
    "csv-utf8": lambda p: _text(p / "f.csv", "utf-8"),
    "csv-utf8-bom": lambda p: _text(p / "f.csv", "utf-8-sig"),
    "csv-cp1252": lambda p: _text(p / "f.csv", "cp1252"),
    "semicolon-cp1252": lambda p: _text(p / "f.csv", "cp1252", ";"),
    "tsv-utf16": lambda p: _text(p / "f.txt", "utf-16", "\t"),
    "pipe-utf8": lambda p: _text(p / "f.txt", "utf-8", "|"),
    "json": lambda p: _write(p / "f.json", json.dumps(FINDINGS, ensure_ascii=False)),
    "jsonl-cp1252": lambda p: _write(
        p / "f.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in FINDINGS), "cp1252"
    ),
    "xlsx": lambda p: _as_xlsx(p / "f.xlsx"),
}


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("maker", list(MAKERS))
def test_every_format_and_encoding_loads_the_same(
    engine: Engine, tmp_path: Path, maker: str
) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    load_files(engine, [write_csv(reference / "f.csv", FINDINGS)])
    expected = {k: v for k, v in dump(engine).items() if k != "load_batches"}

    other = tmp_path / "other"
    other.mkdir()
    [summary] = load_files(engine, [MAKERS[maker](other)])
    assert (summary.rows_read, summary.components_added, summary.components_matched) == (2, 0, 2)
    assert summary.warnings == []
    assert {k: v for k, v in dump(engine).items() if k != "load_batches"} == expected


def test_standard_input(engine: Engine, tmp_path: Path) -> None:
    data = _text(tmp_path / "f.tsv", "utf-16", "\t").read_bytes()
    [summary] = load_files(
        engine, ["-"], stdin=io.BytesIO(data), options=LoadOptions(input_format="tsv")
    )
    assert (summary.file, summary.components_added) == ("<stdin>", 2)
    [summary] = load_files(engine, ["-"], stdin=io.BytesIO(data))  # detected from the content
    assert summary.components_matched == 2


def test_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(bytes(range(256)) * 4)
    error = read_error(path)
    assert error.errors[0].message.startswith("not a text file")
