"""The Common High Priority List (CHPL): HS codes normalised to six digits, and their tier.

The US, EU, UK and Japan keep the CHPL: items, by HS-6 code and tier, that Russia seeks for its
weapons. The list has versions (each a published document); the database holds every version
loaded (``chpl_lists`` and ``chpl_entries``) and a look-up uses the newest one (by publication
date) unless a version is named. A match on an HS code is a lead for export-control review, not a
legal classification.

HS codes are read by :mod:`provenance.values.hs` (``8504.40``, ``850440``, ``8504.40.00`` and
``8504 40`` are one HS-6 code); a code of fewer than six digits (``8504``, a heading) cannot be
placed on the list: it has no tier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select

from provenance.errors import ChplError, RowError
from provenance.models import ChplEntry, ChplList
from provenance.values.hs import format_hs6, normalize_hs6

if TYPE_CHECKING:  # the schemas read HS codes with the functions below
    from provenance.reference.schemas import ChplListSpec

#: The tiers in the order the list gives them.
TIERS: tuple[str, ...] = ("1", "2", "3.A", "3.B", "4.A", "4.B")
#: What the February 2024 list says each tier is (tier 2 has no short name there).
TIER_LABELS: dict[str, str] = {
    "1": "integrated circuits",
    "3.A": "electronic components",
    "3.B": "mechanical and navigation",
    "4.A": "production and test equipment",
    "4.B": "machine tools",
}


def tier_label(tier: str) -> str:
    label = TIER_LABELS.get(tier)
    return f"tier {tier} ({label})" if label else f"tier {tier}"


def tier_sort_key(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier), tier) if tier in TIERS else (len(TIERS), tier)


@dataclass(frozen=True)
class ChplVersion:
    """One version of the list, as stored."""

    id: int
    version: str
    published_on: dt.date
    publisher: str
    title: str
    url: str | None
    notes: str | None
    codes: int

    @property
    def citation(self) -> str:
        return f"{self.publisher}: {self.title} ({self.published_on.isoformat()})"


def list_versions(conn: Connection) -> list[ChplVersion]:
    """Every version of the list in the database, newest first."""
    counts = (
        select(ChplEntry.list_id, func.count().label("n")).group_by(ChplEntry.list_id).subquery()
    )
    rows = conn.execute(
        select(
            ChplList.id,
            ChplList.version,
            ChplList.published_on,
            ChplList.publisher,
            ChplList.title,
            ChplList.url,
            ChplList.notes,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(counts, counts.c.list_id == ChplList.id)
        .order_by(ChplList.published_on.desc(), ChplList.version.desc())
    )
    return [ChplVersion(*r) for r in rows]


def resolve_version(conn: Connection, version: str | None = None) -> ChplVersion:
    """The list version named, or the newest one; a clear error when there is none."""
    versions = list_versions(conn)
    if not versions:
        raise ChplError(
            "the database holds no Common High Priority List: run `provenance init` "
            "(it loads the shipped list) or `provenance reference load FILE`"
        )
    if version is None:
        return versions[0]
    for v in versions:
        if v.version == version.strip():
            return v
    known = ", ".join(v.version for v in versions)
    raise ChplError(f"unknown CHPL version {version!r}; the database holds: {known}")


def tier_of(conn: Connection, hs_code: str | None, version: str | None = None) -> str | None:
    """The tier of an HS code on the list (newest version unless ``version``), or None when the
    code is not on it or has fewer than six digits."""
    hs6 = normalize_hs6(hs_code)
    if hs6 is None:
        return None
    list_id = resolve_version(conn, version).id
    return conn.execute(
        select(ChplEntry.tier).where(ChplEntry.list_id == list_id, ChplEntry.hs6 == hs6)
    ).scalar_one_or_none()


# Adding list versions from a checked reference-list file ---------------------------------------


@dataclass
class ChplSyncSummary:
    lists_created: int = 0
    entries_created: int = 0
    warnings: list[str] = field(default_factory=list)


def apply_chpl_lists(
    conn: Connection, lists: Sequence[ChplListSpec], where: str, errors: list[RowError]
) -> ChplSyncSummary:
    """Add the list versions of a checked file (its ``chpl_lists``; ``where`` names the file).

    A version already in the database gets the codes it lacks; a code that the database holds
    with another tier, or another publication date for a version, are errors (a published list
    does not change: give a corrected list a new version). Problems go to ``errors``; the caller
    rolls back when there are any.
    """
    from provenance.yamlfile import key_path  # pydantic: only when a list is written

    summary = ChplSyncSummary()
    stored = {
        v: (id_, pub)
        for id_, v, pub in conn.execute(
            select(ChplList.id, ChplList.version, ChplList.published_on)
        )
    }
    for index, spec in enumerate(lists):
        if spec.version in stored:
            list_id, stored_on = stored[spec.version]
            if stored_on != spec.published_on:
                where_key = key_path(("chpl_lists", index, "published_on"))
                message = f"version {spec.version} is stored as published on {stored_on}"
                errors.append(RowError(where, 0, where_key, str(spec.published_on), message))
                continue
        else:
            list_id = conn.execute(
                insert(ChplList).returning(ChplList.id),
                {
                    "version": spec.version,
                    "published_on": spec.published_on,
                    "publisher": spec.publisher,
                    "title": spec.title,
                    "url": spec.url,
                    "notes": spec.notes,
                },
            ).scalar_one()
            stored[spec.version] = (list_id, spec.published_on)
            summary.lists_created += 1
        summary.entries_created += _add_codes(conn, list_id, spec, index, where, errors)
    return summary


def _add_codes(
    conn: Connection,
    list_id: int,
    spec: ChplListSpec,
    index: int,
    where: str,
    errors: list[RowError],
) -> int:
    """Add the codes of ``spec`` that the stored version lacks; the number added."""
    from provenance.yamlfile import key_path

    have = dict(
        conn.execute(
            select(ChplEntry.hs6, ChplEntry.tier).where(ChplEntry.list_id == list_id)
        ).all()
    )
    paths = spec.code_paths()
    new = []
    for hs6, (tier, description) in sorted(spec.codes().items()):
        if hs6 not in have:
            new.append({"list_id": list_id, "hs6": hs6, "tier": tier, "description": description})
        elif have[hs6] != tier:
            where_key = key_path(("chpl_lists", index, "tiers", *paths[hs6]))
            message = f"stored in tier {have[hs6]} of version {spec.version}"
            errors.append(RowError(where, 0, where_key, format_hs6(hs6), message))
    if new:
        conn.execute(insert(ChplEntry), new)
    return len(new)
