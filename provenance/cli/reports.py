"""``provenance report``: every report command (foreign-parts, components, countries,
manufacturers, chpl, timeline, sources, dossier).

Each command opens the database, calls one report function of :mod:`provenance.reports`, turns
what it returns into a document (:mod:`provenance.publish.report_documents`) and writes it in
the format asked for; the dossier is written by :mod:`provenance.publish.dossier`.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy import Connection

from provenance.cli.common import (
    DEFAULT_TEXT_WIDTH,
    basis_option,
    connect,
    db_option,
    filter_options,
    format_option,
    library_errors,
    open_store,
    output_option,
    roll_up_option,
    store_option,
    text_width,
    weapon_option,
    width_options,
)
from provenance.publish import documents, report_documents
from provenance.reference import groups
from provenance.reports.chpl import ChplReport, chpl_report
from provenance.reports.components import components
from provenance.reports.core import Basis, Filters, RollUp, weapon_names
from provenance.reports.countries import CountriesReport, countries
from provenance.reports.foreign_parts import foreign_parts
from provenance.reports.manufacturers import ManufacturersReport, manufacturers
from provenance.reports.sources import SourcesReport, reference_data, sources
from provenance.reports.timeline import Period, TimelineReport, timeline

if TYPE_CHECKING:
    from provenance.publish import charts

F = TypeVar("F", bound=Callable[..., Any])

#: What a chart file may be (``charts.CHART_SUFFIXES``: matplotlib is imported only to draw).
CHART_SUFFIXES = (".png", ".svg")


@click.group("report")
def report_group() -> None:
    """Reports over the findings.

    \b
    Examples:
      provenance report foreign-parts --weapon KN-23
      provenance report components --weapon KN-23 --format csv
    """


# Options of several report commands ------------------------------------------------------------


def _chart_path(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in CHART_SUFFIXES:
        raise click.BadParameter(f"{value.name!r}: the chart file name must end in .png or .svg")
    return value


def _group_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date as YYYY-MM-DD") from None


_document_format = format_option(
    documents.FORMATS,
    help="Output format (xlsx: a workbook, written to --output or a redirected stdout).",
)

_chart = click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    callback=_chart_path,
    metavar="FILE.png|FILE.svg",
    help="Also draw the report's chart (PNG or SVG, by the file name).",
)


def _tops(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        tops = [int(v) for v in value.split(",")]
    except ValueError:
        tops = []
    if not 1 <= len(tops) <= 2 or min(tops) < 1:
        raise click.BadParameter(f"{value!r}: expected N or N,M (whole numbers, 1 or more)")
    return tops[0], tops[-1]


_top = click.option(
    "--top",
    "tops",
    default="10",
    show_default=True,
    metavar="N[,M]",
    callback=_tops,
    help="How many manufacturers to list (the others are summed in one row): N overall, M in "
    "each weapon system's table (default: N).",
)

_per_weapon = click.option(
    "--per-weapon",
    is_flag=True,
    help="Also one table per weapon system (shown anyway when --weapon is given several times).",
)

_chpl_version = click.option(
    "--chpl-version",
    metavar="VERSION",
    help="The list version to use (default: the newest; see `provenance reference show`).",
)


def _period(help: str) -> Callable[[F], F]:
    return click.option(
        "--by",
        "period",
        type=click.Choice([p.value for p in Period]),
        default=Period.YEAR.value,
        show_default=True,
        help=help,
    )


def report_options(func: F) -> F:
    """The options the researcher's reports share: what to count, how to write it, a chart."""
    options: list[Callable[[Any], Any]] = [
        db_option,
        weapon_option(),
        basis_option,
        filter_options,
        _document_format,
        output_option(),
        width_options,
        _chart,
        click.option(
            "--with-sources",
            is_flag=True,
            help="Append the sources behind the numbers (and the reference data used).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(options: dict[str, Any]) -> Filters:
    return Filters.parse(
        weapon=options["weapon"],
        basis=options["basis"],
        since=options["since"],
        until=options["until"],
        date_field=options["date_field"],
    )


# Writing ---------------------------------------------------------------------------------------


def _emit(
    doc: documents.Document,
    fmt: str,
    output: Path | None,
    max_columns: int | None = None,
    wide: bool = False,
) -> None:
    """Write the document (tables fitted to the terminal, or to --max-columns; a file is
    written as if to a pipe)."""
    width = max_columns or (DEFAULT_TEXT_WIDTH if output is not None else text_width(None))
    data = documents.render(doc, fmt, width=width, wide=wide)
    if output is not None:
        try:
            if isinstance(data, bytes):
                output.write_bytes(data)
            else:
                output.write_text(data, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(f"wrote {output}", err=True)
    elif isinstance(data, bytes):
        if sys.stdout.isatty():
            raise click.ClickException(
                "xlsx is a binary format: give --output FILE.xlsx (or redirect the output)"
            )
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data, nl=False)


def _draw(report: charts.Report, path: Path, src: SourcesReport | None) -> None:
    from provenance.publish import charts  # matplotlib and numpy: only to draw

    click.echo(f"wrote {charts.draw(report, path, src)}", err=True)


def _finish(
    conn: Connection,
    report: CountriesReport | ManufacturersReport | ChplReport | TimelineReport | SourcesReport,
    make_doc: Callable[[SourcesReport | None], documents.Document],
    filters: Filters,
    options: dict[str, Any],
) -> None:
    """Sources (for --with-sources and the chart's caption), the chart, then the document."""
    src = None
    if options["with_sources"] or options["chart"] is not None:
        src = sources(conn, filters, report.references)
    if options["chart"] is not None:
        _draw(report, options["chart"], src)
    _emit(
        make_doc(src if options["with_sources"] else None),
        options["fmt"],
        options["output"],
        options["max_columns"],
        options["wide"],
    )


# The foreign-origin report and the component listing -------------------------------------------


@report_group.command("foreign-parts")
@db_option
@weapon_option()
@basis_option
@roll_up_option
@_document_format
@output_option()
@width_options
@_chart
@click.option(
    "--exclude-counterfeit",
    is_flag=True,
    help="Leave out the parts whose authenticity, as the reports take it, is counterfeit.",
)
@library_errors
def report_foreign_parts(
    db_url: str | None,
    weapon: tuple[str, ...],
    basis: str,
    roll_up: str,
    exclude_counterfeit: bool,
    fmt: str,
    output: Path | None,
    max_columns: int | None,
    wide: bool,
    chart: Path | None,
) -> None:
    """Foreign-origin parts per weapon system, by origin country.

    A part is foreign when its origin country differs from the weapon system's producer country.

    \b
    Examples:
      provenance report foreign-parts --weapon KN-23
      provenance report foreign-parts --basis made-in --format markdown
      provenance report foreign-parts --roll-up parent
      provenance report foreign-parts --format xlsx --output foreign-parts.xlsx
      provenance report foreign-parts --weapon KN-23 --chart kn23-origins.svg
      provenance report foreign-parts --weapon KN-23 --weapon KN-24
      provenance report foreign-parts --weapon KN-23 --exclude-counterfeit
    """
    with connect(db_url) as conn:
        result = foreign_parts(conn, weapon, Basis(basis), RollUp(roll_up), exclude_counterfeit)
        if chart is not None:
            _draw(result, chart, sources(conn, Filters.parse(weapon=weapon, basis=basis)))
    _emit(report_documents.foreign_parts_document(result), fmt, output, max_columns, wide)


@report_group.command("components")
@db_option
@weapon_option()
@roll_up_option
@_document_format
@output_option()
@width_options
@library_errors
def report_components(
    db_url: str | None,
    weapon: tuple[str, ...],
    roll_up: str,
    fmt: str,
    output: Path | None,
    max_columns: int | None,
    wide: bool,
) -> None:
    """List components with manufacturer, countries, manufacture date, authenticity and sources.

    \b
    Examples:
      provenance report components --weapon KN-23 --format csv > kn23.csv
      provenance report components --roll-up parent
      provenance report components --format xlsx --output components.xlsx
    """
    with connect(db_url) as conn:
        rows = components(conn, weapon, RollUp(roll_up))
    _emit(report_documents.components_document(rows), fmt, output, max_columns, wide)


# The researcher's reports ----------------------------------------------------------------------


@report_group.command("countries")
@report_options
@click.option(
    "--group",
    metavar="CODE",
    help="Put the origin countries into members of this country group (e.g. coalition, eu, "
    "g7), other countries and unknown origin.",
)
@click.option(
    "--group-on",
    metavar="YYYY-MM-DD",
    callback=_group_date,
    help="The day the group's membership is taken on (default: today).",
)
@library_errors
def report_countries(db_url: str | None, group: str | None, group_on: Any, **options: Any) -> None:
    """Weapon systems × origin countries: parts and shares, with a total row.

    \b
    Examples:
      provenance report countries
      provenance report countries --weapon KN-23 --basis made-in --format markdown
      provenance report countries --group coalition --since 2022-02-24 --chart kn23.svg
    """
    filters = _filters(options)
    with connect(db_url) as conn:
        report = countries(conn, filters, group=group, group_on=group_on)
        _finish(
            conn,
            report,
            lambda s: report_documents.countries_document(report, s),
            filters,
            options,
        )


@report_group.command("manufacturers")
@report_options
@_top
@_per_weapon
@roll_up_option
@library_errors
def report_manufacturers(
    db_url: str | None, tops: tuple[int, int], per_weapon: bool, roll_up: str, **options: Any
) -> None:
    """Top manufacturers overall and per weapon system: country, parent, parts, components,
    weapon systems, first and last manufacture date seen.

    The terminal shows the ranked table of all the weapon systems asked for, and one table per
    weapon system with --per-weapon (or several --weapon); JSON and xlsx hold them all.

    \b
    Examples:
      provenance report manufacturers --weapon KN-23 --top 20
      provenance report manufacturers --weapon KN-23 --weapon KN-24 --top 10,5
      provenance report manufacturers --per-weapon --top 20,5
      provenance report manufacturers --roll-up --format xlsx --output makers.xlsx
    """
    filters = _filters(options)
    top, top_per_weapon = tops
    with connect(db_url) as conn:
        report = manufacturers(
            conn, filters, top=top, roll_up=RollUp(roll_up), top_per_weapon=top_per_weapon
        )
        _finish(
            conn,
            report,
            lambda s: report_documents.manufacturers_document(report, s, per_weapon),
            filters,
            options,
        )


@report_group.command("chpl")
@report_options
@_chpl_version
@library_errors
def report_chpl(db_url: str | None, chpl_version: str | None, **options: Any) -> None:
    """Parts per tier of the Common High Priority List, per weapon system, and the share of
    foreign parts on the list. Parts without an HS code are counted apart, never dropped.

    \b
    Examples:
      provenance report chpl --weapon KN-23
      provenance report chpl --chpl-version 2024-02-23 --with-sources --format markdown
    """
    filters = _filters(options)
    with connect(db_url) as conn:
        report = chpl_report(conn, filters, version=chpl_version)
        _finish(conn, report, lambda s: report_documents.chpl_document(report, s), filters, options)


@report_group.command("timeline")
@report_options
@_period("Count parts by manufacture year or month.")
@click.option(
    "--controls-group",
    default=groups.CONTROLS_GROUP,
    show_default=True,
    metavar="CODE",
    help="The country group whose controls dates say when a country's export controls began.",
)
@library_errors
def report_timeline(db_url: str | None, period: str, controls_group: str, **options: Any) -> None:
    """Parts by manufacture year (or month) per weapon system; how many were made after the
    export controls of their origin country took effect; days from manufacture to recovery.

    \b
    Examples:
      provenance report timeline --weapon KN-23
      provenance report timeline --by month --since 2021 --chart timeline.png
    """
    filters = _filters(options)
    with connect(db_url) as conn:
        report = timeline(conn, filters, period=Period(period), controls_group=controls_group)
        _finish(
            conn,
            report,
            lambda s: report_documents.timeline_document(report, s),
            filters,
            options,
        )


@report_group.command("sources")
@report_options
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=25,
    show_default=True,
    metavar="N",
    help="How many sources the terminal lists per table, largest first (the others are summed "
    "in one row); CSV, JSON and xlsx list them all.",
)
@_per_weapon
@library_errors
def report_sources(db_url: str | None, top: int, per_weapon: bool, **options: Any) -> None:
    """The sources behind the numbers of any report with the same filters, with the components
    and parts each reports, and the reference data (list version, country groups) in use.

    One ranked table of the sources; one per weapon system too with --per-weapon (or several
    --weapon).

    \b
    Examples:
      provenance report sources --weapon KN-23
      provenance report sources --weapon KN-23 --weapon KN-24 --top 10
      provenance report sources --weapon KN-23 --since 2022 --format csv > sources.csv
    """
    filters = _filters(options)
    options["with_sources"] = False  # the report is the sources
    by_weapon = per_weapon or len(weapon_names(filters.weapon)) > 1
    with connect(db_url) as conn:
        report = sources(conn, filters, reference_data(conn), per_weapon=by_weapon)
        _finish(
            conn,
            report,
            lambda _s: report_documents.sources_document(report, top),
            filters,
            options,
        )


@report_group.command("parties")
@db_option
@weapon_option(help="Only this weapon system's parts (designation or alias).", multiple=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "csv", "json", "markdown")),
    default="table",
    show_default=True,
    help="Output format.",
)
@library_errors
def report_parties(db_url: str | None, weapon: str | None, fmt: str) -> None:
    """Parts counted by party and role: who handled the parts, as the chains tell it.

    A component counts once per party and role: its own steps, its batch's and its maker's
    product line's (see `provenance chain`). A party confirmed as an entity of a sanctions list
    (`provenance screen review`) names it in `sanctions_matches`.

    \b
    Example:
      provenance report parties --weapon KN-23
    """
    from provenance.publish import render  # load summaries: the ingest layer, not for reports
    from provenance.reports.parties import parties_report

    with connect(db_url) as conn:
        report = parties_report(conn, weapon)
    header: tuple[str, ...] = ("party", "country", "role", "components", "parts")
    data: list[list[object]] = [
        [r.party, r.country, r.role, r.components, r.parts] for r in report.rows
    ]
    # Confirmed sanctions hits: a column of CSV and JSON always, of a table when there is one.
    if fmt != "table" or any(r.sanctions_matches for r in report.rows):
        header += ("sanctions_matches",)
        for line, r in zip(data, report.rows, strict=True):
            line.append("; ".join(r.sanctions_matches) if fmt != "json" else r.sanctions_matches)
    if fmt == "table" and not data:
        click.echo("no parties on the chains" + (f" of {report.weapon}" if report.weapon else ""))
        return
    click.echo(render.rows(header, data, fmt), nl=False)


@report_group.command("dossier")
@db_option
@weapon_option(required=True, help="The weapon system.", multiple=False)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the dossier to (created if needed).",
)
@basis_option
@filter_options
@_chpl_version
@_period("Timeline by manufacture year or month.")
@_top
@click.option(
    "--group",
    default=groups.CONTROLS_GROUP,
    show_default=True,
    metavar="CODE",
    help="The country group to sum origin countries by.",
)
@store_option
@library_errors
def report_dossier(
    db_url: str | None,
    weapon: str,
    out_dir: Path,
    basis: str,
    since: str | None,
    until: str | None,
    date_field: str,
    chpl_version: str | None,
    period: str,
    tops: tuple[int, int],
    group: str,
    store_dir: Path | None,
) -> None:
    """Every report and chart for one weapon system, as one self-contained HTML page (nothing
    fetched from the network to view or print it) and the same content as Markdown, with the
    charts as PNG files beside it.

    \b
    Example:
      provenance report dossier --weapon KN-23 --out dossier/
    """
    from provenance.publish import dossier  # charts: matplotlib and numpy

    filters = Filters.parse(weapon, basis, since, until, date_field)
    with connect(db_url) as conn:
        store = open_store(conn.engine, store_dir)  # None: files listed, not shown
        result = dossier.build(
            conn,
            filters,
            out_dir,
            chpl_version=chpl_version,
            period=Period(period),
            top=tops[0],
            group=group,
            store=store,
        )
    click.echo(f"{result.weapon}: wrote {result.html} and {result.markdown}")
    for path in result.charts:
        click.echo(f"  chart {path}")
    for path in result.thumbnails:
        click.echo(f"  evidence thumbnail {path}")
