"""Bad input (issue 6): broken files, bad values, look-alike letters and awkward workbooks.

Each bad input must give a clear error (file, row, column, value and what was expected), leave the
database exactly as it was (a logical dump before and after), and, through the CLI, exit non-zero
with ``Error: ...`` and no traceback.

Cases already covered elsewhere, not repeated here: bad values of every kind (unknown countries,
empty required fields, impossible dates and date codes, quantities 0/-1/1.5, HS codes with
letters, URLs that are not ones: ``test_load.BAD_VALUES``), wrong field counts
(``test_load.test_csv_row_with_the_wrong_number_of_fields``), mixed encodings
(``test_load.test_a_file_that_mixes_encodings``,
``test_readers.test_a_file_in_no_known_encoding``), formulas and error cells read by the reader
(``test_readers.test_formulas_need_their_stored_results``, ``test_readers.test_excel_error_cells``),
old ``.xls`` workbooks and ZIPs that are not workbooks
(``test_readers``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError
from provenance.ingest.columns import COLUMNS
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import parse_mapping
from provenance.models import Component, Manufacturer, Specimen
from tests.helpers import dump, row, write_csv

# ---------------------------------------------------------------------------------------------
# Helpers


def csv_text(rows: list[dict[str, str]], newline: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


GOOD = csv_text([row(), row(component="relay")])
HEADER = ",".join(COLUMNS)


def preload(engine: Engine, tmp_path: Path) -> None:
    """Something in the database, so that "unchanged" means something."""
    load_files(engine, [write_csv(tmp_path / "preload.csv", [row(specimen="PRE-1")])])


def rejected(engine: Engine, path: Path, options: LoadOptions | None = None) -> InvalidDataError:
    """Load ``path`` expecting InvalidDataError, and check that the database did not change."""
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path], options=options)
    assert dump(engine) == before
    return caught.value


def workbook(path: Path, rows: list[list[Any]], title: str = "Sheet1") -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(COLUMNS))
    for r in rows:
        sheet.append(r)
    return book


def letter(column: str) -> str:
    """The workbook column of one of our columns (``workbook`` writes them in COLUMNS order)."""
    return get_column_letter(COLUMNS.index(column) + 1)


def cells(**changes: Any) -> list[Any]:
    values: dict[str, Any] = {**row(), **changes}
    return [values[c] for c in COLUMNS]


def stored(engine: Engine, *columns: Any) -> list[tuple[Any, ...]]:
    """The columns of every stored component, sorted."""
    query = (
        select(*columns)
        .select_from(Component)
        .join(Manufacturer, Manufacturer.id == Component.manufacturer_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
    )
    with engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(query)), key=repr)


# ---------------------------------------------------------------------------------------------
# Broken files: (builder of the file's bytes, line, column, part of the message)

FileCase = Callable[[], bytes]

BAD_FILES = [
    pytest.param(lambda: b"", 0, "", "the file is empty", id="empty"),
    pytest.param(lambda: b"\r\n \r\n", 0, "", "the file is empty", id="blank-lines"),
    pytest.param(
        lambda: (HEADER + "\r\n").encode(), 0, "", "the file holds no findings", id="header-only"
    ),
    pytest.param(lambda: bytes(range(256)) * 40, 0, "", "not a text file", id="binary-garbage"),
    pytest.param(
        lambda: GOOD.encode()[:-60], 3, "", "expected 21 fields as in the header, found", id="cut"
    ),
    pytest.param(
        lambda: (GOOD + 'KN-23,North Korea,"SPEC-9,unterminated\r\n').encode(),
        4,
        "",
        "expected 21 fields as in the header, found 3",
        id="cut-in-quotes",
    ),
    pytest.param(
        lambda: GOOD.replace(",", ";", COLUMNS.__len__() - 1).encode(),
        1,
        "",
        "the header has none of the findings columns",
        id="header-and-rows-delimited-differently",
    ),
    pytest.param(
        lambda: (HEADER + ",specimen\r\n" + GOOD.splitlines()[1] + ",SPEC-2\r\n").encode(),
        1,
        "specimen",
        "the header names this column twice",
        id="duplicated-header",
    ),
    pytest.param(
        lambda: (HEADER + ",Part Number\r\n" + GOOD.splitlines()[1] + ",LM317\r\n").encode(),
        0,
        "Part Number",
        "gives part_number, which column 'part_number' gives too",
        id="duplicated-header-spelt-differently",
    ),
    pytest.param(
        lambda: b"weapon_system,specimen,colour\r\nKN-23,S-1,red\r\n",
        1,
        "",
        "the header lacks the required columns component, manufacturer; columns it does not "
        "know: colour",
        id="unknown-and-missing-columns",
    ),
    pytest.param(
        lambda: GOOD.replace("Kharkiv", "Khar\x00kiv", 1).encode(),
        2,
        "",
        "the byte 0x00",
        id="nul-byte",
    ),
    pytest.param(
        lambda: (GOOD + ",".join(["x"] * 100_000) + "\r\n").encode(),
        4,
        "",
        "expected 21 fields as in the header, found 100000",
        id="100k-columns",
    ),
    pytest.param(
        lambda: ("\ufeff" + GOOD + "\ufeff" + GOOD.replace("SPEC-1", "SPEC-2")).encode(),
        4,
        "",
        "the row repeats the header (two files joined into one?)",
        id="bom-in-the-middle-two-files-joined",
    ),
    pytest.param(
        lambda: GOOD.replace("Kharkiv", "K" * ((1 << 20) + 1), 1).encode(),
        2,
        "",
        # on line 2: it was line 3
        "a value is longer than 1,048,576 characters, the limit on one cell: raise it with "
        "--limit cell-size=N",
        id="field-over-the-cell-limit",
    ),
]


@pytest.mark.parametrize(("content", "line", "column", "expected"), BAD_FILES)
def test_a_broken_file_is_an_error_and_changes_nothing(
    engine: Engine, tmp_path: Path, content: FileCase, line: int, column: str, expected: str
) -> None:
    preload(engine, tmp_path)
    path = tmp_path / "bad.csv"
    path.write_bytes(content())
    error = rejected(engine, path)
    first = error.errors[0]
    assert (first.file, first.row, first.column) == (str(path), line, column), str(error)
    assert expected in first.message, str(error)
    assert str(error).startswith(f"{path}:{line}:" if line else f"{path}:")
    assert len(str(error)) < 2000  # a clear message, not the file's content


def test_a_wrong_delimiter_given_is_a_header_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text(GOOD.replace(",", ";"), "utf-8")
    error = rejected(engine, path, LoadOptions(delimiter=","))
    assert str(error) == (
        f"{path}:1: the header has none of the findings columns (weapon_system, specimen, "
        "component, manufacturer, ...): see README 'Findings files', or give a column mapping "
        "(--mapping)"
    )
    # Sniffed, the same file loads.
    [summary] = load_files(engine, [path])
    assert summary.components_added == 2


def test_mixed_line_endings_load_and_keep_line_numbers(engine: Engine, tmp_path: Path) -> None:
    lines = csv_text([row(), row(component="relay"), row(component="fuse")]).split("\r\n")
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"{lines[0]}\n{lines[1]}\r\n{lines[2]}\r{lines[3]}\n".encode())
    [summary] = load_files(engine, [path])
    assert (summary.rows_read, summary.components_added) == (3, 3)
    bad = lines[3].replace(",1,", ",-1,")
    path.write_bytes(f"{lines[0]}\r{lines[1]}\n{lines[2]}\r\n{bad}\r".encode())
    error = rejected(engine, path)
    assert [(e.row, e.column) for e in error.errors] == [(4, "quantity")]


def test_a_1mb_field_loads_and_errors_show_only_its_start(engine: Engine, tmp_path: Path) -> None:
    notes = "n" * (1 << 20)
    path = write_csv(tmp_path / "long.csv", [row(notes=notes)])
    load_files(engine, [path])
    with engine.connect() as conn:
        assert conn.execute(select(Component.notes)).scalar_one() == notes
    bad = write_csv(tmp_path / "bad.csv", [row(specimen="SPEC-2", manufactured_on="x" * (1 << 20))])
    error = rejected(engine, bad)
    [problem] = error.errors
    assert problem.column == "manufactured_on"
    assert problem.value == "x" * 200 + "... (1,048,576 characters)"
    assert len(str(error)) < 1000


def test_a_bom_or_zero_width_space_inside_the_file_is_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    text = GOOD.replace("specimen", "spec\ufeffimen", 1).replace("relay", "\ufeffre\u200blay")
    path = tmp_path / "bom.csv"
    path.write_text(text, "utf-8")
    [summary] = load_files(engine, [path])
    assert summary.components_added == 2 and not summary.warnings
    assert stored(engine, Component.function) == [("relay",), ("voltage converter",)]


# ---------------------------------------------------------------------------------------------
# Look-alike letters: normalised when that is safe, an error when it is not

CONFUSABLES = [
    pytest.param(
        "part_number", "LM317\u0422", "mixes Latin and Cyrillic letters (U+0422 CYRILLIC "
        "CAPITAL LETTER TE)", id="cyrillic-te-in-part-number",
    ),
    pytest.param(
        "part_number", "\uff2c\u041c\uff13\uff11\uff17", "mixes Latin and Cyrillic letters "
        "(U+041C CYRILLIC CAPITAL LETTER EM)", id="full-width-with-cyrillic-em",
    ),
    pytest.param(
        "part_number", "LM\u200b\u041c317", "mixes Latin and Cyrillic letters (U+041C",
        id="zero-width-space-hiding-nothing",
    ),
    pytest.param(
        "manufacturer", "Peak \u0416lectronics", "mixes Latin and Cyrillic letters (U+0416",
        id="a-letter-without-a-look-alike",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("column", "value", "expected"), CONFUSABLES)
def test_mixed_script_part_numbers_are_errors(
    engine: Engine, tmp_path: Path, column: str, value: str, expected: str
) -> None:
    """A part number mixing alphabets may be a counterfeit's marking: an error (issue 18). So is
    a name whose odd letter has no look-alike in the rest's alphabet."""
    preload(engine, tmp_path)
    path = write_csv(tmp_path / "bad.csv", [row(component="relay"), {**row(), column: value}])
    error = rejected(engine, path)
    [problem] = error.errors
    assert (problem.row, problem.column, problem.value) == (3, column, value)
    assert expected in problem.message
    assert str(error).startswith(f"{path}:3: {column}: mixes ")


FOLDED_NAMES = [
    pytest.param("manufacturer", "\u0422exas Instruments", "Texas Instruments", id="cyrillic-te"),
    pytest.param("manufacturer", "XP P\u03bfwer", "XP Power", id="greek-omicron"),
    pytest.param(
        "manufacturer_parent", "Analog Devi\u0441es", "Analog Devices", id="cyrillic-es-in-parent"
    ),
]


@pytest.mark.parametrize(("column", "value", "read"), FOLDED_NAMES)
def test_mixed_script_names_are_read_as_their_look_alikes(
    engine: Engine, tmp_path: Path, column: str, value: str, read: str
) -> None:
    """Issue 18: a maker's name with a look-alike letter of another alphabet is folded to the
    alphabet of the rest; the text as written stays in the notes, and the load warns."""
    path = write_csv(tmp_path / "names.csv", [{**row(), column: value}])
    [summary] = load_files(engine, [path])
    assert summary.components_added == 1
    [warning] = [w for w in summary.warnings if "mixes alphabets" in w]
    assert f"{column} {value!r} mixes alphabets, read as {read!r}" in warning
    with engine.connect() as conn:
        names = set(conn.scalars(select(Manufacturer.name)))
        notes = conn.execute(select(Component.notes)).scalar_one()
    assert read in names and value not in names
    assert notes is not None and f"{column} as written: {value!r}" in notes


def test_a_mapping_may_allow_folding_part_numbers(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "parts.csv", [row(part_number="LM317\u0422")])
    mapping = parse_mapping({"fold_mixed_script": ["part_number"]})
    [summary] = load_files(engine, [path], options=LoadOptions(mapping=mapping))
    with engine.connect() as conn:
        assert conn.execute(select(Component.part_number)).scalar_one() == "LM317T"
    assert any("read as 'LM317T'" in w for w in summary.warnings)


def test_what_can_be_normalised_safely_is(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fold.csv",
        [
            row(part_number="\uff2c\uff2d\uff13\uff11\uff17", quantity="\uff12"),  # ＬＭ３１７, ２
            # The same part: a duplicate (both rows say two parts).
            row(part_number="LM\u200b317\u200d", manufacturer="XP\u00a0Power\u2060", quantity="2"),
            # Another script alone, or next to Latin in another word, is no confusable.
            row(component="relay", manufacturer="\u0417\u0430\u0432\u043e\u0434 Texas"),
            # Micro and ohm signs are units, not Greek letters (NFKC turns µ into Greek μ).
            row(component="capacitor", part_number="22\u00b5F 1k\u2126"),
        ],
    )
    [summary] = load_files(engine, [path])
    assert (summary.components_added, summary.duplicate_rows) == (3, 1)
    assert stored(engine, Component.part_number, Component.quantity, Manufacturer.name) == [
        ("22\u03bcF 1k\u03a9", 1, "XP Power"),
        ("LM317", 2, "XP Power"),
        (None, 1, "\u0417\u0430\u0432\u043e\u0434 Texas"),
    ]


def test_an_excel_serial_number_in_a_date_column_says_so(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "serial.csv", [row(manufactured_on="45000")])
    [problem] = rejected(engine, path).errors
    assert problem.column == "manufactured_on"
    assert "45000 looks like an Excel serial date number: format the cell as a date" in (
        problem.message
    )


# ---------------------------------------------------------------------------------------------
# Workbooks


def test_merged_cells_leave_the_rows_below_empty(engine: Engine, tmp_path: Path) -> None:
    """A merged range keeps its value in its first cell only: the rows below it have that column
    empty, so a merged required column is an error naming each of those rows."""
    path = tmp_path / "merged.xlsx"
    book = workbook(path, [cells(), cells(component="relay"), cells(component="fuse")])
    sheet = book.active
    assert sheet is not None
    assert letter("weapon_system") == "A"
    sheet.merge_cells("A2:A4")  # weapon_system over three rows
    notes = letter("notes")
    sheet[f"{notes}2"] = "merged note"
    sheet.merge_cells(f"{notes}2:{notes}3")  # optional: its value loads in the first row only
    book.save(path)
    error = rejected(engine, path)
    assert [(e.file, e.row, e.column, e.message) for e in error.errors] == [
        (f"{path}[Sheet1]", 3, "weapon_system", "required, but empty"),
        (f"{path}[Sheet1]", 4, "weapon_system", "required, but empty"),
    ]
    # Unmerged and filled in, as the researcher would fix it, the sheet loads.
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet.unmerge_cells("A2:A4")
    assert sheet["A3"].value is None  # merging emptied the cells below for good
    sheet["A3"] = sheet["A4"] = "KN-23"
    book.save(path)
    load_files(engine, [path])
    assert stored(engine, Component.function, Component.notes) == [
        ("fuse", None),
        ("relay", None),
        ("voltage converter", "merged note"),
    ]


def test_a_formula_without_its_result_is_an_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    workbook(path, [cells(), cells(component="relay", quantity="=1+1")]).save(path)
    error = rejected(engine, path)
    [problem] = error.errors
    assert (problem.file, problem.row, problem.column, problem.value) == (
        f"{path}[Sheet1]",
        3,
        "quantity",
        "=1+1",
    )
    assert f"cell {letter('quantity')}3 holds a formula without a stored result" in (
        problem.message
    )


def test_date_cells_and_serial_numbers_in_date_columns(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dates.xlsx"
    book = workbook(
        path,
        [
            cells(recovered_on=dt.datetime(2024, 1, 2), manufactured_on=dt.date(2023, 2, 14)),
            cells(specimen="SPEC-2", recovered_on=45000),  # a number, not a date cell
        ],
    )
    book.save(path)
    error = rejected(engine, path)
    [problem] = error.errors
    assert (problem.row, problem.column, problem.value) == (3, "recovered_on", "45000")
    assert "expected a date as YYYY-MM-DD; 45000 looks like an Excel serial date number" in (
        problem.message
    )
    sheet = book.active
    assert sheet is not None
    cell = sheet[f"{letter('recovered_on')}3"]
    cell.value = dt.datetime(2023, 3, 15)  # what 45000 is, as a date cell
    cell.number_format = "yyyy-mm-dd"
    book.save(path)
    load_files(engine, [path])
    assert stored(engine, Specimen.recovered_on, Component.manufactured_on) == [
        (dt.date(2023, 3, 15), dt.date(2023, 2, 1)),
        (dt.date(2024, 1, 2), dt.date(2023, 2, 14)),
    ]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_skipped_unless_named(engine: Engine, tmp_path: Path, state: str) -> None:
    path = tmp_path / "hidden.xlsx"
    book = workbook(path, [cells()])
    old = book.create_sheet("Old")
    old.append(list(COLUMNS))
    old.append(cells(specimen="SPEC-OLD", quantity="not a number"))
    old.sheet_state = state
    book.save(path)
    [summary] = load_files(engine, [path])
    assert summary.components_added == 1
    assert summary.warnings == [
        f"{path}[Old]: a hidden sheet, skipped: name it with --sheet to load it"
    ]
    error = rejected(engine, path, LoadOptions(sheets=("Sheet1", "Old")))
    assert [(e.file, e.row, e.column) for e in error.errors] == [(f"{path}[Old]", 2, "quantity")]


# ---------------------------------------------------------------------------------------------
# Through the CLI: exit 1, "Error: ...", no traceback, nothing written


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={ENV_VAR: None})


def _formula_workbook(path: Path) -> None:
    workbook(path, [cells(quantity="=1+1")]).save(path)


CLI_CASES = [
    pytest.param("empty.csv", lambda p: p.write_bytes(b""), "the file is empty", id="empty"),
    pytest.param(
        "garbage.csv", lambda p: p.write_bytes(bytes(range(256)) * 8), "not a text file",
        id="binary",
    ),
    pytest.param(
        "nul.csv", lambda p: p.write_bytes(GOOD.replace("KN-23", "KN\x0023").encode()),
        "the byte 0x00", id="nul",
    ),
    pytest.param(
        "dup.csv", lambda p: p.write_text(HEADER + ",notes\r\n", "utf-8"),
        "the header names this column twice", id="duplicated-header",
    ),
    pytest.param(
        "cyrillic.csv",
        lambda p: write_csv(p, [row(part_number="LM317\u0422")]),
        "part_number: mixes Latin and Cyrillic letters (U+0422 CYRILLIC CAPITAL LETTER TE)",
        id="confusable",
    ),
    pytest.param(
        "country.csv", lambda p: write_csv(p, [row(made_in="Atlantis")]),
        "made_in: unknown country", id="unknown-country",
    ),
    pytest.param(
        "qty.csv", lambda p: write_csv(p, [row(quantity="1.5")]),
        ":2: quantity: expected a whole number of parts, 1 or more (at most 2,147,483,647) "
        "(got '1.5')", id="fraction",
    ),
    pytest.param(
        "formula.xlsx", _formula_workbook, "[Sheet1]:2: quantity: cell N2 holds a formula",
        id="formula",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "expected"), CLI_CASES)
def test_cli_bad_input_exits_1_without_traceback(
    db_url: str,
    engine: Engine,
    tmp_path: Path,
    name: str,
    make: Callable[[Path], Any],
    expected: str,
) -> None:
    preload(engine, tmp_path)
    path = tmp_path / name
    make(path)
    before = dump(engine)
    result = invoke(["load", "--db", db_url, str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {path}"), result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert dump(engine) == before


def test_cli_shows_the_hidden_sheet_warning(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    book = workbook(path, [cells()])
    book.create_sheet("Notes").sheet_state = "hidden"
    book.save(path)
    result = invoke(["load", "--db", db_url, str(path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}[Notes]: a hidden sheet, skipped" in result.output
