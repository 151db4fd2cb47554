from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from provenance.ingest.loader import load_files
from provenance.reports import foreign_parts as reports
from tests.helpers import count, row, write_csv


def test_load_and_report(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [row(), row(manufacturer="Analog Devices", manufacturer_country="USA", component="MCU")],
    )
    [summary] = load_files(engine, [path])
    assert summary.components_added == 2
    assert count(engine, "components") == 2
    with engine.connect() as conn:
        rep = reports.foreign_parts(conn, "kn-23")
    assert [(o.country_code, o.parts) for o in rep.weapons[0].origins] == [("GB", 1), ("US", 1)]
