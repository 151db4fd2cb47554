"""A small hand-made data set for the researcher's reports, and what every report must say about it.

KN-23 (producer North Korea). Specimen KN23-A recovered 2024-01-02; specimen KN23-B has no
recovery date. Sources: DIU = Defence Intelligence of Ukraine, CAR = Conflict Armament Research.

(sp = specimen KN23-A or KN23-B; made = country of manufacture)

|# |sp|component        |manufacturer     |HQ|made|qty|made on   |HS code   |tier |sources|
|--|--|-----------------|-----------------|--|----|---|----------|----------|-----|-------|
|1 |A |voltage converter|XP Power         |GB|-   |1  |2023-02   |8504.40   |3.A  |DIU    |
|2 |A |microcontroller  |Analog Devices   |US|PH  |2  |2022      |8542.31   |1    |DIU,CAR|
|3 |A |op amp           |Texas Instruments|US|CN  |1  |2021-05-17|854233    |1    |CAR    |
|4 |A |GNSS module      |u-blox           |CH|-   |1  |2022-03   |8526.91.00|2    |CAR    |
|5 |A |cable harness    |Korea Ryonbong   |KP|KP  |1  |-         |-         |no HS|CAR    |
|6 |A |capacitor        |Unmarked maker   |- |-   |1  |-         |8532      |short|CAR    |
|7 |A |bearing          |NSK              |JP|JP  |2  |2022-02   |8482.10   |3.B  |CAR    |
|8 |A |resistor         |Vishay           |US|CN  |3  |2023-06-12|8533.21   |none |CAR    |
|9 |A |power supervisor |Maxim Integrated |US|-   |1  |2023-01   |854239    |1    |DIU    |
|10|A |connector        |Amphenol         |US|-   |1  |-         |-         |no HS|DIU    |
|11|B |gyroscope        |Analog Devices   |US|-   |1  |2023-03   |9014.20   |3.B  |DIU    |

Maxim Integrated's parent is Analog Devices (set after the load).

Shahed-136 (producer Iran), specimen SHAHED-1 recovered 2023-05-01, source NGO:

| #  | component   | manufacturer                | HQ | made in | qty | made | HS code | tier  |
|----|-------------|-----------------------------|----|---------|-----|------|---------|-------|
| 12 | GNSS module | Texas Instruments           | US | -       | 4   | 2020 | 8526.91 | 2     |
| 13 | servo       | Iran Electronics Industries | IR | IR      | 2   | -    | -       | no HS |

KN-23: 15 parts in 11 components; Shahed-136: 6 parts in 2 components; 21 parts in all.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select, update

from provenance.db import write_transaction
from provenance.ingest.loader import load_files
from provenance.models import Manufacturer
from provenance.reference.sync import sync_reference_lists
from tests.helpers import row, write_csv

DIU = {
    "source_publisher": "Defence Intelligence of Ukraine",
    "source_title": "KN-23 parts",
    "source_published_on": "2024-11",
}
CAR = {
    "source_publisher": "Conflict Armament Research",
    "source_title": "Kharkiv missile",
    "source_published_on": "2024-02",
}
NGO = {
    "source_publisher": "Test NGO",
    "source_title": "Shahed parts",
    "source_published_on": "2023-06",
}
KN23_A = {
    "weapon_system": "KN-23",
    "weapon_producer_country": "DPRK",
    "specimen": "KN23-A",
    "recovered_on": "2024-01-02",
}
KN23_B = {**KN23_A, "specimen": "KN23-B", "recovered_on": ""}
SHAHED = {
    "weapon_system": "Shahed-136",
    "weapon_producer_country": "Iran",
    "specimen": "SHAHED-1",
    "recovered_on": "2023-05-01",
}


def _part(
    where: dict[str, str],
    source: dict[str, str],
    component: str,
    manufacturer: str,
    hq: str,
    made_in: str,
    quantity: int,
    made: str,
    hs: str,
) -> dict[str, str]:
    return row(
        **where,
        **source,
        component=component,
        manufacturer=manufacturer,
        manufacturer_country=hq,
        made_in=made_in,
        quantity=str(quantity),
        manufactured_on=made,
        hs_code=hs,
        authenticity="genuine",
    )


ROWS = [
    _part(KN23_A, DIU, "voltage converter", "XP Power", "UK", "", 1, "2023-02", "8504.40"),
    _part(
        KN23_A, DIU, "microcontroller", "Analog Devices", "USA", "Philippines", 2, "2022", "8542.31"
    ),
    _part(
        KN23_A, CAR, "microcontroller", "Analog Devices", "USA", "Philippines", 2, "2022", "8542.31"
    ),
    _part(KN23_A, CAR, "op amp", "Texas Instruments", "US", "China", 1, "2021-05-17", "854233"),
    _part(KN23_A, CAR, "GNSS module", "u-blox", "Switzerland", "", 1, "2022-03", "8526.91.00"),
    _part(KN23_A, CAR, "cable harness", "Korea Ryonbong", "North Korea", "DPRK", 1, "", ""),
    _part(KN23_A, CAR, "capacitor", "Unmarked maker", "", "", 1, "", "8532"),
    _part(KN23_A, CAR, "bearing", "NSK", "Japan", "Japan", 2, "2022-02", "8482.10"),
    _part(KN23_A, CAR, "resistor", "Vishay", "US", "China", 3, "2023-06-12", "8533.21"),
    _part(KN23_A, DIU, "power supervisor", "Maxim Integrated", "US", "", 1, "2023-01", "854239"),
    _part(KN23_A, DIU, "connector", "Amphenol", "US", "", 1, "", ""),
    _part(KN23_B, DIU, "gyroscope", "Analog Devices", "US", "", 1, "2023-03", "9014.20"),
    _part(SHAHED, NGO, "GNSS module", "Texas Instruments", "US", "", 4, "2020", "8526.91"),
    _part(SHAHED, NGO, "servo", "Iran Electronics Industries", "Iran", "Iran", 2, "", ""),
]

KN23_PARTS = 15
SHAHED_PARTS = 6
ALL_PARTS = 21
ALL_COMPONENTS = 13


def ensure_reference_lists(engine: Engine) -> None:
    """The shipped CHPL and country groups (the PostgreSQL fixture empties every table but the
    countries between tests; syncing again is idempotent)."""
    with write_transaction(engine) as conn:
        sync_reference_lists(conn)


def load_sample(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    load_files(engine, [write_csv(tmp_path / "sample.csv", ROWS)])
    with write_transaction(engine) as conn:
        parent = conn.execute(
            select(Manufacturer.id).where(Manufacturer.name == "Analog Devices")
        ).scalar_one()
        conn.execute(
            update(Manufacturer)
            .where(Manufacturer.name == "Maxim Integrated")
            .values(parent_id=parent)
        )
