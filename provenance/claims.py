"""Authenticity as claims (issue 15): each citation keeps what its source says of the part
(``Citation.authenticity``, ``authenticity_basis``); the component's ``authenticity`` is the claim
reports use, chosen by one rule whatever the order of the rows, files or loads:

1. the claim of the most reliable source (``high``, ``medium``, ``low``, then unrated);
2. of those, the latest source (its publication date; undated last);
3. of those, the first source by publisher and title.

A component without claims is ``unknown``. Its *standing* (:func:`standing`) says whether the
claims agree: ``disputed`` when they do not. Loads (``provenance.ingest.claims``) and manufacturer
merges keep the chosen claim up to date with :func:`choose_for`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select, update

from provenance.models import Authenticity, Citation, Component, Reliability, Source

__all__ = ["DISPUTED", "choose", "choose_for", "standing"]

#: The standing of a component whose sources' claims disagree.
DISPUTED = "disputed"
_RANK = {Reliability.HIGH: 3, Reliability.MEDIUM: 2, Reliability.LOW: 1}


def choose(
    claims: Iterable[tuple[Authenticity, Reliability | None, dt.date | None, str, str]],
) -> Authenticity:
    """The claim reports use, of (claim, source reliability, source date, publisher, title)."""
    best: tuple[object, ...] | None = None
    chosen = Authenticity.UNKNOWN
    for claim, reliability, published, publisher, title in claims:
        rank = (
            -_RANK.get(reliability, 0) if reliability is not None else 0,
            -(published or dt.date.min).toordinal(),
            publisher,
            title,
        )
        if best is None or rank < best:
            best, chosen = rank, claim
    return chosen


def standing(claims: Iterable[Authenticity]) -> str:
    """``unknown`` without claims, the claim when they all agree, else ``disputed``."""
    distinct = set(claims)
    if not distinct:
        return str(Authenticity.UNKNOWN)
    return str(next(iter(distinct))) if len(distinct) == 1 else DISPUTED


def choose_for(conn: Connection, ids: Sequence[int]) -> None:
    """Give the components ``ids`` (a few hundred at most) their chosen claim again."""
    claims: dict[int, list[tuple[Authenticity, Reliability | None, dt.date | None, str, str]]]
    claims = defaultdict(list)
    query = (
        select(
            Citation.component_id,
            Citation.authenticity,
            Source.reliability,
            Source.published_on,
            Source.publisher,
            Source.title,
        )
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.component_id.in_(ids), Citation.authenticity.is_not(None))
    )
    for cid, claim, reliability, published, publisher, title in conn.execute(query):
        if claim is not None:
            claims[cid].append((claim, reliability, published, publisher, title))
    current = {
        cid: claim
        for cid, claim in conn.execute(
            select(Component.id, Component.authenticity).where(Component.id.in_(ids))
        )
    }
    for cid in ids:
        chosen = choose(claims.get(cid, []))
        if current.get(cid) != chosen:
            conn.execute(update(Component).where(Component.id == cid).values(authenticity=chosen))
