"""``provenance serve``: the database in a web browser (Datasette, an optional extra).

The command makes a read-only copy of the database with full-text search (the database itself
is not touched), then runs Datasette on it until Ctrl-C: see :mod:`provenance.bi.datasette_site`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from provenance.cli.common import db_option, library_errors, open_engine
from provenance.db import masked


@click.command()
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on: 127.0.0.1 is this machine only (0.0.0.0 would open the "
    "database to the whole network).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="The port."
)
@library_errors
def serve(db_url: str | None, host: str, port: int) -> None:
    """Browse the database in a web browser (Datasette), read-only, on this machine.

    The home page leads with the reports (one canned query each, with parameters for the
    weapon system, basis, dates and country group) and the views; components and
    manufacturers can be searched. Datasette serves a copy with search indexes, made when the
    command starts, from SQLite or PostgreSQL. Needs the datasette extra:
    pip install 'provenance[datasette]'.

    \b
    Examples:
      provenance serve --db sqlite:///findings.db
      provenance serve --db postgresql+psycopg://user@host/findings --port 8080
    """
    try:
        from provenance.bi import datasette_plugin
    except ImportError as exc:
        raise click.ClickException(
            f"Datasette is not installed ({exc}): pip install 'provenance[datasette]'"
        ) from None
    from provenance.bi import datasette_site

    engine = open_engine(db_url)
    database = engine.url.database
    name = Path(database).stem if engine.dialect.name == "sqlite" and database else "provenance"
    with tempfile.TemporaryDirectory(prefix="provenance-serve-") as folder:
        click.echo(f"copying {masked(str(engine.url))} for Datasette ...", err=True)
        site = datasette_site.build(engine, Path(folder), name)
        click.echo(
            f"serving a read-only copy of {name} at http://{host}:{port}/ (Ctrl-C to stop)",
            err=True,
        )
        datasette_plugin.serve(site, host, port)
