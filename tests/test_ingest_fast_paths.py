"""The load's cheaper paths (issue 14) give the answers of the paths they replace: the header
test that stops early, and the claims chosen again only where a component's one citation does
not already match it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from provenance.claims import choose_for
from provenance.db import write_transaction
from provenance.ingest.fields import repeats_header
from provenance.ingest.loader import load_files
from provenance.ingest.readers import Record
from provenance.models import Component
from tests.helpers import dump, row, write_csv

COLUMNS = ("weapon_system", "specimen", "component", "manufacturer", "notes", "quantity")


def _record(*values: str) -> Record:
    return Record(2, dict(zip(COLUMNS, values, strict=True)))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (COLUMNS, True),
        ((" Weapon_System ", "SPECIMEN", "component", "", "", ""), True),
        # two of three filled values are their names: half the filled ones at least
        (("weapon_system", "specimen", "op amp", "", "  ", ""), True),
        # two names, as many other values: still half
        (("weapon_system", "specimen", "op amp", "TI", "", ""), True),
        # two names among five filled values: a row that happens to hold two names
        (("weapon_system", "specimen", "op amp", "TI", "x", ""), False),
        # one name is never a header
        (("weapon_system", "", "", "", "", ""), False),
        (("Shahed-136", "SPEC-1", "op amp", "TI", "notes", "quantity"), False),
        # the names come last: the test does not stop before them
        (("", "", "", "manufacturer", "notes", "quantity"), True),
        (("a", "b", "c", "manufacturer", "notes", "quantity"), True),
        (("a", "b", "c", "d", "notes", "quantity"), False),
        (("", "", "", "", "", ""), False),
    ],
)
def test_a_repeated_header_is_told_from_a_row(values: tuple[str, ...], expected: bool) -> None:
    assert repeats_header(_record(*values)) is expected


def _chosen_again_changes(engine: Engine) -> list[tuple[object, ...]]:
    """What choosing every component's claims again would change (nothing, if the load
    chose right): the components before and after, compared."""
    with write_transaction(engine) as conn:
        ids = sorted(conn.execute(select(Component.id)).scalars())
        before = sorted(conn.execute(select(Component.__table__)).all())
        choose_for(conn, ids)
        after = sorted(conn.execute(select(Component.__table__)).all())
        conn.rollback()
    return [tuple(a) for a, b in zip(after, before, strict=True) if a != b]


def _by(source: str, reliability: str = "", **more: str) -> dict[str, str]:
    given = {
        "component": "op amp",
        "part_number": "OPA1",
        "source_publisher": source,
        "source_title": f"{source} report",
        "source_reliability": reliability,
    }
    return row(**{**given, **more})


def test_claims_filled_by_a_later_load_are_chosen(engine: Engine, tmp_path: Path) -> None:
    """A component whose one citation a later load gives a statement (it had none) takes it,
    each statement on its own; one cited by a second, more reliable source takes that one's;
    the rest stay as chosen."""
    nothing = {"authenticity": "unknown", "made_in": "", "manufactured_on": ""}
    first = [
        _by("Portal", "medium", **nothing),
        _by("Portal", "medium", **{**nothing, "part_number": "OPA2", "made_in": "TW",
                                   "manufactured_on": "2023"}),
        _by("Portal", "medium", part_number="OPA3", authenticity="genuine", manufactured_on=""),
        _by("Portal", "medium", **{**nothing, "part_number": "OPA4"}),
        _by("Portal", "medium", **{**nothing, "part_number": "OPA5"}),
    ]  # fmt: skip
    load_files(engine, [write_csv(tmp_path / "a.csv", first)])
    assert _chosen_again_changes(engine) == []
    second = [
        # the same source now states, of each part, one thing it had not
        _by("Portal", "medium", **{**nothing, "made_in": "MY"}),
        _by("Portal", "medium", **{**nothing, "part_number": "OPA4", "manufactured_on": "2022-05"}),
        _by("Portal", "medium", **{**nothing, "part_number": "OPA5", "authenticity": "genuine"}),
        # a more reliable source says OPA2 was made elsewhere and later
        _by("Lab", "high", **{**nothing, "part_number": "OPA2", "made_in": "CN",
                              "manufactured_on": "2024-01"}),
    ]  # fmt: skip
    load_files(engine, [write_csv(tmp_path / "b.csv", second)])
    assert _chosen_again_changes(engine) == []
    with engine.connect() as conn:
        chosen = conn.execute(
            select(
                Component.part_number,
                Component.made_in_code,
                Component.manufactured_on,
                Component.manufactured_precision,
                Component.authenticity,
            ).order_by(Component.part_number)
        ).all()
    assert [(p, m, str(d), str(r), str(a)) for p, m, d, r, a in chosen] == [
        ("OPA1", "MY", "None", "None", "unknown"),
        ("OPA2", "CN", "2024-01-01", "month", "unknown"),
        ("OPA3", None, "None", "None", "genuine"),
        ("OPA4", None, "2022-05-01", "month", "unknown"),
        ("OPA5", None, "None", "None", "genuine"),
    ]
    before = dump(engine)
    load_files(engine, [write_csv(tmp_path / "b.csv", second)])  # again: changes nothing
    after = dump(engine)
    assert [after[t] for t in ("components", "citations")] == [
        before[t] for t in ("components", "citations")
    ]
