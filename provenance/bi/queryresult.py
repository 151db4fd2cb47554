"""What a query returns, how much it may return, and reading its rows within those bounds
(shared by the SQLite and PostgreSQL paths of ``provenance query``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.errors import QueryError

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 256 << 20


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class QueryOptions:
    """How a query runs, and how much it may return."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    #: Rows a query may return (a BI tool or an export reads more, and is not this command).
    max_rows: int = DEFAULT_MAX_ROWS
    #: Bytes of text and binary values a query may return, all rows together.
    max_bytes: int = DEFAULT_MAX_BYTES
    #: PostgreSQL: let the statement read the tables too, not only the views.
    tables: bool = False
    #: PostgreSQL: the role the statement runs as (``SET ROLE``); None: see ``pgquery``.
    role: str | None = None


def fetch_bounded(rows: Iterable[Sequence[Any]], options: QueryOptions) -> list[tuple[Any, ...]]:
    """The rows, read one at a time up to the limits on rows and bytes (QueryError past them)."""
    out: list[tuple[Any, ...]] = []
    size = 0
    for values in rows:
        out.append(tuple(values))
        size += sum(len(v) if isinstance(v, str | bytes) else 8 for v in values)
        if len(out) > options.max_rows:
            raise QueryError(
                f"the query returns more than {options.max_rows:,} rows, the limit: add a LIMIT "
                "(or an aggregate), or raise the limit with --max-rows N"
            )
        if size > options.max_bytes:
            raise QueryError(
                f"the query returns more than {options.max_bytes:,} bytes of values, the limit: "
                "select fewer or shorter columns, or raise the limit with --max-bytes N"
            )
    return out
