"""``provenance country``: the ISO country a name resolves to."""

from __future__ import annotations

import click

from provenance.cli.common import library_errors
from provenance.values.countries import default_resolver


@click.command()
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
