"""``provenance screen``: sanctions screening of the manufacturers and the supply chain's parties
against lists the user downloads (load, lists, run, review, list; registered in cli/main.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from provenance.cli.common import connect, db_option, format_option, library_errors, open_engine
from provenance.cli.review import chosen, rows_text
from provenance.ingest.screening import ListSummary, load_list, loaded_lists
from provenance.ingest.screening_run import (
    DEFAULT_THRESHOLD,
    STATUSES,
    Candidate,
    RunSummary,
    candidates,
    review,
    run_screening,
)
from provenance.limits import Limits
from provenance.models import ScreeningDecision
from provenance.publish import render
from provenance.publish.formats import json_text, plain

#: The columns of `screen list` (CSV, JSON keys): scripts read them, keep them stable.
LIST_COLUMNS = tuple(f.name for f in dataclasses.fields(Candidate))
_TABLE_COLUMNS = (
    "candidate_id",
    "status",
    "score",
    "subject_kind",
    "subject",
    "subject_country",
    "entity_id",
    "entity_name",
    "entity_countries",
    "reasons",
)


@click.group("screen")
def screen_group() -> None:
    """Screen the manufacturers and parties against sanctions lists you download (OpenSanctions).

    provenance never fetches a list: download targets.simple.csv or entities.ftm.json from
    OpenSanctions yourself, load it, run the screening, and decide each candidate.

    \b
    Examples:
      provenance screen load targets.simple.csv
      provenance screen lists
      provenance screen run
      provenance screen list --status open
      provenance screen review --accept 3 --by "A. Analyst" --note "same LEI"
    """


@screen_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--limit",
    "limit_items",
    metavar="NAME=VALUE",
    multiple=True,
    help="Raise a limit: file-size (4G), line-size (16M, one JSON line), cell-size (1M).",
)
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def load_command(file: Path, limit_items: tuple[str, ...], db_url: str | None, fmt: str) -> None:
    """Load a sanctions list: an OpenSanctions targets.simple.csv or entities.ftm.json.

    The format is told from the content. All of the file or nothing: a bad line is named with
    its line and column. Loading the same file again (same SHA-256) changes nothing. Companies,
    organisations and people are kept; other entities are counted as skipped.

    \b
    Example:
      provenance screen load ~/Downloads/targets.simple.csv
    """
    limits = Limits().with_changes(limit_items)
    summary = load_list(open_engine(db_url), file, limits)
    click.echo(_load_text(summary, fmt), nl=False)


#: The columns of `screen lists` (CSV, JSON keys).
LISTS_COLUMNS = (
    "list_id",
    "file_name",
    "format",
    "list_date",
    "entities",
    "datasets",
    "sha256",
)


@screen_group.command("lists")
@db_option
@format_option(("table", "json", "csv"))
@library_errors
def lists_command(db_url: str | None, fmt: str) -> None:
    """List the loaded sanctions lists: file, format, date, entities, datasets, SHA-256.

    \b
    Example:
      provenance screen lists --format json
    """
    with connect(db_url) as conn:
        loaded = loaded_lists(conn)
    if fmt == "table" and not loaded:
        click.echo("no lists loaded: provenance screen load FILE")
        return
    data = [
        [s.list_id, s.file_name, s.format, s.list_date, s.entities, "; ".join(s.datasets), s.sha256]
        for s in loaded
    ]
    click.echo(render.rows(LISTS_COLUMNS, data, fmt), nl=False)


def _load_text(summary: ListSummary, fmt: str) -> str:
    if fmt == "json":
        return json_text({k: plain(v) for k, v in dataclasses.asdict(summary).items()})
    if summary.already_loaded:
        return (
            f"{summary.file_name}: already loaded as list {summary.list_id} "
            f"(same SHA-256); nothing changed\n"
        )
    datasets = ", ".join(summary.datasets) or "none named"
    return (
        f"{summary.file_name}: list {summary.list_id} ({summary.format}), "
        f"{summary.entities:,} entities loaded, {summary.skipped:,} of other kinds skipped; "
        f"dated {summary.list_date or 'not known'}; datasets: {datasets}\n"
    )


@screen_group.command("run")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="The score (0-100: name likeness, then +5 for an agreeing country, -10 for another) "
    "a match needs to be a candidate.",
)
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def run_command(threshold: float, db_url: str | None, fmt: str) -> None:
    """Match every manufacturer's and party's names and aliases against the loaded lists.

    Names are compared on the manufacturer key (case, punctuation, legal forms folded) with
    rapidfuzz; the country counts for or against. A party whose identifier (LEI, registration,
    tax or OpenSanctions id) is the entity's is a candidate of score 100. A party that is a
    manufacturer is screened as that manufacturer. Candidates are written with their score and
    reasons for a person to decide (`screen review`); decisions are kept across runs and newer
    lists.

    \b
    Example:
      provenance screen run --threshold 90
    """
    summary = run_screening(open_engine(db_url), threshold)
    click.echo(_run_text(summary, fmt), nl=False)


def _run_text(s: RunSummary, fmt: str) -> str:
    if fmt == "json":
        return json_text(dataclasses.asdict(s))
    return (
        f"{s.manufacturers:,} manufacturers and {s.parties:,} parties screened against "
        f"{s.entities:,} listed entities (threshold {s.threshold:g}): "
        f"{s.candidates:,} candidates ({s.new:,} new, "
        f"{s.updated:,} found again); {s.dropped:,} open candidates no longer found were "
        f"dropped, {s.decided_kept:,} decided ones kept\n"
    )


@screen_group.command("review")
@click.option("--accept", "accept_id", type=int, metavar="ID", help="The candidate is the entity.")
@click.option("--reject", "reject_id", type=int, metavar="ID", help="A name alike, not the entity.")
@click.option("--by", "by", metavar="NAME", help="Who decides (required with --accept/--reject).")
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
    """Accept or reject a candidate match, with your name and a note; without either, list
    the open candidates.

    \b
    Examples:
      provenance screen review
      provenance screen review --accept 3 --by "A. Analyst" --note "same address and LEI"
      provenance screen review --reject 4 --by "A. Analyst" --note "another company, Delaware"
    """
    asked = chosen(accept_id, reject_id, by)
    if asked is None:
        with connect(db_url) as conn:
            rows = candidates(conn, "open")
        click.echo(_rows(rows, fmt), nl=False)
        return
    target, accepted = asked
    decision = ScreeningDecision.ACCEPTED if accepted else ScreeningDecision.REJECTED
    decided = review(open_engine(db_url), target, decision, by or "", note)
    click.echo(_rows([decided], fmt), nl=False)


@screen_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only candidates of this status.")
@db_option
@format_option(("table", "json", "csv"))
@library_errors
def list_command(status: str | None, db_url: str | None, fmt: str) -> None:
    """List the candidate matches, best score first, with their status and decision.

    \b
    Examples:
      provenance screen list --status open
      provenance screen list --status accepted --format csv
    """
    with connect(db_url) as conn:
        rows = candidates(conn, status)
    click.echo(_rows(rows, fmt), nl=False)


def _rows(rows: list[Candidate], fmt: str) -> str:
    return rows_text(rows, fmt, _TABLE_COLUMNS, LIST_COLUMNS, "no candidates")
