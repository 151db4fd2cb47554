"""Hostile input (issue 13): bombs, special files, values past the databases' types.

Every bomb is made here, small but over a limit set low for the test (``--limit``), and must end
within seconds with an error naming the file, the place and the limit, exit 1 without a
traceback, and leave the database exactly as it was. The ones that once took gigabytes also run
in a subprocess under an address-space cap (``resource.setrlimit``), so that a regression fails
fast instead of taking the machine down. The limits themselves are in ``provenance/limits.py``
and the README ("Limits on input").
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import InvalidDataError, LimitError, QueryError
from provenance.ingest.columns import COLUMNS
from provenance.ingest.fields import MAX_QUANTITY
from provenance.ingest.loader import LoadOptions, load_files
from provenance.limits import Limits
from provenance.views import view_names
from tests.helpers import dump, row, write_csv, write_json

ROOT = Path(__file__).resolve().parents[1]
#: The address space a bomb's subprocess may use: far more than a load needs (about 150 MB),
#: far less than the bombs took before (3-6 GB).
MEMORY_CAP = 1 << 30


def invoke(args: list[str], code: int = 1, stdin: bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, args, input=stdin, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


def refused(engine: Engine, path: Path | str, limits: Limits | None = None) -> str:
    """Load ``path`` expecting InvalidDataError, with the database unchanged; the message."""
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [path], options=LoadOptions(limits=limits or Limits()))
    assert dump(engine) == before
    return str(caught.value)


def capped(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``provenance ARGS`` in a subprocess whose address space is capped at MEMORY_CAP."""
    script = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
        "from provenance.cli.main import main\n"
        "sys.argv = ['provenance', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_json_is_a_clean_error(engine: Engine, tmp_path: Path, depth: int) -> None:
    """Past the limit (32), and past what Python's JSON reader can follow (a RecursionError)."""
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, "utf-8")
    message = refused(engine, path)
    assert "nested more than 32 levels deep, the limit on JSON nesting" in message
    assert "--limit json-depth=N" in message


def test_a_deep_value_in_json_lines_names_its_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep = "[" * 40 + "]" * 40
    path.write_text(json.dumps(row()) + "\n" + '{"notes": ' + deep + "}\n", "utf-8")
    assert refused(engine, path).startswith(f"{path}:2: lists and objects nested more than 32")


def test_a_json_array_over_its_limit_is_refused_before_it_is_read(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "big.json", [row(specimen=f"S-{i}") for i in range(50)])
    message = refused(engine, path, Limits(json_size=1000))
    assert "a JSON array larger than 1,000 bytes" in message and "JSON Lines" in message


def test_a_json_lines_line_over_its_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_json(tmp_path / "long.jsonl", [row(), row(notes="n" * 5000)], lines=True)
    message = refused(engine, path, Limits(line_size=2000))
    assert message.startswith(f"{path}:2: a line longer than 2,000 characters")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("relay\u0000x", "holds a NUL character (U+0000)"),
        ("relay\ud800", "holds half of a UTF-16 surrogate pair"),
    ],
)
def test_nul_and_lone_surrogates_in_json_are_refused_on_both_databases(
    engine: Engine, tmp_path: Path, fmt: str, value: str, expected: str
) -> None:
    path = tmp_path / f"bad.{fmt}"
    rows = [row(), row(specimen="S-2", component=value)]  # written with \u escapes
    lines = [json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) if fmt == "jsonl" else "[" + ",".join(lines) + "]", "ascii")
    message = refused(engine, path)
    assert f"component: {expected}" in message


def test_a_5000_digit_number_in_json_is_a_bad_value_not_a_crash(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "digits.json"
    path.write_text(json.dumps([row()]).replace('"quantity": "1"', '"quantity": ' + "9" * 5000))
    message = refused(engine, path)
    assert "quantity: expected a whole number of parts" in message
    assert "set_int_max_str_digits" not in message and len(message) < 2000


def test_a_cell_over_the_limit_in_json(engine: Engine, tmp_path: Path) -> None:
    path = write_json(tmp_path / "long.json", [row(notes="n" * 3000)])
    message = refused(engine, path, Limits(cell_size=2000))
    assert "notes: a value is longer than 2,000 characters, the limit on one cell" in message


# --- delimited text ----------------------------------------------------------------------------


def test_nul_in_utf16_text_is_refused(engine: Engine, tmp_path: Path) -> None:
    """UTF-16 text has zero bytes anyway; a NUL character in it must still be refused."""
    path = tmp_path / "unicode.txt"
    good = write_csv(tmp_path / "good.csv", [row(), row(specimen="S-2", notes="a\x00b")])
    path.write_bytes(good.read_text("utf-8").encode("utf-16"))
    assert f"{path}:3: holds a NUL character (U+0000)" in refused(engine, path)


# --- workbooks ---------------------------------------------------------------------------------


def test_a_workbook_that_inflates_past_its_limit_is_refused_before_it_is_inflated(
    engine: Engine, tmp_path: Path
) -> None:
    # 4 MiB of one letter: a few kilobytes compressed
    path = _sheet_without_dimension(tmp_path / "bomb.xlsx", 0, notes="a" * (4 << 20))
    assert path.stat().st_size < 100_000
    message = refused(engine, path, Limits(xlsx_size=1 << 20))
    assert "the workbook inflates to" in message
    assert "more than 1 MiB, the limit on a workbook's uncompressed size" in message


def _inline(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _sheet_without_dimension(
    path: Path, empty_rows: int, last_row: int | None = None, notes: str = ""
) -> Path:
    """A workbook whose sheet has a header, then ``empty_rows`` empty rows, no <dimension>;
    with ``last_row`` a row so numbered; with ``notes`` a finding with these notes (openpyxl
    itself writes no cell longer than Excel's 32,767 characters: this file is made by hand)."""
    cells = "".join(_inline(c) for c in COLUMNS)
    tail = f'<row r="{last_row}">{_inline("x")}</row>' if last_row else ""
    if notes:
        tail += "<row>" + "".join(_inline(row(notes=notes)[c]) for c in COLUMNS) + "</row>"
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData><row>{cells}</row>{"<row/>" * empty_rows}{tail}'
        "</sheetData></worksheet>"
    )
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?>'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main"'
        f' xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("last_row", [None, 60_000_000])
def test_a_sheet_over_its_row_limit_is_refused_as_its_rows_are_counted(
    engine: Engine, tmp_path: Path, last_row: int | None
) -> None:
    """Without a <dimension> (openpyxl would parse the whole sheet to find one), and with one
    row numbered 60,000,000 (openpyxl fills the gap with empty rows)."""
    path = _sheet_without_dimension(tmp_path / "rows.xlsx", 3000, last_row)
    message = refused(engine, path, Limits(xlsx_rows=1000))
    assert message.startswith(f"{path}[Sheet1]:1001: the sheet has more than 1,000 rows")
    assert "--limit xlsx-rows=N" in message


def test_the_row_bomb_runs_in_bounded_memory_and_time(tmp_path: Path) -> None:
    """200,000 empty rows without a <dimension> took ~20 MB per 100k rows in openpyxl's search
    for the dimension before a row was read; now the rows are counted as they stream by."""
    path = _sheet_without_dimension(tmp_path / "rows.xlsx", 200_000)
    db = tmp_path / "p.db"
    invoke(["init", "--db", f"sqlite:///{db}"], code=0)
    done = capped(["load", str(path), "--db", f"sqlite:///{db}", "--limit", "xlsx-rows=50000"])
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "the sheet has more than 50,000 rows" in done.stderr


def test_a_cell_over_the_limit_in_a_workbook(engine: Engine, tmp_path: Path) -> None:
    path = _sheet_without_dimension(tmp_path / "long.xlsx", 0, notes="n" * 3000)
    message = refused(engine, path, Limits(cell_size=2000))
    assert "is longer than 2,000 characters, the limit on one cell" in message


def test_a_damaged_workbook_is_a_clean_error(engine: Engine, tmp_path: Path) -> None:
    path = _sheet_without_dimension(tmp_path / "cut.xlsx", 10)
    content = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(path, "w") as archive:  # the sheet cut short: bad XML
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"):
            archive.writestr(name, zipfile.ZipFile(io.BytesIO(content)).read(name))
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            zipfile.ZipFile(io.BytesIO(content)).read("xl/_rels/workbook.xml.rels"),
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])
    assert "not a readable Excel workbook (.xlsx) (ParseError" in refused(engine, path)


# --- files that are not regular files --------------------------------------------------------


def test_a_fifo_is_read_once(engine: Engine, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "findings.csv", [row()])
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(source.read_bytes()))
    writer.start()
    try:
        [summary] = load_files(engine, [fifo])
    finally:
        writer.join(timeout=10)
    assert (summary.rows_read, summary.components_added) == (1, 1)


def test_process_substitution_is_read_once(engine: Engine, tmp_path: Path) -> None:
    """``provenance load <(cat f.csv)`` names a pipe, /dev/fd/N."""
    data = write_csv(tmp_path / "findings.csv", [row()]).read_bytes()
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    try:
        [summary] = load_files(engine, [f"/dev/fd/{read}"])
    finally:
        os.close(read)
    assert summary.components_added == 1


def test_a_device_is_refused(engine: Engine, tmp_path: Path) -> None:
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    message = refused(engine, link)
    assert message == (
        f"{link}: not a regular file (a device or other special file): give a findings file, "
        "a pipe or - (standard input)"
    )


def test_a_file_or_stream_over_the_size_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "findings.csv", [row(), row(specimen="S-2")])
    message = refused(engine, path, Limits(file_size=100))
    assert "the file is larger than 100 bytes, the limit on one file" in message
    before = dump(engine)
    with pytest.raises(InvalidDataError, match="larger than 100 bytes"):
        load_files(
            engine,
            ["-"],
            options=LoadOptions(limits=Limits(file_size=100)),
            stdin=io.BytesIO(path.read_bytes()),
        )
    assert dump(engine) == before


def test_the_limit_option_raises_a_limit_and_names_a_wrong_one(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "long.json", [row(notes="n" * 3000)])
    message = invoke(["load", str(path), "--db", db_url, "--limit", "cell-size=2K"]).output
    assert "longer than 2,048 characters, the limit on one cell" in message
    invoke(["load", str(path), "--db", db_url, "--limit", "cell_size=1M"], code=0)
    wrong = invoke(["load", str(path), "--db", db_url, "--limit", "cells=5"]).output
    assert "Error: --limit 'cells=5': expected NAME=VALUE with NAME one of file-size," in wrong
    with pytest.raises(LimitError, match="expected a positive number"):
        Limits().with_changes(["json-depth=-1"])


# --- quantities ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quantity", [str(10**30), str(MAX_QUANTITY + 1), str(2**63 - 1), "9" * 5000]
)
def test_a_quantity_past_postgresql_integer_fails_the_same_way_on_both_databases(
    engine: Engine, db_url: str, tmp_path: Path, quantity: str
) -> None:
    path = write_csv(tmp_path / "q.csv", [row(quantity=quantity)])
    before = dump(engine)
    output = invoke(["load", str(path), "--db", db_url]).output
    assert output.startswith(
        f"Error: {path}:2: quantity: expected a whole number of parts, 1 or more "
        "(at most 2,147,483,647)"
    )
    assert "set_int_max_str_digits" not in output and len(output) < 600
    assert dump(engine) == before


def _every_report_and_view(db_url: str) -> None:
    for report in ("foreign-parts", "components", "countries", "manufacturers", "chpl"):
        invoke(["report", report, "--db", db_url, "--format", "json"], code=0)
    for report in ("timeline", "sources"):
        invoke(["report", report, "--db", db_url, "--format", "json"], code=0)
    for view in view_names():
        statement = f"SELECT * FROM {view}"  # noqa: S608 - the names of the shipped views
        invoke(["query", statement, "--db", db_url, "--format", "csv"], code=0)


def test_what_a_load_accepts_never_breaks_a_report_or_a_view(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """The most parts the database may hold, in two rows: every report and view still works;
    one part more is refused, and the database is unchanged."""
    invoke(["init", "--db", db_url], code=0)  # the reference lists (the CHPL) too
    half = MAX_QUANTITY // 2
    rows = [row(quantity=str(half)), row(specimen="S-2", quantity=str(MAX_QUANTITY - half))]
    load_files(engine, [write_csv(tmp_path / "max.csv", rows)])
    _every_report_and_view(db_url)
    with engine.connect() as conn:
        parts = conn.execute(text("SELECT SUM(parts) FROM v_sources")).scalar_one()
    assert parts == MAX_QUANTITY
    more = write_csv(tmp_path / "more.csv", [row(specimen="S-3")])
    message = refused(engine, more)
    assert "would bring the parts in the database (the sum of quantity) to 2,147,483,648" in message


# --- mappings: YAML bombs and patterns ---------------------------------------------------------

_LAUGHS = "".join(
    f"  c{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'lol'] * 9)}]\n" for i in range(9)
)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (f"columns:\n{_LAUGHS}description: *l8\n", "holds more than 100,000 values, the limit"),
        (f"ignore:\n{_LAUGHS.replace('  c', '  - c').replace(': &', ': &')}", "100,000 values"),
        ("constants:\n  notes: " + "[" * 60 + "]" * 60 + "\n", "nested more than 50 levels"),
        ('constants:\n  notes: "a\\0b"\n', "constants.notes: holds a NUL character (U+0000)"),
        ("description: &a [*a]\n", "an alias refers to a list or mapping that holds it"),
    ],
    ids=["billion-laughs", "laughs-in-ignore", "deep", "nul", "recursive"],
)
def test_a_hostile_mapping_is_refused_fast_and_clearly(
    db_url: str, tmp_path: Path, yaml_text: str, expected: str
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml_text, "utf-8")
    findings = write_csv(tmp_path / "findings.csv", [row()])
    output = invoke(["load", "--mapping", str(mapping), str(findings), "--db", db_url]).output
    assert output.startswith(f"Error: {mapping}: ") and expected in output, output
    assert len(output) < 1500


def test_the_billion_laughs_mapping_runs_in_bounded_memory(tmp_path: Path) -> None:
    """It took 3-4 GB before it ended in MemoryError."""
    mapping = tmp_path / "laughs.yaml"
    mapping.write_text(f"columns:\n{_LAUGHS}description: *l8\n", "utf-8")
    findings = write_csv(tmp_path / "findings.csv", [row()])
    db = tmp_path / "p.db"
    invoke(["init", "--db", f"sqlite:///{db}"], code=0)
    done = capped(["load", "--mapping", str(mapping), str(findings), "--db", f"sqlite:///{db}"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "holds more than 100,000 values, the limit" in done.stderr


def test_a_long_bad_value_in_a_mapping_is_shown_shortened(db_url: str, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("constants:\n  notes: [" + ", ".join(["x" * 50] * 2000) + "]\n", "utf-8")
    findings = write_csv(tmp_path / "findings.csv", [row()])
    output = invoke(["load", "--mapping", str(mapping), str(findings), "--db", db_url]).output
    assert "constants.notes: expected a single value, got ['xxx" in output
    assert len(output) < 1000


def _split_mapping(tmp_path: Path, pattern: str) -> tuple[Path, Path]:
    mapping = tmp_path / "split.yaml"
    mapping.write_text(f"split:\n  - column: maker\n    pattern: '{pattern}'\n", "utf-8")
    values = {k: v for k, v in row().items() if k != "manufacturer"}
    rows = [{**values, "specimen": f"S-{i}", "maker": "a" * 40 + "!"} for i in range(50)]
    return mapping, write_csv(
        tmp_path / "split.csv", rows, [c for c in COLUMNS if c != "manufacturer"]
    )


def test_the_issues_pattern_is_no_longer_slow(db_url: str, tmp_path: Path) -> None:
    mapping = tmp_path / "split.yaml"
    mapping.write_text("split:\n  - column: maker\n    pattern: '(?P<manufacturer>(\\w+\\s?)+)'\n")
    values = {k: v for k, v in row().items() if k != "manufacturer"}
    maker = "Shenzhen Hongyuan Electronic Technology Trading Co., Ltd."
    findings = write_csv(
        tmp_path / "f.csv",
        [{**values, "maker": maker}],
        [c for c in COLUMNS if c != "manufacturer"],
    )
    output = invoke(["load", "--mapping", str(mapping), str(findings), "--db", db_url]).output
    assert f"{findings}:2: maker: does not match the mapping's pattern" in output


def test_a_backtracking_pattern_stops_at_its_time_limit(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """(a|aa)+ against 40 a's and a '!' backtracks for hours; the load stops at the first
    row, after the limit, naming the row, the column and the limit."""
    mapping, findings = _split_mapping(tmp_path, "(?P<manufacturer>(a|aa)+)")
    before = dump(engine)
    args = ["load", "--mapping", str(mapping), str(findings), "--db", db_url]
    output = invoke([*args, "--limit", "pattern-time=0.2"]).output
    assert output.startswith(
        f"Error: {findings}:2: maker: the mapping's pattern for this column ran longer than 0.2 s"
    )
    assert "--limit pattern-time=SECONDS" in output and output.count("\n") == 1
    assert dump(engine) == before


# --- query -------------------------------------------------------------------------------------

SERVER_ATTACKS = [
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_ls_dir('/')",
    "SELECT pg_stat_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_from_bytea(0, 'x')",
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT pg_reload_conf()",
    "SELECT pg_switch_wal()",
    "SELECT set_config('role', current_setting('is_superuser'), true)",
    "SELECT query_to_xml('SELECT pg_read_file(''/etc/passwd'')', true, true, '')",
    "SELECT \"pg_read_file\"('/etc/passwd')",
]


@pytest.mark.postgres
def test_query_as_a_superuser_cannot_reach_server_files_or_functions(postgres_url: str) -> None:
    """Connected as the README's examples connect (a superuser): refused by the text check,
    and by PostgreSQL itself when the text check is bypassed (the statement runs as a role
    made for it, with the dangerous functions revoked)."""
    from provenance.bi import sqlquery
    from provenance.db import make_engine

    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
        before = dump(engine)
        for statement in SERVER_ATTACKS:
            output = invoke(["query", statement, "--db", postgres_url]).output
            assert output.startswith("Error: only one read-only SELECT statement"), output
            with pytest.raises(QueryError, match="permission denied for function"):
                sqlquery.execute_readonly(engine, statement.replace('"', ""))
        with pytest.raises(QueryError, match="permission denied for table citations"):
            sqlquery.execute_readonly(engine, "SELECT count(*) FROM citations")
        tables = sqlquery.QueryOptions(tables=True)
        assert sqlquery.execute_readonly(engine, "SELECT count(*) FROM citations", options=tables)
        assert dump(engine) == before
        with engine.connect() as conn:
            left = "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'provenance_query_%'"
            assert conn.execute(text(left)).scalar() == 0
            # The revokes were inside the rolled-back transaction only: PUBLIC still has it.
            public = (
                "SELECT has_function_privilege('pg_monitor', 'set_config(text,text,boolean)',"
                " 'EXECUTE')"
            )
            assert conn.execute(text(public)).scalar()
    finally:
        engine.dispose()


def test_query_text_checks_and_bounds(engine: Engine, db_url: str) -> None:
    invoke(["query", "select 1 AS x ;;;", "--db", db_url], code=0)
    many = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
        "SELECT i FROM n"
    )
    output = invoke(["query", many, "--db", db_url, "--max-rows", "100"]).output
    assert output.startswith("Error: the query returns more than 100 rows, the limit")
    invoke(["query", many, "--db", db_url, "--max-rows", "500"], code=0)
    wide = "SELECT repeat('x', 1000) AS a FROM (VALUES (1), (2), (3)) AS t(b)"
    if engine.dialect.name == "sqlite":
        wide = "SELECT printf('%1000s', 'x') AS a FROM (VALUES (1), (2), (3)) AS t"
    assert (
        "more than 2,000 bytes of values"
        in invoke(["query", wide, "--db", db_url, "--max-bytes", "2000"]).output
    )


def test_a_huge_sqlite_value_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """randomblob(4e8) took 2 GB; values are bounded at 16 MiB."""
    db = tmp_path / "p.db"
    invoke(["init", "--db", f"sqlite:///{db}"], code=0)
    done = capped(["query", "SELECT length(randomblob(400000000))", "--db", f"sqlite:///{db}"])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "string or blob too big" in done.stderr and "16,777,216 bytes" in done.stderr


def test_a_wide_header_gives_a_short_warning(engine: Engine, tmp_path: Path) -> None:
    extra = {f"extra_column_{i}": "" for i in range(10_000)}
    path = write_csv(tmp_path / "wide.csv", [{**row(), **extra}])
    [summary] = load_files(engine, [path])
    [warning] = summary.warnings
    assert warning.endswith("extra_column_19, ... and 9,980 more") and len(warning) < 1000


# --- the BI role -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_bi_role_cannot_store_a_large_object(postgres_url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from tests.test_readonly_role import Role, _drop_role

    role = Role(f"provenance_ro_{os.urandom(5).hex()}", [postgres_url])
    try:
        output = invoke(["db", "grant-readonly", role.name, "--db", postgres_url], code=0).output
        # The session database's server has others (the one in the URL, at least): said so.
        server_db = make_url(os.environ["PROVENANCE_TEST_POSTGRES_URL"]).database
        assert "note: the role can also connect to" in output and str(server_db) in output
        reader = create_engine(role.url(postgres_url))
        try:
            with reader.connect() as conn:
                conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
                conn.commit()
                with pytest.raises(DBAPIError, match="permission denied for function"):
                    conn.exec_driver_sql("SELECT lo_from_bytea(0, 'x')")
                conn.rollback()
                with pytest.raises(DBAPIError, match="permission denied to set parameter"):
                    conn.exec_driver_sql("SET temp_file_limit = -1")
                conn.rollback()
                assert conn.exec_driver_sql("SHOW temp_file_limit").scalar() == "1GB"
                objects = conn.exec_driver_sql("SELECT count(*) FROM pg_largeobject_metadata")
                assert objects.scalar() == 0
        finally:
            reader.dispose()
    finally:
        _drop_role(os.environ["PROVENANCE_TEST_POSTGRES_URL"], role)


# --- db upgrade, db downgrade, a full disk ------------------------------------------------------


def test_upgrade_never_claims_to_go_back_and_downgrade_asks(empty_db_url: str) -> None:
    from provenance import migrate

    db = ["--db", empty_db_url]
    invoke(["init", *db], code=0)
    head = migrate.head_revision()
    older = migrate.revision_order()[-2]
    output = invoke(["db", "upgrade", "--revision", "0001", *db]).output
    assert output.startswith("Error: ") and f"is at revision {head}, newer than 0001" in output
    assert "provenance db downgrade 0001" in output
    invoke(["db", "downgrade", older, *db], stdin=b"n\n")  # not confirmed: aborted
    assert invoke(["db", "current", *db], code=0).output.startswith(f"database: {head};")
    output = invoke(["db", "downgrade", older, "--yes", *db], code=0).output
    assert output.endswith(f": revision {head} -> {older} (downgraded)\n")
    output = invoke(["db", "downgrade", head, "--yes", *db]).output
    assert f"older than {head}: run `provenance db upgrade --revision {head}`" in output
    output = invoke(["db", "upgrade", *db], code=0).output
    assert output.endswith(f": revision {older} -> {head} (upgraded)\n")
    again = invoke(["db", "upgrade", *db], code=0).output
    assert again.endswith(f": revision {head} -> {head} (already at it)\n")


def test_a_disk_io_error_says_the_disk_may_be_full(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reports a disk that fills during a write as "disk I/O error" at times."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from provenance.cli import load as cli_load

    def full(*_args: object, **_kwargs: object) -> list[object]:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(cli_load, "load_files", full)
    path = write_csv(tmp_path / "f.csv", [row()])
    output = invoke(["load", str(path), "--db", db_url]).output
    assert output.startswith("Error: database error: disk I/O error: SQLite could not write")
    assert "the disk is probably full" in output and "nothing was written" in output


def test_the_readme_catalogue_lists_every_limit() -> None:
    import dataclasses

    readme = (ROOT / "README.md").read_text("utf-8")
    catalogue = readme[readme.index("### Limits on input") : readme.index("### Column mappings")]
    for limit in dataclasses.fields(Limits):
        assert f"`--limit {limit.name.replace('_', '-')}=" in catalogue, limit.name
