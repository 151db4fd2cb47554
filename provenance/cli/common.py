"""Options and error handling shared by the ``provenance`` commands.

Every option that several commands take is defined here once, as a decorator (``--format``
through one factory, each command with its own choices). A module of commands
(``provenance/cli/*.py``) builds them with these and is registered in ``provenance/cli/main.py``
with ``add_command``.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from provenance import migrate
from provenance.db import DEFAULT_URL, ENV_VAR, make_engine, masked, resolve_url
from provenance.errors import EvidenceError, ProvenanceError
from provenance.evidence.store import Store, store_for
from provenance.reports.core import Basis, DateField, RollUp

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """--db URL, shared by every command that opens the database."""
    return click.option(
        "--db",
        "db_url",
        envvar=ENV_VAR,
        metavar="URL",
        help=f"Database URL (default: ${ENV_VAR}, else {DEFAULT_URL}). "
        "E.g. sqlite:///findings.db or postgresql+psycopg://user@host/dbname.",
    )(func)


def store_option(func: F) -> F:
    """--store DIR: the evidence store (``provenance.evidence.store``)."""
    return click.option(
        "--store",
        "store_dir",
        envvar="PROVENANCE_EVIDENCE_STORE",
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=Path),
        help="The evidence store (default: $PROVENANCE_EVIDENCE_STORE, else "
        "<database file>.evidence beside a SQLite database; name one for PostgreSQL).",
    )(func)


def open_store(engine: Engine, store_dir: Path | None) -> Store | None:
    """The evidence store of ``--store`` or of the database; None when it has none (PostgreSQL
    without --store): the library then says so if, and only if, it needs one."""
    try:
        return store_for(engine, store_dir)
    except EvidenceError:
        return None


def format_option(
    choices: Sequence[str], *, default: str | None = "table", help: str = "Output format."
) -> Callable[[F], F]:
    """--format: one of ``choices`` (each command its own)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=default is not None,
        help=help,
    )


def output_option(
    help: str = "Write the report to this file instead of the terminal.",
) -> Callable[[F], F]:
    """--output/-o FILE."""
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help=help,
    )


def weapon_option(
    required: bool = False,
    help: str = "Only this weapon system (designation or alias; several: repeat the option).",
    multiple: bool = True,
) -> Callable[[F], F]:
    """--weapon NAME: a designation or alias (any case); by default repeatable (a tuple)."""
    return click.option("--weapon", metavar="NAME", required=required, multiple=multiple, help=help)


#: The width of a table written elsewhere than to a terminal, unless $COLUMNS says otherwise.
DEFAULT_TEXT_WIDTH = 200


def text_width(max_columns: int | None) -> int:
    """How many characters a line of a table may take: ``--max-columns``, else the terminal's
    width, else $COLUMNS, else :data:`DEFAULT_TEXT_WIDTH`."""
    if max_columns:
        return max_columns
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_TEXT_WIDTH, 24)).columns
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else DEFAULT_TEXT_WIDTH


def width_options(func: F) -> F:
    """--wide and --max-columns: how wide a table may be in the terminal and in Markdown."""
    options = [
        click.option(
            "--max-columns",
            type=click.IntRange(min=20),
            metavar="N",
            help="The characters a line may take (default: the terminal's width; "
            f"{DEFAULT_TEXT_WIDTH} when writing to a file or a pipe, or $COLUMNS). A table "
            "wider than that wraps its long cells; a matrix that still does not fit is shown "
            "in long form, one row per weapon system.",
        ),
        click.option(
            "--wide",
            is_flag=True,
            help="Show matrices as matrices, however wide (CSV, JSON and xlsx always do).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def basis_option(func: F) -> F:
    """--basis: what a part's origin country is taken to be."""
    return click.option(
        "--basis",
        type=click.Choice([b.value for b in Basis]),
        default=Basis.MANUFACTURER.value,
        show_default=True,
        help="Origin country of a part: the manufacturer's headquarters, or where it was made.",
    )(func)


def roll_up_option(func: F) -> F:
    """--roll-up [none|parent]; ``--roll-up`` alone is ``parent`` (it was a flag on
    ``report manufacturers``, and scripts still write it so)."""
    return click.option(
        "--roll-up",
        "roll_up",
        type=click.Choice([r.value for r in RollUp]),
        default=RollUp.NONE.value,
        is_flag=False,
        flag_value=RollUp.PARENT.value,
        show_default=True,
        help="Count parts under their manufacturer (none) or its top parent company (parent; "
        "--roll-up alone means parent).",
    )(func)


def filter_options(func: F) -> F:
    """--since, --until and --date-field: the date range a report counts."""
    options = [
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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _password(db_url: str | None) -> str | None:
    try:
        return make_url(resolve_url(db_url)).password
    except (ArgumentError, ValueError):
        return None


def _redacted(message: str, db_url: str | None) -> str:
    """The message without the database password, should a driver ever repeat it."""
    password = _password(db_url)
    return message.replace(password, "***") if password else message


#: What to do about the database errors a user can meet (SQLite's messages, then PostgreSQL's).
_HINTS = (
    (
        "database or disk is full",
        "nothing was written; free some disk space (or raise the database's size limit) "
        "and run the command again",
    ),
    (
        "disk i/o error",
        "SQLite could not write the file: the disk is probably full (or failing); nothing was "
        "written: free some disk space and run the command again",
    ),
    (
        "readonly database",
        "the database is read-only (the file, or its folder, cannot be written, or the URL "
        "says mode=ro); nothing was written: use a database you may write to",
    ),
    (
        "database is locked",
        "the database is busy with another write that did not finish in time; nothing was "
        "written: try again when the other load or command has finished",
    ),
    (
        "unable to open database file",
        "check the path, and that its folder exists and may be written",
    ),
    (
        "could not extend file",
        "the database server's disk is full; nothing was written: free some space on it "
        "and run the command again",
    ),
    (
        "read-only transaction",
        "the database is read-only for this user or server; nothing was written",
    ),
)


def operational_hint(message: str) -> str | None:
    """What to do about a database error, when it is one we know."""
    lowered = message.lower()
    for needle, hint in _HINTS:
        if needle in lowered:
            return hint
    return None


def library_errors(func: F) -> F:
    """Turn the library's errors into a clean 'Error: ...' and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        db_url = kwargs.get("db_url")
        try:
            return func(*args, **kwargs)
        except ProvenanceError as exc:
            raise click.ClickException(_redacted(str(exc), db_url)) from exc
        except OperationalError as exc:
            message = f"database error: {exc.orig}"
            hint = operational_hint(str(exc.orig))
            if hint:
                message += f": {hint}"
            raise click.ClickException(_redacted(message, db_url)) from exc

    return wrapper  # type: ignore[return-value]


def open_engine(db_url: str | None) -> Engine:
    """An engine for --db (or its default), or a clean error for a URL that cannot be used."""
    url = resolve_url(db_url)
    try:
        return make_engine(url)
    except NoSuchModuleError as exc:
        reason = f"unknown database type ({exc})"
    except (ArgumentError, ValueError):
        reason = "not a database URL"
    except ImportError as exc:
        reason = f"the database driver is not installed ({exc})"
    raise click.ClickException(
        f"cannot open {masked(url)}: {reason}; use e.g. sqlite:///findings.db or "
        "postgresql+psycopg://user@host/dbname"
    )


def connect(db_url: str | None) -> Connection:
    """A connection to a database whose schema is up to date (else a clean error)."""
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    return engine.connect()
