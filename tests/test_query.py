"""`provenance query`: one read-only statement, on SQLite and PostgreSQL.

- SELECTs over the views work, in every format (xlsx to a file);
- every write attempt is refused with a clear error and leaves the database unchanged: through the
  command (the text check refuses first), and straight on the read-only connection (the
  database refuses by itself, so the text check is not the only guard);
- the text check is not fooled by semicolons and keywords inside strings, names and comments;
- a statement that runs too long is stopped.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine

from provenance.bi import sqlquery
from provenance.bi.sqlquery import check_statement
from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import QueryError, QueryRefusedError
from provenance.publish import render
from tests import bi_data
from tests.helpers import dump

REFUSED = "Error: only one read-only SELECT statement is allowed"


def _invoke(args: list[str], code: int = 0, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, args, input=stdin, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def loaded(engine: Engine, db_url: str, tmp_path: Path) -> str:
    bi_data.load(engine, tmp_path)
    return db_url


# --- reading -----------------------------------------------------------------------------------

_FOREIGN_SHARE = (
    "SELECT weapon_system, parts, foreign_parts FROM v_foreign_share_by_weapon"
    " WHERE basis = 'manufacturer' ORDER BY weapon_system"
)


def test_select_from_a_view_as_a_table(loaded: str) -> None:
    output = _invoke(["query", _FOREIGN_SHARE, "--db", loaded]).output
    lines = output.splitlines()
    assert lines[0].split() == ["weapon_system", "parts", "foreign_parts"]
    assert lines[2].split() == ["KN-23", "6", "4"]
    assert lines[3].split() == ["Shahed-136", "6", "4"]


def test_formats(loaded: str, tmp_path: Path) -> None:
    as_json = json.loads(
        _invoke(["query", _FOREIGN_SHARE, "--db", loaded, "--format", "json"]).output
    )
    assert as_json == [
        {"weapon_system": "KN-23", "parts": 6, "foreign_parts": 4},
        {"weapon_system": "Shahed-136", "parts": 6, "foreign_parts": 4},
    ]
    as_csv = _invoke(["query", _FOREIGN_SHARE, "--db", loaded, "--format", "csv"]).output
    assert list(csv.reader(io.StringIO(as_csv))) == [
        ["weapon_system", "parts", "foreign_parts"],
        ["KN-23", "6", "4"],
        ["Shahed-136", "6", "4"],
    ]
    markdown = _invoke(["query", _FOREIGN_SHARE, "--db", loaded, "--format", "markdown"]).output
    assert markdown.splitlines()[0].startswith("| weapon_system")
    assert "| KN-23 " in markdown

    out = tmp_path / "result.xlsx"
    result = _invoke(["query", _FOREIGN_SHARE, "--db", loaded, "--format", "xlsx", "-o", str(out)])
    assert "2 rows written" in result.output
    sheet = load_workbook(out).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["weapon_system", "parts", "foreign_parts"],
        ["KN-23", 6, 4],
        ["Shahed-136", 6, 4],
    ]


def test_dates_and_nulls(loaded: str) -> None:
    statement = (
        "SELECT component, manufactured_on, made_in_code FROM v_components"
        " WHERE component IN ('voltage converter', 'op amp') ORDER BY component"
    )
    rows = json.loads(_invoke(["query", statement, "--db", loaded, "--format", "json"]).output)
    assert rows == [
        {"component": "op amp", "manufactured_on": "2023-05-17", "made_in_code": "CN"},
        {"component": "voltage converter", "manufactured_on": "2023-02-01", "made_in_code": None},
    ]


def test_spreadsheet_formulas_are_neutralised(loaded: str, tmp_path: Path) -> None:
    statement = "SELECT marking FROM v_components WHERE component = 'capacitor'"
    as_csv = _invoke(["query", statement, "--db", loaded, "--format", "csv"]).output
    assert list(csv.reader(io.StringIO(as_csv)))[1] == ["'" + bi_data.FORMULA_MARKING]
    out = tmp_path / "formula.xlsx"
    _invoke(["query", statement, "--db", loaded, "--format", "xlsx", "--output", str(out)])
    sheet = load_workbook(out).active
    assert sheet is not None
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + bi_data.FORMULA_MARKING
    # JSON keeps the value as stored.
    as_json = _invoke(["query", statement, "--db", loaded, "--format", "json"]).output
    assert json.loads(as_json) == [{"marking": bi_data.FORMULA_MARKING}]


def test_statement_from_stdin_and_to_a_file(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    _invoke(["query", "-", "--db", loaded, "--format", "csv", "-o", str(out)], stdin=_FOREIGN_SHARE)
    assert out.read_text(encoding="utf-8").splitlines()[1] == "KN-23,6,4"


def test_xlsx_needs_an_output_file(loaded: str) -> None:
    result = _invoke(["query", "SELECT 1", "--db", loaded, "--format", "xlsx"], code=2)
    assert "--format xlsx needs --output FILE" in result.output


def test_a_failing_statement_is_a_clean_error(loaded: str) -> None:
    result = _invoke(["query", "SELECT * FROM no_such_view", "--db", loaded], code=1)
    assert result.output.startswith("Error: the query failed: ")
    assert "no_such_view" in result.output


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    result = _invoke(["query", "SELECT 1", "--db", f"sqlite:///{path}"], code=1)
    assert result.output.startswith("Error: no such database file")
    assert not path.exists()


# --- writes are refused -----------------------------------------------------------------------

#: (statement, dialects it is meant for); each one would change the database if it ran.
WRITES = [
    ("INSERT INTO manufacturers (name, name_key) VALUES ('X', 'x')", "any"),
    ("UPDATE manufacturers SET name = 'X'", "any"),
    ("DELETE FROM citations", "any"),
    ("DROP VIEW v_components", "any"),
    ("DROP TABLE citations", "any"),
    ("CREATE TABLE stolen (a INTEGER)", "any"),
    ("CREATE VIEW v_mine AS SELECT 1 AS a", "any"),
    ("ALTER TABLE manufacturers ADD COLUMN x INTEGER", "any"),
    ("SELECT 1; DELETE FROM citations", "any"),
    ("SELECT 1; COMMIT; DELETE FROM citations", "any"),
    ("SELECT 1 -- a comment\n; DELETE FROM citations", "any"),
    ("ATTACH DATABASE '{tmp}/attached.db' AS other", "sqlite"),
    ("PRAGMA user_version = 7", "sqlite"),
    ("PRAGMA journal_mode = DELETE", "sqlite"),
    ("VACUUM", "sqlite"),
    ("WITH x AS (SELECT 1) DELETE FROM citations", "sqlite"),
    ("WITH x AS (DELETE FROM citations RETURNING *) SELECT count(*) FROM x", "postgresql"),
    ("SELECT * INTO stolen FROM manufacturers", "postgresql"),
    ("SELECT name FROM manufacturers FOR UPDATE", "postgresql"),
    ("TRUNCATE citations", "postgresql"),
    ("SELECT nextval('manufacturers_id_seq')", "postgresql"),
]


def _writes_for(dialect: str, tmp_path: Path) -> list[str]:
    return [
        statement.replace("{tmp}", str(tmp_path))
        for statement, meant in WRITES
        if meant in ("any", dialect)
    ]


def test_every_write_is_refused_by_the_command(engine: Engine, loaded: str, tmp_path: Path) -> None:
    before = dump(engine)
    for statement in _writes_for(engine.dialect.name, tmp_path):
        result = _invoke(["query", statement, "--db", loaded], code=1)
        assert result.output.startswith(REFUSED), (statement, result.output)
        assert dump(engine) == before, statement
    assert not (tmp_path / "attached.db").exists()


def test_the_connection_refuses_writes_by_itself(
    engine: Engine, loaded: str, tmp_path: Path
) -> None:
    """Without the text check: the read-only connection is a guard of its own."""
    before = dump(engine)
    for statement in _writes_for(engine.dialect.name, tmp_path):
        with pytest.raises(QueryError) as caught:
            sqlquery.execute_readonly(engine, statement)
        assert dump(engine) == before, statement
        message = str(caught.value)
        assert message.startswith(sqlquery.REFUSED) or "permission" in message, (statement, message)
    assert not (tmp_path / "attached.db").exists()  # ATTACH would have created the file
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert "stolen" not in conn.dialect.get_table_names(conn)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 'a;b' AS x",
        "SELECT 'DELETE FROM citations; DROP TABLE x' AS x",
        'SELECT 1 AS "update; insert"',
        "SELECT 1 /* ; DELETE */ AS x",
        "SELECT 1 -- ; DROP TABLE citations\n AS x",
        "SELECT 'it''s; fine' AS x;",
        "  \n SELECT 1 AS x ;  \n",
        "(SELECT 1 AS x)",
        "VALUES (1)",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "SELECT replace('abc', 'b', 'x') AS x",
    ],
)
def test_the_text_check_reads_strings_names_and_comments(statement: str) -> None:
    for dialect in ("sqlite", "postgresql"):
        check_statement(statement, dialect)


def test_postgresql_quoting() -> None:
    check_statement("SELECT $$a; DELETE FROM x$$ AS x", "postgresql")
    check_statement("SELECT $tag$ ; $$ ; $tag$ AS x", "postgresql")
    check_statement(r"SELECT E'it\'s; fine' AS x", "postgresql")
    check_statement("SELECT 1 /* nested /* ; */ still comment ; */ AS x", "postgresql")
    with pytest.raises(QueryRefusedError, match="found 2 statements"):
        check_statement("SELECT $$a$$; DELETE FROM x", "postgresql")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("", "the statement is empty"),
        (" ; ", "the statement is empty"),
        ("SELECT 1; SELECT 2", "found 2 statements"),
        ("SELECT 'unterminated", "unterminated string"),
        ("SELECT 1 /* open", "unterminated /* comment"),
        ("EXPLAIN ANALYZE DELETE FROM citations", "it starts with 'EXPLAIN'"),
        ("SET default_transaction_read_only = off", "it starts with 'SET'"),
        ("PRAGMA query_only = OFF", "it starts with 'PRAGMA'"),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT 1", "found DELETE"),
    ],
)
def test_refusal_reasons(statement: str, reason: str) -> None:
    with pytest.raises(QueryRefusedError) as caught:
        check_statement(statement, "postgresql")
    assert str(caught.value).startswith(f"{sqlquery.REFUSED} ({reason}")


def test_read_only_pragma_functions_work(engine: Engine, loaded: str) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's pragma functions")
    result = sqlquery.run_query(engine, "SELECT name FROM pragma_table_info('v_sources')")
    assert [r[0] for r in result.rows][:2] == ["source_id", "publisher"]


def test_a_long_statement_is_stopped(engine: Engine, loaded: str) -> None:
    if engine.dialect.name == "sqlite":
        statement = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        )
    else:
        statement = "SELECT pg_sleep(5)"
    with pytest.raises(QueryError, match=r"ran longer than 0.3 s"):
        sqlquery.run_query(engine, statement, timeout_s=0.3)
    result = _invoke(["query", statement, "--db", loaded, "--timeout", "0.3"], code=1)
    assert result.output.startswith("Error: the query ran longer than 0.3 s")


def test_rows_renderer_values() -> None:
    header = ["n", "n", "when", "at", "blob", "cell"]
    data = [
        (
            decimal.Decimal("2"),
            decimal.Decimal("2.5"),
            dt.date(2023, 2, 1),
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            b"\x00\x01",
            "@SUM(A1)",
        )
    ]
    assert json.loads(render.rows(header, data, "json")) == [
        {
            "n": 2,
            "n_2": 2.5,
            "when": "2023-02-01",
            "at": "2024-01-02T03:04:05+00:00",
            "blob": "AAE=",
            "cell": "@SUM(A1)",
        }
    ]
    as_csv = list(csv.reader(io.StringIO(render.rows(header, data, "csv"))))
    assert as_csv[1] == ["2", "2.5", "2023-02-01", "2024-01-02T03:04:05+00:00", "AAE=", "'@SUM(A1)"]
    assert render.rows(["a", "b"], [(None, 1)], "csv") == "a,b\n,1\n"
    assert "2023-02-01" in render.rows(header, data, "table")
    with pytest.raises(ValueError, match="needs an output file"):
        render.rows(header, data, "xlsx")


def test_rows_renderer_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    aware = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    render.rows(["at", "text", "n"], [(aware, "=1+1\x07", 3)], "xlsx", out)
    sheet = load_workbook(out).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == [dt.datetime(2024, 1, 2, 1, 4, 5), "'=1+1", 3]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:s3cret@127.0.0.1:1/x",  # nothing listens on port 1
        "nosuchdb://u:s3cret@127.0.0.1/x",
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["query", "SELECT 1"],
        ["export", "{tmp}/out.json"],
        ["db", "grant-readonly", "someone"],
    ],
)
def test_the_sql_commands_never_show_the_password(
    url: str, command: list[str], tmp_path: Path
) -> None:
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    result = _invoke([*args, "--db", url], code=1)
    assert result.output.startswith("Error: ")
    assert "s3cret" not in result.output
