"""A deterministic synthetic findings file for the benchmark (scripts/bench) and its test.

``generate(path, rows, seed)`` writes a CSV file in the findings layout (README, "Findings
files") and returns what a load of it into an empty database must create: distinct components,
citations, manufacturers (counted by ``provenance.values.text.manufacturer_key``, the loader's
key, so "XP POWER LTD" and "XP Power Limited" are one), weapon systems, specimens and sources.

The shape is meant to be realistic, not flattering: a few hundred weapon systems, thousands of
specimens and manufacturers, manufacturers written with varying case and legal forms, countries
written in several forms and languages, tens of sources, date codes (some in no known form), HS
codes in several notations, and repeated rows (the same finding again, the same component cited
by a second source, the same component with its manufacturer written another way).

Manufacturer names are generated far apart: a name the loader would take for a probable duplicate
of another (``provenance.values.text.NearDuplicates``) is skipped, so the file loads without
``new_manufacturers``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from provenance.values.text import NearDuplicates, manufacturer_key

HEADER = [
    "weapon_system",
    "weapon_producer_country",
    "weapon_category",
    "specimen",
    "recovered_on",
    "recovered_at",
    "recovered_by",
    "identification_confidence",
    "component",
    "part_number",
    "marking",
    "manufacturer",
    "manufacturer_country",
    "manufacturer_parent",
    "manufacturer_parent_country",
    "made_in",
    "date_code",
    "manufactured_on",
    "quantity",
    "hs_code",
    "authenticity",
    "source_publisher",
    "source_title",
    "source_url",
    "source_published_on",
    "source_reliability",
    "notes",
]

#: ISO code -> ways researchers write the country (all known to the resolver).
COUNTRY_FORMS: dict[str, list[str]] = {
    "US": ["United States", "USA", "U.S.A.", "US", "Vereinigte Staaten", "États-Unis", "США"],
    "GB": ["United Kingdom", "UK", "Großbritannien", "GB"],
    "JP": ["Japan", "日本", "Japon", "JP"],
    "CH": ["Switzerland", "Schweiz", "Suisse"],
    "DE": ["Germany", "Deutschland", "Allemagne", "Німеччина"],
    "NL": ["Netherlands", "Holland", "Niederlande"],
    "CN": ["China", "PRC", "Volksrepublik China", "中国", "Китай"],
    "TW": ["Taiwan", "TW"],
    "KR": ["South Korea", "Südkorea", "Korea, Republic of", "대한민국"],
    "SG": ["Singapore", "Singapur"],
    "FR": ["France", "Frankreich"],
    "IT": ["Italy", "Italien"],
    "CA": ["Canada", "Kanada"],
    "SE": ["Sweden", "Schweden"],
    "AT": ["Austria", "Österreich"],
    "MY": ["Malaysia"],
    "PH": ["Philippines", "Philippinen"],
    "TH": ["Thailand"],
    "VN": ["Vietnam", "Viet Nam"],
    "KP": ["North Korea", "DPRK", "Nordkorea"],
    "RU": ["Russia", "Russian Federation", "Russland", "Россия"],
    "IR": ["Iran", "IR"],
}
#: Where manufacturers have their headquarters, with weights.
HQ_WEIGHTS = {
    "US": 40,
    "CN": 14,
    "JP": 9,
    "DE": 6,
    "TW": 6,
    "CH": 4,
    "GB": 4,
    "NL": 3,
    "KR": 4,
    "SG": 2,
    "FR": 2,
    "IT": 1,
    "CA": 1,
    "SE": 1,
    "AT": 1,
    "RU": 2,
}
#: Where parts are made (the "Made in" marking), with weights.
MADE_IN_WEIGHTS = {"CN": 20, "MY": 10, "PH": 8, "TH": 6, "TW": 8, "VN": 4, "US": 6, "JP": 4}
PRODUCERS = {"RU": 60, "KP": 15, "IR": 25}
CATEGORIES = ["SRBM", "cruise missile", "UAV", "loitering munition", "guided bomb", "ATGM"]
WEAPON_PREFIXES = [
    "Kh",
    "Iskander",
    "Shahed",
    "Geran",
    "Kalibr",
    "KN",
    "Hwasong",
    "Lancet",
    "Orlan",
    "Kub",
    "Mohajer",
    "Fateh",
    "Zala",
    "KAB",
    "Tornado",
    "Kinzhal",
    "Oniks",
    "Gerbera",
    "Supercam",
    "Eleron",
]
FUNCTIONS = [
    "voltage converter",
    "microcontroller",
    "GNSS module",
    "FPGA",
    "DC-DC converter",
    "operational amplifier",
    "voltage regulator",
    "flash memory",
    "SRAM",
    "transceiver",
    "gyroscope",
    "accelerometer",
    "ADC",
    "DAC",
    "MOSFET",
    "crystal oscillator",
    "signal processor",
    "servo motor",
    "antenna",
    "camera module",
    "connector",
    "capacitor",
    "electronic component (unspecified)",
]
SECTORS = [
    "Electronics",
    "Semiconductor",
    "Microsystems",
    "Power",
    "Devices",
    "Technologies",
    "Components",
    "Instruments",
    "Circuits",
    "Systems",
    "",
    "",
]
SYLLABLES = [
    "ko",
    "va",
    "tek",
    "ri",
    "mon",
    "sel",
    "da",
    "vor",
    "lin",
    "ex",
    "qua",
    "zen",
    "tra",
    "pol",
    "ny",
    "mar",
    "cor",
    "vi",
    "sta",
    "lum",
    "ber",
    "gan",
    "hel",
    "dro",
    "fen",
    "jas",
    "kel",
    "nor",
    "pra",
    "sol",
    "ul",
    "wex",
]
#: Legal forms appended to a manufacturer's name in some rows; all dropped by manufacturer_key.
LEGAL_FORMS = ["", "", "", "Ltd", "Limited", "Inc.", "Corp.", "GmbH", "Co., Ltd.", "AG", "plc"]
PUBLISHERS = [
    "Defence Intelligence of Ukraine",
    "Conflict Armament Research",
    "Independent Anti-Corruption Commission",
    "Royal United Services Institute",
    "Open Source Monitor",
    "KSE Institute",
    "Centre for Defence Studies",
    "Component Watch",
]
HS_CODES = [
    "8504.40",
    "850440",
    "8542.31",
    "8542.31.00",
    "854232",
    "8542.39",
    "8541.29",
    "8541 10",
    "8526.91",
    "8517.62",
    "9014.20",
    "8532",
    "8536.69",
]
PLACES = ["Kharkiv, Ukraine", "Kyiv, Ukraine", "Odesa, Ukraine", "Dnipro, Ukraine", "Lviv, Ukraine"]


@dataclass
class Expected:
    """What loading the generated file into an empty database creates."""

    rows: int
    components: int
    citations: int
    manufacturers: int
    weapon_systems: int
    specimens: int
    sources: int
    duplicate_rows: int  # rows that repeat a (component, source) pair already in the file
    parts: int  # the sum of the distinct components' quantities

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Maker:
    name: str
    key: str
    hq: str | None
    parent: _Maker | None = None


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _country(rng: random.Random, code: str) -> str:
    return rng.choice(COUNTRY_FORMS[code])


def _makers(rng: random.Random, count: int) -> list[_Maker]:
    near = NearDuplicates()
    makers: list[_Maker] = []
    keys: set[str] = set()
    attempts = 0
    while len(makers) < count:
        attempts += 1
        if attempts > count * 50:
            raise RuntimeError(f"cannot generate {count} manufacturer names far enough apart")
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        sector = rng.choice(SECTORS)
        name = f"{stem} {sector}".strip()
        key = manufacturer_key(name)
        if key in keys or key != stem.lower() + (f" {sector.lower()}" if sector else ""):
            continue  # taken, or the stem ends like a legal form
        if near.closest(key) is not None:
            continue
        near.add(key)
        keys.add(key)
        hq = _weighted(rng, HQ_WEIGHTS) if rng.random() < 0.9 else None
        makers.append(_Maker(name, key, hq))
    # Some subsidiaries: their parent is one of the first 100 (which have no parent themselves
    # and a known headquarters).
    tops = [m for m in makers[:100] if m.hq is not None]
    for maker in makers[100:]:
        if tops and rng.random() < 0.1:
            maker.parent = rng.choice(tops)
    return makers


def _written(rng: random.Random, maker: _Maker) -> str:
    """The manufacturer's name as one row writes it: varying case and legal form."""
    name = maker.name
    r = rng.random()
    if r < 0.15:
        name = name.upper()
    elif r < 0.22:
        name = name.lower()
    form = rng.choice(LEGAL_FORMS)
    written = f"{name} {form}".strip() if form else name
    return written


def _date_code(rng: random.Random) -> tuple[str, str]:
    """(date_code, manufactured_on): mostly YYWW codes, some other forms, some in none."""
    r = rng.random()
    year = rng.randint(2015, 2024)
    if r < 0.55:
        return f"{year % 100:02d}{rng.randint(1, 52):02d}", ""
    if r < 0.65:
        return f"{year}-W{rng.randint(1, 52):02d}", ""
    if r < 0.72:
        return f"{rng.choice('ABCDEFGH')}{rng.choice('GHJK')}{rng.randint(100, 999)}", ""
    if r < 0.85:
        return "", f"{year}-{rng.randint(1, 12):02d}"
    return "", ""


# One loop writes each row and counts what loading it must create; the counts stay beside
# the choices that make them.
def generate(path: Path, rows: int, seed: int = 1) -> Expected:  # noqa: C901
    """Write ``rows`` findings to ``path`` (CSV, UTF-8) and return what loading them creates."""
    if rows < 1:
        raise ValueError("rows must be 1 or more")
    rng = random.Random(seed)
    n_weapons = max(3, min(300, rows // 300))
    n_specimens = max(5, min(20_000, rows // 25))
    n_makers = max(10, min(4000, rows // 30))
    n_sources = max(2, min(40, rows // 2000))

    weapons: list[tuple[str, str, str]] = []  # designation, producer code, category
    seen_designations: set[str] = set()
    while len(weapons) < n_weapons:
        designation = f"{rng.choice(WEAPON_PREFIXES)}-{rng.randint(1, 999)}"
        if designation.casefold() in seen_designations:
            continue
        seen_designations.add(designation.casefold())
        weapons.append((designation, _weighted(rng, PRODUCERS), rng.choice(CATEGORIES)))

    specimens: list[dict[str, Any]] = []
    for i in range(n_specimens):
        weapon = rng.choice(weapons)
        day = f"{rng.randint(2022, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        specimens.append(
            {
                "label": f"{weapon[0].split('-')[0].upper()}-{i:06d}",
                "weapon": weapon,
                "recovered_on": day if rng.random() < 0.8 else "",
                "recovered_at": rng.choice(PLACES) if rng.random() < 0.7 else "",
                "recovered_by": rng.choice(["SBU", "HUR", "CAR field team", ""]),
                "confidence": rng.choice(["confirmed", "likely", "possible", ""]),
            }
        )

    makers = _makers(rng, n_makers)
    sources: list[dict[str, str]] = []
    for i in range(n_sources):
        publisher = PUBLISHERS[i % len(PUBLISHERS)]
        sources.append(
            {
                "publisher": publisher,
                "title": f"Components found in recovered weapons, report {i + 1}",
                "url": f"https://example.org/reports/{i + 1}" if i % 2 else "",
                "published_on": f"{rng.randint(2022, 2025)}-{rng.randint(1, 12):02d}",
                "reliability": rng.choice(["high", "medium", "low", ""]),
            }
        )

    components: set[tuple[str, ...]] = set()
    citations: set[tuple[tuple[str, ...], int]] = set()
    parts = 0
    made: list[tuple[dict[str, str], tuple[str, ...], _Maker, int]] = []
    used_makers: set[str] = set()
    used_weapons: set[str] = set()
    used_specimens: set[str] = set()
    used_sources: set[int] = set()

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for _ in range(rows):
            r = rng.random()
            if made and r < 0.05:  # the same row again
                row, identity, maker, source = made[rng.randrange(len(made))]
                row = dict(row)
            elif made and r < 0.12:  # the same component, cited by another source
                row, identity, maker, _ = made[rng.randrange(len(made))]
                source = rng.randrange(n_sources)
                row = dict(row)
            elif made and r < 0.15:  # the same component, its manufacturer written another way
                row, identity, maker, source = made[rng.randrange(len(made))]
                row = dict(row)
                row["manufacturer"] = _written(rng, maker)
            else:
                # A new component: never one that is already there (rows that file one
                # component must agree on it, or the load refuses them).
                row, identity, maker = _new_component(rng, specimens, makers)
                while identity in components:
                    row, identity, maker = _new_component(rng, specimens, makers)
                source = rng.randrange(n_sources)
                parts += int(row["quantity"])
                components.add(identity)
                if len(made) < 200_000:
                    made.append((row, identity, maker, source))
            _fill_source(row, sources[source])
            citations.add((identity, source))
            used_sources.add(source)
            used_makers.add(maker.key)
            if maker.parent is not None and row["manufacturer_parent"]:
                used_makers.add(maker.parent.key)
            used_weapons.add(row["weapon_system"].casefold())
            used_specimens.add(row["specimen"].casefold())
            writer.writerow([row[c] for c in HEADER])

    return Expected(
        rows=rows,
        components=len(components),
        citations=len(citations),
        manufacturers=len(used_makers),
        weapon_systems=len(used_weapons),
        specimens=len(used_specimens),
        sources=len(used_sources),
        duplicate_rows=rows - len(citations),
        parts=parts,
    )


def _fill_source(row: dict[str, str], source: dict[str, str]) -> None:
    row["source_publisher"] = source["publisher"]
    row["source_title"] = source["title"]
    row["source_url"] = source["url"]
    row["source_published_on"] = source["published_on"]
    row["source_reliability"] = source["reliability"]


def _new_component(
    rng: random.Random, specimens: list[dict[str, Any]], makers: list[_Maker]
) -> tuple[dict[str, str], tuple[str, ...], _Maker]:
    specimen = rng.choice(specimens)
    designation, producer, category = specimen["weapon"]
    # Popular manufacturers turn up far more often than the rest.
    maker = makers[min(int(rng.paretovariate(1.2)) - 1, len(makers) - 1)]
    if rng.random() < 0.5:
        maker = rng.choice(makers)
    function = rng.choice(FUNCTIONS)
    prefix = "".join(c for c in maker.name.upper() if c.isalpha())[:3]
    part_number = f"{prefix}{rng.randint(10, 99999)}{rng.choice(['', 'T', 'A', '-3.3'])}"
    if rng.random() < 0.1:
        part_number = ""
    date_code, manufactured_on = _date_code(rng)
    marking = f"{part_number} {date_code}".strip() if rng.random() < 0.4 else ""
    parent = maker.parent
    give_parent = parent is not None and rng.random() < 0.5
    row = {
        "weapon_system": designation if rng.random() < 0.9 else designation.lower(),
        "weapon_producer_country": _country(rng, producer),
        "weapon_category": category,
        "specimen": specimen["label"],
        "recovered_on": specimen["recovered_on"],
        "recovered_at": specimen["recovered_at"],
        "recovered_by": specimen["recovered_by"],
        "identification_confidence": specimen["confidence"],
        "component": function,
        "part_number": part_number,
        "marking": marking,
        "manufacturer": _written(rng, maker),
        "manufacturer_country": _country(rng, maker.hq) if maker.hq and rng.random() < 0.85 else "",
        "manufacturer_parent": parent.name if give_parent and parent else "",
        "manufacturer_parent_country": _country(rng, parent.hq)
        if give_parent and parent and parent.hq and rng.random() < 0.5
        else "",
        "made_in": _country(rng, _weighted(rng, MADE_IN_WEIGHTS)) if rng.random() < 0.3 else "",
        "date_code": date_code,
        "manufactured_on": manufactured_on,
        "quantity": str(rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 8])),
        "hs_code": rng.choice(HS_CODES) if rng.random() < 0.7 else "",
        "authenticity": rng.choice(["genuine", "unknown", "suspected counterfeit", ""]),
        "notes": 'marked "Made in", partly legible; see photo 3' if rng.random() < 0.05 else "",
    }
    identity = (
        specimen["label"].casefold(),
        function.casefold(),
        part_number.casefold(),
        marking.casefold(),
        maker.key,
        date_code.casefold(),
    )
    return row, identity, maker
