"""The ``provenance`` command: a thin layer over the library.

Each command opens the database, calls one library function and prints what it returns. Library
errors (``ProvenanceError``) become "Error: ..." with exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from provenance import __version__, migrate, reference, render, reports
from provenance.cli_common import (
    db_option,
    format_option,
    library_errors,
    open_engine,
    summary_format_option,
)
from provenance.countries import default_resolver
from provenance.db import masked
from provenance.loader import load_files


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provenance")
def cli() -> None:
    """provenance: which countries' and companies' parts end up in which weapons.

    \b
    Examples (quick start):
      provenance init                      # create ./provenance.db
      provenance seed                      # load the published findings shipped with provenance
      provenance report foreign-parts --weapon KN-23
      provenance load my-findings.csv      # add your own findings
    """


@cli.command()
@db_option
@library_errors
def init(db_url: str | None) -> None:
    """Create the database, or bring it up to date (same as `db upgrade`).

    \b
    Example:
      provenance init --db sqlite:///kn23.db
    """
    engine = open_engine(db_url)
    migrate.upgrade(engine)
    click.echo(f"{masked(str(engine.url))}: schema at revision {migrate.current_revision(engine)}")


@cli.group()
def db() -> None:
    """Manage the database schema.

    \b
    Example:
      provenance db current --db sqlite:///findings.db
    """


@db.command("upgrade")
@db_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@library_errors
def db_upgrade(db_url: str | None, revision: str) -> None:
    """Create the schema or migrate it to the newest revision.

    \b
    Example:
      provenance db upgrade --db postgresql+psycopg://postgres@127.0.0.1/findings
    """
    engine = open_engine(db_url)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    click.echo(f"{masked(str(engine.url))}: revision {before or '(empty)'} -> {after}")


@db.command("current")
@db_option
@library_errors
def db_current(db_url: str | None) -> None:
    """Show the database's schema revision and the newest one this version knows.

    \b
    Example:
      provenance db current
    """
    engine = open_engine(db_url)
    current = migrate.current_revision(engine)
    click.echo(f"database: {current or '(no schema)'}; code: {migrate.head_revision()}")


@cli.command()
@db_option
@summary_format_option
@library_errors
def seed(db_url: str | None, fmt: str) -> None:
    """Load the reference data and published findings shipped with provenance.

    Creates the schema first if needed. Running it again adds nothing.

    \b
    Example:
      provenance seed --db sqlite:///demo.db
    """
    engine = open_engine(db_url)
    migrate.upgrade(engine)
    ref, loaded = reference.seed(engine)
    click.echo(render.seed_summary(ref, loaded, fmt), nl=False)


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
@click.option("--dry-run", is_flag=True, help="Check and count everything, write nothing.")
@summary_format_option
@library_errors
def load(files: tuple[Path, ...], db_url: str | None, dry_run: bool, fmt: str) -> None:
    """Load findings files (CSV, JSON array or JSON Lines): all of them, or nothing.

    One row per component found in a recovered weapon, with the source that reported it. Any bad
    row stops the load; every bad row is listed with its file, line and column. Loading the same
    findings again adds nothing; a new source for a known component adds a citation.
    The columns are described in the README ("Findings files").

    \b
    Examples:
      provenance load findings.csv
      provenance load --dry-run partner-annex.json more.jsonl
    """
    summaries = load_files(open_engine(db_url), list(files), dry_run=dry_run)
    click.echo(render.load_summaries(summaries, fmt), nl=False)


@cli.group()
def report() -> None:
    """Reports over the findings.

    \b
    Examples:
      provenance report foreign-parts --weapon KN-23
      provenance report components --weapon KN-23 --format csv
    """


_BASIS = click.option(
    "--basis",
    type=click.Choice([b.value for b in reports.Basis]),
    default=reports.Basis.MANUFACTURER.value,
    show_default=True,
    help="Origin country of a part: the manufacturer's headquarters, or where it was made.",
)


@report.command("foreign-parts")
@db_option
@click.option("--weapon", metavar="NAME", help="Only this weapon system (designation or alias).")
@_BASIS
@format_option
@library_errors
def report_foreign_parts(db_url: str | None, weapon: str | None, basis: str, fmt: str) -> None:
    """Foreign-origin parts per weapon system, by origin country.

    A part is foreign when its origin country differs from the weapon system's producer country.

    \b
    Examples:
      provenance report foreign-parts --weapon KN-23
      provenance report foreign-parts --basis made-in --format markdown
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        result = reports.foreign_parts(conn, weapon, reports.Basis(basis))
    click.echo(render.foreign_parts(result, fmt), nl=False)


@report.command("components")
@db_option
@click.option("--weapon", metavar="NAME", help="Only this weapon system (designation or alias).")
@format_option
@library_errors
def report_components(db_url: str | None, weapon: str | None, fmt: str) -> None:
    """List components with manufacturer, countries, manufacture date, authenticity and sources.

    \b
    Example:
      provenance report components --weapon KN-23 --format csv > kn23.csv
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        rows = reports.components(conn, weapon)
    click.echo(render.components(rows, fmt), nl=False)


@cli.command()
@click.argument("names", nargs=-1, required=True)
@library_errors
def country(names: tuple[str, ...]) -> None:
    """Show the ISO country a name resolves to, in any language provenance knows.

    \b
    Example:
      provenance country UK Großbritannien DPRK Schweiz
    """
    resolver = default_resolver()
    for name in names:
        code = resolver.resolve(name)
        click.echo(f"{name}\t{code}\t{resolver.country(code).display_name}")


def main() -> None:
    cli(prog_name="provenance")
