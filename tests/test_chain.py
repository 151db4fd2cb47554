"""The supply chain (issue 16): parties, transfers, trace requests and the chain, on SQLite and
PostgreSQL.

The KN-23 case is made by hand here (no real company's records): a voltage regulator found in a
KN-23 recovered in Kharkiv, made by Texas Instruments (a party too: the same company), sold as a
batch to the distributor Arrow; a trace request to Arrow, answered late, names the buyer (Hongda);
a second source (customs records) names another buyer (Lianxin) for the same part: both steps are
kept and shown "disputed".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from provenance.chain.parties import PartySpec, add_party, list_parties, show_party
from provenance.chain.read import chain_of_component, chain_of_manufacturer, chain_of_weapon
from provenance.chain.render import NO_GRAPHVIZ, to_dot, to_markdown, to_text
from provenance.chain.trace import (
    NamedStep,
    TraceRow,
    TraceSpec,
    add_request,
    answer_request,
    close_request,
    list_requests,
)
from provenance.chain.transfers import load_transfers
from provenance.cli.main import cli
from provenance.db import ENV_VAR
from provenance.errors import ChainError, InvalidDataError
from provenance.ingest.loader import LoadOptions, load_files
from provenance.models import DatePrecision, PartyKind, PartyRole
from provenance.reports.parties import parties_report
from tests.helpers import dump, row, write_csv, write_json

TRANSFER_COLUMNS = [
    *("component_id", "part_number", "lot", "manufacturer", "from_party", "from_role"),
    *("to_party", "to_role", "date", "place", "country", "document_kind", "document_ref"),
    *("source_publisher", "source_title"),
]


def _findings(engine: Engine, tmp_path: Path) -> None:
    findings = write_csv(
        tmp_path / "kn23.csv",
        [
            row(
                specimen="KN23-KH-2024-01",
                component="voltage regulator",
                part_number="LM2596",
                manufacturer="Texas Instruments",
                manufacturer_country="United States",
            ),
            row(specimen="KN23-KH-2024-01", component="voltage converter"),
        ],
    )
    load_files(engine, [findings], options=LoadOptions(new_manufacturers=True))


def _parties(engine: Engine) -> None:
    add_party(
        engine,
        PartySpec("Texas Instruments Incorporated", country="US", manufacturer="Texas Instruments"),
    )
    add_party(
        engine,
        PartySpec(
            "Arrow Electronics, Inc.",
            country="United States",
            aliases=["Arrow"],
            identifiers=[("lei", "549300XXXXXXXXXXXX01")],
        ),
    )
    add_party(engine, PartySpec("Shenzhen Hongda Trading Co., Ltd.", country="China"))
    add_party(engine, PartySpec("Shenzhen Lianxin Electronics Ltd", country="CN"))
    add_party(engine, PartySpec("Kim Chol", kind=PartyKind.PERSON))  # country: not known


def _transfers_file(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(path, rows, columns=TRANSFER_COLUMNS)


def _batch_step() -> dict[str, str]:
    return {
        "part_number": "LM2596",
        "lot": "L2231",
        "manufacturer": "Texas Instruments",
        "from_party": "Texas Instruments Inc",  # legal form ignored
        "from_role": "manufacturer",
        "to_party": "ARROW ELECTRONICS",
        "to_role": "distributor",
        "date": "2022-03",
        "country": "US",
        "document_kind": "invoice",
        "document_ref": "INV-1",
        "source_publisher": "Conflict Armament Research",
        "source_title": "Dispatch from Kharkiv",
    }


def _customs_step() -> dict[str, str]:
    return {
        "component_id": "1",
        "from_party": "Arrow",
        "from_role": "exporter",
        "to_party": "Shenzhen Lianxin Electronics",
        "to_role": "importer",
        "date": "2022-07-14",
        "place": "Hong Kong",
        "country": "Hong Kong",
        "document_kind": "customs declaration",
        "document_ref": "HK-123",
        "source_publisher": "KSE Institute",
        "source_title": "Customs records 2022",
    }


def _kn23(engine: Engine, tmp_path: Path) -> int:
    """The whole case; the trace request's id."""
    _findings(engine, tmp_path)
    _parties(engine)
    summary = load_transfers(engine, _transfers_file(tmp_path / "car.csv", [_batch_step()]))
    assert (summary.transfers_added, summary.sources_added) == (1, 1)
    request = add_request(
        engine,
        TraceSpec(
            sent_on=dt.date(2024, 3, 1),
            party="Arrow",
            components=[1],
            disclosure_terms="name of the buyer may be published",
        ),
    )
    assert [r.status for r in list_requests_at(engine, dt.date(2024, 3, 29))] == ["open"]
    overdue = list_requests_at(engine, dt.date(2024, 4, 1), overdue=True)
    assert [(r.id, r.status, r.due_on) for r in overdue] == [
        (request, "overdue", dt.date(2024, 3, 29))
    ]
    added = answer_request(
        engine,
        request,
        dt.date(2024, 5, 10),
        "Sold to Shenzhen Hongda Trading in June 2022.",
        steps=[
            NamedStep(
                "Shenzhen Hongda Trading", on=dt.date(2022, 6, 1), precision=DatePrecision.MONTH
            )
        ],
    )
    assert added == 1
    load_transfers(engine, _transfers_file(tmp_path / "kse.csv", [_customs_step()]))
    return request


def list_requests_at(engine: Engine, as_of: dt.date, overdue: bool = False) -> list[TraceRow]:
    with engine.connect() as conn:
        return list_requests(conn, overdue=overdue, as_of=as_of)


EXPECTED_TEXT = """\
Chain of component 1

KN-23 / specimen KN23-KH-2024-01 recovered 2024-01-02, Kharkiv / component 1: voltage regulator \
LM2596 / made by Texas Instruments (US)
  [1]  2022-03  Texas Instruments Incorporated (manufacturer) -> Arrow Electronics, Inc. \
(distributor)  (batch LM2596 lot L2231 of Texas Instruments)  at US  doc: invoice INV-1  \
source: Conflict Armament Research: Dispatch from Kharkiv
  [2]  2022-06  Arrow Electronics, Inc. (seller) -> Shenzhen Hongda Trading Co., Ltd. (buyer)  \
doc: trace_reply trace request 1  source: Arrow Electronics, Inc.: Reply to trace request 1  \
DISPUTED by [3]
  [3]  2022-07-14  Arrow Electronics, Inc. (exporter) -> Shenzhen Lianxin Electronics Ltd \
(importer)  at Hong Kong, HK  doc: customs_declaration HK-123  source: KSE Institute: Customs \
records 2022  DISPUTED by [2]
  trace request 1 to Arrow Electronics, Inc.: sent 2024-03-01, due 2024-03-29, answered \
2024-05-10 (late): answered
"""


def test_the_kn23_case_prints_as_a_chain_with_the_late_answer_and_the_dispute(
    engine: Engine, tmp_path: Path
) -> None:
    request = _kn23(engine, tmp_path)
    with engine.connect() as conn:
        chain = chain_of_component(conn, 1, as_of=dt.date(2024, 6, 1))
    assert to_text(chain) == EXPECTED_TEXT
    data = json.loads(json.dumps(chain.as_dict()))
    (component,) = data["components"]
    assert component["manufacturer"] == "Texas Instruments"
    steps = [
        (s["id"], s["scope"], s["from_party"], s["to_party"], s["date"], s["disputed"])
        for s in component["steps"]
    ]
    assert steps == [
        (1, "batch", "Texas Instruments Incorporated", "Arrow Electronics, Inc.", "2022-03", False),
        (
            2,
            "component",
            "Arrow Electronics, Inc.",
            "Shenzhen Hongda Trading Co., Ltd.",
            "2022-06",
            True,
        ),
        (
            3,
            "component",
            "Arrow Electronics, Inc.",
            "Shenzhen Lianxin Electronics Ltd",
            "2022-07-14",
            True,
        ),
    ]
    assert component["steps"][1]["trace_request"] == request
    assert component["steps"][1]["document_kind"] == "trace_reply"
    (trace,) = component["trace_requests"]
    assert (trace["status"], trace["late"], trace["answered_on"]) == (
        "answered",
        True,
        "2024-05-10",
    )
    assert "| 2 | 2022-06 |" in to_markdown(chain)
    dot = to_dot(chain)
    assert dot.startswith("digraph chain {")
    assert '"Arrow Electronics, Inc." -> "Shenzhen Lianxin Electronics Ltd"' in dot
    assert "style=dashed, color=red" in dot


def test_the_chain_by_weapon_and_by_manufacturer_shows_only_the_parts_with_steps(
    engine: Engine, tmp_path: Path
) -> None:
    _kn23(engine, tmp_path)
    with engine.connect() as conn:
        by_weapon = chain_of_weapon(conn, "kn-23")
        by_maker = chain_of_manufacturer(conn, "TEXAS INSTRUMENTS INC.")
        xp = chain_of_manufacturer(conn, "XP Power")
    assert [c.component_id for c in by_weapon.components] == [1]
    assert [len(c.steps) for c in by_maker.components] == [3]
    assert xp.components == []
    assert "No steps recorded." in to_text(xp)


def test_a_trace_request_is_closed_after_the_right_of_reply_and_not_answered_twice(
    engine: Engine, tmp_path: Path
) -> None:
    request = _kn23(engine, tmp_path)
    with pytest.raises(ChainError, match="answered already"):
        answer_request(engine, request, dt.date(2024, 6, 1), "again")
    close_request(
        engine,
        request,
        dt.date(2024, 7, 1),
        reply_offered_on=dt.date(2024, 6, 1),
        reply_due_on=dt.date(2024, 6, 15),
    )
    (closed,) = list_requests_at(engine, dt.date(2024, 8, 1))
    assert (closed.status, closed.reply_due_on, closed.transfers) == (
        "closed",
        dt.date(2024, 6, 15),
        1,
    )
    assert list_requests_at(engine, dt.date(2025, 1, 1), overdue=True) == []


def test_parties_match_without_legal_forms_and_keep_an_unknown_country_unknown(
    engine: Engine, tmp_path: Path
) -> None:
    _kn23(engine, tmp_path)
    with engine.connect() as conn:
        arrow = show_party(conn, "arrow electronics inc")
        kim = show_party(conn, "Kim Chol")
        names = [p.name for p in list_parties(conn, "Shenzhen")]
    assert (arrow.country_code, arrow.aliases, arrow.transfers) == ("US", ["Arrow"], 3)
    assert arrow.identifiers == [("lei", "549300XXXXXXXXXXXX01")]
    assert (kim.kind, kim.country_code) == ("person", None)
    assert names == ["Shenzhen Hongda Trading Co., Ltd.", "Shenzhen Lianxin Electronics Ltd"]
    with pytest.raises(ChainError, match="exists already"):
        add_party(engine, PartySpec("Arrow Electronics Ltd"))


def test_a_bad_transfers_file_names_each_row_and_column_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    _parties(engine)
    before = dump(engine)
    bad = _transfers_file(
        tmp_path / "bad.csv",
        [
            _batch_step(),  # good, but the file is all or nothing
            {**_customs_step(), "component_id": "99", "date": "July 2022?"},
            {**_customs_step(), "to_party": "Nobody Trading", "document_kind": "fax"},
        ],
    )
    with pytest.raises(InvalidDataError) as caught:
        load_transfers(engine, bad)
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(3, "component_id"), (3, "date"), (4, "to_party"), (4, "document_kind")}
    assert "bad.csv:4" in str(caught.value)
    assert dump(engine) == before


def test_loading_the_same_transfers_again_adds_nothing_and_new_parties_need_asking(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    _parties(engine)
    path = _transfers_file(tmp_path / "car.csv", [_batch_step()])
    load_transfers(engine, path)
    again = load_transfers(engine, path)
    assert (again.transfers_added, again.already_known) == (0, 1)
    newcomer = _transfers_file(
        tmp_path / "new.csv", [{**_customs_step(), "to_party": "Vostok Logistics LLC"}]
    )
    with pytest.raises(InvalidDataError, match="unknown party"):
        load_transfers(engine, newcomer)
    summary = load_transfers(engine, newcomer, new_parties=True)
    assert (summary.transfers_added, summary.parties_added) == (1, 1)


def _invoke(args: list[str], code: int = 0) -> str:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_the_kn23_case_through_the_command_line(
    db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _findings(engine, tmp_path)
    db = ["--db", db_url]
    _invoke(
        [
            "parties",
            "add",
            "Texas Instruments Incorporated",
            "--country",
            "US",
            "--manufacturer",
            "Texas Instruments",
            *db,
        ]
    )
    _invoke(
        [
            "parties",
            "add",
            "Arrow Electronics, Inc.",
            "--country",
            "United States",
            "--alias",
            "Arrow",
            "--identifier",
            "lei=549300XXXXXXXXXXXX01",
            *db,
        ]
    )
    _invoke(["parties", "add", "Shenzhen Hongda Trading Co., Ltd.", "--country", "China", *db])
    _invoke(["parties", "add", "Shenzhen Lianxin Electronics Ltd", "--country", "CN", *db])
    out = _invoke(
        ["transfers", "load", str(_transfers_file(tmp_path / "car.csv", [_batch_step()])), *db]
    )
    assert "1 transfers added" in out
    assert (
        _invoke(["trace", "add", "--to", "Arrow", "--component", "1", "--sent", "2024-03-01", *db])
        == "trace request 1\n"
    )
    overdue = json.loads(
        _invoke(["trace", "list", "--overdue", "--as-of", "2024-04-01", "--format", "json", *db])
    )
    assert [(r["id"], r["status"], r["due_on"]) for r in overdue] == [(1, "overdue", "2024-03-29")]
    out = _invoke(
        [
            "trace",
            "answer",
            "1",
            "--on",
            "2024-05-10",
            "--text",
            "Sold to Shenzhen Hongda Trading in June 2022.",
            "--sold-to",
            "Shenzhen Hongda Trading",
            "--sold-on",
            "2022-06",
            *db,
        ]
    )
    assert out == "trace request 1: answered, 1 transfers added\n"
    _invoke(
        ["transfers", "load", str(_transfers_file(tmp_path / "kse.csv", [_customs_step()])), *db]
    )
    assert _invoke(["chain", "1", "--as-of", "2024-06-01", *db]) == EXPECTED_TEXT
    data = json.loads(_invoke(["chain", "--weapon", "KN-23", "--format", "json", *db]))
    assert [s["disputed"] for s in data["components"][0]["steps"]] == [False, True, True]
    assert "digraph chain" in _invoke(
        ["chain", "--manufacturer", "Texas Instruments", "--format", "dot", *db]
    )
    shown = json.loads(_invoke(["parties", "show", "arrow", "--format", "json", *db]))
    assert (shown["name"], shown["transfers"]) == ("Arrow Electronics, Inc.", 3)
    monkeypatch.setenv("PATH", str(tmp_path))  # without Graphviz: the text, and a note
    out = _invoke(["chain", "1", "--as-of", "2024-06-01", "--format", "svg", *db])
    assert out == f"Note: {NO_GRAPHVIZ}\n{EXPECTED_TEXT}"
    out = _invoke(["chain", "--weapon", "KN-99", *db], code=1)
    assert "Error:" in out
    _invoke(["chain", *db], code=2)
    listed = _invoke(["parties", "list", "--format", "csv", *db]).splitlines()
    assert listed[0] == "id,name,kind,country,manufacturer,aliases,identifiers,transfers"
    assert '2,"Arrow Electronics, Inc.",company,US,,Arrow,lei=549300XXXXXXXXXXXX01,3' in listed
    _invoke(["trace", "close", "1", "--on", "2024-07-01", "--reply-offered", "2024-06-01", *db])
    assert "closed" in _invoke(["trace", "list", *db])


def test_report_parties_counts_parts_by_party_and_role_with_batch_steps(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A second LM2596 of the same maker (2 pieces, another KN-23) shares the batch step only:
    Texas Instruments and Arrow as distributor count 2 components, 3 parts; the steps of
    component 1 alone count it once."""
    _kn23(engine, tmp_path)
    more = write_csv(
        tmp_path / "more.csv",
        [
            row(
                specimen="KN23-KH-2024-02",
                component="voltage regulator",
                part_number="lm 2596",
                manufacturer="Texas Instruments",
                quantity="2",
            )
        ],
    )
    load_files(engine, [more])
    with engine.connect() as conn:
        report = parties_report(conn, "KN-23")
        everything = parties_report(conn)
    rows = [(r.party, r.country, r.role, r.components, r.parts) for r in report.rows]
    assert rows == [
        ("Arrow Electronics, Inc.", "US", "distributor", 2, 3),
        ("Texas Instruments Incorporated", "US", "manufacturer", 2, 3),
        ("Arrow Electronics, Inc.", "US", "exporter", 1, 1),
        ("Arrow Electronics, Inc.", "US", "seller", 1, 1),
        ("Shenzhen Hongda Trading Co., Ltd.", "CN", "buyer", 1, 1),
        ("Shenzhen Lianxin Electronics Ltd", "CN", "importer", 1, 1),
    ]
    assert (report.weapon, everything.rows) == ("KN-23", report.rows)
    out = _invoke(["report", "parties", "--weapon", "KN-23", "--format", "csv", "--db", db_url])
    assert out.splitlines()[:2] == [
        # sanctions_matches: a column of CSV always (empty: nobody confirmed a hit)
        "party,country,role,components,parts,sanctions_matches",
        '"Arrow Electronics, Inc.",US,distributor,2,3,',
    ]


def test_the_kn23_chain_exports_to_followthemoney_with_stable_ids(
    engine: Engine, tmp_path: Path
) -> None:
    """Parties as Company/Person (Texas Instruments the party is the manufacturer's Company),
    transfers as UnknownLinks from seller to buyer; checked against the FtM schema of
    tests/test_ftm.py (followthemoney itself is not installed here)."""
    from provenance.bi import ftm
    from tests.test_ftm import check_ftm

    _kn23(engine, tmp_path)
    with engine.connect() as conn:
        lines = [ftm.dumps(e) for e in ftm.entities(conn)]
        again = [ftm.dumps(e) for e in ftm.entities(conn)]
    assert lines == again
    exported = check_ftm(lines)
    by_schema: dict[str, list[dict[str, Any]]] = {}
    for item in exported.values():
        by_schema.setdefault(item["schema"], []).append(item)
    names = {e["properties"]["name"][0]: e for e in by_schema["Company"] + by_schema["Person"]}
    assert names["Arrow Electronics, Inc."]["properties"]["leiCode"] == ["549300XXXXXXXXXXXX01"]
    assert names["Kim Chol"]["schema"] == "Person"
    assert "Texas Instruments Incorporated" not in names  # it is the manufacturer's Company
    links = [
        e["properties"]
        for e in by_schema["UnknownLink"]
        if e["properties"]["role"][0].endswith(("buyer", "distributor", "importer"))
    ]
    named = {
        (
            exported[p["subject"][0]]["properties"]["name"][0],
            exported[p["object"][0]]["properties"]["name"][0],
            p["role"][0],
            p["date"][0],
        )
        for p in links
    }
    assert named == {
        ("Texas Instruments", "Arrow Electronics, Inc.", "manufacturer -> distributor", "2022-03"),
        (
            "Arrow Electronics, Inc.",
            "Shenzhen Hongda Trading Co., Ltd.",
            "seller -> buyer",
            "2022-06",
        ),
        (
            "Arrow Electronics, Inc.",
            "Shenzhen Lianxin Electronics Ltd",
            "exporter -> importer",
            "2022-07-14",
        ),
    }


def test_the_dossier_has_the_chain_of_the_weapons_parts(engine: Engine, tmp_path: Path) -> None:
    from provenance.publish import dossier
    from provenance.reports.core import Filters
    from tests.analysis_data import ensure_reference_lists

    ensure_reference_lists(engine)  # the country groups a dossier shows
    _kn23(engine, tmp_path)
    with engine.connect() as conn:
        built = dossier.build(conn, Filters(weapon="KN-23"), tmp_path / "out")
    page = built.html.read_text("utf-8")
    assert '<section class="report" id="report-chain">' in page
    assert "<h2>Chain of the parts of KN-23</h2>" in page
    assert "<td>Arrow Electronics, Inc. (exporter)</td>" in page
    assert "<td>Shenzhen Lianxin Electronics Ltd (importer)</td>" in page
    markdown = built.markdown.read_text("utf-8")
    assert "## Chain of the parts of KN-23" in markdown
    assert "| 3 | 2022-07-14 | Arrow Electronics, Inc. (exporter) |" in markdown


def test_a_batch_request_to_a_manufacturer_is_answered_with_its_reply_as_evidence(
    engine: Engine, tmp_path: Path
) -> None:
    """A request about a batch goes to the maker; the maker's answer names its distributor: the
    step is of the batch, from the maker's party, cited to the reply; the reply's PDF is the
    answer's evidence. Before the maker is a party, the answer says how to make it one."""
    from provenance.evidence.files import sha256_of
    from provenance.evidence.records import add_evidence
    from provenance.evidence.store import Store

    _findings(engine, tmp_path)
    add_party(engine, PartySpec("Arrow Electronics, Inc.", country="US"))
    request = add_request(
        engine,
        TraceSpec(
            dt.date(2024, 3, 1),
            recipient_manufacturer="Texas Instruments",
            manufacturer="Texas Instruments",
            part_number="LM2596",
            lot="L2231",
            due_on=dt.date(2024, 4, 30),
        ),
    )
    reply = tmp_path / "reply.pdf"
    reply.write_bytes(b"%PDF-1.4 the maker's reply")
    add_evidence(engine, Store(tmp_path / "store"), [reply], component_id=1, by="analyst")
    step = NamedStep(
        "Arrow Electronics", PartyRole.DISTRIBUTOR, dt.date(2022, 3, 1), DatePrecision.MONTH
    )
    with pytest.raises(ChainError, match="no party yet: provenance parties add"):
        answer_request(engine, request, dt.date(2024, 4, 2), "sold to Arrow", steps=[step])
    add_party(engine, PartySpec("Texas Instruments Inc", manufacturer="Texas Instruments"))
    added = answer_request(
        engine,
        request,
        dt.date(2024, 4, 2),
        "sold to Arrow",
        steps=[step],
        evidence_sha256=sha256_of(reply),
    )
    assert added == 1
    (answered,) = list_requests_at(engine, dt.date(2024, 6, 1))
    assert (answered.recipient, answered.batch, answered.status, answered.late) == (
        "Texas Instruments",
        "LM2596 L2231",
        "answered",
        False,
    )
    with engine.connect() as conn:
        (component,) = chain_of_component(conn, 1).components
    (only,) = component.steps
    assert (only.scope_text, only.from_party, only.to_party, only.to_role, only.source) == (
        "batch LM2596 lot L2231 of Texas Instruments",
        "Texas Instruments Inc",
        "Arrow Electronics, Inc.",
        "distributor",
        "Texas Instruments Inc: Reply to trace request 1",
    )


def test_a_declined_request_and_requests_about_nothing_or_nobody(
    engine: Engine, tmp_path: Path
) -> None:
    _findings(engine, tmp_path)
    _parties(engine)
    with pytest.raises(ChainError, match="about components"):
        add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arrow"))
    with pytest.raises(
        ChainError, match=r"unknown party 'Arow Electronic' .*; closest: Arrow Electronics, Inc.$"
    ):
        add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arow Electronic", components=[1]))
    with pytest.raises(ChainError, match="no component with id 7"):
        add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arrow", components=[7]))
    request = add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arrow", components=[1]))
    answer_request(engine, request, dt.date(2024, 3, 20), "we do not answer", declined=True)
    (declined,) = list_requests_at(engine, dt.date(2025, 1, 1))
    assert (declined.status, declined.late, declined.transfers) == ("declined", False, 0)
    arrow_too = PartySpec("Arrow Trading", aliases=["ARROW trading", "Arrow-Trading Ltd", "AT"])
    add_party(engine, arrow_too)
    with engine.connect() as conn:
        assert show_party(conn, "at").aliases == ["AT"]  # one name, one key
    with pytest.raises(ChainError, match="unknown country 'Narnia'"):
        add_party(engine, PartySpec("Somebody Ltd", country="Narnia"))


def test_transfers_load_from_json_too(engine: Engine, tmp_path: Path) -> None:
    _findings(engine, tmp_path)
    _parties(engine)
    path = write_json(tmp_path / "steps.json", [_batch_step(), _customs_step()])
    summary = load_transfers(engine, path)
    assert (summary.rows, summary.transfers_added, summary.sources_added) == (2, 2, 2)
    bad = write_json(tmp_path / "bad.json", [{**_customs_step(), "colour": "red"}])
    with pytest.raises(InvalidDataError, match="colour: unknown column"):
        load_transfers(engine, bad)


def test_merging_manufacturers_moves_their_chain(engine: Engine, tmp_path: Path) -> None:
    """A batch step, a trace request and the party of a merged maker follow it to the kept one."""
    from provenance.reference.manufacturers import merge

    _kn23(engine, tmp_path)
    more = write_csv(
        tmp_path / "ti-twin.csv",
        [row(specimen="KN23-KH-2024-03", manufacturer="TI Semiconductors", part_number="X1")],
    )
    load_files(engine, [more], options=LoadOptions(new_manufacturers=True))
    add_party(engine, PartySpec("TI Semiconductors GmbH", manufacturer="TI Semiconductors"))
    steps = {**_batch_step(), "manufacturer": "TI Semiconductors", "part_number": "X1", "lot": ""}
    load_transfers(engine, _transfers_file(tmp_path / "twin.csv", [steps]))
    add_request(
        engine,
        TraceSpec(dt.date(2024, 3, 1), recipient_manufacturer="TI Semiconductors", components=[3]),
    )
    merge(engine, "Texas Instruments", "TI Semiconductors")
    with engine.connect() as conn:
        (component,) = chain_of_component(conn, 3).components
        twin = show_party(conn, "TI Semiconductors GmbH")
        recipients = [r.recipient for r in list_requests(conn, as_of=dt.date(2024, 3, 2))]
    assert [s.scope_text for s in component.steps] == ["batch X1 of Texas Instruments"]
    assert twin.manufacturer is None  # Texas Instruments has its own party already
    assert recipients == ["Arrow Electronics, Inc.", "Texas Instruments"]


def test_a_component_combined_by_a_merge_keeps_its_steps_and_requests(
    engine: Engine, tmp_path: Path
) -> None:
    """The same op amp filed under two makers: merging them combines the two components; the
    steps and the trace request of the one that goes are the survivor's."""
    from provenance.reference.manufacturers import merge

    twins = [
        row(manufacturer="Texas Instruments", component="op amp", part_number="LM358",
            manufacturer_country="US", source_title="Report A"),
        row(manufacturer="TI Semiconductors", component="op amp", part_number="LM358",
            manufacturer_country="", source_title="Report B"),
    ]  # fmt: skip
    load_files(
        engine,
        [write_csv(tmp_path / "twins.csv", twins)],
        options=LoadOptions(new_manufacturers=True),
    )
    _parties(engine)
    steps = [{**_customs_step(), "component_id": "1"}, {**_customs_step(), "component_id": "2"}]
    steps[1]["source_title"] = "Customs records 2023"
    load_transfers(engine, _transfers_file(tmp_path / "steps.csv", steps))
    for component in (1, 2):
        add_request(engine, TraceSpec(dt.date(2024, 3, 1), party="Arrow", components=[component]))
    both = add_request(engine, TraceSpec(dt.date(2024, 3, 2), party="Arrow", components=[1, 2]))
    summary = merge(engine, "Texas Instruments", "TI Semiconductors")
    assert summary.components_combined == 1
    with engine.connect() as conn:
        (survivor,) = chain_of_weapon(conn, "KN-23").components
    assert [s.source for s in survivor.steps] == [
        "KSE Institute: Customs records 2022",
        "KSE Institute: Customs records 2023",
    ]
    assert [(t.id, t.components) for t in survivor.trace_requests] == [
        (1, [survivor.component_id]),
        (2, [survivor.component_id]),
        (both, [survivor.component_id]),
    ]


def test_done_when_the_kn23_case_is_chained_screened_in_both_formats_and_exported(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 16's 'done when', in one case: recovery to the distributor that sold the part (a
    trace request answered late, a contradicting transfer), printed as a chain, screened against
    a small list in both formats (one true candidate accepted, one false rejected), exported to
    FollowTheMoney."""
    from provenance.bi import export
    from provenance.ingest.screening import load_list
    from provenance.ingest.screening_run import candidates, review, run_screening
    from provenance.models import ScreeningDecision
    from tests.test_ftm import check_ftm

    _kn23(engine, tmp_path)
    with engine.connect() as conn:
        text = to_text(chain_of_weapon(conn, "KN-23"))
    assert "DISPUTED" in text and "Shenzhen Hongda Trading" in text and "Lianxin" in text

    simple = tmp_path / "targets.simple.csv"
    simple.write_text(
        "id,schema,name,aliases,countries,sanctions,dataset,last_change\n"
        "NK-ti,Company,TEXAS INSTRUMENTS INCORPORATED,TI,us,Test programme,Test List,2026-11-30\n",
        encoding="utf-8",
    )
    ftm_lines = tmp_path / "entities.ftm.json"
    ftm_lines.write_text(
        json.dumps(
            {
                "id": "NK-tix",
                "schema": "Company",
                "properties": {"name": ["Texas Instrument"]},
                "datasets": ["other_list"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    load_list(engine, simple)
    load_list(engine, ftm_lines)
    run_screening(engine)
    with engine.connect() as conn:
        found = {c.entity_id: c.candidate_id for c in candidates(conn)}
    assert set(found) == {"NK-ti", "NK-tix"}
    review(engine, found["NK-ti"], ScreeningDecision.ACCEPTED, "Analyst", "same LEI")
    review(engine, found["NK-tix"], ScreeningDecision.REJECTED, "Analyst", "another company")

    out = tmp_path / "kn23.ftm.jsonl"
    export.export(engine, out, "ftm", evidence=False)
    entities = check_ftm(out.read_text("utf-8").splitlines())
    similar = [e["properties"] for e in entities.values() if e["schema"] == "Similar"]
    assert [(s["match"], s["matcher"]) for s in similar] == [
        (["NK-ti"], ["provenance screen run, accepted by Analyst"])
    ]
    assert "NK-tix" not in entities
    steps = [
        e for e in entities.values()
        if e["schema"] == "UnknownLink" and "->" in e["properties"]["role"][0]
    ]  # fmt: skip
    assert len(steps) == 3  # maker -> Arrow, Arrow -> Hongda (the late answer), Arrow -> Lianxin
