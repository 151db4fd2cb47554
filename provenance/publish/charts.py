"""Charts of the reports, for publication: PNG or SVG (by the file's suffix), titled, labelled,
with the sources behind the numbers in the caption.

matplotlib runs headless (the Agg backend, set before anything draws); every chart is drawn on
its own ``Figure`` object, so nothing global is kept between charts.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: before any figure is made

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter, YearLocator, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from provenance.errors import ChartError
from provenance.reference import chpl
from provenance.reports.chpl import HS_TOO_SHORT, NO_HS, NOT_LISTED, ChplReport
from provenance.reports.core import UNKNOWN_ORIGIN, ReferenceRow, Scope
from provenance.reports.countries import CountriesReport
from provenance.reports.foreign_parts import ForeignPartsReport
from provenance.reports.manufacturers import ManufacturersReport
from provenance.reports.sources import SourcesReport
from provenance.reports.timeline import Period, TimelineReport

CHART_SUFFIXES = (".png", ".svg")
_WIDTH = 10.0  # inches
_DPI = 150
_MAX_SERIES = 9  # origin countries shown by name; the rest are "other countries"
_UNKNOWN_COLOUR = "#b0b0b0"
_OTHER_COLOUR = "#d9d9d9"
_NOT_LISTED_COLOUR = "#9ecae1"
_CONTROLS_COLOUR = "#c00000"

Report = (
    ForeignPartsReport
    | CountriesReport
    | ManufacturersReport
    | ChplReport
    | TimelineReport
    | SourcesReport
)


def chart_format(path: Path) -> str:
    """``png`` or ``svg``, from the file name."""
    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise ChartError(
            f"cannot draw a chart as {path.name!r}: the file name must end in .png or .svg"
        )
    return suffix[1:]


def caption(sources: SourcesReport | None, references: Sequence[ReferenceRow] = ()) -> str:
    """The caption: the scope, and the sources (publisher: title, date) behind the numbers."""
    parts: list[str] = []
    refs = list(references)
    if sources is not None:
        parts.append(f"Counts are parts ({sources.scope.summary()}).")
        cited = [
            f"{s.publisher}: {s.title}" + (f" ({s.published})" if s.published else "")
            for s in sources.sources
        ]
        parts.append("Sources: " + ("; ".join(cited) if cited else "none") + ".")
        refs += sources.references
    if refs:
        citations = dict.fromkeys(r.citation for r in refs)
        parts.append("Reference data: " + "; ".join(citations) + ".")
    return "\n".join(textwrap.fill(p, width=150) for p in parts)


def _title(scope: Scope, what: str) -> str:
    return f"{scope.weapon}: {what}" if scope.weapon else what[:1].upper() + what[1:]


def _figure(rows: int, title: str) -> tuple[Figure, Axes]:
    height = min(2.0 + 0.45 * max(rows, 1), 14.0)
    fig = Figure(figsize=(_WIDTH, height), dpi=_DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=12, loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "No parts to show for these filters", ha="center", va="center")
    ax.set_axis_off()


def _colours(n: int) -> list[Any]:
    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _stacked(ax: Axes, labels: list[str], series: list[tuple[str, list[int], Any]]) -> None:
    """Horizontal stacked bars, one per label, with counts in segments wide enough to hold them."""
    left = [0] * len(labels)
    y = list(range(len(labels)))
    biggest = max((sum(s[1][i] for s in series) for i in range(len(labels))), default=0) or 1
    for name, values, colour in series:
        bars = ax.barh(
            y, values, left=left, color=colour, label=name, edgecolor="white", height=0.6
        )
        for bar, v in zip(bars, values, strict=True):
            if v and v / biggest > 0.04:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    str(v),
                    ha="center",
                    va="center",
                    fontsize=7,
                )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("parts")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def countries_figure(
    report: CountriesReport, sources: SourcesReport | None = None
) -> tuple[Figure, str]:
    """Stacked bars: the parts of each weapon system by origin country (or group)."""
    labels = [w.designation for w in report.weapons]
    fig, ax = _figure(len(labels), _title(report.scope, "origin countries of parts"))
    text = caption(sources, report.references)
    if not labels:
        _no_data(ax)
        return fig, text
    named = [r for r in report.rows if r.key is not None]
    shown, rest = named[:_MAX_SERIES], named[_MAX_SERIES:]
    series: list[tuple[str, list[int], Any]] = [
        (r.label, [r.parts_by_weapon.get(w, 0) for w in labels], colour)
        for r, colour in zip(shown, _colours(len(shown)), strict=True)
    ]
    if rest:
        other = [sum(r.parts_by_weapon.get(w, 0) for r in rest) for w in labels]
        series.append((f"{len(rest)} other countries", other, _OTHER_COLOUR))
    for r in report.rows:
        if r.key is None:
            unknown = [r.parts_by_weapon.get(w, 0) for w in labels]
            series.append((UNKNOWN_ORIGIN, unknown, _UNKNOWN_COLOUR))
    _stacked(ax, labels, series)
    ax.set_xlabel(f"parts; {report.scope.basis.description}")
    return fig, text


def foreign_parts_figure(
    report: ForeignPartsReport, sources: SourcesReport | None = None
) -> tuple[Figure, str]:
    """Stacked bars: the parts of each weapon system by origin country, largest origins first."""
    labels = [w.designation for w in report.weapons]
    what = "origin countries of parts"
    title = f"{labels[0]}: {what}" if report.weapon and labels else what[:1].upper() + what[1:]
    fig, ax = _figure(len(labels), title)
    text = caption(sources)
    if not labels:
        _no_data(ax)
        return fig, text
    # Origin country -> (name, parts per weapon system), the unknown origin apart.
    totals: dict[str | None, tuple[str, list[int]]] = {}
    for i, w in enumerate(report.weapons):
        for o in w.origins:
            _name, parts = totals.setdefault(o.country_code, (o.country, [0] * len(labels)))
            parts[i] += o.parts
    unknown = totals.pop(None, None)
    named = sorted(totals.values(), key=lambda np: (-sum(np[1]), np[0]))
    shown, rest = named[:_MAX_SERIES], named[_MAX_SERIES:]
    series: list[tuple[str, list[int], Any]] = [
        (name, parts, colour)
        for (name, parts), colour in zip(shown, _colours(len(shown)), strict=True)
    ]
    if rest:
        other = [sum(parts[i] for _name, parts in rest) for i in range(len(labels))]
        series.append((f"{len(rest)} other countries", other, _OTHER_COLOUR))
    if unknown is not None:
        series.append((UNKNOWN_ORIGIN, unknown[1], _UNKNOWN_COLOUR))
    _stacked(ax, labels, series)
    ax.set_xlabel(f"parts; {report.basis.description}")
    return fig, text


def manufacturers_figure(
    report: ManufacturersReport, sources: SourcesReport | None = None
) -> tuple[Figure, str]:
    """Horizontal bars: the top manufacturers by parts, overall."""
    rows = report.overall.rows
    fig, ax = _figure(len(rows), _title(report.scope, f"top {report.top} manufacturers by parts"))
    text = caption(sources, report.references)
    if not rows:
        _no_data(ax)
        return fig, text
    bars = ax.barh(range(len(rows)), [r.parts for r in rows], color=_colours(1)[0], height=0.6)
    ax.bar_label(bars, fontsize=7, padding=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks(range(len(rows)), [f"{r.name} ({r.country})" for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("parts (manufacturer and its headquarters country)")
    return fig, text


def chpl_figure(report: ChplReport, sources: SourcesReport | None = None) -> tuple[Figure, str]:
    """Stacked bars: the parts of each weapon system by CHPL tier, not listed, no HS code."""
    labels = [w.designation for w in report.weapons]
    title = f"parts by tier of the Common High Priority List ({report.version.version})"
    fig, ax = _figure(len(labels), _title(report.scope, title))
    text = caption(sources, report.references)
    if not labels:
        _no_data(ax)
        return fig, text
    other = (NOT_LISTED, HS_TOO_SHORT, NO_HS)
    tiers = [c for c in report.categories if c not in other]
    reds = colormaps["OrRd"]
    series: list[tuple[str, list[int], Any]] = [
        (
            chpl.tier_label(tier),
            [w.by_category.get(tier, 0) for w in report.weapons],
            reds(0.9 - 0.6 * i / max(len(tiers) - 1, 1)),
        )
        for i, tier in enumerate(tiers)
    ]
    for category, colour in zip(
        other, (_NOT_LISTED_COLOUR, _OTHER_COLOUR, _UNKNOWN_COLOUR), strict=True
    ):
        series.append((category, [w.by_category.get(category, 0) for w in report.weapons], colour))
    _stacked(ax, labels, [s for s in series if any(s[1])])
    return fig, text


def _day_number(day: dt.date) -> float:
    """The position of a day on a matplotlib date axis."""
    return float(date2num(day))  # type: ignore[no-untyped-call]


def timeline_figure(
    report: TimelineReport, sources: SourcesReport | None = None
) -> tuple[Figure, str]:
    """Bars of parts by manufacture year (or month), stacked by weapon system, with the day the
    export controls took effect marked."""
    monthly = report.period is Period.MONTH
    fig, ax = _figure(8, _title(report.scope, f"parts by manufacture {report.period.value}"))
    text = caption(sources, report.references)
    dated = [
        b for b in report.buckets if b.year is not None and (b.month is not None or not monthly)
    ]
    left_out = sum(b.total for b in report.buckets) - sum(b.total for b in dated)
    if left_out:
        what = "without a manufacture date" + (" or dated only to the year" if monthly else "")
        text = f"Not shown: {left_out} parts {what}.\n{text}"
    if not dated:
        _no_data(ax)
        return fig, text
    # Each bar stands in the middle of its period.
    xs = [
        _day_number(
            dt.date(b.year or 1, b.month or 1, 15) if monthly else dt.date(b.year or 1, 7, 2)
        )
        for b in dated
    ]
    bottom = [0] * len(dated)
    for colour, weapon in zip(_colours(len(report.weapons)), report.weapons, strict=True):
        values = [b.parts_by_weapon.get(weapon, 0) for b in dated]
        if not any(values):  # nothing to draw (e.g. dated only to the year, by month)
            continue
        ax.bar(
            xs,
            values,
            width=25 if monthly else 300,
            bottom=bottom,
            color=colour,
            label=weapon,
            edgecolor="white",
        )
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    for day in report.controls_dates:
        x = _day_number(day)
        ax.axvline(x, color=_CONTROLS_COLOUR, linestyle="--", linewidth=1.2)
        ax.annotate(
            f"export controls take effect\n{day.isoformat()} ({report.controls_group.code})",
            xy=(x, max(bottom)),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=7,
            color=_CONTROLS_COLOUR,
            va="top",
        )
    years = [b.year for b in dated if b.year is not None]
    years += [d.year for d in report.controls_dates]
    ax.set_xlim(_day_number(dt.date(min(years), 1, 1)), _day_number(dt.date(max(years), 12, 31)))
    ax.xaxis_date()
    if monthly:
        ax.xaxis.set_major_locator(AutoDateLocator(maxticks=14))  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))  # type: ignore[no-untyped-call]
    else:
        ax.xaxis.set_major_locator(YearLocator())  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(DateFormatter("%Y"))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("parts")
    ax.set_xlabel(f"manufacture {report.period.value}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig, text


def sources_figure(
    report: SourcesReport, sources: SourcesReport | None = None
) -> tuple[Figure, str]:
    """Horizontal bars: the parts each source reports."""
    rows = report.sources
    fig, ax = _figure(len(rows), _title(report.scope, "parts reported per source"))
    text = caption(sources or report, report.references)
    if not rows:
        _no_data(ax)
        return fig, text
    labels = [textwrap.shorten(f"{s.publisher}: {s.title}", 70) for s in rows]
    bars = ax.barh(range(len(rows)), [s.parts for s in rows], color=_colours(2)[1], height=0.6)
    ax.bar_label(bars, fontsize=7, padding=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("parts (a part reported by several sources counts for each)")
    return fig, text


def figure_of(report: Report, sources: SourcesReport | None = None) -> tuple[Figure, str]:
    """The chart of any report, and its caption."""
    if isinstance(report, ForeignPartsReport):
        return foreign_parts_figure(report, sources)
    if isinstance(report, CountriesReport):
        return countries_figure(report, sources)
    if isinstance(report, ManufacturersReport):
        return manufacturers_figure(report, sources)
    if isinstance(report, ChplReport):
        return chpl_figure(report, sources)
    if isinstance(report, TimelineReport):
        return timeline_figure(report, sources)
    return sources_figure(report, sources)


def chart_bytes(report: Report, fmt: str, sources: SourcesReport | None = None) -> bytes:
    """The chart as PNG or SVG bytes, the caption below it."""
    if fmt not in ("png", "svg"):
        raise ChartError(f"unknown chart format {fmt!r}: png or svg")
    fig, text = figure_of(report, sources)
    if text:
        fig.text(0.01, 0.0, text, ha="left", va="top", fontsize=7, color="#333333")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "provenance", "svg.fonttype": "path"}):
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(
            buffer, format=fmt, dpi=_DPI, metadata=metadata, bbox_inches="tight", pad_inches=0.2
        )
    return buffer.getvalue()


def draw(report: Report, path: Path, sources: SourcesReport | None = None) -> Path:
    """Write the chart of ``report`` to ``path`` (.png or .svg)."""
    data = chart_bytes(report, chart_format(path), sources)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ChartError(f"cannot write the chart to {path}: {exc.strerror or exc}") from None
    return path
