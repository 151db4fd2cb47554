"""The sources report: every source citing a component a report with the same filters counts,
with how many components and parts it reports; and the reference data the reports rest on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, literal, select

from provenance.errors import UnknownGroupError
from provenance.models import Citation, Component, Source, WeaponSystem
from provenance.reference import chpl, groups
from provenance.reports.core import (
    FilteredParts,
    Filters,
    ReferenceRow,
    Scope,
    as_int,
    components_joined,
)
from provenance.values.dates import format_partial_date


@dataclass
class SourceRow:
    publisher: str
    title: str
    url: str | None
    published: str
    reliability: str | None
    components: int  # component records it reports, within the report's filters
    parts: int


@dataclass
class WeaponSources:
    """The sources of one weapon system's components (within the report's filters)."""

    weapon: str
    sources: list[SourceRow]


@dataclass
class SourcesReport:
    scope: Scope
    sources: list[SourceRow]
    components_without_source: int
    references: list[ReferenceRow] = field(default_factory=list)
    #: per weapon system, when asked for (``per_weapon=True``), in designation order
    by_weapon: list[WeaponSources] = field(default_factory=list)
    #: weapon systems with components in the report's filters
    weapon_systems: int = 0


def sources(
    conn: Connection,
    filters: Filters | None = None,
    references: Iterable[ReferenceRow] = (),
    per_weapon: bool = False,
) -> SourcesReport:
    """The sources behind a report's numbers: every source citing a component the report counts,
    with how many components and parts it reports. A component reported by two sources counts
    for both; ``components_without_source`` should be 0 (every finding cites a source). With
    ``per_weapon``, the same per weapon system too."""
    filters = filters or Filters()
    ctx = FilteredParts(conn, filters)
    out = _source_rows(conn, ctx, by_weapon=False)[None]
    by_weapon = (
        [WeaponSources(str(w), rows) for w, rows in sorted(_source_rows(conn, ctx, True).items())]
        if per_weapon
        else []
    )
    cited = select(Citation.component_id)
    uncited = conn.execute(
        components_joined(func.count(Component.id)).where(*ctx.where, Component.id.not_in(cited))
    ).scalar_one()
    weapons = conn.execute(
        components_joined(func.count(func.distinct(WeaponSystem.id))).where(*ctx.where)
    ).scalar_one()
    return SourcesReport(
        ctx.scope, out, as_int(uncited), list(references), by_weapon, as_int(weapons)
    )


def _source_rows(
    conn: Connection, ctx: FilteredParts, by_weapon: bool
) -> dict[str | None, list[SourceRow]]:
    """The sources, largest first: of all the report's components (key None), or per weapon
    system."""
    weapon: Any = WeaponSystem.designation if by_weapon else literal(None)
    rows = conn.execute(
        components_joined(
            weapon.label("weapon"),
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
            func.count(Component.id),
            func.sum(Component.quantity),
        )
        .join(Citation, Citation.component_id == Component.id)
        .join(Source, Source.id == Citation.source_id)
        .where(*ctx.where)
        .group_by(
            *([WeaponSystem.designation] if by_weapon else []),
            Source.id,
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
        )
    ).all()
    out: dict[str | None, list[SourceRow]] = {None: []} if not by_weapon else {}
    for designation, pub, title, url, on, precision, rel, n, parts in rows:
        out.setdefault(designation, []).append(
            SourceRow(
                publisher=pub,
                title=title,
                url=url,
                published=format_partial_date(on, precision),
                reliability=str(rel) if rel is not None else None,
                components=as_int(n),
                parts=as_int(parts),
            )
        )
    for found in out.values():
        found.sort(key=lambda s: (-s.parts, s.publisher, s.title, s.url or ""))
    return out


def reference_data(conn: Connection) -> list[ReferenceRow]:
    """The reference data the reports use by default: the newest CHPL version and the group
    whose controls dates the timeline uses (those present in the database)."""
    out: list[ReferenceRow] = []
    versions = chpl.list_versions(conn)
    if versions:
        out.append(ReferenceRow("export-control list", versions[0].citation, versions[0].notes))
    try:
        info = groups.get_group(conn, groups.CONTROLS_GROUP)
    except UnknownGroupError:
        return out
    out.append(
        ReferenceRow("country group (controls dates)", f"{info.name} ({info.code})", info.basis)
    )
    return out
