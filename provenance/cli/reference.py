"""``provenance reference``: the export-control lists and country groups in the database (show),
and more of them from a YAML file (load).
"""

from __future__ import annotations

from pathlib import Path

import click

from provenance.cli.common import connect, db_option, library_errors, open_engine
from provenance.reference import chpl, groups, sync


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
    with connect(db_url) as conn:
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
