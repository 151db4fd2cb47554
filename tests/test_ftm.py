"""`provenance export --format ftm`: FollowTheMoney entities as JSON lines (docs/ftm.md).

A small hand-made set of findings (two specimens, a parent company, a merge, an alias and a former
name, a part whose maker is not identified, a part cited by two sources, a source's record id) is
loaded and exported on SQLite and PostgreSQL; every line is parsed and checked against the FtM
schema of the properties provenance writes. That schema is copied by hand below from the
followthemoney package's schema files (followthemoney/schema/*.yaml, commit c70a89f, June 2025):
followthemoney is not a dependency and the tests use no network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, delete, select

from provenance.bi import export, ftm
from provenance.cli.main import cli
from provenance.db import ENV_VAR, make_engine
from provenance.errors import ExportError
from provenance.evidence.records import add_evidence
from provenance.evidence.store import Store
from provenance.ingest.loader import load_files
from provenance.ingest.screening import load_list
from provenance.ingest.screening_run import candidates, review, run_screening
from provenance.models import AliasKind, Base, Component, DatePrecision, ScreeningDecision
from provenance.reference import install, manufacturers
from provenance.values.text import manufacturer_key, name_key
from tests.conftest import PG_ENV, scratch_postgres_database
from tests.helpers import row, write_csv
from tests.test_evidence import jpeg

# --- the FtM schema of the properties provenance writes ------------------------------------------

#: Property types: "entity:<Schema>" names the range (the schema, or one that extends it).
_THING = {
    "name": "name",
    "summary": "text",
    "description": "text",
    "country": "country",
    "alias": "name",
    "previousName": "name",
    "sourceUrl": "url",
    "publisher": "string",
    "notes": "text",
}
_INTERVAL = {
    "startDate": "date",
    "endDate": "date",
    "date": "date",
    "summary": "text",
    "description": "text",
    "recordId": "string",
    "sourceUrl": "url",
    "publisher": "string",
}
_INTEREST = {**_INTERVAL, "role": "string", "status": "string"}
_LEGAL_ENTITY = {
    "registrationNumber": "identifier",
    "idNumber": "identifier",
    "taxNumber": "identifier",
    "leiCode": "identifier",
    "jurisdiction": "country",
    "mainCountry": "country",
    "legalForm": "string",
}
SCHEMA: dict[str, dict[str, str]] = {
    "Company": {**_THING, **_LEGAL_ENTITY, "amount": "number", "currency": "string"},
    "Person": {**_THING, **_LEGAL_ENTITY},
    "Asset": {**_THING, "amount": "number", "currency": "string"},
    "Document": {
        **_THING,
        "title": "string",
        "author": "string",
        "date": "date",
        "publishedAt": "date",
        "fileName": "string",
        "contentHash": "checksum",
        "mimeType": "mimetype",
        "fileSize": "number",
    },
    "Event": {**_INTERVAL, **_THING, "location": "address", "country": "country"},
    "Image": {},  # Document's properties and "pictured" (below)
    "Ownership": {**_INTEREST, "owner": "entity:LegalEntity", "asset": "entity:Asset"},
    "UnknownLink": {**_INTEREST, "subject": "entity:Thing", "object": "entity:Thing"},
    "Documentation": {**_INTEREST, "document": "entity:Document", "entity": "entity:Thing"},
    "EconomicActivity": {
        **_INTERVAL,
        "summary": "text",
        "vedCode": "identifier",
        "goodsDescription": "text",
        "sender": "entity:LegalEntity",
        "receiver": "entity:LegalEntity",
        "originCountry": "country",
        "departureCountry": "country",
        "invoiceAmount": "string",
    },
    "Similar": {
        "candidate": "entity:Thing",
        "match": "entity:Thing",
        "confidenceScore": "number",
        "criteria": "string",
        "matcher": "string",
    },
}
for _listed in ("LegalEntity", "Organization", "Person", "PublicBody"):
    SCHEMA[_listed] = {**_THING, **_LEGAL_ENTITY}
SCHEMA["Image"] = {**SCHEMA["Document"], "pictured": "entity:Person"}
#: Required properties. FtM's Document also requires fileName, but "only when an entity is
#: created by the user - bulk created entities will slip through" (followthemoney/schema.py): a
#: source has no file, and provenance invents none.
REQUIRED = {
    "Company": ["name"],
    "Person": ["name"],
    "Asset": ["name"],
    "Document": [],  # a title (a source) or a fileName (a file), checked in check_ftm
    "Image": [],
    "Event": ["name"],
    "Ownership": ["owner", "asset"],
    "UnknownLink": ["subject", "object"],
    "Documentation": ["document", "entity"],
    "Similar": ["candidate", "match"],
    "EconomicActivity": [],
    "LegalEntity": ["name"],
    "Organization": ["name"],
    "PublicBody": ["name"],
}
#: The schemata each schema is (itself and what it extends), for entity ranges.
IS_A = {
    "Company": {"Company", "Organization", "LegalEntity", "Asset", "Thing", "Value"},
    "Person": {"Person", "LegalEntity", "Thing"},
    "Asset": {"Asset", "Thing", "Value"},
    "Document": {"Document", "Thing", "Analyzable"},
    "Image": {"Image", "Document", "Thing", "Analyzable"},
    "Event": {"Event", "Interval", "Thing", "Analyzable"},
    "Ownership": {"Ownership", "Interest", "Interval"},
    "UnknownLink": {"UnknownLink", "Interest", "Interval"},
    "Documentation": {"Documentation", "Interest", "Interval"},
    "Similar": {"Similar"},
    "EconomicActivity": {"EconomicActivity", "Interval"},
    "LegalEntity": {"LegalEntity", "Thing"},
    "Organization": {"Organization", "LegalEntity", "Thing"},
    "PublicBody": {"PublicBody", "Organization", "LegalEntity", "Thing"},
}
#: Listed entities keep the list's own (OpenSanctions) ids.
LISTED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_PATTERNS = {
    "country": re.compile(r"[a-z]{2}"),
    "date": re.compile(r"\d{4}(-\d{2}(-\d{2})?)?"),
    "url": re.compile(r"https?://\S+"),
    "number": re.compile(r"-?\d+(\.\d+)?"),
    "checksum": re.compile(r"[0-9a-f]{40}"),  # SHA-1, as FtM names files
    "mimetype": re.compile(r"[a-z]+/[a-z0-9.+-]+"),
}
_ID = re.compile(r"prov-[a-z-]+-[0-9a-f]{40}")


def check_ftm(lines: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every line one valid entity of the schema above; returns the entities by id."""
    entities: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(lines, 1):
        item = json.loads(line)
        assert set(item) == {"id", "schema", "properties"}, (n, item)
        listed = item["schema"] in ("LegalEntity", "Organization", "Person", "PublicBody") or (
            item["schema"] == "Company" and not item["id"].startswith("prov-")
        )
        assert (LISTED_ID if listed else _ID).fullmatch(item["id"]), (n, item["id"])
        assert item["id"] not in entities, f"line {n}: id {item['id']} twice"
        assert item["schema"] in SCHEMA, (n, item["schema"])
        entities[item["id"]] = item
    for item in entities.values():
        allowed = SCHEMA[item["schema"]]
        props = item["properties"]
        for name in REQUIRED[item["schema"]]:
            assert props.get(name), (item, name)
        if item["schema"] in ("Document", "Image"):
            assert props.get("title") or props.get("fileName"), item
        for name, values in props.items():
            assert name in allowed, (item["schema"], name)
            assert isinstance(values, list) and values, (item, name)
            for value in values:
                assert isinstance(value, str) and value.strip(), (item, name, value)
                kind = allowed[name]
                if kind.startswith("entity:"):
                    assert value in entities, f"{item['id']} {name} -> {value}: not in the file"
                    assert kind[7:] in IS_A[entities[value]["schema"]], (item, name, value)
                elif kind in _PATTERNS:
                    assert _PATTERNS[kind].fullmatch(value), (item, name, value)
    return entities


# --- the findings ---------------------------------------------------------------------------------

SPEC_2 = {"specimen": "SPEC-2", "recovered_on": "", "recovered_at": ""}
FILE_A = [
    row(component="voltage converter", part_number="TDR-15", manufacturer="XP Power",
        source_title="Report A", source_url="https://example.org/report-a", authenticity="genuine",
        authenticity_basis="X-ray", recovered_by="Ukrainian investigators",
        evidence_url="https://example.org/photo-1.jpg"),
    {**row(component="ADC", part_number="MAX1234", manufacturer="Maxim Integrated",
           manufacturer_country="USA", made_in="Philippines", source_title="Report A",
           source_url="https://example.org/report-a", source_record_id="gur-1",
           source_record_url="https://example.org/records/gur-1"),
     "manufacturer_parent": "Analog Devices", "manufacturer_parent_country": "USA"},
    row(component="relay", manufacturer="Not identified", manufacturer_country="China",
        authenticity="", source_title="Report A", source_url="https://example.org/report-a",
        **SPEC_2),
]  # fmt: skip
FILE_B = [
    # The voltage converter of SPEC-1 again, from a second source: one part, two citations.
    row(component="voltage converter", part_number="TDR-15", manufacturer="XP Power",
        source_title="Report B", source_publisher="Other Publisher", source_published_on="2023",
        authenticity="genuine", recovered_by="Ukrainian investigators"),
    row(component="op amp", part_number="LM358", manufacturer="Texas Instruments",
        manufacturer_country="USA", source_title="Report B", source_publisher="Other Publisher",
        source_published_on="2023", **SPEC_2),
    row(component="regulator", manufacturer="TI Semiconductors", manufacturer_country="",
        source_title="Report B", source_publisher="Other Publisher", source_published_on="2023",
        **SPEC_2),
]  # fmt: skip


def _empty(engine: Engine) -> None:
    """Delete every finding and manufacturer (the countries stay)."""
    keep = {"countries", "country_aliases"}
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in keep:
                conn.execute(delete(table))


def _load(engine: Engine, folder: Path, reverse: bool = False) -> None:
    """The findings, in file and row order or (``reverse``) the other way round; then an alias,
    a former name and a merge."""
    folder.mkdir()
    files = [("a.csv", FILE_A), ("b.csv", FILE_B)]
    if reverse:
        files = [(name, rows[::-1]) for name, rows in files[::-1]]
    _empty(engine)
    load_files(engine, [write_csv(folder / name, rows) for name, rows in files])
    manufacturers.add_alias(engine, "Texas Instruments", "TI")
    manufacturers.add_alias(engine, "XP Power", "XP Plc", AliasKind.FORMER_NAME)
    manufacturers.merge(engine, "Texas Instruments", "TI Semiconductors")
    # Evidence: a photo of the ADC (with a GPS position), a PDF of the whole of SPEC-1.
    store = Store(folder / "store")
    with engine.connect() as conn:
        adc = conn.execute(select(Component.id).where(Component.part_number == "MAX1234"))
        adc_id = adc.scalar_one()
    photo = jpeg(folder / "adc.jpg")
    add_evidence(engine, store, [photo], component_id=adc_id, caption="ADC, top side",
                 taken_by="Investigator 1", source="Report A")  # fmt: skip
    pdf = folder / "spec-1.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% the report on SPEC-1\n")
    add_evidence(engine, store, [pdf], specimen="SPEC-1")
    _screen(engine, folder)


def _screen(engine: Engine, folder: Path) -> None:
    """A sanctions list: XP Power's candidate accepted, Texas Instruments' rejected."""
    targets = folder / "targets.simple.csv"
    header = "id,schema,name,aliases,countries,sanctions,dataset\n"
    targets.write_text(
        header + "NK-xp,Company,XP POWER LIMITED,XP Power Ltd;XP Power,gb,Test,Test List\n"
        "NK-ti,Company,TEXAS INSTRUMENTS,,us,,Test List\n",
        encoding="utf-8",
    )
    load_list(engine, targets)
    run_screening(engine)
    with engine.connect() as conn:
        found = {c.manufacturer: c.candidate_id for c in candidates(conn)}
    review(engine, found["XP Power"], ScreeningDecision.ACCEPTED, "Analyst", "same company")
    review(engine, found["Texas Instruments"], ScreeningDecision.REJECTED, "Analyst", "not it")


def _export(engine: Engine, out: Path) -> list[str]:
    summary = export.export(engine, out, "ftm", evidence=False)
    text = out.read_text("utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert sum(summary.rows.values()) == len(lines)
    return lines


@pytest.fixture
def exported(engine: Engine, tmp_path: Path) -> dict[str, dict[str, Any]]:
    _load(engine, tmp_path / "data")
    return check_ftm(_export(engine, tmp_path / "out.ftm.jsonl"))


def _one(entities: dict[str, dict[str, Any]], schema: str, **props: list[str]) -> dict[str, Any]:
    found = [
        e
        for e in entities.values()
        if e["schema"] == schema and all(e["properties"].get(k) == v for k, v in props.items())
    ]
    assert len(found) == 1, (schema, props, found)
    return found[0]


def _links(entities: dict[str, dict[str, Any]], subject: str) -> dict[str, str]:
    """role -> object of the UnknownLinks from ``subject``."""
    out = {}
    for e in entities.values():
        if e["schema"] == "UnknownLink" and e["properties"]["subject"] == [subject]:
            [role] = e["properties"]["role"]
            out[role] = e["properties"]["object"][0]
    return out


# --- tests ----------------------------------------------------------------------------------------


def test_manufacturers_are_companies_with_aliases_and_owners(
    exported: dict[str, dict[str, Any]],
) -> None:
    schemas = sorted(e["schema"] for e in exported.values() if e["id"].startswith("prov-"))
    assert schemas.count("Company") == 4  # XP Power, Maxim, Analog Devices, TI (TI Semi merged)
    xp = _one(exported, "Company", name=["XP Power"])
    assert xp["properties"] == {"name": ["XP Power"], "country": ["gb"], "previousName": ["XP Plc"]}
    assert xp["id"] == ftm.entity_id("manufacturer", manufacturer_key("XP Power"))
    ti = _one(exported, "Company", name=["Texas Instruments"])
    assert ti["properties"]["alias"] == ["TI", "TI Semiconductors"]
    assert ti["properties"]["country"] == ["us"]
    maxim = _one(exported, "Company", name=["Maxim Integrated"])
    analog = _one(exported, "Company", name=["Analog Devices"])
    ownership = _one(exported, "Ownership")
    assert ownership["properties"]["owner"] == [analog["id"]]
    assert ownership["properties"]["asset"] == [maxim["id"]]
    assert not [e for e in exported.values() if "Not identified" in e["properties"].get("name", [])]


def test_specimens_are_events_with_only_what_is_known(exported: dict[str, dict[str, Any]]) -> None:
    spec1 = _one(exported, "Event", name=["SPEC-1"])
    assert spec1["properties"]["date"] == ["2024-01-02"]
    assert spec1["properties"]["location"] == ["Kharkiv"]
    assert spec1["properties"]["description"] == ["Recovered by Ukrainian investigators"]
    assert spec1["id"] == ftm.entity_id("specimen", name_key("SPEC-1"))
    spec2 = _one(exported, "Event", name=["SPEC-2"])
    assert set(spec2["properties"]) == {"name", "summary"}  # no date, place or country known
    assert spec2["properties"]["summary"] == ["Recovered specimen of KN-23"]


def test_components_are_assets_linked_to_their_specimen_and_maker(
    exported: dict[str, dict[str, Any]],
) -> None:
    assert sum(e["schema"] == "Asset" for e in exported.values()) == 5
    spec1 = _one(exported, "Event", name=["SPEC-1"])["id"]
    spec2 = _one(exported, "Event", name=["SPEC-2"])["id"]
    adc = _one(exported, "Asset", name=["ADC MAX1234"])
    assert adc["properties"]["country"] == ["ph"]  # the country of manufacture, as marked
    maxim = _one(exported, "Company", name=["Maxim Integrated"])["id"]
    assert _links(exported, adc["id"]) == {"found in": spec1, "manufacturer": maxim}
    ti = _one(exported, "Company", name=["Texas Instruments"])["id"]
    regulator = _one(exported, "Asset", name=["regulator"])  # filed under TI by the merge
    assert _links(exported, regulator["id"]) == {"found in": spec2, "manufacturer": ti}


def test_a_part_without_an_identified_maker_has_no_manufacturer_link(
    exported: dict[str, dict[str, Any]],
) -> None:
    relay = _one(exported, "Asset", name=["relay"])
    assert _links(exported, relay["id"]) == {
        "found in": _one(exported, "Event", name=["SPEC-2"])["id"]
    }
    assert "country" not in relay["properties"]  # no country of manufacture is known
    description = relay["properties"]["description"][0]
    assert "Manufacturer's country as the source reported it: CN" in description
    assert "Authenticity" not in description  # not known: not written


def test_sources_are_documents_and_citations_documentations(
    exported: dict[str, dict[str, Any]],
) -> None:
    report_a = _one(exported, "Document", title=["Report A"])
    assert report_a["properties"]["publisher"] == ["Test Publisher"]
    assert report_a["properties"]["sourceUrl"] == ["https://example.org/report-a"]
    assert report_a["properties"]["date"] == ["2024-11"]  # as precise as the source's date
    report_b = _one(exported, "Document", title=["Report B"])
    assert report_b["properties"]["date"] == ["2023"]
    assert "sourceUrl" not in report_b["properties"]
    converter = _one(exported, "Asset", name=["voltage converter TDR-15"])
    cited = {
        e["properties"]["document"][0]: e
        for e in exported.values()
        if e["schema"] == "Documentation" and e["properties"]["entity"] == [converter["id"]]
    }
    assert set(cited) == {report_a["id"], report_b["id"]}
    by_a = cited[report_a["id"]]["properties"]
    assert by_a["role"] == ["cites"]
    assert by_a["summary"] == ["authenticity: genuine (basis: X-ray); manufactured: 2023-02"]
    assert by_a["description"] == ["Evidence: https://example.org/photo-1.jpg"]
    adc = _one(exported, "Asset", name=["ADC MAX1234"])
    [record] = [
        e for e in exported.values()
        if e["properties"].get("role") == ["cites"] and e["properties"]["entity"] == [adc["id"]]
    ]  # fmt: skip
    assert record["properties"]["recordId"] == ["gur-1"]
    assert record["properties"]["sourceUrl"] == ["https://example.org/records/gur-1"]
    cites = [e for e in exported.values() if e["properties"].get("role") == ["cites"]]
    assert len(cites) == 6


def test_followthemoney_reads_every_entity_unchanged(engine: Engine, tmp_path: Path) -> None:
    """When the followthemoney package happens to be installed (it is no dependency of
    provenance), every value must come out of its cleaning as written, and every entity pass its
    schema's validation but for Document's fileName (see REQUIRED)."""
    model = pytest.importorskip("followthemoney").model
    invalid = pytest.importorskip("followthemoney.exc").InvalidData
    _load(engine, tmp_path / "data")
    for line in _export(engine, tmp_path / "out.ftm.jsonl"):
        data = json.loads(line)
        schema = model.get(data["schema"])
        try:
            schema.validate(data)
        except invalid as exc:
            assert data["schema"] == "Document", exc
            assert exc.errors == {"properties": {"fileName": "Required"}}
        proxy = model.get_proxy(data, cleaned=False)
        for name, values in data["properties"].items():
            prop = schema.get(name)
            for value in values:
                cleaned = prop.type.clean(value, proxy=proxy)
                if prop.type.name in ("name", "string", "text", "address"):
                    assert cleaned, (data, name)  # free text: whitespace may be tidied
                else:
                    assert cleaned == value, (data, name, value, cleaned)


def test_evidence_files_are_images_and_documents_with_their_hash(
    exported: dict[str, dict[str, Any]],
) -> None:
    photo = _one(exported, "Image", fileName=["adc.jpg"])
    props = photo["properties"]
    assert props["mimeType"] == ["image/jpeg"]
    assert re.fullmatch(r"[0-9a-f]{40}", props["contentHash"][0])
    assert props["date"] == ["2024-05-01"]
    assert props["description"] == [
        "Taken at (camera clock): 2024-05-01 10:21:05\nCamera: Canon EOS 90D\n"
        "Size: 640 x 480 pixels"
    ]
    assert "50." not in json.dumps(photo)  # no GPS position
    pdf = _one(exported, "Document", fileName=["spec-1.pdf"])
    assert pdf["properties"]["mimeType"] == ["application/pdf"]
    assert pdf["properties"]["fileSize"] == ["32"]
    shows = {
        e["properties"]["document"][0]: e["properties"]
        for e in exported.values()
        if e["properties"].get("role") == ["evidence"]
    }
    adc = _one(exported, "Asset", name=["ADC MAX1234"])["id"]
    assert shows[photo["id"]] == {
        "document": [photo["id"]],
        "entity": [adc],
        "role": ["evidence"],
        "summary": ["ADC, top side"],
        "publisher": ["Test Publisher"],
        "description": ["Taken by: Investigator 1\nPublished in: Report A"],
    }
    assert shows[pdf["id"]]["entity"] == [_one(exported, "Event", name=["SPEC-1"])["id"]]


def test_an_entity_comes_after_the_entities_it_names(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path / "data")
    seen: set[str] = set()
    for line in _export(engine, tmp_path / "out.ftm.jsonl"):
        item = json.loads(line)
        for name, values in item["properties"].items():
            if SCHEMA[item["schema"]][name].startswith("entity:"):
                assert set(values) <= seen, (item, name)
        seen.add(item["id"])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def other_engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A second migrated, empty database, on each backend (custody records cannot be deleted,
    so a second load needs a database of its own)."""
    if request.param == "sqlite":
        path = tmp_path / "other.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"PostgreSQL tests need ${PG_ENV}")
    with scratch_postgres_database(server) as url:
        engine = make_engine(url)
        install.upgrade(engine)
        yield engine
        engine.dispose()


def test_the_same_findings_in_another_order_give_the_same_bytes(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    """On one database and the other (SQLite and PostgreSQL alike), loaded in opposite orders
    (other row ids, other insert order): the same file."""
    _load(engine, tmp_path / "first")
    export.export(engine, tmp_path / "first.ftm.jsonl", "ftm", evidence=False)
    _load(other_engine, tmp_path / "second", reverse=True)
    export.export(other_engine, tmp_path / "second.ftm.jsonl", "ftm", evidence=False)
    first = (tmp_path / "first.ftm.jsonl").read_bytes()
    assert first == (tmp_path / "second.ftm.jsonl").read_bytes()
    assert len(first.splitlines()) == 35  # 33, and a listed entity with its Similar


def test_an_export_that_fails_half_way_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(engine, tmp_path / "data")
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def failing(conn: Any) -> Any:
        yield from ()
        raise OSError("disk full")

    monkeypatch.setattr(ftm, "_citations", failing)  # after the companies, documents, assets
    with pytest.raises(OSError, match="disk full"):
        export.export(engine, out_dir / "x.ftm.jsonl", "ftm", evidence=False)
    assert list(out_dir.iterdir()) == []


def test_an_empty_database_gives_an_empty_file(engine: Engine, tmp_path: Path) -> None:
    _empty(engine)
    summary = export.export(engine, tmp_path / "empty.ftm.jsonl", "ftm")
    assert summary.rows == {}
    assert (tmp_path / "empty.ftm.jsonl").read_bytes() == b""


@pytest.mark.parametrize(
    ("value", "precision", "written"),
    [
        (dt.date(2023, 2, 1), DatePrecision.MONTH, "2023-02"),
        (dt.date(2023, 1, 1), DatePrecision.YEAR, "2023"),
        (dt.date(2023, 2, 6), DatePrecision.DAY, "2023-02-06"),
        (dt.date(2023, 2, 6), DatePrecision.WEEK, "2023-02"),  # 6-12 February
        (dt.date(2023, 1, 30), DatePrecision.WEEK, "2023"),  # 30 January - 5 February
        (dt.date(2024, 12, 30), DatePrecision.WEEK, None),  # 30 December - 5 January
        (None, None, None),
    ],
)
def test_dates_are_written_no_more_precisely_than_known(
    value: dt.date | None, precision: DatePrecision | None, written: str | None
) -> None:
    assert ftm.ftm_date(value, precision) == written


# --- the command ----------------------------------------------------------------------------------


def _invoke(args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(cli, args, env={ENV_VAR: None}, prog_name="provenance")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def test_the_export_command_writes_ftm(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _load(engine, tmp_path / "data")
    out = tmp_path / "kn23.jsonl"
    store = tmp_path / "data" / "store"
    args = ["export", "--format", "ftm", str(out), "--db", db_url, "--store", str(store)]
    result = _invoke(args)
    assert result.output == (
        f"{out}: ftm, 35 entities (5 Asset, 5 Company, 3 Document, 8 Documentation, 2 Event, "
        f"1 Image, 1 Ownership, 1 Similar, 9 UnknownLink)\n{out}.evidence: 2 evidence file(s)\n"
    )
    entities = check_ftm(out.read_text("utf-8").splitlines())
    # The files the Image and Document name by their SHA-1 are beside the entities.
    copied = [p for p in Path(f"{out}.evidence").rglob("*") if p.is_file()]
    hashes = {hashlib.sha1(p.read_bytes(), usedforsecurity=False).hexdigest() for p in copied}
    named = {
        e["properties"]["contentHash"][0]
        for e in entities.values()
        if "contentHash" in e["properties"]
    }
    assert hashes == named and len(named) == 2
    by_name = tmp_path / "kn23.ftm.jsonl"  # the format from the name
    result = _invoke(["export", str(by_name), "--db", db_url, "--no-evidence"])
    assert by_name.read_bytes() == out.read_bytes()
    assert not Path(f"{by_name}.evidence").exists()


def test_strip_gps_leaves_the_photo_with_a_position_out_of_the_folder(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _load(engine, tmp_path / "data")
    out = tmp_path / "kn23.ftm.jsonl"
    store = str(tmp_path / "data" / "store")
    result = _invoke(["export", str(out), "--db", db_url, "--store", store, "--strip-gps"])
    assert "1 photo(s) with a GPS position left out" in result.output
    copied = [p for p in Path(f"{out}.evidence").rglob("*") if p.is_file()]
    assert [p.read_bytes()[:5] for p in copied] == [b"%PDF-"]
    assert len(check_ftm(out.read_text("utf-8").splitlines())) == 35  # the entities all stay


def test_the_export_command_refuses_tables_for_ftm(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    result = _invoke(["export", "--format", "ftm", "--tables", str(out), "--db", db_url], code=2)
    assert "--tables is for csv, xlsx and json" in result.output
    assert not out.exists()
    with pytest.raises(ExportError, match="ftm writes entities"):
        export.export(make_engine(db_url), out, "ftm", tables=True)


def test_a_confirmed_screening_hit_is_a_similar_to_the_listed_entity(
    exported: dict[str, dict[str, Any]],
) -> None:
    listed = exported["NK-xp"]
    assert listed["schema"] == "Company"
    assert listed["properties"] == {
        "name": ["XP POWER LIMITED"],
        "alias": ["XP Power", "XP Power Ltd"],
        "country": ["gb"],
    }
    similar = [e for e in exported.values() if e["schema"] == "Similar"]
    assert len(similar) == 1  # the rejected Texas Instruments candidate is not exported
    props = similar[0]["properties"]
    assert props["candidate"] == [ftm.entity_id("manufacturer", manufacturer_key("XP Power"))]
    assert props["match"] == ["NK-xp"]
    assert props["matcher"] == ["provenance screen run, accepted by Analyst"]
    assert 0.88 <= float(props["confidenceScore"][0]) <= 1.0
    assert "NK-ti" not in exported


def test_customs_records_are_economic_activities_and_accepted_links_unknown_links(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.ingest.customs import load_customs
    from provenance.ingest.customs_match import links, match_customs, review_link
    from provenance.models import CustomsLinkStatus

    _load(engine, tmp_path / "data")
    shipments = tmp_path / "shipments.csv"
    header = "date,hs_code,description,brand,part_number,exporter,importer,origin_country,"
    header += "dispatch_country,value,currency,quantity,record_id\n"
    shipments.write_text(
        header
        + "2023-03,8504.40,DC/DC converter,XP Power,TDR-15,Made-up Trading Co.,Example Import LLC,"
        "United Kingdom,Hong Kong,1200.50,USD,10,C-1\n"
        + "2023-04,8504.40,DC/DC converter,XP Power,TDR-99,Made-up Trading Co.,Example Import LLC,"
        "United Kingdom,Hong Kong,99,USD,1,C-2\n",
        encoding="utf-8",
    )
    load_customs(engine, shipments)
    match_customs(engine)
    with engine.connect() as conn:
        proposed = links(conn)
    assert [k.record_id for k in proposed] == ["C-1"]  # the TDR-15 converter; not TDR-99
    review_link(engine, proposed[0].link_id, CustomsLinkStatus.ACCEPTED, "Analyst")
    entities = check_ftm(_export(engine, tmp_path / "out.ftm.jsonl"))
    activities = [e for e in entities.values() if e["schema"] == "EconomicActivity"]
    assert len(activities) == 2
    c1 = _one(entities, "EconomicActivity", recordId=["C-1"])
    assert c1["properties"]["date"] == ["2023-03"]
    assert c1["properties"]["vedCode"] == ["850440"]  # digits, as the record is stored
    assert c1["properties"]["originCountry"] == ["gb"]
    assert c1["properties"]["departureCountry"] == ["hk"]
    assert c1["properties"]["invoiceAmount"] == ["1200.5000 USD"]
    sender = entities[c1["properties"]["sender"][0]]
    assert (sender["schema"], sender["properties"]["name"]) == (
        "LegalEntity",
        ["Made-up Trading Co."],
    )
    roles = sorted(
        (
            e["properties"]["role"][0],
            entities[e["properties"]["object"][0]]["properties"]["name"][0],
        )
        for e in entities.values()
        if e["schema"] == "UnknownLink" and "customs record" in e["properties"]["role"][0]
    )  # only the accepted link: the part to the record's two traders
    assert roles == [
        ("exporter (customs record C-1)", "Made-up Trading Co."),
        ("importer (customs record C-1)", "Example Import LLC"),
    ]
