"""``provenance load`` options: input formats, standard input, delimiters, sheets, strictness,
new manufacturers, the progress bar and the summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from provenance.cli.main import cli
from provenance.cli.progress import SHOW_AFTER_ROWS, RowProgress
from provenance.db import ENV_VAR
from provenance.ingest.columns import COLUMNS
from tests.helpers import count, dump, row, write_csv


def invoke(args: list[str], code: int = 0, data: bytes | None = None) -> Result:
    result = CliRunner().invoke(cli, args, input=data, env={ENV_VAR: None})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def tsv(rows: list[dict[str, str]]) -> str:
    lines = ["\t".join(COLUMNS)] + ["\t".join(r[c] for c in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def test_standard_input(db_url: str, engine: Engine) -> None:
    data = tsv([row(), row(component="relay")]).encode("utf-16")
    out = invoke(["load", "--db", db_url, "--input-format", "tsv", "-"], data=data).output
    assert out.startswith("<stdin>: 2 rows read")
    assert count(engine, "components") == 2
    # Detected from the content, too; and loading it again adds nothing.
    out = invoke(["load", "--db", db_url, "-"], data=data).output
    assert "components: 0 added, 2 already known" in out
    invoke(["load", "--db", db_url, "-", "-"], code=2, data=data)


def test_delimiter_option(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text(tsv([row()]).replace("\t", ";"), "utf-8")
    invoke(["load", "--db", db_url, "--delimiter", ";", str(path)])
    tab = tmp_path / "g.txt"
    tab.write_text(tsv([row(component="relay")]), "utf-8")
    assert "1 added" in invoke(["load", "--db", db_url, "--delimiter", "tab", str(tab)]).output
    result = invoke(["load", "--db", db_url, "--delimiter", "::", str(tab)], code=2)
    assert "expected one character" in result.output


def test_sheet_option_and_errors_name_the_sheet(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Good"
    first.append(list(COLUMNS))
    first.append([row()[c] or None for c in COLUMNS])
    bad = book.create_sheet("Bad")
    bad.append(list(COLUMNS))
    bad.append([row(quantity="0")[c] or None for c in COLUMNS])
    path = tmp_path / "annex.xlsx"
    book.save(path)

    before = dump(engine)
    result = invoke(["load", "--db", db_url, str(path)], code=1)
    assert result.output.startswith(f"Error: {path}[Bad]:2: quantity: expected a whole number")
    assert dump(engine) == before
    result = invoke(["load", "--db", db_url, "--sheet", "Good", str(path)])
    assert "1 added" in result.output
    result = invoke(["load", "--db", db_url, "--sheet", "Other", str(path)], code=1)
    assert "the workbook has no sheet 'Other'; its sheets: 'Good', 'Bad'" in result.output


def test_strict_and_new_manufacturers(db_url: str, engine: Engine, tmp_path: Path) -> None:
    invoke(["load", "--db", db_url, str(write_csv(tmp_path / "a.csv", [row()]))])
    path = write_csv(tmp_path / "b.csv", [{**row(manufacturer="XP Powers"), "Analyst": "me"}])
    result = invoke(["load", "--db", db_url, "--strict", str(path)], code=1)
    assert "columns that neither the findings layout nor the mapping uses: Analyst" in result.output
    result = invoke(["load", "--db", db_url, str(path)], code=1)
    assert f"{path}:2: manufacturer: a new manufacturer close to 'XP Power'" in result.output
    result = invoke(["load", "--db", db_url, "--new-manufacturers", str(path)])
    assert "warning: created the manufacturer 'XP Powers'" in result.output
    assert "warning: " + str(path) + ": ignored columns" in result.output
    assert count(engine, "manufacturers") == 2


def test_json_summary(db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [row(), row()])
    [summary] = json.loads(invoke(["load", "--db", db_url, "--format", "json", str(path)]).output)
    assert {k: summary[k] for k in ("rows_read", "components_added", "duplicate_rows")} == {
        "rows_read": 2,
        "components_added": 1,
        "duplicate_rows": 1,
    }
    for key in (
        "components_matched",
        "weapon_systems_created",
        "manufacturers_created",
        "sources_created",
        "rows_rejected",
        "warnings",
    ):
        assert key in summary


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_and_the_progress_bar(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    invoke(["init", "--db", url])
    path = write_csv(tmp_path / "f.csv", [row()])
    # Not a terminal (the test runner): no bar, with or without --quiet.
    for extra in ([], ["--quiet"]):
        out = invoke(["load", "--db", url, *extra, str(path)]).output
        assert "Reading rows" not in out

    stream = _Terminal()
    assert RowProgress(stream=stream).enabled  # on by default on a terminal
    progress = RowProgress(enabled=True, stream=stream)
    progress(SHOW_AFTER_ROWS - 1)
    assert stream.getvalue() == ""  # small loads show nothing
    progress(SHOW_AFTER_ROWS + 500)
    progress.close()
    assert "Reading rows" in stream.getvalue()
    assert f"{SHOW_AFTER_ROWS + 500}" in stream.getvalue()  # rows read
    assert "rows/s" in stream.getvalue()
    silent = io.StringIO()
    quiet = RowProgress(enabled=False, stream=silent)
    quiet(SHOW_AFTER_ROWS * 10)
    quiet.close()
    assert silent.getvalue() == ""


def test_the_readme_documents_every_load_option_and_manufacturers_command() -> None:
    from provenance.cli.manufacturers import manufacturers_group
    from provenance.resources import seeds_path

    readme = (seeds_path().parent / "README.md").read_text("utf-8")
    load = cli.commands["load"]
    for param in load.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt not in {"--db", "--format", "--help"}:
                assert opt in readme, f"README does not document `provenance load {opt}`"
    for name in manufacturers_group.commands:
        assert f"provenance manufacturers {name}" in readme
    assert "--roll-up parent" in readme
