"""Customs records in the chain (issue 16), and the chain drawn as SVG by Graphviz; on SQLite and
PostgreSQL.

The KN-23 case of tests/test_chain.py, with made-up customs records of its LM2596 (no real
company's records): two accepted that day (K-0, K-1, given in the file in the other order), one
accepted a month before the trace reply's step (K-2), one accepted without a date or record id,
one rejected (K-3: never shown) and one nobody has reviewed (K-4: only counted).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from provenance.chain.read import chain_of_component, chain_of_manufacturer, chain_of_weapon
from provenance.chain.render import NO_GRAPHVIZ, picture, to_dot, to_markdown, to_svg, to_text
from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import ChainError
from provenance.evidence.files import sha256_of
from provenance.ingest.customs import load_customs
from provenance.ingest.customs_match import links, match_customs, review_link
from provenance.ingest.loader import load_files
from provenance.models import CustomsLinkStatus
from tests.helpers import row, write_csv
from tests.test_chain import EXPECTED_TEXT, _kn23

HEADER = [
    *("record_id", "date", "hs_code", "description", "brand", "part_number", "exporter"),
    *("importer", "origin_country", "dispatch_country", "value", "currency", "quantity"),
]


def _record(**cells: str) -> dict[str, str]:
    base = {
        "record_id": "",
        "date": "",
        "hs_code": "8504.40.90",
        "description": "voltage regulator IC",
        "brand": "Texas Instruments",
        "part_number": "LM2596",
        "exporter": "Shenzhen Hongda Trading Co., Ltd.",
        "importer": "Vostok Logistics LLC",
        "origin_country": "Malaysia",
        "dispatch_country": "China",
        "value": "1,250.00",
        "currency": "usd",
        "quantity": "50",
    }
    return {**base, **cells}


RECORDS = [
    _record(record_id="K-1", date="2022-08-02"),
    _record(record_id="K-2", date="2022-05", exporter="Arrow Electronics, Inc.",
            importer="Example Import LLC", origin_country="unknown", dispatch_country="US",
            value="", quantity=""),
    _record(record_id="K-3", date="2023-01-10", importer="Another Importer"),
    _record(record_id="K-4", date="2022-09-01", importer="Unreviewed Importer"),
    _record(exporter="", importer="Nameless Importer"),  # no date, no record id, no exporter
    _record(record_id="K-0", date="2022-08-02", importer="Second Importer"),
]  # fmt: skip


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _customs(engine: Engine, tmp_path: Path, rows: list[dict[str, str]] = RECORDS) -> None:
    """Load ``rows``, match them, accept all but K-3 (rejected) and K-4 (left proposed)."""
    load_customs(engine, _write(tmp_path / "kn23-customs.csv", rows))
    match_customs(engine)
    with engine.connect() as conn:
        found = {k.record_id: k.link_id for k in links(conn)}
    assert len(found) == len(rows)
    for record, link in found.items():
        if record == "K-3":
            review_link(engine, link, CustomsLinkStatus.REJECTED, "A. Analyst", "another lot")
        elif record != "K-4":
            review_link(engine, link, CustomsLinkStatus.ACCEPTED, "A. Analyst", "same lot")


def _case(engine: Engine, tmp_path: Path) -> None:
    _kn23(engine, tmp_path)
    _customs(engine, tmp_path)


_HEAD, _STEP1, _STEP2, _STEP3, _TRACE = EXPECTED_TEXT.rstrip("\n").split("\n")[2:]

EXPECTED = f"""\
Chain of component 1

{_HEAD}
{_STEP1}
  [customs link 2]  2022-05  Arrow Electronics, Inc. (exporter) -> Example Import LLC \
(importer)  customs record K-2 (shipment 2), HS 85044090, origin unknown, dispatch US  \
file: kn23-customs.csv row 3, accepted by A. Analyst
{_STEP2}
{_STEP3}
  [customs link 6]  2022-08-02  Shenzhen Hongda Trading Co., Ltd. (exporter) -> Second Importer \
(importer)  customs record K-0 (shipment 6), HS 85044090, origin MY, dispatch CN  \
file: kn23-customs.csv row 7, accepted by A. Analyst
  [customs link 1]  2022-08-02  Shenzhen Hongda Trading Co., Ltd. (exporter) -> Vostok Logistics \
LLC (importer)  customs record K-1 (shipment 1), HS 85044090, origin MY, dispatch CN  \
file: kn23-customs.csv row 2, accepted by A. Analyst
  [customs link 5]  date unknown  (unknown) (exporter) -> Nameless Importer (importer)  \
customs shipment 5 (no record id), HS 85044090, origin MY, dispatch CN  \
file: kn23-customs.csv row 6, accepted by A. Analyst
{_TRACE}
  customs: 1 proposed link, not reviewed (customs review)
"""

#: The keys of a component in ``chain --format json`` before customs records were shown.
COMPONENT_KEYS = [
    *("component_id", "weapon_system", "specimen", "recovered_on", "recovered_at", "function"),
    *("part_number", "manufacturer", "manufacturer_country", "steps", "trace_requests"),
]
STEP_KEYS = [
    *("id", "scope", "scope_text", "from_party", "from_role", "to_party", "to_role", "date"),
    *("place", "country", "document_kind", "document_ref", "source", "source_id"),
    *("trace_request", "disputed_by", "disputed"),
]


def _shown(customs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(c["record_id"], c["date"], c["exporter"], c["importer"]) for c in customs]


SHOWN = [
    ("K-2", "2022-05", "Arrow Electronics, Inc.", "Example Import LLC"),
    ("K-0", "2022-08-02", "Shenzhen Hongda Trading Co., Ltd.", "Second Importer"),
    ("K-1", "2022-08-02", "Shenzhen Hongda Trading Co., Ltd.", "Vostok Logistics LLC"),
    (None, "", None, "Nameless Importer"),
]


def test_accepted_customs_records_are_steps_of_the_chain_and_proposed_ones_only_counted(
    engine: Engine, tmp_path: Path
) -> None:
    _case(engine, tmp_path)
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1, as_of=dt.date(2024, 6, 1))
    assert to_text(chain) == EXPECTED
    (component,) = json.loads(json.dumps(chain.as_dict()))["components"]
    assert list(component) == [*COMPONENT_KEYS, "customs", "customs_proposed"]
    assert [s["id"] for s in component["steps"]] == [1, 2, 3]  # the transfers, as before
    assert all(list(s) == STEP_KEYS for s in component["steps"])
    assert _shown(component["customs"]) == SHOWN
    assert component["customs_proposed"] == 1
    k1 = component["customs"][2]
    accepted_at = k1.pop("accepted_at")
    assert k1 == {
        "link_id": 1,
        "shipment_id": 1,
        "record_id": "K-1",
        "date": "2022-08-02",
        "exporter": "Shenzhen Hongda Trading Co., Ltd.",
        "importer": "Vostok Logistics LLC",
        "hs_code": "85044090",
        "hs6": "850440",
        "description": "voltage regulator IC",
        "brand": "Texas Instruments",
        "part_number": "LM2596",
        "origin": "MY",
        "dispatch": "CN",
        "quantity": "50",
        "value": "1250",
        "currency": "USD",
        "file": "kn23-customs.csv",
        "file_sha256": sha256_of(tmp_path / "kn23-customs.csv"),
        "source_row": 2,
        "rule": "hs-brand-part",
        "accepted_by": "A. Analyst",
        "note": "same lot",
    }
    assert dt.datetime.fromisoformat(accepted_at).utcoffset() == dt.timedelta(0)
    k2 = component["customs"][0]
    assert (k2["origin"], k2["quantity"], k2["value"]) == (None, None, None)  # unknown stays so
    everything = to_text(chain) + to_markdown(chain) + to_dot(chain) + json.dumps(chain.as_dict())
    for hidden in ("K-3", "Another Importer", "K-4", "Unreviewed Importer"):
        assert hidden not in everything  # rejected, and not reviewed


def test_customs_records_of_one_day_come_in_the_same_order_whatever_the_file_order(
    engine: Engine, tmp_path: Path
) -> None:
    _kn23(engine, tmp_path)
    _customs(engine, tmp_path, list(reversed(RECORDS)))
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1)
    (component,) = json.loads(json.dumps(chain.as_dict()))["components"]
    assert _shown(component["customs"]) == SHOWN
    assert [c["file"] for c in component["customs"]] == ["kn23-customs.csv"] * 4


def test_markdown_dot_and_the_dossier_show_the_customs_steps(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.publish import dossier
    from provenance.reports.core import Filters
    from tests.analysis_data import ensure_reference_lists

    ensure_reference_lists(engine)
    _case(engine, tmp_path)
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1)
        built = dossier.build(conn, Filters(weapon="KN-23"), tmp_path / "out")
    k2_row = (
        "| customs link 2 | 2022-05 | Arrow Electronics, Inc. (exporter) | Example Import LLC "
        "(importer) | customs record K-2 (shipment 2), HS 85044090, origin unknown, dispatch US "
        "| kn23-customs.csv row 3, accepted by A. Analyst |  |"
    )
    markdown = to_markdown(chain).splitlines()
    rows = [line.split(" | ")[0] for line in markdown if line.startswith("| ")][1:]
    assert rows == [
        *("| 1", "| customs link 2", "| 2", "| 3"),
        *("| customs link 6", "| customs link 1", "| customs link 5"),
    ]
    assert k2_row in markdown
    assert "- customs: 1 proposed link, not reviewed (customs review)" in markdown
    dot = to_dot(chain)
    assert (
        '"Arrow Electronics, Inc." -> "Example Import LLC" '
        '[label="2022-05 customs record K-2 HS 85044090", color=blue];'
    ) in dot
    assert '"(unknown)" -> "Nameless Importer" [label="customs HS 85044090", color=blue];' in dot
    page = built.html.read_text("utf-8")
    assert (
        "<tr><td>customs link 1</td><td>2022-08-02</td>"
        "<td>Shenzhen Hongda Trading Co., Ltd. (exporter)</td>"
        "<td>Vostok Logistics LLC (importer)</td>"
        "<td>customs record K-1 (shipment 1), HS 85044090, origin MY, dispatch CN</td>"
        "<td>kn23-customs.csv row 2, accepted by A. Analyst</td><td></td></tr>"
    ) in page
    assert "<li>customs: 1 proposed link, not reviewed (customs review)</li>" in page
    assert "Unreviewed Importer" not in page and "Another Importer" not in page
    assert k2_row in built.markdown.read_text("utf-8").splitlines()


def test_a_part_with_accepted_customs_records_only_is_in_the_weapons_chain(
    engine: Engine, tmp_path: Path
) -> None:
    """An LM317 with no transfer but one accepted customs record is listed by weapon and by
    maker; an LM7805 with only a proposed link is not (nothing about it is a fact yet), though
    its own chain counts the link."""
    _kn23(engine, tmp_path)
    more = [
        row(specimen="KN23-KH-2024-02", component="regulator", part_number="LM317",
            manufacturer="Texas Instruments"),
        row(specimen="KN23-KH-2024-02", component="regulator", part_number="LM7805",
            manufacturer="Texas Instruments"),
    ]  # fmt: skip
    load_files(engine, [write_csv(tmp_path / "more.csv", more)])
    records = [
        _record(record_id="L-1", date="2021", part_number="LM317"),
        _record(record_id="L-2", date="2021", part_number="LM7805"),
    ]
    load_customs(engine, _write(tmp_path / "more-customs.csv", records))
    match_customs(engine)
    with engine.connect() as conn:
        found = {k.record_id: k.link_id for k in links(conn)}
    review_link(engine, found["L-1"], CustomsLinkStatus.ACCEPTED, "A. Analyst")
    with engine.connect() as conn:
        by_weapon = chain_of_weapon(conn, "KN-23")
        by_maker = chain_of_manufacturer(conn, "Texas Instruments")
        (lm7805,) = chain_of_component(conn, 4).components
    assert [(c.part_number, [s.record_id for s in c.customs]) for c in by_weapon.components] == [
        ("LM2596", []),
        ("LM317", ["L-1"]),
    ]
    assert [c.component_id for c in by_maker.components] == [1, 3]
    assert (lm7805.part_number, lm7805.steps, lm7805.customs, lm7805.customs_proposed) == (
        "LM7805",
        [],
        [],
        1,
    )
    assert "  [customs link 1]  2021  " in to_text(by_weapon)


# --- the command line, and SVG --------------------------------------------------------------------


def _invoke(args: list[str], code: int = 0, path: str | None = None) -> Result:
    env = {ENV_VAR: None, **({"PATH": path} if path is not None else {})}
    result = CliRunner().invoke(cli, args, env=env, prog_name="provenance")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def test_the_chain_command_shows_the_customs_steps(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _case(engine, tmp_path)
    db = ["--db", db_url]
    assert _invoke(["chain", "1", "--as-of", "2024-06-01", *db]).stdout == EXPECTED
    data = json.loads(_invoke(["chain", "--weapon", "KN-23", "--format", "json", *db]).stdout)
    assert _shown(data["components"][0]["customs"]) == SHOWN
    assert data["components"][0]["customs_proposed"] == 1
    markdown = _invoke(["chain", "1", "--format", "markdown", *db]).stdout
    assert "| customs link 5 | " in markdown


def _svg_labels(svg: bytes) -> tuple[list[str], list[str]]:
    """The node labels (lines joined by newlines) and edge labels of Graphviz's SVG."""
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"

    def texts(kind: str) -> list[str]:
        groups = root.iterfind(f".//svg:g[@class='{kind}']", ns)
        return sorted("\n".join(t.text or "" for t in g.iterfind("svg:text", ns)) for g in groups)

    return texts("node"), texts("edge")


def _need_graphviz() -> None:
    if shutil.which("dot") is None:
        if os.environ.get("PROVENANCE_REQUIRE_GRAPHVIZ"):
            pytest.fail("PROVENANCE_REQUIRE_GRAPHVIZ is set but Graphviz's dot is not on PATH")
        pytest.skip("Graphviz's dot is not installed (Debian: apt-get install graphviz)")


def test_svg_is_drawn_by_graphviz_with_a_node_per_party_and_the_component(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _need_graphviz()
    _case(engine, tmp_path)
    out = tmp_path / "chain.svg"
    result = _invoke(["chain", "1", "--format", "svg", "-o", str(out), "--db", db_url])
    assert result.stdout == "" and result.stderr == ""
    nodes, edges = _svg_labels(out.read_bytes())
    assert nodes == sorted(
        [
            "KN-23 KN23-KH-2024-01\ncomponent 1: LM2596",
            "Texas Instruments Incorporated",
            "Arrow Electronics, Inc.",
            "Shenzhen Hongda Trading Co., Ltd.",
            "Shenzhen Lianxin Electronics Ltd",
            "Example Import LLC",
            "Second Importer",
            "Vostok Logistics LLC",
            "(unknown)",
            "Nameless Importer",
        ]
    )
    assert "2022-05 customs record K-2 HS 85044090" in edges
    assert "2022-07-14 customs_declaration HK-123" in edges
    assert len(edges) == 8  # 3 transfers, 4 customs records, the component to its first seller
    with engine.connect() as conn:
        drawn = picture(chain_of_component(conn, 1))
    assert drawn.svg and _svg_labels(drawn.content) == (nodes, edges)
    on_terminal = _invoke(["chain", "1", "--format", "svg", "--db", db_url]).stdout
    assert _svg_labels(on_terminal.encode()) == (nodes, edges)


def test_svg_without_graphviz_gives_the_text_and_says_so(
    db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case(engine, tmp_path)
    no_dot = tmp_path / "bin"  # a PATH without Graphviz
    no_dot.mkdir()
    args = ["chain", "1", "--as-of", "2024-06-01", "--format", "svg", "--db", db_url]
    result = _invoke(args, path=str(no_dot))
    assert result.stdout == EXPECTED
    assert result.stderr == f"Note: {NO_GRAPHVIZ}\n"
    out = tmp_path / "chain.svg"
    result = _invoke([*args, "-o", str(out)], path=str(no_dot))
    assert (result.stdout, out.read_text("utf-8")) == ("", EXPECTED)
    monkeypatch.setenv("PATH", str(no_dot))
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1, as_of=dt.date(2024, 6, 1))
    drawn = picture(chain)
    assert (drawn.svg, drawn.content.decode()) == (False, EXPECTED)
    with pytest.raises(ChainError, match="`dot` program is not installed"):
        to_svg(chain)
