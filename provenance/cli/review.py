"""What the ``review`` and ``list`` commands of ``screen`` and ``customs`` share: which decision
``--accept ID`` / ``--reject ID`` asks for, and a list of decided-on rows in a format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from provenance.publish import render


def chosen(accept_id: int | None, reject_id: int | None, by: str | None) -> tuple[int, bool] | None:
    """(the id, whether it is accepted) that ``--accept``/``--reject`` name; None when neither
    is given (the command then lists what is still open)."""
    if accept_id is not None and reject_id is not None:
        raise click.UsageError("give --accept or --reject, not both")
    target = accept_id if accept_id is not None else reject_id
    if target is None:
        return None
    if not by:
        raise click.UsageError("--by NAME is required with --accept and --reject")
    return target, accept_id is not None


def rows_text(
    rows: Sequence[Any],
    fmt: str,
    table_columns: Sequence[str],
    list_columns: Sequence[str],
    none: str,
) -> str:
    """``rows`` (dataclasses) in ``fmt``: the table's columns, or every column of the list for
    CSV and JSON; ``none`` when a table has no rows."""
    if fmt == "table" and not rows:
        return f"{none}\n"
    header = table_columns if fmt == "table" else list_columns
    data = [[getattr(r, name) for name in header] for r in rows]
    return render.rows(header, data, fmt)
