"""Properties of loading, with Hypothesis: generated findings files, good and bad values mixed.

1. Every generated file either loads, and then ``reports.foreign_parts`` counts exactly the
   distinct components generated (the expectation is computed here, from the values' meanings
   written out by hand, not with the loader's code), or fails with InvalidDataError and leaves
   the database unchanged. Which of the two is predicted too: a file loads exactly when all its
   values are good and its rows agree (issue 18).
2. A good file loaded into database A gives the same report as A's SQLite export and as the same
   file loaded into database B (the other backend when PostgreSQL is given, else another SQLite).

Each example gets a fresh database: a copy of the migrated SQLite template, or the session's
PostgreSQL database emptied with TRUNCATE. $PROVENANCE_HYPOTHESIS_EXAMPLES sets the number of
examples per test and backend (default 100).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from provenance.bi.export import export
from provenance.db import make_engine
from provenance.errors import InvalidDataError
from provenance.ingest.loader import load_files
from provenance.reports import foreign_parts as reports
from provenance.reports.core import Basis
from tests.conftest import PG_ENV, empty_postgres
from tests.helpers import dump, write_csv, write_json

EXAMPLES = int(os.environ.get("PROVENANCE_HYPOTHESIS_EXAMPLES", "100"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---------------------------------------------------------------------------------------------
# What may be written, and what it means: (as written, its meaning); a meaning of None is a bad
# value. Meanings are keys: what two spellings of one thing have in common.

#: specimen -> (its weapon system's key, the producer's country)
SPECIMENS = {"spec-a": ("kn-23", "KP"), "spec-b": ("kn-23", "KP"), "spec-c": ("shahed-136", "IR")}
SPECIMEN_LABELS = [("SPEC-A", "spec-a"), ("spec-a", "spec-a"), ("SPEC-B", "spec-b"),
                   ("SPEC-C", "spec-c"), ("SPEC\u200b-C", "spec-c")]  # fmt: skip
WEAPONS = {"kn-23": ["KN-23", "kn-23"], "shahed-136": ["Shahed-136", "SHAHED-136"]}
PRODUCERS = {
    "KP": [("DPRK", "KP"), ("North Korea", "KP"), ("\u5317\u671d\u9bae", "KP"), ("N. Korea", None)],
    "IR": [("Iran", "IR"), ("IRN", "IR"), ("Persia!", None)],
}
COMPONENTS = [("voltage converter", "voltage converter"),
              ("Voltage  Converter", "voltage converter"), ("relay", "relay"),
              ("GNSS module", "gnss module"), ("", None)]  # fmt: skip
PART_NUMBERS = [("", ""), ("LM317", "lm317"), ("\uff2c\uff2d\uff13\uff11\uff17", "lm317"),
                ("LM\u200b317", "lm317"), ("lm317", "lm317"), ("STM32F103", "stm32f103"),
                ("L\u041c317", None), ("STM32F1\u03bf3", None)]  # fmt: skip
MARKINGS = [("", ""), ("XP 2413", "xp 2413"), ("TI\u200b 8AD", "ti 8ad")]
#: manufacturer key -> its headquarters
HEADQUARTERS = {"xp power": "GB", "texas instruments": "US", "murata": "JP"}
MANUFACTURERS = [("XP Power", "xp power"), ("XP POWER LTD", "xp power"),
                 ("Texas Instruments", "texas instruments"),
                 ("Texas Instruments Inc.", "texas instruments"), ("Murata", "murata"),
                 ("\uff2d\uff35\uff32\uff21\uff34\uff21", "murata"),
                 # A look-alike letter of another alphabet in a name is read as its Latin twin
                 # (issue 18); a letter without a twin is an error.
                 ("\u0422exas Instruments", "texas instruments"), ("XP P\u03bfwer", "xp power"),
                 ("Mur\u0436ta", None)]  # fmt: skip
#: how a headquarters country may be written: "" (not given), a good spelling, or a bad one
HQ_SPELLINGS = {
    "GB": [("", ""), ("UK", "GB"), ("Gro\u00dfbritannien", "GB"), ("Untied Kingdom", None)],
    "US": [("", ""), ("United States", "US"), ("U.S.A.", "US"), ("Untied States", None)],
    "JP": [("", ""), ("Japan", "JP"), ("Nippon", None)],
}
MADE_IN = [("", ""), ("UK", "GB"), ("USA", "US"), ("Schweiz", "CH"), ("Japan", "JP"),
           ("DPRK", "KP"), ("Atlantis", None), ("Germny", None)]  # fmt: skip
DATE_CODES = [("", ""), ("2413", "2413"), ("GH229", "gh229"), ("2023-02", "2023-02"),
              ("2460", None), ("2313-13", None)]  # fmt: skip
#: date code key -> the manufacture date it gives when no manufacture date is written ("": none);
#: the dates as MANUFACTURED_ON's meanings name them ("m": February 2023)
CODE_DATES = {"": "", "2413": "2024-W13", "gh229": "", "2023-02": "m"}
MANUFACTURED_ON = [("", ""), ("2023", "y"), ("2023-02", "m"), ("2023-W13", "w"),
                   ("Feb 2023", "m"), ("2023-13", None), ("2023-02-30", None),
                   ("2023-W54", None), ("45000", None)]  # fmt: skip
QUANTITIES = [("", 1), ("1", 1), ("2", 2), ("7", 7), ("\uff13", 3), ("0", None), ("-1", None),
              ("1.5", None), ("x", None)]  # fmt: skip
URLS = [("", ""), ("https://example.org/report", "u"), ("example.org/report", None)]


@dataclass(frozen=True)
class Generated:
    row: dict[str, str]
    good: bool
    identity: tuple[str, ...]
    weapon: str
    producer: str
    manufacturer: str
    hq: str  # "" when the row gives none
    made_in: str
    quantity: int
    manufactured: str  # the manufacture date the row gives, directly or by its date code


@st.composite
def findings(draw: st.DrawFn, bad: bool | None = None, like: Generated | None = None) -> Generated:
    """A row, with bad values when ``bad`` is true (maybe when None); ``like``: the same
    component as that row's (its values may be spelt otherwise), the other values drawn anew."""
    if bad is None:
        bad = draw(st.booleans())
    same = dict(zip(IDENTITY, like.identity, strict=True)) if like and like.good else {}

    def pick(choices: list[tuple[str, Any]], field: str = "") -> tuple[str, Any]:
        if field in same:
            choices = [c for c in choices if c[1] == same[field]]
        elif not bad:
            choices = [c for c in choices if c[1] is not None]
        choice: tuple[str, Any] = draw(st.sampled_from(choices))
        return choice

    label, specimen = pick(SPECIMEN_LABELS, "specimen")
    weapon, producer = SPECIMENS[specimen]
    designation = draw(st.sampled_from(WEAPONS[weapon]))
    producer_text, producer_code = pick(PRODUCERS[producer])
    component, component_key = pick(COMPONENTS, "component")
    part, part_key = pick(PART_NUMBERS, "part_number")
    marking, marking_key = pick(MARKINGS, "marking")
    maker, maker_key = pick(MANUFACTURERS, "manufacturer")
    hq_text, hq = pick(HQ_SPELLINGS[HEADQUARTERS[maker_key]] if maker_key else [("", "")])
    made_text, made_in = pick(MADE_IN)
    code, code_key = pick(DATE_CODES, "date_code")
    made_on, made_ok = pick(MANUFACTURED_ON)
    quantity_text, quantity = pick(QUANTITIES)
    url, url_ok = pick(URLS)
    meanings = [producer_code, component_key, part_key, maker_key, hq, made_in, code_key]
    good = all(m is not None for m in [*meanings, made_ok, quantity, url_ok])
    row = {
        "weapon_system": designation,
        "weapon_producer_country": producer_text,
        "specimen": label,
        "component": component,
        "part_number": part,
        "marking": marking,
        "manufacturer": maker,
        "manufacturer_country": hq_text,
        "made_in": made_text,
        "date_code": code,
        "manufactured_on": made_on,
        "quantity": quantity_text,
        "source_publisher": "Test Publisher",
        "source_title": "Test report",
        "source_url": url,
    }
    identity = (specimen, component_key, part_key, marking_key, maker_key, code_key)
    return Generated(
        row,
        good,
        identity,
        weapon,
        producer,
        maker_key or "",
        hq or "",
        made_in or "",
        quantity or 0,
        (made_ok or CODE_DATES.get(code_key or "", "")) if made_ok is not None else "",
    )


IDENTITY = ("specimen", "component", "part_number", "marking", "manufacturer", "date_code")


@st.composite
def files(draw: st.DrawFn, bad: bool | None = None) -> list[Generated]:
    """The rows of a file: some rows, and more rows for the same components, shuffled."""
    rows = draw(st.lists(findings(bad), min_size=1, max_size=8))
    for index in draw(st.lists(st.integers(0, len(rows) - 1), max_size=6)):
        rows.append(draw(findings(bad, like=rows[index])))
    return list(draw(st.permutations(rows)))


FORMATS = st.sampled_from(["csv", "json", "jsonl"])


def write(folder: Path, fmt: str, rows: list[dict[str, str]]) -> Path:
    if fmt == "csv":
        return write_csv(folder / "findings.csv", rows, columns=list(rows[0]))
    return write_json(folder / f"findings.{fmt}", rows, lines=fmt == "jsonl")


# ---------------------------------------------------------------------------------------------
# The reports: expected, and as the database has them

Summary = dict[str, tuple[str | None, int, int, int, int, list[tuple[str | None, int]]]]


def agrees(generated: list[Generated]) -> bool:
    """Whether the rows of a file agree (issue 18: nothing is chosen by the order of the rows):
    on each manufacturer's headquarters, and, for the rows that file one component, on its
    quantity, country of manufacture, reported country and manufacture date (a value that one
    row leaves blank and another gives is not a disagreement; a quantity is never blank)."""
    headquarters: dict[str, set[str]] = {}
    values: dict[tuple[str, ...], list[set[Any]]] = {}
    for g in generated:
        if g.hq:
            headquarters.setdefault(g.manufacturer, set()).add(g.hq)
        sets = values.setdefault(g.identity, [set(), set(), set(), set()])
        for seen, value in zip(sets, (g.quantity, g.made_in, g.hq, g.manufactured), strict=True):
            if value:
                seen.add(value)
    return all(len(h) < 2 for h in headquarters.values()) and all(
        len(seen) < 2 for sets in values.values() for seen in sets
    )


def expected_report(generated: list[Generated], basis: Basis) -> Summary:
    """weapon key -> (producer, parts, foreign, domestic, unknown, parts by origin), for rows
    that agree (:func:`agrees`): a component's values are those any of its rows gives."""
    merged: dict[tuple[str, ...], Generated] = {}
    for g in generated:
        known = merged.get(g.identity)
        if known is None or (not known.made_in and g.made_in):
            merged[g.identity] = g
    hq: dict[str, str] = {}
    for g in generated:
        if g.hq:
            hq.setdefault(g.manufacturer, g.hq)
    by_origin: dict[str, dict[str | None, int]] = {}
    producers: dict[str, str] = {}
    for g in merged.values():
        origin = hq.get(g.manufacturer) if basis is Basis.MANUFACTURER else g.made_in
        cells = by_origin.setdefault(g.weapon, {})
        cells[origin or None] = cells.get(origin or None, 0) + g.quantity
        producers[g.weapon] = g.producer
    out: Summary = {}
    for weapon, cells in by_origin.items():
        producer = producers[weapon]
        parts = sum(cells.values())
        unknown = cells.get(None, 0)
        domestic = cells.get(producer, 0)
        origins = sorted(cells.items(), key=repr)
        out[weapon] = (producer, parts, parts - domestic - unknown, domestic, unknown, origins)
    return out


def stored_report(engine: Engine, basis: Basis) -> Summary:
    with engine.connect() as conn:
        report = reports.foreign_parts(conn, basis=basis)
    return {
        w.designation.casefold(): (
            w.producer_code,
            w.parts,
            w.foreign_parts,
            w.domestic_parts,
            w.unknown_origin_parts,
            sorted(((o.country_code, o.parts) for o in w.origins), key=repr),
        )
        for w in report.weapons
    }


def both_reports(engine: Engine) -> tuple[Summary, Summary]:
    return stored_report(engine, Basis.MANUFACTURER), stored_report(engine, Basis.MADE_IN)


# ---------------------------------------------------------------------------------------------
# Fresh databases, cheaply


class Databases:
    """Fresh databases on one backend: copies of the SQLite template, or the PostgreSQL one
    emptied."""

    def __init__(self, backend: str, template: Path, folder: Path, pg_url: str | None) -> None:
        self.backend = backend
        self.template = template
        self.folder = folder
        self.pg_url = pg_url
        self.count = 0
        self._pg_engine: Engine | None = None
        self.empty_dump: dict[str, list[tuple[Any, ...]]] | None = None

    @contextmanager
    def fresh(self, backend: str | None = None) -> Iterator[Engine]:
        backend = backend or self.backend
        if backend == "postgresql":
            assert self.pg_url is not None
            empty_postgres(self.pg_url)
            if self._pg_engine is None:
                self._pg_engine = make_engine(self.pg_url)
            yield self._pg_engine
            return
        self.count += 1
        path = self.folder / f"db-{self.count}.db"
        shutil.copy(self.template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            yield engine
        finally:
            engine.dispose()
            path.unlink()

    def close(self) -> None:
        if self._pg_engine is not None:
            self._pg_engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Databases]:
    pg_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    if pg_url is None and os.environ.get(PG_ENV):
        pg_url = request.getfixturevalue("postgres_url")  # for the second backend
    dbs = Databases(request.param, sqlite_template, tmp_path, pg_url)
    yield dbs
    dbs.close()


# ---------------------------------------------------------------------------------------------
# The properties


@SETTINGS
@given(
    generated=st.one_of(files(bad=False), files()),
    fmt=FORMATS,
)
def test_a_file_loads_and_counts_right_or_fails_cleanly(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, generated: list[Generated],
    fmt: str,
) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("findings")
    path = write(folder, fmt, [g.row for g in generated])
    good = all(g.good for g in generated) and agrees(generated)
    with databases.fresh() as engine:
        before = dump(engine)
        try:
            load_files(engine, [path])
        except InvalidDataError as exc:
            assert dump(engine) == before
            assert not good, f"a good file was rejected: {exc}"
            assert exc.errors and all(e.file == str(path) and e.row >= 1 for e in exc.errors)
            event("rejected")
        else:
            assert good, "a file with a bad value, or rows that disagree, loaded"
            event(f"loaded, {len({g.identity for g in generated})} distinct of {len(generated)}")
            by_maker, by_made_in = both_reports(engine)
            assert by_maker == expected_report(generated, Basis.MANUFACTURER)
            assert by_made_in == expected_report(generated, Basis.MADE_IN)


@SETTINGS
@given(generated=files(bad=False).filter(agrees))
def test_export_and_other_backend_give_the_same_report(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, generated: list[Generated]
) -> None:
    folder = tmp_path_factory.mktemp("findings")
    path = write(folder, "csv", [g.row for g in generated])
    other = "sqlite" if databases.pg_url is None or databases.backend == "postgresql" else (
        "postgresql"
    )  # fmt: skip
    with databases.fresh() as a:
        load_files(a, [path])
        reports_a = both_reports(a)
        exported = folder / "export.db"
        export(a, exported, "sqlite")
    copy = make_engine(f"sqlite:///{exported}")
    try:
        assert both_reports(copy) == reports_a
    finally:
        copy.dispose()
    with databases.fresh(other) as b:
        load_files(b, [path])
        assert both_reports(b) == reports_a
    assert reports_a[0] == expected_report(generated, Basis.MANUFACTURER)
