"""Security: SQL built only from bound parameters, hostile filter values, passwords kept out of
every output, YAML read safely, and spreadsheet cells that cannot run as formulas.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import Engine

from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import UnknownWeaponError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.reports.components import components
from tests.helpers import count, dump, row, write_csv

ROOT = Path(__file__).resolve().parent.parent

# --- no SQL built from strings ------------------------------------------------------------------

#: Calls that run SQL text (sqlite3, psycopg, SQLAlchemy). ``text`` only when called bare or as
#: ``sqlalchemy.text``/``sa.text`` (a chart's ``ax.text`` is no SQL).
_SQL_METHODS = {"exec_driver_sql", "execute", "executescript", "executemany"}
_SQL_FUNCTIONS = {"text", "literal_column"}

#: Statements that must be built from parts, each with its reason: (file, function) -> why.
#: Keep it short: a new entry needs a reason why a bound parameter cannot do.
ALLOWED: dict[tuple[str, str], str] = {
    ("provenance/db.py", "_on_connect"): "PRAGMA takes no parameters; an int constant, ':d'",
    ("provenance/views.py", "create_views"): "DDL: view names and SELECTs are module constants",
    ("provenance/views.py", "drop_views"): "DDL: view names are module constants",
}


def _is_built(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> bool:
    """An expression that builds a string from parts: an f-string with values, + or %,
    ``.format(...)`` (except psycopg's ``sql.SQL(...).format``, which quotes its parts), or a
    name assigned from one of those in the same function."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            base = node.func.value
            composed = (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Attribute)
                and base.func.attr == "SQL"
            )
            return not composed
        if node.func.attr == "join" and isinstance(node.func.value, ast.Constant):
            return True
    if isinstance(node, ast.Name):
        return any(_is_built(value, {}) for value in assigned.get(node.id, []))
    return False


def _sql_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in _SQL_FUNCTIONS
    if isinstance(func, ast.Attribute):
        if func.attr in _SQL_METHODS:
            return True
        return (
            func.attr in _SQL_FUNCTIONS
            and isinstance(func.value, ast.Name)
            and func.value.id in {"sa", "sqlalchemy"}
        )
    return False


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of a module or function, without those of the functions defined in it."""
    nodes: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def built_sql(root: Path, folders: tuple[str, ...]) -> list[tuple[str, str, int, str]]:
    """(file, function, line, code) of every SQL call whose statement is built from parts."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            scopes: list[ast.AST] = [tree]
            scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
            for scope in scopes:
                name = getattr(scope, "name", "<module>")
                body = list(_own_nodes(scope))
                assigned: dict[str, list[ast.expr]] = {}
                for node in body:
                    if isinstance(node, ast.Assign):
                        for target in node.targets:
                            if isinstance(target, ast.Name):
                                assigned.setdefault(target.id, []).append(node.value)
                for node in body:
                    if (
                        isinstance(node, ast.Call)
                        and _sql_call(node)
                        and node.args
                        and _is_built(node.args[0], assigned)
                    ):
                        relative = path.relative_to(root).as_posix()
                        found.append((relative, name, node.lineno, ast.unparse(node)[:120]))
    return sorted(set(found))


def test_no_sql_is_built_from_strings() -> None:
    found = built_sql(ROOT, ("provenance", "migrations"))
    offenders = [
        f"{f}:{line} in {fn}: {code}" for f, fn, line, code in found if (f, fn) not in ALLOWED
    ]
    assert not offenders, "SQL built from strings (use bound parameters):\n" + "\n".join(offenders)
    # The allow-list stays short and has no stale entries.
    assert len(ALLOWED) <= 5
    assert {(f, fn) for f, fn, _, _ in found} == set(ALLOWED)


def test_the_sql_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "bad.py").write_text(
        "def f(conn, name, ax):\n"
        "    conn.execute(text(f\"SELECT * FROM t WHERE name = '{name}'\"))\n"
        "    conn.exec_driver_sql('DELETE FROM t WHERE id = %s' % name)\n"
        "    query = 'SELECT ' + name\n"
        "    conn.execute(query)\n"
        "    cursor.execute('SELECT {}'.format(name))\n"
        "    conn.execute(text('SELECT :n'), {'n': name})\n"
        "    ax.text(1 + 2, 3, name)\n",
        encoding="utf-8",
    )
    lines = [line for _, _, line, _ in built_sql(tmp_path, ("pkg",))]
    assert lines == [2, 3, 5, 6]


# --- hostile filter values --------------------------------------------------------------------

HOSTILE = "KN-23'; DROP TABLE components;--"


def _invoke(args: list[str], code: int = 0, env: dict[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(
        cli, args, env={ENV_VAR: None, **(env or {})}, prog_name="provenance"
    )
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), "an exception escaped the CLI"
    assert "Traceback" not in result.output
    return result


def test_a_hostile_weapon_filter_is_an_unknown_weapon(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    load_files(engine, [write_csv(tmp_path / "f.csv", [row()])])
    before = dump(engine)
    with engine.connect() as conn, pytest.raises(UnknownWeaponError):
        components(conn, weapon=HOSTILE)
    for command in (["report", "components"], ["report", "foreign-parts"]):
        result = _invoke([*command, "--weapon", HOSTILE, "--db", db_url], code=1)
        assert "unknown weapon" in result.output.lower()
    hostile_name = "x'; DROP TABLE manufacturers;--"
    listed = _invoke(["manufacturers", "list", "--search", hostile_name, "--db", db_url])
    assert "No manufacturers" in listed.output
    _invoke(["manufacturers", "show", hostile_name, "--db", db_url], code=1)
    listed = _invoke(["manufacturers", "list", "--search", "%", "--db", db_url])
    assert "No manufacturers" in listed.output  # a LIKE wildcard is a plain character
    assert dump(engine) == before
    assert count(engine, "components") == 1


# --- the password of the database URL --------------------------------------------------------

SECRET = "s3cr3t-Pa55"


def _commands(group: object = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import click

    assert isinstance(group, click.Command)
    if isinstance(group, click.Group):
        return [c for name, sub in group.commands.items() for c in _commands(sub, (*path, name))]
    return [path]


def test_the_password_never_shows(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:1/nowhere?connect_timeout=1"
    env: dict[str, str | None] = {ENV_VAR: url}
    commands = _commands()
    assert len(commands) > 15
    for command in [(), *commands]:
        result = _invoke([*command, "--help"], env=env)
        assert SECRET not in result.output, command
    # Errors: a server that cannot be reached, an unknown database type.
    for args in (["db", "current"], ["report", "components"]):
        result = _invoke(args, code=1, env=env)
        assert SECRET not in result.output
        assert "alice" in result.output or "Error" in result.output
    result = _invoke(["report", "components", "--db", f"nosuchdb://bob:{SECRET}@host/x"], code=1)
    assert SECRET not in result.output
    assert "***" in result.output or "host" in result.output


# --- YAML ------------------------------------------------------------------------------------


def test_a_mapping_cannot_run_code(engine: Engine, db_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    mapping = tmp_path / "evil.yaml"
    mapping.write_text(
        f"columns: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    findings = write_csv(tmp_path / "f.csv", [row()])
    before = dump(engine)
    result = _invoke(["load", "--mapping", str(mapping), str(findings), "--db", db_url], code=1)
    assert result.output.startswith("Error: ")
    assert not marker.exists()
    assert dump(engine) == before
    reference = tmp_path / "evil-reference.yaml"
    reference.write_text(mapping.read_text(encoding="utf-8"), encoding="utf-8")
    _invoke(["reference", "load", str(reference), "--db", db_url], code=1)
    assert not marker.exists()


# --- spreadsheet cells ------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def formula_db(engine: Engine, db_url: str, tmp_path: Path) -> str:
    rows = [
        row(manufacturer=FORMULA),
        row(component="+1 amplifier", part_number="-5V", manufacturer="@Maker", specimen="SPEC-2"),
    ]
    load_files(
        engine, [write_csv(tmp_path / "f.csv", rows)], options=LoadOptions(new_manufacturers=True)
    )
    return db_url


def _csv_cells(text: str) -> list[str]:
    return [cell for r in csv.reader(io.StringIO(text)) for cell in r]


def _assert_inert(cells: Sequence[object]) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    assert any("HYPERLINK" in c for c in texts)
    for cell in texts:
        assert not cell.startswith(("=", "+", "-", "@")), cell


def test_report_and_query_csv_cells_cannot_be_formulas(formula_db: str) -> None:
    report = _invoke(["report", "components", "--format", "csv", "--db", formula_db]).output
    _assert_inert(_csv_cells(report))
    query = _invoke(
        ["query", "SELECT * FROM v_components", "--format", "csv", "--db", formula_db]
    ).output
    _assert_inert(_csv_cells(query))


def _xlsx_cells(path: Path) -> list[object]:
    workbook = load_workbook(path)
    return [c.value for sheet in workbook.worksheets for r in sheet.iter_rows() for c in r]


def test_query_and_export_xlsx_cells_cannot_be_formulas(formula_db: str, tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    _invoke(
        [
            "query",
            "SELECT * FROM v_components",
            "--format",
            "xlsx",
            "-o",
            str(out),
            "--db",
            formula_db,
        ]
    )
    _assert_inert(_xlsx_cells(out))
    export = tmp_path / "e.xlsx"
    _invoke(["export", "--format", "xlsx", "--tables", str(export), "--db", formula_db])
    _assert_inert(_xlsx_cells(export))


def test_export_csv_cells_cannot_be_formulas(formula_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    _invoke(["export", "--format", "csv", "--tables", str(folder), "--db", formula_db])
    cells: list[object] = []
    for path in sorted(folder.glob("*.csv")):
        cells += _csv_cells(path.read_text(encoding="utf-8"))
    _assert_inert(cells)
