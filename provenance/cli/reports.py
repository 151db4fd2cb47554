"""The researcher's report commands (``provenance report countries|manufacturers|chpl|timeline|
sources|dossier``) and ``provenance reference`` (export-control lists and country groups).

Each command opens the database, calls one function of :mod:`provenance.reports` (or
:mod:`provenance.publish.dossier`, :mod:`provenance.reference.sync`) and writes what it returns;
registered in ``provenance/cli/main.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection

from provenance import migrate
from provenance.cli.common import db_option, library_errors, open_engine
from provenance.publish import charts, documents, dossier
from provenance.reference import chpl, groups, sync
from provenance.reports.chpl import chpl_report
from provenance.reports.core import Basis, DateField, Filters, RollUp
from provenance.reports.countries import countries
from provenance.reports.manufacturers import manufacturers
from provenance.reports.sources import SourcesReport, reference_data, sources
from provenance.reports.timeline import Period, timeline

F = TypeVar("F", bound=Callable[..., Any])


def _chart_path(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in charts.CHART_SUFFIXES:
        raise click.BadParameter(f"{value.name!r}: the chart file name must end in .png or .svg")
    return value


def _group_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date as YYYY-MM-DD") from None


def report_options(func: F) -> F:
    """The options every report shares: what to count, how to write it, and a chart."""
    options: list[Callable[[Any], Any]] = [
        db_option,
        click.option(
            "--weapon", metavar="NAME", help="Only this weapon system (designation or alias)."
        ),
        click.option(
            "--basis",
            type=click.Choice([b.value for b in Basis]),
            default=Basis.MANUFACTURER.value,
            show_default=True,
            help="Origin country of a part: the manufacturer's headquarters, or where it was made.",
        ),
        click.option(
            "--since",
            metavar="DATE",
            help="Only parts dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD: its first day).",
        ),
        click.option(
            "--until",
            metavar="DATE",
            help="Only parts dated on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD: its last day).",
        ),
        click.option(
            "--date-field",
            type=click.Choice([d.value for d in DateField]),
            default=DateField.MANUFACTURED.value,
            show_default=True,
            help="The date --since/--until filter on: the part's manufacture date or the "
            "recovery date of its specimen. Parts without that date are left out and counted "
            "in the header.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(documents.FORMATS),
            default="table",
            show_default=True,
            help="Output format (xlsx: a workbook, written to --output or a redirected stdout).",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write the report to this file instead of the terminal.",
        ),
        click.option(
            "--chart",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            callback=_chart_path,
            metavar="FILE.png|FILE.svg",
            help="Also draw the report's chart (PNG or SVG, by the file name).",
        ),
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


def _connect(db_url: str | None) -> Any:
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    return engine.connect()


def _emit(doc: documents.Document, fmt: str, output: Path | None) -> None:
    data = documents.render(doc, fmt)
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


def _finish(
    conn: Connection,
    report: charts.Report,
    make_doc: Callable[[SourcesReport | None], documents.Document],
    filters: Filters,
    options: dict[str, Any],
) -> None:
    """Sources (for --with-sources and the chart's caption), the chart, then the document."""
    src = None
    if options["with_sources"] or options["chart"] is not None:
        src = sources(conn, filters, report.references)
    if options["chart"] is not None:
        path = charts.draw(report, options["chart"], src)
        click.echo(f"wrote {path}", err=True)
    _emit(make_doc(src if options["with_sources"] else None), options["fmt"], options["output"])


@click.command("countries")
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
    with _connect(db_url) as conn:
        report = countries(conn, filters, group=group, group_on=group_on)
        _finish(conn, report, lambda s: documents.countries_document(report, s), filters, options)


@click.command("manufacturers")
@report_options
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="How many manufacturers to list (the others are summed in one row).",
)
@click.option("--roll-up", is_flag=True, help="Count each manufacturer under its topmost parent.")
@library_errors
def report_manufacturers(db_url: str | None, top: int, roll_up: bool, **options: Any) -> None:
    """Top manufacturers per weapon system and overall: country, parent, parts, components,
    weapon systems, first and last manufacture date seen.

    \b
    Examples:
      provenance report manufacturers --weapon KN-23 --top 20
      provenance report manufacturers --roll-up --format xlsx --output makers.xlsx
    """
    filters = _filters(options)
    with _connect(db_url) as conn:
        report = manufacturers(
            conn, filters, top=top, roll_up=RollUp.PARENT if roll_up else RollUp.NONE
        )
        _finish(
            conn, report, lambda s: documents.manufacturers_document(report, s), filters, options
        )


@click.command("chpl")
@report_options
@click.option(
    "--chpl-version",
    metavar="VERSION",
    help="The list version to use (default: the newest; see `provenance reference show`).",
)
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
    with _connect(db_url) as conn:
        report = chpl_report(conn, filters, version=chpl_version)
        _finish(conn, report, lambda s: documents.chpl_document(report, s), filters, options)


@click.command("timeline")
@report_options
@click.option(
    "--by",
    "period",
    type=click.Choice([p.value for p in Period]),
    default=Period.YEAR.value,
    show_default=True,
    help="Count parts by manufacture year or month.",
)
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
    with _connect(db_url) as conn:
        report = timeline(conn, filters, period=Period(period), controls_group=controls_group)
        _finish(conn, report, lambda s: documents.timeline_document(report, s), filters, options)


@click.command("sources")
@report_options
@library_errors
def report_sources(db_url: str | None, **options: Any) -> None:
    """The sources behind the numbers of any report with the same filters, with the components
    and parts each reports, and the reference data (list version, country groups) in use.

    \b
    Examples:
      provenance report sources --weapon KN-23
      provenance report sources --weapon KN-23 --since 2022 --format csv > sources.csv
    """
    filters = _filters(options)
    options["with_sources"] = False  # the report is the sources
    with _connect(db_url) as conn:
        report = sources(conn, filters, reference_data(conn))
        _finish(conn, report, lambda _s: documents.sources_document(report), filters, options)


@click.command("dossier")
@db_option
@click.option("--weapon", metavar="NAME", required=True, help="The weapon system.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the dossier to (created if needed).",
)
@click.option(
    "--basis",
    type=click.Choice([b.value for b in Basis]),
    default=Basis.MANUFACTURER.value,
    show_default=True,
    help="Origin country of a part: the manufacturer's headquarters, or where it was made.",
)
@click.option("--since", metavar="DATE", help="Only parts dated on or after DATE.")
@click.option("--until", metavar="DATE", help="Only parts dated on or before DATE.")
@click.option(
    "--date-field",
    type=click.Choice([d.value for d in DateField]),
    default=DateField.MANUFACTURED.value,
    show_default=True,
    help="The date --since/--until filter on.",
)
@click.option("--chpl-version", metavar="VERSION", help="The list version (default: newest).")
@click.option(
    "--by",
    "period",
    type=click.Choice([p.value for p in Period]),
    default=Period.YEAR.value,
    show_default=True,
    help="Timeline by manufacture year or month.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="How many manufacturers to list (the others are summed in one row).",
)
@click.option(
    "--group",
    default=groups.CONTROLS_GROUP,
    show_default=True,
    metavar="CODE",
    help="The country group to sum origin countries by.",
)
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
    top: int,
    group: str,
) -> None:
    """Every report and chart for one weapon system, as one self-contained HTML page (nothing
    fetched from the network to view or print it) and the same content as Markdown, with the
    charts as PNG files beside it.

    \b
    Example:
      provenance report dossier --weapon KN-23 --out dossier/
    """
    filters = Filters.parse(weapon, basis, since, until, date_field)
    with _connect(db_url) as conn:
        result = dossier.build(
            conn,
            filters,
            out_dir,
            chpl_version=chpl_version,
            period=Period(period),
            top=top,
            group=group,
        )
    click.echo(f"{result.weapon}: wrote {result.html} and {result.markdown}")
    for path in result.charts:
        click.echo(f"  chart {path}")


@click.group("reference")
def reference_group() -> None:
    """Reference data: Common High Priority List versions and country groups.

    The shipped lists and groups (seeds/chpl.yaml, seeds/country_groups.yaml) are added to the
    database by `provenance init` and `provenance db upgrade`.

    \b
    Examples:
      provenance reference show
      provenance reference show --group coalition
      provenance reference load my-groups.yaml
    """


@reference_group.command("show")
@db_option
@click.option("--group", metavar="CODE", help="List this group's members and their dates.")
@library_errors
def reference_show(db_url: str | None, group: str | None) -> None:
    """Show the CHPL versions and country groups in the database (or one group's members).

    \b
    Examples:
      provenance reference show
      provenance reference show --group eu
    """
    with _connect(db_url) as conn:
        if group is not None:
            info = groups.get_group(conn, group)
            click.echo(f"{info.code}: {info.name}")
            if info.basis:
                click.echo(f"basis: {info.basis}")
            for m in groups.memberships(conn, info.code):
                line = f"  {m.country_code}  from {m.member_from or '(open)'}"
                line += f" until {m.member_until}" if m.member_until else ""
                line += f"  controls from {m.controls_from}" if m.controls_from else ""
                line += f"  ({m.note})" if m.note else ""
                click.echo(line)
            return
        click.echo("Common High Priority List versions (newest first):")
        for v in chpl.list_versions(conn):
            click.echo(f"  {v.version}  {v.codes} codes  {v.publisher}: {v.title}")
        click.echo("Country groups:")
        for g in groups.list_groups(conn):
            click.echo(f"  {g.code}  {g.members} countries  {g.name}")


@reference_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option(
    "--update",
    is_flag=True,
    help="Also give the groups and memberships the file names its values (e.g. a member's own "
    "controls date); without it, only what the database lacks is added.",
)
@library_errors
def reference_load(file: Path, db_url: str | None, update: bool) -> None:
    """Load country groups and/or CHPL versions from a YAML file (the layout of
    seeds/country_groups.yaml and seeds/chpl.yaml): all of it, or nothing.

    \b
    Example:
      provenance reference load my-groups.yaml
      provenance reference load --update corrected-dates.yaml
    """
    engine = open_engine(db_url)
    summary = sync.load_reference_lists(engine, file, update_existing=update)
    click.echo(
        f"{file}: {summary.groups_created} groups and {summary.members_created} memberships "
        f"added, {summary.groups_updated} groups and {summary.members_updated} memberships "
        f"updated; {summary.chpl_lists_created} CHPL versions and "
        f"{summary.chpl_entries_created} codes added"
    )
