"""``provenance component``: one component and every source's statement of it."""

from __future__ import annotations

import dataclasses
import json

import click

from provenance.cli.common import connect, db_option, format_option, library_errors
from provenance.evidence.custody import evidence_rows
from provenance.reports.components import ComponentDetail, component_detail


@click.group("component")
def component_group() -> None:
    """One component: what it is and what each source says of it.

    \b
    Examples:
      provenance component show 42
      provenance component show 42 --format json
    """


@component_group.command("show")
@click.argument("component_id", type=int)
@db_option
@format_option(("table", "json"))
@library_errors
def show(component_id: int, db_url: str | None, fmt: str) -> None:
    """Show a component (its id: `report components --format csv`, column component_id) with
    every citing source, its record, and what it states (authenticity, country of manufacture,
    manufacture date) side by side.

    \b
    Examples:
      provenance component show 42
      provenance component show 42 --format json
    """
    with connect(db_url) as conn:
        detail = component_detail(conn, component_id)
        files = evidence_rows(conn, component_id=component_id)
    if fmt == "json":
        data = dataclasses.asdict(detail) | {"evidence": [dataclasses.asdict(f) for f in files]}
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(_text(detail), nl=False)
    if files:
        click.echo(f"  evidence files ({len(files)}; `provenance evidence show HASH`):")
        for f in files:
            caption = f": {f.caption}" if f.caption else ""
            click.echo(f"  - {f.sha256[:12]} {f.media_type} {f.original_name}{caption}")


def _text(detail: ComponentDetail) -> str:
    c = detail.component
    lines = [
        f"Component {c.component_id}: {c.component}"
        + (f" {c.part_number}" if c.part_number else ""),
        f"  weapon system: {c.weapon_system}; specimen: {c.specimen}",
        f"  manufacturer: {c.manufacturer}"
        + (f" ({c.manufacturer_country})" if c.manufacturer_country else "")
        + (f"; reported country: {c.reported_maker_country}" if c.reported_maker_country else ""),
        f"  made in: {c.made_in or '-'}; manufactured: {c.manufactured or '-'}"
        + (f" (date code {c.date_code})" if c.date_code else "")
        + f"; quantity: {c.quantity}",
        f"  authenticity: {c.authenticity} (standing: {c.standing})",
        "  (each value is the statement of the most reliable source, then of the latest)",
        f"  sources ({len(detail.claims)}):",
    ]
    for claim in detail.claims:
        said = claim.claim or "says nothing of its authenticity"
        lines.append(f"  - {claim.source}")
        facts = [
            f"made in {claim.made_in}" if claim.made_in else "",
            f"manufactured {claim.manufactured}" if claim.manufactured else "",
            f"reliability {claim.reliability}" if claim.reliability else "",
            f"published {claim.published_on}" if claim.published_on else "",
            f"record {claim.source_record_id}" if claim.source_record_id else "",
        ]
        lines.append("      " + "; ".join(f for f in [said, *facts] if f))
        if claim.basis:
            lines.append(f"      basis: {claim.basis}")
        for label, url in (("page", claim.source_record_url), ("photo", claim.evidence_url)):
            if url:
                lines.append(f"      {label}: {url}")
    return "\n".join(lines) + "\n"
