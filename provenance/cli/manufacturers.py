"""``provenance manufacturers``: list, show, alias and merge (registered in cli/main.py)."""

from __future__ import annotations

import click

from provenance import migrate
from provenance.cli.common import db_option, format_option, library_errors, open_engine
from provenance.models import AliasKind
from provenance.publish import render, render_manufacturers
from provenance.reference import manufacturers


@click.group("manufacturers")
def manufacturers_group() -> None:
    """List, inspect, alias and merge manufacturers.

    Names are matched case-, punctuation- and legal-form-insensitively ("XP POWER LTD" is
    XP Power) and by alias.

    \b
    Examples:
      provenance manufacturers list --search power
      provenance manufacturers show "Maxim Integrated"
      provenance manufacturers alias "Texas Instruments" TI
      provenance manufacturers merge "Texas Instruments" "Texas Instrument"
    """


@manufacturers_group.command("list")
@db_option
@click.option("--search", metavar="TEXT", help="Only names or aliases containing TEXT.")
@format_option(render_manufacturers.FORMATS)
@library_errors
def list_command(db_url: str | None, search: str | None, fmt: str) -> None:
    """List manufacturers with headquarters, parent, number of components and aliases.

    \b
    Example:
      provenance manufacturers list --search "analog" --format csv
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        rows = manufacturers.list_manufacturers(conn, search)
    click.echo(render_manufacturers.manufacturer_list(rows, fmt), nl=False)


@manufacturers_group.command("show")
@click.argument("name")
@db_option
@format_option(render_manufacturers.FORMATS)
@library_errors
def show_command(name: str, db_url: str | None, fmt: str) -> None:
    """Show one manufacturer: names, parent companies, subsidiaries, components, merges.

    \b
    Example:
      provenance manufacturers show "xp power ltd"
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        detail = manufacturers.show(conn, name)
    click.echo(render_manufacturers.manufacturer_detail(detail, fmt), nl=False)


@manufacturers_group.command("alias")
@click.argument("name")
@click.argument("alias")
@click.option(
    "--former-name",
    is_flag=True,
    help="ALIAS is a name the company had before (not just another spelling).",
)
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def alias_command(name: str, alias: str, former_name: bool, db_url: str | None, fmt: str) -> None:
    """Record ALIAS as another name of the manufacturer NAME.

    Later loads then file rows written ALIAS under NAME.

    \b
    Examples:
      provenance manufacturers alias "Analog Devices" ADI
      provenance manufacturers alias "Analog Devices" "Linear Technology" --former-name
    """
    kind = AliasKind.FORMER_NAME if former_name else AliasKind.ALIAS
    added = manufacturers.add_alias(open_engine(db_url), name, alias, kind)
    click.echo(render_manufacturers.alias_added(added, fmt), nl=False)


@manufacturers_group.command("merge")
@click.argument("keep")
@click.argument("merged")
@click.option("--note", metavar="TEXT", help="Why they are one company (kept with the record).")
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def merge_command(keep: str, merged: str, note: str | None, db_url: str | None, fmt: str) -> None:
    """Merge the manufacturer MERGED into KEEP: one company recorded twice.

    Every component, alias and subsidiary of MERGED moves to KEEP, MERGED's name becomes an
    alias of KEEP, and the merge is recorded. A component that KEEP already has in the same
    specimen is combined with it: its citations move, nothing is lost. All or nothing.

    \b
    Example:
      provenance manufacturers merge "Texas Instruments" "Texas Instrument" --note "typo"
    """
    summary = manufacturers.merge(open_engine(db_url), keep, merged, note)
    click.echo(render_manufacturers.merge_summary(summary, fmt), nl=False)
