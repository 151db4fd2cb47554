"""``provenance customs``: customs shipment records and the links a rule proposes between a
shipment and a component (load, match, review, list; registered in cli/main.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from provenance.cli.common import connect, db_option, format_option, library_errors, open_engine
from provenance.cli.review import chosen, rows_text
from provenance.ingest.customs import CustomsSummary, load_customs
from provenance.ingest.customs_match import (
    RULES,
    STATUSES,
    Link,
    MatchSummary,
    links,
    match_customs,
    review_link,
)
from provenance.ingest.mapping import load_mapping
from provenance.limits import Limits
from provenance.models import CustomsLinkStatus
from provenance.publish import render
from provenance.publish.formats import json_text, plain

#: The columns of `customs list` (CSV, JSON keys): scripts read them, keep them stable.
LIST_COLUMNS = tuple(f.name for f in dataclasses.fields(Link))
_TABLE_COLUMNS = (
    "link_id",
    "status",
    "rule",
    "record_id",
    "shipped_on",
    "hs6",
    "brand",
    "shipment_part_number",
    "component_id",
    "component",
    "specimen",
    "decided_by",
)


@click.group("customs")
def customs_group() -> None:
    """Customs records: load shipment rows, propose links to components, review them.

    A link is proposed only when a rule matches, and counts only when a person accepts it.

    \b
    Examples:
      provenance customs load shipments.csv
      provenance customs match
      provenance customs match --rule hs-brand
      provenance customs list --status proposed
      provenance customs review --accept 3 --by "A. Analyst" --note "same lot"
    """


@customs_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    metavar="NAME",
    help="A column mapping (YAML, kind: customs) for files in another layout, or the name of "
    "a shipped one; see seeds/mappings/README.md.",
)
@click.option(
    "--limit",
    "limit_items",
    metavar="NAME=VALUE",
    multiple=True,
    help="Raise a limit of provenance load: file-size (4G), cell-size (1M), xlsx-rows, ...",
)
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def load_command(
    file: Path,
    mapping_file: str | None,
    limit_items: tuple[str, ...],
    db_url: str | None,
    fmt: str,
) -> None:
    """Load a customs records file (CSV, Excel, JSON, JSON Lines): one shipment a row.

    Columns (any may be missing; case, spaces, _ and - ignored): date, hs_code, description,
    brand, part_number, exporter, importer, origin_country, dispatch_country, value, currency,
    quantity, record_id. All of the file or nothing: a bad row is named with its row and
    column. Loading the same file again changes nothing; rows loaded before from another file
    are not added again. A file in another layout is read through a mapping of kind customs.

    \b
    Examples:
      provenance customs load shipments.xlsx
      provenance customs load --mapping my-provider.yaml export.csv
    """
    limits = Limits().with_changes(limit_items)
    mapping = load_mapping(mapping_file) if mapping_file else None
    summary = load_customs(open_engine(db_url), file, limits, mapping=mapping)
    click.echo(_load_text(summary, fmt), nl=False)


def _load_text(s: CustomsSummary, fmt: str) -> str:
    if fmt == "json":
        return json_text({k: plain(v) for k, v in dataclasses.asdict(s).items()})
    if s.already_loaded:
        return (
            f"{s.file_name}: already loaded as batch {s.batch_id} (same SHA-256); nothing changed\n"
        )
    return (
        f"{s.file_name}: batch {s.batch_id}, {s.rows_read:,} rows read, {s.shipments_added:,} "
        f"shipments added ({s.already_known:,} loaded before), {s.brands_resolved:,} with a "
        "brand that is a known manufacturer\n"
    )


@customs_group.command("match")
@click.option(
    "--rule",
    type=click.Choice(RULES),
    default=RULES[0],
    show_default=True,
    help="hs-brand-part: HS-6, manufacturer and part number equal. hs-brand also links HS-6 "
    "and manufacturer where one side gives no part number.",
)
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def match_command(rule: str, db_url: str | None, fmt: str) -> None:
    """Propose links between shipments and components where a rule matches.

    Every link is proposed, for a person to accept or reject (`customs review`); matching
    again keeps every link and its decision. Part numbers that differ are never linked.

    \b
    Example:
      provenance customs match --rule hs-brand
    """
    summary = match_customs(open_engine(db_url), rule)
    click.echo(_match_text(summary, fmt), nl=False)


def _match_text(s: MatchSummary, fmt: str) -> str:
    if fmt == "json":
        return json_text(dataclasses.asdict(s))
    return (
        f"{s.shipments:,} shipments matched by rule {s.rule}: {s.matches:,} matches, {s.new:,} "
        f"new links proposed, {s.kept:,} kept as they were; {s.brands_resolved:,} brands newly "
        "resolved to a manufacturer\n"
    )


@customs_group.command("review")
@click.option("--accept", "accept_id", type=int, metavar="ID", help="The shipment carried it.")
@click.option("--reject", "reject_id", type=int, metavar="ID", help="It did not.")
@click.option("--by", "by", metavar="NAME", help="Who decides (required).")
@click.option("--note", metavar="TEXT", help="Why (kept with the decision).")
@db_option
@format_option(("table", "json", "csv"))
@library_errors
def review_command(
    accept_id: int | None,
    reject_id: int | None,
    by: str | None,
    note: str | None,
    db_url: str | None,
    fmt: str,
) -> None:
    """Accept or reject a proposed link, with your name and a note; without either, list the
    proposed links.

    \b
    Examples:
      provenance customs review
      provenance customs review --accept 3 --by "A. Analyst" --note "same lot number"
      provenance customs review --reject 4 --by "A. Analyst" --note "another year"
    """
    asked = chosen(accept_id, reject_id, by)
    if asked is None:
        with connect(db_url) as conn:
            rows = links(conn, "proposed")
        click.echo(_rows(rows, fmt), nl=False)
        return
    target, accepted = asked
    status = CustomsLinkStatus.ACCEPTED if accepted else CustomsLinkStatus.REJECTED
    decided = review_link(open_engine(db_url), target, status, by or "", note)
    click.echo(_rows([decided], fmt), nl=False)


@customs_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only links of this status.")
@db_option
@format_option(("table", "json", "csv"))
@library_errors
def list_command(status: str | None, db_url: str | None, fmt: str) -> None:
    """List the links between shipments and components, with their status and decision.

    \b
    Examples:
      provenance customs list --status proposed
      provenance customs list --status accepted --format csv
    """
    with connect(db_url) as conn:
        rows = links(conn, status)
    click.echo(_rows(rows, fmt), nl=False)


def _rows(rows: list[Link], fmt: str) -> str:
    return rows_text(rows, fmt, _TABLE_COLUMNS, LIST_COLUMNS, "no links")
