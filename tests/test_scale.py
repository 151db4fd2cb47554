"""Reports that stay readable at the scale of the real data: ~200 weapon systems, ~600 makers.

A made-up findings file (200 weapon systems, 600 manufacturers, 40 sources; no real data) is
loaded once for the module; the reports run through the command line as a researcher runs them,
in a 200-column "terminal" (``--max-columns 200``). The figures the text shows are checked
against the library's reports, and the CSV and JSON outputs against what scripts read.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from provenance.cli.main import cli
from provenance.db import make_engine
from provenance.ingest.loader import LoadOptions, load_files
from provenance.publish import documents
from provenance.publish.formats import fit_widths, render_table, wrap_line
from provenance.reference import install
from provenance.reports.core import Filters
from provenance.reports.countries import countries
from provenance.reports.manufacturers import manufacturers
from tests.helpers import row, write_csv

WEAPONS = 200
MAKERS = 600
SOURCES = 40
PRODUCERS = ["Russia", "Iran", "North Korea", "China"]
MAKER_COUNTRIES = ["United States", "China", "Japan", "Germany", "Taiwan", "Switzerland", "UK"]
PREFIXES = ["Kh", "Shahed", "Geran", "Iskander", "Kalibr", "Lancet", "Orlan", "Fateh"]
WIDTH = 200


def designation(w: int) -> str:
    return f"{PREFIXES[w % len(PREFIXES)]}-{100 + w}"


def maker(m: int) -> str:
    # Far apart, so the loader takes none for a probable duplicate of another.
    syllables = ["ka", "lo", "mi", "ster", "vo", "re", "xu", "dan", "pel", "qui", "zor", "bex"]
    word = "".join(syllables[(m // 12**i) % 12].title() for i in range(3))
    return f"{word} {m} Corp"


def _rows() -> Iterator[dict[str, str]]:
    for w in range(WEAPONS):
        for k in range(4):
            m = 0 if k == 0 else (w * 3 + k * 151) % MAKERS  # maker 0: in every weapon system
            yield row(
                weapon_system=designation(w),
                weapon_producer_country=PRODUCERS[w % len(PRODUCERS)],
                specimen=f"S-{w:03d}",
                component=f"part {k}",
                part_number=f"P{w}-{k}",
                manufacturer=maker(m),
                manufacturer_country=MAKER_COUNTRIES[m % len(MAKER_COUNTRIES)],
                manufactured_on="" if w % 50 == 7 else f"{2018 + (w + k) % 7}-0{1 + k}",
                quantity=str(1 + (w + k) % 3),
                hs_code="8542.31" if k % 2 else "",
                source_title=f"Report {w % SOURCES}",
            )
    # Every maker is used at least once (in the first weapon system's specimen).
    for m in range(MAKERS):
        yield row(
            weapon_system=designation(0),
            weapon_producer_country=PRODUCERS[0],
            specimen="S-000",
            component=f"extra {m}",
            manufacturer=maker(m),
            manufacturer_country=MAKER_COUNTRIES[m % len(MAKER_COUNTRIES)],
            source_title=f"Report {m % SOURCES}",
        )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    folder = tmp_path_factory.mktemp("scale")
    url = f"sqlite:///{folder / 'scale.db'}"
    engine = make_engine(url)
    install.upgrade(engine)
    load_files(
        engine,
        [write_csv(folder / "findings.csv", _rows())],
        options=LoadOptions(new_manufacturers=True),
    )
    yield url, engine
    engine.dispose()


def _run(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args, "--db", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize(
    "report", ["countries", "manufacturers", "chpl", "timeline", "sources", "foreign-parts"]
)
def test_every_report_fits_200_columns_and_says_what_it_covers(
    big: tuple[str, Engine], report: str
) -> None:
    url, _ = big
    text = _run(url, report, "--max-columns", str(WIDTH))
    assert _widest(text) <= WIDTH
    assert f"Covers {WEAPONS} weapon systems, " in text
    assert f" and {SOURCES} sources." in text


def test_the_countries_matrix_turns_into_its_long_form_with_the_same_figures(
    big: tuple[str, Engine],
) -> None:
    url, engine = big
    text = _run(url, "countries", "--max-columns", str(WIDTH))
    assert "Shown in long form, one row per weapon system and origin" in " ".join(text.split())
    with engine.connect() as conn:
        report = countries(conn, Filters())
    # Every weapon system's parts by origin, as the report has them.
    shown: dict[tuple[str, str], int] = {}
    for line in text.splitlines():
        match = re.match(r"^(\S+-\d+)\s{2,}(\S.*?)\s{2,}(\d+)\s+[\d.]+%$", line)
        if match:
            shown[(match[1], match[2])] = int(match[3])
    expected = {(w, r.label): n for r in report.rows for w, n in r.parts_by_weapon.items() if n}
    assert shown == expected
    # --wide keeps the matrix; CSV and JSON are the matrix whatever the width.
    wide = _run(url, "countries", "--wide", "--max-columns", str(WIDTH))
    assert _widest(wide) > WIDTH and "long form" not in wide
    rows = list(csv.reader(io.StringIO(_run(url, "countries", "--format", "csv"))))
    first = min(designation(w) for w in range(WEAPONS))
    assert rows[0][:5] == ["basis", "filters", "origin", f"{first} parts", f"{first} share"]
    data = json.loads(_run(url, "countries", "--format", "json"))
    assert len(data["tables"][0]["columns"]) == 1 + 2 * WEAPONS + 2


def test_the_timeline_matrix_turns_into_its_long_form(big: tuple[str, Engine]) -> None:
    url, _ = big
    text = _run(url, "timeline", "--max-columns", str(WIDTH))
    assert "one row per weapon system and year" in " ".join(text.split())
    assert re.search(rf"^{re.escape(designation(1))}\s+2019\s+\d+$", text, re.MULTILINE)


def test_manufacturers_show_one_ranked_table_unless_asked_for_each_weapon(
    big: tuple[str, Engine],
) -> None:
    url, engine = big
    text = _run(url, "manufacturers", "--max-columns", str(WIDTH))
    assert text.count("Top manufacturers:") == 1
    assert f"One table per weapon system ({WEAPONS}): not shown here" in " ".join(text.split())
    with engine.connect() as conn:
        report = manufacturers(conn, Filters())
    first = report.overall.rows[0]
    assert len(first.weapon_systems) == WEAPONS
    # The weapon systems cell: the first five, then how many more.
    assert f"+{len(first.weapon_systems) - 5} more" in text
    # JSON keeps every table and every name.
    data = json.loads(_run(url, "manufacturers", "--format", "json"))
    assert len(data["tables"]) == 1 + WEAPONS
    assert data["tables"][0]["rows"][0]["weapon systems"] == "; ".join(first.weapon_systems)

    per_weapon = _run(url, "manufacturers", "--per-weapon", "--top", "5,2")
    assert per_weapon.count("Top manufacturers:") == 1 + WEAPONS
    two = _run(url, "manufacturers", "--weapon", designation(1), "--weapon", designation(2))
    assert two.count("Top manufacturers:") == 3
    assert f"Weapon systems: {designation(1)}, {designation(2)}." in two


def test_sources_list_the_top_in_the_text_and_all_in_csv(big: tuple[str, Engine]) -> None:
    url, _ = big
    text = _run(url, "sources", "--top", "10")
    assert f"{SOURCES - 10} other sources" in text
    assert f"CSV, JSON and xlsx list all {SOURCES}" in " ".join(text.split())
    rows = list(csv.reader(io.StringIO(_run(url, "sources", "--format", "csv"))))
    assert len(rows) - 1 == SOURCES
    per_weapon = _run(url, "sources", "--per-weapon", "--top", "3")
    assert per_weapon.count("Sources: ") == WEAPONS


def test_an_unknown_weapon_gets_the_closest_names_not_all_of_them(
    big: tuple[str, Engine],
) -> None:
    url, _ = big
    result = CliRunner().invoke(cli, ["report", "countries", "--weapon", "Shahed101", "--db", url])
    assert result.exit_code == 1
    assert "did you mean Shahed-101" in result.output
    assert designation(2) not in result.output  # Geran-102: not close, not listed


def test_shares_over_nothing_are_na_with_the_reason(big: tuple[str, Engine]) -> None:
    url, _ = big
    undated = designation(7)  # no part of it has a manufacture date
    text = _run(url, "timeline", "--weapon", undated)
    assert re.search(rf"^{re.escape(undated)}\s+\d+\s+0\s+n/a\s", text, re.MULTILINE)
    assert "n/a: share made after: no part has both a manufacture date" in " ".join(text.split())
    made_in = _run(url, "countries", "--weapon", undated, "--basis", "made-in")
    assert "n/a: foreign share: no part's origin is known on this basis" in made_in
    data = json.loads(
        _run(url, "countries", "--weapon", undated, "--basis", "made-in", "--format", "json")
    )
    summary = data["tables"][1]
    assert summary["rows"][0]["foreign share"] is None
    assert summary["notes"] == ["n/a: foreign share: no part's origin is known on this basis"]


def test_a_table_is_narrowed_by_wrapping_only_its_long_text_cells() -> None:
    header = ["name", "parts", "description"]
    rows = [["short", "12", "a b c d e f g h i j k l m n o p q r s t u v w x y z " * 2]]
    right = [False, True, False]
    columns = [[r[i] for r in rows] for i in range(3)]
    widths = fit_widths(header, columns, right, [None, None, None], 40)
    assert sum(widths) + 4 <= 40 and widths[:2] == [5, 5]
    text = render_table(header, rows, right, widths)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert text.splitlines()[2].startswith("short     12  a b c")
    assert all(line.startswith(" " * 14) for line in text.splitlines()[3:])


def test_names_show_the_first_few_in_text_and_all_in_data() -> None:
    names = documents.Names(f"W-{i}" for i in range(12))
    assert names.shown() == "W-0; W-1; W-2; W-3; W-4; +7 more"
    table = documents.DocTable("t", ["weapon systems"], [[names]])
    doc = documents.Document("x", "T", [], [table])
    assert "+7 more" in documents.to_text(doc)
    assert json.loads(documents.to_json(doc))["tables"][0]["rows"][0]["weapon systems"] == (
        "; ".join(names)
    )


#: Words as report cells hold them: hyphens ("DC-DC", "well--known"), digits, punctuation, and
#: the whitespace textwrap treats apart (tabs, no-break and em spaces, two spaces in a row).
_CELL_TEXT = st.lists(
    st.sampled_from(
        [
            "DC-DC",
            "converter;",
            "GNSS",
            "x-ray",
            "a-b-c",
            "well--known",
            "T-72",
            "(unspecified)",
            "9-",
            "-x",
            "co-op,",
            "ab",
            "a",
            "",
            "\t",
            "\u00a0",
            "\u2003",
            "-",
            "--",
        ]
    ),
    max_size=30,
).map(" ".join)


@given(_CELL_TEXT, st.integers(min_value=1, max_value=45))
def test_long_cells_wrap_exactly_as_textwrap_wraps_them(text: str, width: int) -> None:
    """The table's own line wrapping (fast on plain cells) gives textwrap's lines, always."""
    assert wrap_line(text, width) == textwrap.wrap(text, width)
