"""Charts: every report draws a valid PNG and SVG of sensible size, with sources in the caption."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from provenance.errors import ChartError
from provenance.publish import charts
from provenance.reports.chpl import ChplReport, chpl_report
from provenance.reports.core import Filters
from provenance.reports.countries import CountriesReport, countries
from provenance.reports.manufacturers import ManufacturersReport, manufacturers
from provenance.reports.sources import SourcesReport, sources
from provenance.reports.timeline import Period, TimelineReport, timeline
from tests.analysis_data import ensure_reference_lists, load_sample

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_BYTES, MAX_BYTES = 5_000, 2_000_000

# The charted reports that cite references (all of charts.Report but foreign parts).
AnalysisReport = CountriesReport | ManufacturersReport | ChplReport | TimelineReport | SourcesReport

REPORTS: dict[str, Callable[[Connection, Filters], AnalysisReport]] = {
    "countries": lambda c, f: countries(c, f),
    "groups": lambda c, f: countries(c, f, group="coalition"),
    "manufacturers": lambda c, f: manufacturers(c, f, top=5),
    "chpl": lambda c, f: chpl_report(c, f),
    "timeline": lambda c, f: timeline(c, f),
    "timeline-month": lambda c, f: timeline(c, f, period=Period.MONTH),
    "sources": lambda c, f: sources(c, f),
}


def _check(path: Path) -> bytes:
    data = path.read_bytes()
    assert MIN_BYTES < len(data) < MAX_BYTES, (path.name, len(data))
    if path.suffix == ".png":
        assert data.startswith(PNG_MAGIC)
    else:
        root = ET.fromstring(data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return data


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_draws_png_and_svg(engine: Engine, tmp_path: Path, name: str) -> None:
    load_sample(engine, tmp_path)
    with engine.connect() as conn:
        filters = Filters()
        report = REPORTS[name](conn, filters)
        src = sources(conn, filters, report.references)
    for suffix in (".png", ".svg"):
        path = charts.draw(report, tmp_path / f"{name}{suffix}", src)
        _check(path)
    text = charts.caption(src, report.references)
    assert "Conflict Armament Research: Kharkiv missile (2024-02)" in text
    assert "Test NGO: Shahed parts" in text


def test_svg_is_reproducible(engine: Engine, tmp_path: Path) -> None:
    load_sample(engine, tmp_path)
    with engine.connect() as conn:
        report = timeline(conn, Filters(weapon="KN-23"))
    first = charts.chart_bytes(report, "svg")
    assert first == charts.chart_bytes(report, "svg")


def test_chart_of_nothing(engine: Engine, tmp_path: Path) -> None:
    ensure_reference_lists(engine)
    with engine.connect() as conn:
        for name, make in REPORTS.items():
            _check(charts.draw(make(conn, Filters()), tmp_path / f"empty-{name}.png"))


def test_chart_file_name_must_say_png_or_svg(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match=r"must end in \.png or \.svg"):
        charts.chart_format(tmp_path / "chart.jpg")
    assert charts.chart_format(tmp_path / "CHART.SVG") == "svg"
