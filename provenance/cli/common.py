"""Options and error handling shared by the ``provenance`` command and its sub-command modules.

A module that adds commands (``provenance/cli_*.py``) builds them with these decorators and is
registered in ``provenance/cli/main.py`` with ``cli.add_command(...)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from provenance.db import DEFAULT_URL, ENV_VAR, make_engine, masked, resolve_url
from provenance.errors import ProvenanceError
from provenance.publish import render

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


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(render.FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)


def summary_format_option(func: F) -> F:
    """--format for what a load did: text for people, or JSON for scripts."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(render.SUMMARY_FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)


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
