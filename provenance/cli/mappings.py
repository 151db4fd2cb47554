"""``provenance mappings``: the column mappings shipped with provenance."""

from __future__ import annotations

import json

import click

from provenance.cli.common import format_option, library_errors
from provenance.ingest.mapping import mapping_path, shipped_mappings


@click.group("mappings")
def mappings_group() -> None:
    """The column mappings shipped with provenance, for `provenance load --mapping NAME`.

    \b
    Examples:
      provenance mappings list
      provenance mappings show adwo-components
      provenance load --mapping adwo-components components.csv
    """


@mappings_group.command("list")
@format_option(("table", "json"))
@library_errors
def list_command(fmt: str) -> None:
    """List the shipped mappings: name, kind of file, what they are for, example files.

    \b
    Examples:
      provenance mappings list
      provenance mappings list --format json
    """
    found = shipped_mappings()
    if fmt == "json":
        items = [
            {
                "name": m.name,
                "kind": str(m.kind),
                "description": m.description,
                "path": str(m.path),
                "examples": [str(p) for p in m.examples],
            }
            for m in found
        ]
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for m in found:
        click.echo(f"{m.name}  ({m.kind})")
        if m.description:
            click.echo(f"    {m.description}")
        for example in m.examples:
            click.echo(f"    example: {example}")


@mappings_group.command("show")
@click.argument("name")
@library_errors
def show_command(name: str) -> None:
    """Print a mapping's file (a shipped one by NAME, or a path), comments included.

    \b
    Example:
      provenance mappings show adwo-components
    """
    path = mapping_path(name)
    click.echo(f"# {path}")
    click.echo(path.read_text("utf-8"), nl=False)
