"""The sources report: every source citing a component a report with the same filters counts,
with how many components and parts it reports; and the reference data the reports rest on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, exists, func, literal, select

from provenance.errors import UnknownGroupError
from provenance.models import Citation, Component, Source, Specimen, WeaponSystem
from provenance.reference import chpl, groups
from provenance.reports.core import (
    FilteredParts,
    Filters,
    ReferenceRow,
    Scope,
    as_int,
    components_joined,
    unindexed_id,
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
    cited = exists(select(Citation.component_id).where(Citation.component_id == Component.id))
    uncited = conn.execute(
        _components(bool(ctx.where), func.count(Component.id)).where(*ctx.where, ~cited)
    ).scalar_one()
    # The weapon systems with components in the filters: counted with the scope already.
    weapons = ctx.scope.weapon_systems
    return SourcesReport(ctx.scope, out, as_int(uncited), list(references), by_weapon, weapons)


def _components(joined: bool, *columns: Any) -> Select[Any]:
    """``columns`` of :func:`components_joined` when ``joined`` (a filter or a column needs the
    joins), else of the components alone: every component has a specimen and a weapon system
    (foreign keys, not null), and the manufacturer is an outer join, so the joins change no
    count."""
    if joined:
        return components_joined(*columns)
    return select(*columns).select_from(Component)


def _source_rows(
    conn: Connection, ctx: FilteredParts, by_weapon: bool
) -> dict[str | None, list[SourceRow]]:
    """The sources, largest first: of all the report's components (key None), or per weapon
    system.

    The citations are counted by source id (and weapon system id) first; the sources' and weapon
    systems' names are joined to the few rows that gives."""
    keys: list[Any] = [Specimen.weapon_system_id] if by_weapon else []
    source_id = unindexed_id(Citation.source_id)
    counted = (
        _components(bool(ctx.where) or by_weapon, *keys)
        .add_columns(
            source_id.label("source_id"),
            func.count(Component.id).label("components"),
            func.sum(Component.quantity).label("parts"),
        )
        .join(Citation, Citation.component_id == Component.id)
        .where(*ctx.where)
        .group_by(*keys, source_id)
        .subquery("counted")
    )
    weapon: Any = WeaponSystem.designation if by_weapon else literal(None)
    query = (
        select(
            weapon.label("weapon"),
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
            counted.c.components,
            counted.c.parts,
        )
        .select_from(counted)
        .join(Source, Source.id == counted.c.source_id)
    )
    if by_weapon:
        query = query.join(WeaponSystem, WeaponSystem.id == counted.c.weapon_system_id)
    # In the order of the source ids (per weapon system): the order ties keep below.
    rows = conn.execute(
        query.order_by(*([counted.c.weapon_system_id] if by_weapon else []), counted.c.source_id)
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
