"""The SQL and BI documentation, checked against the code and the databases.

- docs/views.md is what provenance/views.py generates (columns, types, meanings, examples);
- every SQL example in docs/ runs, read-only, on SQLite and PostgreSQL and finds rows in the
  hand-made data set; the KN-23 example finds exactly the part it is about;
- the Datasette metadata describes the same views and columns, and its labels and facets exist;
- the README points to both documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect

from provenance import views
from provenance.bi import datasette, sqlquery
from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.models import Base
from tests import bi_data

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _sql_examples() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        for i, match in enumerate(_SQL_BLOCK.finditer(path.read_text(encoding="utf-8")), 1):
            found.append((f"{path.name}#{i}", match.group(1)))
    return found


def test_views_md_is_generated_from_the_code() -> None:
    on_disk = (DOCS / "views.md").read_text(encoding="utf-8")
    assert on_disk == views.markdown(), (
        "docs/views.md differs from provenance/views.py: run "
        "`python -m provenance.views > docs/views.md`"
    )


def test_views_md_documents_every_column() -> None:
    text = (DOCS / "views.md").read_text(encoding="utf-8")
    for v in views.VIEWS:
        section = text.split(f"## {v.name}\n", 1)[1].split("\n## ", 1)[0]
        documented = re.findall(r"^\| `([a-z0-9_]+)` \| (\w+) \|", section, re.MULTILINE)
        assert documented == [(c.name, c.type) for c in v.columns], v.name


def test_there_are_sql_examples() -> None:
    names = [name for name, _ in _sql_examples()]
    assert len([n for n in names if n.startswith("bi.md")]) >= 6


def test_every_sql_example_runs(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    for name, statement in _sql_examples():
        result = sqlquery.run_query(engine, statement)
        assert result.rows, f"{name} found nothing in the test data:\n{statement}"


def test_the_kn23_example_finds_the_us_part_made_after_2022(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    [statement] = [s for _, s in _sql_examples() if "manufacturer_country_code = 'US'" in s]
    result = sqlquery.run_query(engine, statement)
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    # Analog Devices (US, made 2022) is too old; Texas Instruments' op amp (2023-05-17) counts.
    assert [(r["component"], r["manufacturer"], r["quantity"]) for r in rows] == [
        ("op amp", "Texas Instruments", 1)
    ]


def test_the_foreign_share_example_gives_the_report_figures(engine: Engine, tmp_path: Path) -> None:
    bi_data.load(engine, tmp_path)
    [statement] = [s for _, s in _sql_examples() if "100 * foreign_share" in s]
    result = sqlquery.run_query(engine, statement)
    rows = {r[0]: r[1:] for r in result.rows}
    assert rows["KN-23"][:4] == (6, 4, 1, 1)
    assert rows["KN-23"][4] == pytest.approx(100 * 4 / 6)
    assert rows["Shahed-136"][:4] == (6, 4, 2, 0)


# --- Datasette --------------------------------------------------------------------------------


def test_datasette_metadata_comes_from_the_view_docs() -> None:
    document = datasette.metadata("findings")
    tables = document["databases"]["findings"]["tables"]
    for v in views.VIEWS:
        entry = tables[v.name]
        assert entry["description"] == v.description
        assert list(entry["columns"]) == v.column_names
        assert all(entry["columns"][c.name].startswith(c.description) for c in v.columns)
        assert set(entry["facets"]) <= set(v.column_names)
        assert entry["sort"] in v.column_names
    for name, label in datasette.LABEL_COLUMNS.items():
        assert tables[name]["label_column"] == label
        assert label in Base.metadata.tables[name].columns
    assert tables["alembic_version"] == {"hidden": True}
    assert tables["components"]["description"] == "A part found in a specimen."
    assert tables["manufacturers"]["columns"]["country_code"] == "headquarters country"


def test_datasette_metadata_names_what_a_database_has(engine: Engine) -> None:
    names = set(datasette.metadata()["databases"]["provenance"]["tables"])
    insp = inspect(engine)
    assert names == set(insp.get_table_names()) | set(insp.get_view_names())


def test_datasette_metadata_command(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'kn23-findings.db'}"
    result = runner.invoke(cli, ["datasette-metadata", "--db", url], env={ENV_VAR: None})
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document["databases"]) == ["kn23-findings"]  # Datasette's name for the file
    result = runner.invoke(cli, ["datasette-metadata", "--database", "x"], env={ENV_VAR: None})
    assert list(json.loads(result.output)["databases"]) == ["x"]


# --- links ----------------------------------------------------------------------------------------


def test_readme_links_the_sql_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/views.md" in readme
    assert "docs/bi.md" in readme
    bi = (DOCS / "bi.md").read_text(encoding="utf-8")
    assert "(views.md)" in bi
    for v in views.VIEWS:
        assert v.name in bi, f"docs/bi.md does not mention {v.name}"
