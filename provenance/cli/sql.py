"""Commands for SQL and BI tools: query, export, datasette-metadata, db grant-readonly.

Registered in ``provenance/cli/main.py``. Each command opens the database, calls one library
function and prints what it returns.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from provenance.bi import datasette, export, readonly, sqlquery
from provenance.cli.common import (
    db_option,
    format_option,
    library_errors,
    open_engine,
    open_store,
    output_option,
    store_option,
)
from provenance.db import masked, resolve_url
from provenance.publish import render


@click.command()
@click.argument("statement", metavar="SQL")
@db_option
@format_option(render.ROW_FORMATS, help="Output format (xlsx needs --output).")
@output_option(help="Write to this file instead of the terminal.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=sqlquery.DEFAULT_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="Stop the statement after this long.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=sqlquery.DEFAULT_MAX_ROWS,
    show_default=True,
    metavar="N",
    help="Refuse a result of more rows (add a LIMIT, or raise this).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=sqlquery.DEFAULT_MAX_BYTES,
    show_default=True,
    metavar="N",
    help="Refuse a result whose text and binary values add up to more bytes.",
)
@click.option(
    "--tables",
    is_flag=True,
    help="PostgreSQL: read the tables too, not only the views (see docs/bi.md).",
)
@click.option(
    "--role",
    metavar="NAME",
    help="PostgreSQL: run the statement as this read-only role (SET ROLE), e.g. the one "
    "`db grant-readonly` made.",
)
@library_errors
def query(
    statement: str,
    db_url: str | None,
    fmt: str,
    output: Path | None,
    timeout: float,
    max_rows: int,
    max_bytes: int,
    tables: bool,
    role: str | None,
) -> None:
    """Run one read-only SQL statement (SELECT, WITH or VALUES) and print its rows.

    SQL "-" reads the statement from standard input. Anything that writes (INSERT, UPDATE,
    DELETE, DROP, ATTACH, PRAGMA, ...), more than one statement, or a server function that
    reads files, makes large objects, reaches other databases or changes settings is refused.
    SQLite files are opened read-only. On PostgreSQL the statement runs in a read-only
    transaction with a statement timeout, as --role NAME, or (connected as a superuser) as a
    role made for it that can only read the views (--tables: the tables too); docs/bi.md says
    what holds for which user. The views are described in docs/views.md.

    \b
    Examples:
      provenance query "SELECT weapon_system, foreign_share FROM v_foreign_share_by_weapon"
      provenance query "SELECT * FROM v_components" --format xlsx --output components.xlsx
      provenance query - --format csv < my-query.sql
    """
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE (a workbook is not text)")
    text = sys.stdin.read() if statement == "-" else statement
    engine = open_engine(db_url)
    try:
        options = sqlquery.QueryOptions(
            timeout_s=timeout, max_rows=max_rows, max_bytes=max_bytes, tables=tables, role=role
        )
        result = sqlquery.run_query(engine, text, options=options)
    finally:
        engine.dispose()
    rendered = render.rows(result.columns, result.rows, fmt, output)
    if fmt == "xlsx":
        click.echo(f"{len(result.rows)} rows written to {output}", err=True)
    elif output is not None:
        output.write_text(rendered, encoding="utf-8")
        click.echo(f"{len(result.rows)} rows written to {output}", err=True)
    else:
        click.echo(rendered, nl=False)


@click.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@db_option
@format_option(
    export.EXPORT_FORMATS,
    default=None,
    help="sqlite: the whole database; csv: a folder, one file per view; xlsx: one sheet per "
    "view; json: one file; ftm: FollowTheMoney entities as JSON lines (docs/ftm.md). Default: "
    "from OUT's extension (.db, .sqlite, .xlsx, .json, .ftm.json).",
)
@click.option("--tables", is_flag=True, help="csv, xlsx, json: the tables too, not only the views.")
@store_option
@click.option("--no-evidence", is_flag=True, help="Leave the evidence files out.")
@click.option(
    "--strip-gps",
    is_flag=True,
    help="No GPS position in the copy: GPS columns empty, JPEG photos without their EXIF block "
    "(sqlite; other formats leave photos with a position out).",
)
@library_errors
def export_command(
    out: Path,
    db_url: str | None,
    fmt: str | None,
    tables: bool,
    store_dir: Path | None,
    no_evidence: bool,
    strip_gps: bool,
) -> None:
    """Write a copy of the database, or of its views, to OUT to hand to a colleague.

    OUT must not exist yet. A failed export leaves nothing behind. The evidence files the
    database names are copied to OUT.evidence beside it (hashed again as they are copied).
    --format ftm writes the manufacturers, sources, specimens, components, citations and
    evidence files as FollowTheMoney entities, one JSON object a line, for Aleph, nomenklatura
    and OpenSanctions tools (docs/ftm.md); the same database gives the same bytes.

    \b
    Examples:
      provenance export kn23-copy.db
      provenance export kn23-copy.db --strip-gps
      provenance export --format csv kn23-views
      provenance export --format xlsx --tables everything.xlsx --db postgresql+psycopg://u@host/db
      provenance export --format ftm kn23.ftm.jsonl
    """
    fmt = fmt or export.format_for(out)
    if fmt is None:
        raise click.UsageError(
            f"cannot tell the format from {out.name!r}: give --format "
            f"({'|'.join(export.EXPORT_FORMATS)})"
        )
    if tables and fmt == "sqlite":
        raise click.UsageError("--tables is for csv, xlsx and json: a sqlite copy has everything")
    if tables and fmt == "ftm":
        raise click.UsageError("--tables is for csv, xlsx and json: ftm writes entities")
    engine = open_engine(db_url)
    try:
        store = open_store(engine, store_dir)  # an error later only if files are named
        summary = export.export(
            engine,
            out,
            fmt,
            tables=tables,
            store=store,
            evidence=not no_evidence,
            strip_gps=strip_gps,
        )
    finally:
        engine.dispose()
    total = sum(summary.rows.values())
    if fmt == "ftm":
        counts = ", ".join(f"{n} {schema}" for schema, n in summary.rows.items())
        click.echo(f"{out}: ftm, {total} entities" + (f" ({counts})" if counts else ""))
    else:
        what = "tables" if fmt == "sqlite" else "views and tables" if tables else "views"
        click.echo(f"{out}: {fmt}, {len(summary.rows)} {what}, {total} rows")
    ev = summary.evidence
    if ev.folder is not None:
        click.echo(
            f"{ev.folder}: {ev.files} evidence file(s)"
            + (f", {ev.stripped} without their EXIF (GPS)" if ev.stripped else "")
            + (f"; {ev.withheld} photo(s) with a GPS position left out" if ev.withheld else "")
        )


def _datasette_name(db_url: str | None) -> str:
    try:
        url = make_url(resolve_url(db_url))
    except (ArgumentError, ValueError):
        return "provenance"
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).stem
    return "provenance"


@click.command("datasette-metadata")
@db_option
@click.option(
    "--database",
    "name",
    metavar="NAME",
    help="The database's name in Datasette (default: the SQLite file's name without .db).",
)
@library_errors
def datasette_metadata(db_url: str | None, name: str | None) -> None:
    """Print Datasette metadata (descriptions, column docs, facets, labels) as JSON.

    Datasette is not installed with provenance: pip install 'provenance[datasette]'.

    \b
    Example:
      provenance datasette-metadata --db sqlite:///findings.db > metadata.json
      datasette findings.db --metadata metadata.json
    """
    document = datasette.metadata(name or _datasette_name(db_url))
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@click.command("grant-readonly")
@click.argument("role")
@db_option
@click.option(
    "--password-env",
    metavar="VAR",
    help="Set the role's password from this environment variable (never from the command "
    "line, which other users of the machine can see).",
)
@click.option("--tables", is_flag=True, help="Let the role read the tables too, not only views.")
@click.option(
    "--statement-timeout",
    type=click.IntRange(min=1),
    default=readonly.DEFAULT_STATEMENT_TIMEOUT_S,
    show_default=True,
    metavar="SECONDS",
    help="Longest statement the role may run.",
)
@library_errors
def grant_readonly(
    role: str,
    db_url: str | None,
    password_env: str | None,
    tables: bool,
    statement_timeout: int,
) -> None:
    """PostgreSQL: create (if needed) a role that can only read the views, for BI tools.

    The role can connect and SELECT the views (with --tables also the tables), runs read-only
    transactions with a statement timeout, and can read views that later migrations create.
    Running it again updates the password and narrows the grants to what it asks for.

    \b
    Example:
      BI_PASSWORD=... provenance db grant-readonly metabase --password-env BI_PASSWORD \\
          --db postgresql+psycopg://postgres@127.0.0.1/findings
    """
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise click.ClickException(
                f"the environment variable {password_env} is not set or empty: "
                f"export {password_env}=... first"
            )
    engine = open_engine(db_url)
    try:
        summary = readonly.grant_readonly(
            engine,
            role,
            password=password,
            tables=tables,
            statement_timeout_s=statement_timeout,
        )
    finally:
        engine.dispose()
    what = "the views and the tables" if summary.tables else f"{len(summary.views)} views"
    click.echo(
        f"role {summary.role} {'created' if summary.created else 'updated'}"
        f"{' with a password' if summary.password_set else ''}: can connect to "
        f"{summary.database} and SELECT {what} in schema {summary.schema}; read-only "
        f"transactions, statement timeout {summary.statement_timeout_s} s; also tables and views "
        f"that {summary.default_privileges_for} creates later"
    )
    url = engine.url.set(username=summary.role, password=None)
    click.echo(f"connect as: {masked(url.render_as_string(hide_password=True))}")
    for note in summary.notes:
        click.echo(f"note: {note}")
