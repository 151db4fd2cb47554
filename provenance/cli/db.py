"""``provenance init`` and ``provenance db``: create the database schema or bring it up to date,
and show its revision. (``db grant-readonly`` lives with the BI commands, in ``cli/sql.py``, and is
added to the group at the end of this module.)
"""

from __future__ import annotations

import click

from provenance import migrate
from provenance.cli.common import db_option, library_errors, open_engine
from provenance.db import masked
from provenance.reference import install


@click.command()
@db_option
@library_errors
def init(db_url: str | None) -> None:
    """Create the database, or bring it up to date (same as `db upgrade`).

    \b
    Example:
      provenance init --db sqlite:///kn23.db
    """
    engine = open_engine(db_url)
    install.upgrade(engine)
    click.echo(f"{masked(str(engine.url))}: schema at revision {migrate.current_revision(engine)}")


@click.group("db")
def db_group() -> None:
    """Manage the database schema.

    \b
    Example:
      provenance db current --db sqlite:///findings.db
    """


@db_group.command("upgrade")
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
    install.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    done = "already at it" if before == after else "upgraded"
    click.echo(f"{masked(str(engine.url))}: revision {before or '(empty)'} -> {after} ({done})")


@db_group.command("downgrade")
@click.argument("revision")
@db_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@library_errors
def db_downgrade(db_url: str | None, revision: str, yes: bool) -> None:
    """Take the schema back to an older REVISION (for an older version of provenance).

    Tables and columns that REVISION does not have are dropped, with what they hold: export
    the database first (provenance export copy.db). Asks for confirmation unless --yes.

    \b
    Example:
      provenance db downgrade 0004 --db sqlite:///findings.db
    """
    engine = open_engine(db_url)
    before = migrate.current_revision(engine)
    if before is None:
        raise click.ClickException(f"{masked(str(engine.url))} has no provenance schema")
    if not yes:
        click.confirm(
            f"Downgrade {masked(str(engine.url))} from revision {before} to {revision}? What "
            "the older schema has no place for is dropped",
            abort=True,
        )
    migrate.downgrade(engine, revision)
    after = migrate.current_revision(engine)
    click.echo(f"{masked(str(engine.url))}: revision {before} -> {after or '(empty)'} (downgraded)")


@db_group.command("current")
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


def _add_grant_readonly() -> None:
    from provenance.cli.sql import grant_readonly

    db_group.add_command(grant_readonly)


_add_grant_readonly()
