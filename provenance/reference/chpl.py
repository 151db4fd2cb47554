"""The Common High Priority List (CHPL): HS codes normalised to six digits, and their tier.

The US, EU, UK and Japan keep the CHPL: items, by HS-6 code and tier, that Russia seeks for its
weapons. The list has versions (each a published document); the database holds every version
loaded (``chpl_lists`` and ``chpl_entries``) and a look-up uses the newest one (by publication
date) unless a version is named. A match on an HS code is a lead for export-control review, not a
legal classification.

HS codes are written many ways: ``8504.40``, ``850440``, ``8504.40.00``, ``8504 40``. All of them
are read as their digits; the first six digits are the HS-6 code the list is keyed on. A code of
fewer than six digits (``8504``, a heading) cannot be placed on the list: it has no tier.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select

from provenance.errors import ChplError, RowError
from provenance.models import ChplEntry, ChplList
from provenance.values.text import clean_text

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
_HS_TEXT = re.compile(r"[0-9]+(?:[ .][0-9]+)*")


def hs_digits(text: str | None) -> str | None:
    """The digits of an HS code written with dots or spaces (``8504.40.00`` -> ``85044000``).

    None for an empty value or one that is not an HS code (letters, other punctuation).
    """
    cleaned = clean_text(text)
    if cleaned is None or not _HS_TEXT.fullmatch(cleaned):
        return None
    return re.sub(r"[ .]", "", cleaned)


def normalize_hs6(text: str | None) -> str | None:
    """The six-digit HS code the list is keyed on: ``8504.40``, ``850440``, ``8504.40.00`` and
    ``8504 40`` all give ``850440``. None when there are fewer than six digits (or no code)."""
    digits = hs_digits(text)
    if digits is None or len(digits) < 6:
        return None
    return digits[:6]


def format_hs6(hs6: str) -> str:
    """``850440`` -> ``8504.40``, as the list writes its codes."""
    return f"{hs6[:4]}.{hs6[4:]}" if len(hs6) == 6 else hs6


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


# Loading list versions from reference YAML ---------------------------------------------------


@dataclass
class ChplSyncSummary:
    lists_created: int = 0
    entries_created: int = 0
    warnings: list[str] = field(default_factory=list)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    return dt.date.fromisoformat(text) if text else None


def apply_chpl_lists(
    conn: Connection, entries: list[Any], where: str, errors: list[RowError]
) -> ChplSyncSummary:
    """Add the list versions described in ``entries`` (the ``chpl_lists`` of a reference file).

    A version already in the database gets the codes it lacks; a code that the database holds
    with another tier, or list details that differ, are errors (a published list does not
    change: give a corrected list a new version). Problems go to ``errors``.
    """
    summary = ChplSyncSummary()
    stored = {
        v: (id_, pub)
        for id_, v, pub in conn.execute(
            select(ChplList.id, ChplList.version, ChplList.published_on)
        )
    }

    def bad(index: int, column: str, value: Any, message: str) -> None:
        errors.append(
            RowError(where, index, f"chpl_lists.{column}", str(value or ""), message, "record")
        )

    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            bad(
                index,
                "",
                entry,
                "expected a mapping with version, published_on, publisher, title, tiers",
            )
            continue
        unknown = set(entry) - {
            "version",
            "published_on",
            "publisher",
            "title",
            "url",
            "notes",
            "tiers",
        }
        if unknown:
            bad(index, ",".join(sorted(map(str, unknown))), None, "unknown keys")
        version = clean_text(entry.get("version"))
        publisher = clean_text(entry.get("publisher"))
        title = clean_text(entry.get("title"))
        try:
            published = _date(entry.get("published_on"))
        except ValueError:
            bad(index, "published_on", entry.get("published_on"), "expected a date as YYYY-MM-DD")
            continue
        if version is None or publisher is None or title is None or published is None:
            bad(
                index, "version", version, "a list needs version, published_on, publisher and title"
            )
            continue
        tiers = entry.get("tiers")
        if not isinstance(tiers, Mapping) or not tiers:
            bad(index, "tiers", None, "expected a mapping of tier -> list of HS codes")
            continue
        codes: dict[str, tuple[str, str | None]] = {}
        for tier_value, items in tiers.items():
            tier = str(tier_value).strip().upper()
            if not isinstance(items, list):
                bad(index, f"tiers.{tier}", items, "expected a list of HS codes")
                continue
            for item in items:
                description = None
                code_text = item
                if isinstance(item, Mapping):
                    code_text = item.get("hs")
                    description = clean_text(item.get("description"))
                hs6 = normalize_hs6(str(code_text) if code_text is not None else None)
                digits = hs_digits(str(code_text) if code_text is not None else None)
                if hs6 is None or digits is None or len(digits) != 6:
                    bad(
                        index,
                        f"tiers.{tier}",
                        code_text,
                        "expected a six-digit HS code, e.g. 8504.40",
                    )
                elif hs6 in codes and codes[hs6][0] != tier:
                    bad(index, f"tiers.{tier}", code_text, f"listed in tier {codes[hs6][0]} too")
                else:
                    codes[hs6] = (tier, description)
        if version in stored:
            list_id, stored_on = stored[version]
            if stored_on != published:
                bad(
                    index,
                    "published_on",
                    published,
                    f"version {version} is stored as published on {stored_on}",
                )
                continue
        else:
            list_id = conn.execute(
                insert(ChplList).returning(ChplList.id),
                {
                    "version": version,
                    "published_on": published,
                    "publisher": publisher,
                    "title": title,
                    "url": clean_text(entry.get("url")),
                    "notes": clean_text(entry.get("notes")),
                },
            ).scalar_one()
            stored[version] = (list_id, published)
            summary.lists_created += 1
        have = dict(
            conn.execute(
                select(ChplEntry.hs6, ChplEntry.tier).where(ChplEntry.list_id == list_id)
            ).all()
        )
        new = []
        for hs6, (tier, description) in sorted(codes.items()):
            if hs6 in have:
                if have[hs6] != tier:
                    bad(
                        index,
                        f"tiers.{tier}",
                        format_hs6(hs6),
                        f"stored in tier {have[hs6]} of version {version}",
                    )
                continue
            new.append({"list_id": list_id, "hs6": hs6, "tier": tier, "description": description})
        if new:
            conn.execute(insert(ChplEntry), new)
            summary.entries_created += len(new)
    return summary
