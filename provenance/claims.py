"""Claims: what each source states of a part, kept on its citation side by side with the other
sources' statements (issue 15):

- authenticity (``Citation.authenticity``, with its ``authenticity_basis``);
- the country of manufacture (``Citation.made_in_code``);
- the manufacture period (``Citation.manufactured_on`` and ``manufactured_precision``).

The component's own columns hold the statement reports use, chosen by one rule, whatever the
order of the rows, files or loads:

1. the statement of the most reliable source (``high``, ``medium``, ``low``, then unrated);
2. of those, the latest source (its publication date; undated last);
3. of those, the first source by publisher and title.

A component no source states anything of keeps nothing (authenticity ``unknown``). Its
*standing* (:func:`standing`) says whether the authenticity claims agree: ``disputed`` when
they do not. Loads (``provenance.ingest.claims``) and manufacturer merges keep the chosen values
up to date with :func:`choose_for`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from provenance.models import Authenticity, Citation, Component, Reliability, Source

__all__ = ["DISPUTED", "STATEMENTS", "Statement", "choose", "choose_for", "standing"]

#: The standing of a component whose sources' claims disagree.
DISPUTED = "disputed"


@dataclass(frozen=True)
class Statement:
    """One thing a source may state of a part."""

    #: the columns of a citation, and of the component, that hold it (a date and its precision
    #: are one statement)
    columns: tuple[str, ...]
    #: the findings column that gives it (messages name it)
    column: str
    #: columns of the citation only that come with it (the basis of a claim)
    extra: tuple[str, ...] = ()

    @property
    def cited(self) -> tuple[str, ...]:
        """Every citation column of the statement."""
        return self.columns + self.extra


#: What a source may state.
STATEMENTS: tuple[Statement, ...] = (
    Statement(("authenticity",), "authenticity", extra=("authenticity_basis",)),
    Statement(("made_in_code",), "made_in"),
    Statement(("manufactured_on", "manufactured_precision"), "manufactured_on"),
)
_RANK = {Reliability.HIGH: 3, Reliability.MEDIUM: 2, Reliability.LOW: 1}
#: What each component keeps when no source states anything.
_NOTHING: dict[str, Any] = {
    "authenticity": Authenticity.UNKNOWN,
    "made_in_code": None,
    "manufactured_on": None,
    "manufactured_precision": None,
}

#: (statement, source reliability, source date, publisher, title)
Stated = tuple[Any, Reliability | None, dt.date | None, str, str]


def choose(statements: Iterable[Stated], nothing: Any = Authenticity.UNKNOWN) -> Any:
    """The statement reports use (``nothing`` when there is none)."""
    best: tuple[object, ...] | None = None
    chosen = nothing
    for value, reliability, published, publisher, title in statements:
        rank = (
            -_RANK.get(reliability, 0) if reliability is not None else 0,
            -(published or dt.date.min).toordinal(),
            publisher,
            title,
        )
        if best is None or rank < best:
            best, chosen = rank, value
    return chosen


def standing(claims: Iterable[Authenticity]) -> str:
    """``unknown`` without claims, the claim when they all agree, else ``disputed``."""
    distinct = set(claims)
    if not distinct:
        return str(Authenticity.UNKNOWN)
    return str(next(iter(distinct))) if len(distinct) == 1 else DISPUTED


def choose_for(conn: Connection, ids: Sequence[int]) -> None:
    """Give the components ``ids`` (a few hundred at most) their chosen statements again."""
    columns = [c for s in STATEMENTS for c in s.columns]
    stated: dict[tuple[int, tuple[str, ...]], list[Stated]] = defaultdict(list)
    query = (
        select(
            Citation.component_id,
            *(Citation.__table__.c[c] for c in columns),
            Source.reliability,
            Source.published_on,
            Source.publisher,
            Source.title,
        )
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.component_id.in_(ids))
    )
    for cid, *values, reliability, published, publisher, title in conn.execute(query):
        by_column = dict(zip(columns, values, strict=True))
        for s in STATEMENTS:
            value = tuple(by_column[c] for c in s.columns)
            if value[0] is not None:
                stated[(cid, s.columns)].append((value, reliability, published, publisher, title))
    current = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in conn.execute(
            select(Component.id, *(Component.__table__.c[c] for c in columns)).where(
                Component.id.in_(ids)
            )
        )
    }
    for cid in ids:
        chosen: dict[str, Any] = {}
        for s in STATEMENTS:
            nothing = tuple(_NOTHING[c] for c in s.columns)
            best = choose(stated.get((cid, s.columns), []), nothing)
            chosen.update(zip(s.columns, best, strict=True))
        changed = {c: v for c, v in chosen.items() if current.get(cid, {}).get(c) != v}
        if changed:
            conn.execute(update(Component).where(Component.id == cid).values(changed))
