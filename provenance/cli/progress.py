"""A progress bar for long loads: rows read and rows per second, on standard error.

The library reports how many rows it has read through a callback; this turns the calls into a
Click progress bar, shown only on a terminal, and only once a load has read more than a few
thousand rows (small loads finish before a bar would help).
"""

from __future__ import annotations

import sys
import time
from itertools import count
from typing import Any, TextIO

import click

#: The bar appears once a load has read this many rows.
SHOW_AFTER_ROWS = 2000


class RowProgress:
    """Call it with the number of rows read so far; ``close()`` at the end."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._rows = 0
        self._start = time.monotonic()

    def _rate(self, _item: object) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-6)
        return f"{self._rows / elapsed:,.0f} rows/s"

    def __call__(self, rows: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if rows < SHOW_AFTER_ROWS:
                return
            self._bar = click.progressbar(
                count(),
                label="Reading rows",
                show_pos=True,
                show_eta=False,
                item_show_func=self._rate,
                file=self.stream,
            )
            self._bar.__enter__()
        delta, self._rows = rows - self._rows, rows
        self._bar.update(delta, current_item=rows)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
