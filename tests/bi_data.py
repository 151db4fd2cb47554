"""A small hand-made data set for the views, query, export and BI-docs tests.

KN-23 (producer North Korea), specimen KN23-A, recovered 2024-01-02 in Kharkiv:

| component         | manufacturer      | HQ | made in | made       | qty | HS-6   | sources  |
|-------------------|-------------------|----|---------|------------|-----|--------|----------|
| voltage converter | XP Power          | GB | -       | 2023-02    | 1   | 850440 | DIU, CAR |
| microcontroller   | Analog Devices    | US | PH      | 2022       | 2   | 854231 | DIU      |
| op amp            | Texas Instruments | US | CN      | 2023-05-17 | 1   | 854233 | CAR      |
| cable harness     | Korea Ryonbong    | KP | KP      | -          | 1   | -      | CAR      |
| capacitor         | Unmarked maker    | -  | -       | -          | 1   | -      | CAR      |

Shahed-136 (producer Iran), specimen SHAHED-1:

| component   | manufacturer                | HQ | made in | made | qty | HS-6   | sources |
|-------------|-----------------------------|----|---------|------|-----|--------|---------|
| GNSS module | Texas Instruments           | US | -       | 2020 | 4   | 852691 | NGO     |
| servo       | Iran Electronics Industries | IR | IR      | -    | 2   | -      | NGO     |

DIU is published 2024-11, CAR 2024-02 (so CAR is the XP Power converter's first source although
DIU was loaded first), NGO 2023-06. The capacitor's marking starts with "=" (a spreadsheet formula).
``add_chpl`` stores two list versions: 850440 is tier 2 on the old one and 3.A on the newest,
854231 tier 1 on the newest, 854233 on none. ``add_evidence`` stores a photo of the converter
(EXIF: 2024-01-03 09:15:00, "TestCam X1", 50.0 N 36.25 E) and a PDF of the specimen, and records
one verification of both. ``add_chain`` adds the converter's chain: XP Power Ltd (the party that is
the manufacturer XP Power) sold it to Hongda Trading (CN) in 2023-03 by invoice INV-1 (CAR), a
batch step of lot 2306 from Hongda to Shenzhen Forwarder, and a trace request to Hongda answered
late naming Shenzhen Forwarder; and a customs record (C-1, XP Power Ltd to Hongda Trading, the
converter's HS code and part number) whose proposed link to the converter is accepted.
``add_screening`` loads a two-entity sanctions list ("KOREA RYONBONG", kp; "HONGDA TRADING CO
LTD", cn), accepts the candidate it gives for Korea Ryonbong and leaves Hongda's open.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from provenance.evidence import records as evidence
from provenance.evidence.custody import verify
from provenance.evidence.store import Store
from provenance.ingest.loader import load_files
from provenance.ingest.screening import load_list
from provenance.ingest.screening_run import candidates, review, run_screening
from provenance.models import (
    ChplEntry,
    ChplList,
    Component,
    Manufacturer,
    ManufacturerAlias,
    ScreeningDecision,
    Source,
    Specimen,
)
from tests.helpers import row, write_csv

FORMULA_MARKING = '=HYPERLINK("http://example.org","x")'

DIU = {
    "source_publisher": "Defence Intelligence of Ukraine",
    "source_title": "KN-23 parts",
    "source_published_on": "2024-11",
    "source_url": "https://example.org/diu",
    "source_reliability": "high",
}
CAR = {
    "source_publisher": "Conflict Armament Research",
    "source_title": "Kharkiv missile",
    "source_published_on": "2024-02",
    "source_url": "https://example.org/car",
}
NGO = {
    "source_publisher": "Test NGO",
    "source_title": "Shahed parts",
    "source_published_on": "2023-06",
}
KN23 = {
    "weapon_system": "KN-23",
    "weapon_producer_country": "DPRK",
    "weapon_category": "SRBM",
    "specimen": "KN23-A",
    "recovered_on": "2024-01-02",
    "recovered_at": "Kharkiv",
    "recovered_by": "Ukrainian authorities",
    "identification_confidence": "likely",
}
SHAHED = {
    "weapon_system": "Shahed-136",
    "weapon_producer_country": "Iran",
    "weapon_category": "UAV",
    "specimen": "SHAHED-1",
    "recovered_at": "Kyiv",
    "recovered_on": "2023-05-01",
}
XP_POWER = {
    **KN23,
    "component": "voltage converter",
    "part_number": "TSM0505S",
    "marking": "TSM0505S 2306",
    "date_code": "2306",
    "manufacturer": "XP Power",
    "manufacturer_country": "UK",
    "manufactured_on": "2023-02",
    "quantity": "1",
    "hs_code": "8504.40",
}


def findings(tmp_path: Path) -> list[Path]:
    kn23 = [
        row(**XP_POWER, **DIU),
        row(**XP_POWER, **CAR),  # the same component, a second source
        row(
            **KN23,
            **DIU,
            component="microcontroller",
            manufacturer="Analog Devices",
            manufacturer_country="USA",
            made_in="Philippines",
            manufactured_on="2022",
            quantity="2",
            hs_code="8542.31",
        ),
        row(
            **KN23,
            **CAR,
            component="op amp",
            manufacturer="Texas Instruments",
            manufacturer_country="United States",
            made_in="China",
            manufactured_on="2023-05-17",
            quantity="1",
            hs_code="8542.33",
        ),
        row(
            **KN23,
            **CAR,
            component="cable harness",
            manufacturer="Korea Ryonbong",
            manufacturer_country="North Korea",
            made_in="DPRK",
            manufactured_on="",
            hs_code="",
        ),
        row(
            **KN23,
            **CAR,
            component="capacitor",
            marking=FORMULA_MARKING,
            manufacturer="Unmarked maker",
            manufacturer_country="",
            manufactured_on="",
            hs_code="",
            authenticity="suspected counterfeit",
            authenticity_basis="no maker's logo; the case is sanded",
        ),
    ]
    shahed = [
        row(
            **SHAHED,
            **NGO,
            component="GNSS module",
            manufacturer="Texas Instruments",
            manufacturer_country="",
            manufactured_on="2020",
            quantity="4",
            hs_code="8526.91",
        ),
        row(
            **SHAHED,
            **NGO,
            component="servo",
            # The NGO's own record of the part: its id, page and photo (issue 18).
            source_record_id="ngo-17",
            source_record_url="https://example.org/ngo/parts/17",
            evidence_url="https://example.org/ngo/photos/17.jpg",
            manufacturer="Iran Electronics Industries",
            manufacturer_country="Iran",
            made_in="Iran",
            manufactured_on="",
            quantity="2",
            hs_code="",
        ),
    ]
    return [write_csv(tmp_path / "kn23.csv", kn23), write_csv(tmp_path / "shahed.csv", shahed)]


def add_chpl(conn: Connection) -> None:
    """Replace whatever CHPL versions are stored by two small hand-made ones."""
    conn.execute(delete(ChplEntry))
    conn.execute(delete(ChplList))
    lists = [
        ("2023-05-19", dt.date(2023, 5, 19), {"850440": "2"}),
        ("2024-02-23", dt.date(2024, 2, 23), {"850440": "3.A", "854231": "1"}),
    ]
    for version, published_on, entries in lists:
        list_id = conn.execute(
            insert(ChplList)
            .values(
                version=version,
                published_on=published_on,
                publisher="Test",
                title=f"CHPL {version}",
            )
            .returning(ChplList.id)
        ).scalar_one()
        conn.execute(
            insert(ChplEntry),
            [{"list_id": list_id, "hs6": hs6, "tier": tier} for hs6, tier in entries.items()],
        )


def fill_gaps(conn: Connection) -> None:
    """Values the findings format cannot give, so that every view column has one somewhere:
    a parent company, a manufacturer alias, notes on a source."""
    ids = dict(conn.execute(select(Manufacturer.name, Manufacturer.id)).all())
    conn.execute(
        update(Manufacturer)
        .where(Manufacturer.id == ids["Analog Devices"])
        .values(parent_id=ids["Texas Instruments"])
    )
    conn.execute(
        insert(ManufacturerAlias).values(
            manufacturer_id=ids["XP Power"], alias="XP POWER LTD", alias_key="xp power ltd"
        )
    )
    conn.execute(update(Source).where(Source.publisher == "Test NGO").values(notes="A test note."))
    assert conn.execute(select(Specimen.id)).first() is not None


def photo(path: Path) -> Path:
    """A small JPEG with EXIF: taken 2024-01-03 09:15:00 on a "TestCam X1" at 50.0 N, 36.25 E."""
    from PIL import Image

    img = Image.new("RGB", (64, 48), (180, 40, 40))
    exif = Image.Exif()
    exif[271], exif[272] = "TestCam", "X1"
    exif.get_ifd(0x8769)[36867] = "2024:01:03 09:15:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (50.0, 0.0, 0.0), "E", (36.0, 15.0, 0.0)
    img.save(path, exif=exif)
    return path


def add_evidence(engine: Engine, tmp_path: Path) -> None:
    """The converter's photo (with EXIF), a document of the specimen, one verification."""
    store = Store(tmp_path / "evidence")
    with engine.connect() as conn:
        converter = conn.execute(
            select(Component.id).where(Component.function == "voltage converter")
        ).scalar_one()
    evidence.add_evidence(
        engine, store, [photo(tmp_path / "converter.jpg")], component_id=converter,
        caption="XP Power converter, top", taken_by="Field team", source=CAR["source_url"],
    )  # fmt: skip
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.4\n% a test document\n")
    evidence.add_evidence(engine, store, [document], specimen="KN23-A", by="Analyst")
    verify(engine, store, record=True, by="Analyst")


def add_screening(engine: Engine, tmp_path: Path) -> None:
    """A small sanctions list; its one candidate (Korea Ryonbong) accepted."""
    import csv

    columns = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,"
    columns += "phones,emails,dataset,first_seen,last_seen,last_change"
    path = tmp_path / "targets.simple.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns.split(","))
        writer.writerow(
            ["NK-ryonbong", "Company", "KOREA RYONBONG", "Korea Ryonbong General Corporation",
             "", "kp", "", "", "UN 1718 - DPRK", "", "", "Test Sanctions", "2017-01-01",
             "2026-11-30", "2026-11-30T06:00:00"]
        )  # fmt: skip
        writer.writerow(
            ["NK-hongda", "Company", "HONGDA TRADING CO LTD", "", "", "cn", "", "", "", "", "",
             "Test Sanctions", "2020-01-01", "2026-11-30", "2026-11-30T06:00:00"]
        )  # fmt: skip
    load_list(engine, path)
    run_screening(engine)
    with engine.connect() as conn:
        found = {c.entity_id: c for c in candidates(conn)}
    assert sorted(found) == ["NK-hongda", "NK-ryonbong"], sorted(found)
    hongda = found["NK-hongda"]
    assert (hongda.subject_kind, hongda.party) == ("party", "Hongda Trading")
    ryonbong = found["NK-ryonbong"].candidate_id
    review(engine, ryonbong, ScreeningDecision.ACCEPTED, "Analyst", "same company")


def add_chain(engine: Engine, tmp_path: Path) -> None:
    """The converter's chain, a trace request and a customs record (see the module docstring)."""
    from provenance.chain.parties import PartySpec, add_party
    from provenance.chain.trace import NamedStep, TraceSpec, add_request, answer_request
    from provenance.chain.transfers import load_transfers
    from provenance.ingest.customs import load_customs
    from provenance.ingest.customs_match import links, match_customs, review_link
    from provenance.models import CustomsLinkStatus

    add_party(engine, PartySpec("XP Power Ltd", country="GB", manufacturer="XP Power"))
    add_party(
        engine,
        PartySpec(
            "Hongda Trading",
            country="CN",
            aliases=["Hongda"],
            identifiers=[("registration", "914403-TEST")],
        ),
    )
    add_party(engine, PartySpec("Shenzhen Forwarder", country="CN"))
    with engine.connect() as conn:
        converter = conn.execute(
            select(Component.id).where(Component.part_number == "TSM0505S")
        ).scalar_one()
    steps = tmp_path / "transfers.csv"
    header = "component_id,manufacturer,part_number,lot,from_party,from_role,to_party,to_role,"
    header += "date,place,country,document_kind,document_ref,source_publisher,source_title,notes"
    steps.write_text(
        f"{header}\n"
        f"{converter},,,,XP Power Ltd,manufacturer,Hongda Trading,buyer,2023-03,Shenzhen,CN,"
        "invoice,INV-1,Conflict Armament Research,Kharkiv missile,as the invoice says\n"
        ",XP Power,TSM0505S,2306,Hongda Trading,seller,Shenzhen Forwarder,freight_forwarder,"
        "2023-04,,,,,Conflict Armament Research,Kharkiv missile,\n",
        "utf-8",
    )
    load_transfers(engine, steps)
    request = add_request(
        engine, TraceSpec(dt.date(2024, 3, 1), party="Hongda Trading", components=[converter])
    )
    answer_request(
        engine,
        request,
        dt.date(2024, 5, 1),
        "sold on to Shenzhen Forwarder",
        steps=[NamedStep("Shenzhen Forwarder")],
    )
    shipments = tmp_path / "customs.csv"
    shipments.write_text(
        "date,hs_code,description,brand,part_number,exporter,importer,origin_country,"
        "dispatch_country,value,currency,quantity,record_id\n"
        "2023-03,8504.40.00,DC-DC converters,XP Power,TSM0505S,XP Power Ltd,Hongda Trading,UK,"
        "Singapore,1200.50,USD,10,C-1\n",
        "utf-8",
    )
    load_customs(engine, shipments)
    match_customs(engine)
    with engine.connect() as conn:
        (link,) = links(conn)
    review_link(engine, link.link_id, CustomsLinkStatus.ACCEPTED, "Analyst", "same invoice")


def load(engine: Engine, tmp_path: Path, chpl: bool = True) -> None:
    """Load the data set (and the two CHPL versions, the gap-filling values, the evidence)."""
    summaries = load_files(engine, findings(tmp_path))
    assert [(s.components_added, s.citations_added) for s in summaries] == [(5, 6), (2, 2)]
    with engine.begin() as conn:
        fill_gaps(conn)
        if chpl:
            add_chpl(conn)
        else:
            conn.execute(delete(ChplEntry))
            conn.execute(delete(ChplList))
    add_evidence(engine, tmp_path)
    add_chain(engine, tmp_path)
    add_screening(engine, tmp_path)


def normalise(value: Any) -> Any:
    """A value as both databases can be compared: dates and times as ISO text (times in UTC,
    to the second), floats rounded to 12 significant digits."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else value
    return value
