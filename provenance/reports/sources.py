"""The sources report: every source citing a component a report with the same filters counts,
with how many components and parts it reports; and the reference data the reports rest on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from provenance.errors import UnknownGroupError
from provenance.models import Citation, Component, Source
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
class SourcesReport:
    scope: Scope
    sources: list[SourceRow]
    components_without_source: int
    references: list[ReferenceRow] = field(default_factory=list)


def sources(
    conn: Connection,
    filters: Filters | None = None,
    references: Iterable[ReferenceRow] = (),
) -> SourcesReport:
    """The sources behind a report's numbers: every source citing a component the report counts,
    with how many components and parts it reports. A component reported by two sources counts
    for both; ``components_without_source`` should be 0 (every finding cites a source)."""
    filters = filters or Filters()
    ctx = FilteredParts(conn, filters)
    rows = conn.execute(
        components_joined(
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
            Source.id,
            Source.publisher,
            Source.title,
            Source.url,
            Source.published_on,
            Source.published_precision,
            Source.reliability,
        )
    ).all()
    out = [
        SourceRow(
            publisher=pub,
            title=title,
            url=url,
            published=format_partial_date(on, precision),
            reliability=str(rel) if rel is not None else None,
            components=as_int(n),
            parts=as_int(parts),
        )
        for pub, title, url, on, precision, rel, n, parts in rows
    ]
    out.sort(key=lambda s: (-s.parts, s.publisher, s.title))
    cited = select(Citation.component_id)
    uncited = conn.execute(
        components_joined(func.count(Component.id)).where(*ctx.where, Component.id.not_in(cited))
    ).scalar_one()
    return SourcesReport(ctx.scope, out, as_int(uncited), list(references))


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
