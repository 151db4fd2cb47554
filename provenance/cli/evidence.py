"""``provenance evidence``: photos and documents of components and specimens, stored by their
content, with their chain of custody."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import click

from provenance import migrate
from provenance.cli.common import (
    db_option,
    format_option,
    library_errors,
    open_engine,
    output_option,
    store_option,
)
from provenance.evidence.custody import (
    EvidenceRow,
    custody_event,
    evidence_detail,
    evidence_rows,
    verify,
)
from provenance.evidence.records import add_evidence
from provenance.evidence.store import store_for
from provenance.limits import Limits
from provenance.models import CustodyEvent
from provenance.publish import render


@click.group("evidence")
def evidence_group() -> None:
    """Photos and documents of the parts, stored by content, with their chain of custody.

    Files are kept by their SHA-256 in a write-once store beside the database (the same bytes
    are stored once, under any name); nothing deletes them. Each add and each recorded
    verification is an event in the file's chain of custody, which is only ever added to.

    \b
    Examples:
      provenance evidence add IMG_0412.jpg IMG_0413.jpg --component 42 --caption "top marking"
      provenance evidence add report.pdf --specimen UA-2024-0113 --source https://example.org/r
      provenance evidence list --weapon KN-23
      provenance evidence show 3f9a1c
      provenance evidence verify --record --by "A. Analyst"
    """


@evidence_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--component", "component_id", type=int, help="The component they show (its id).")
@click.option("--specimen", metavar="LABEL", help="The specimen they show (its label).")
@click.option("--caption", metavar="TEXT", help="What they show.")
@click.option("--taken-by", metavar="NAME", help="Who took the photos.")
@click.option("--source", metavar="URL|TITLE", help="The source that published them.")
@click.option("--by", metavar="NAME", help="Who adds them (recorded in the chain of custody).")
@click.option("--place", metavar="TEXT", help="Where they are received (chain of custody).")
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    help="Raise a limit, e.g. evidence-size=4G (default 1 GiB per file).",
)
@store_option
@db_option
@format_option(("table", "json"))
@library_errors
def add(
    files: tuple[Path, ...],
    component_id: int | None,
    specimen: str | None,
    caption: str | None,
    taken_by: str | None,
    source: str | None,
    by: str | None,
    place: str | None,
    limits: tuple[str, ...],
    store_dir: Path | None,
    db_url: str | None,
    fmt: str,
) -> None:
    """Store photos or documents as showing one component or specimen: all of them, or none.

    The media type is read from the bytes, and from photos the EXIF time, camera and GPS
    position. Adding the same bytes again adds nothing.

    \b
    Examples:
      provenance evidence add IMG_0412.jpg --component 42 --caption "XP Power converter, top"
      provenance evidence add scan.pdf --specimen UA-2024-0113 --by "A. Analyst"
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    summary = add_evidence(
        engine,
        store_for(engine, store_dir),
        list(files),
        component_id=component_id,
        specimen=specimen,
        caption=caption,
        taken_by=taken_by,
        source=source,
        by=by,
        place=place,
        limits=Limits().with_changes(limits),
    )
    if fmt == "json":
        data = {
            "store": str(summary.store),
            "new_files": summary.new_files,
            "new_links": summary.new_links,
            "files": [dataclasses.asdict(a) for a in summary.added],
        }
        click.echo(json.dumps(data, indent=2))
        return
    for a in summary.added:
        state = "stored" if a.new_file else ("linked" if a.new_link else "already there")
        click.echo(f"{a.sha256[:12]}  {a.media_type:<16} {a.size_bytes:>12,}  {state:<13} {a.name}")
    click.echo(
        f"{len(summary.added)} file(s): {summary.new_files} new, {summary.new_links} new link(s);"
        f" store {summary.store}"
    )


@evidence_group.command("list")
@click.option("--component", "component_id", type=int, help="Only this component's files.")
@click.option("--specimen", metavar="LABEL", help="Only this specimen's (and its parts') files.")
@click.option("--weapon", metavar="NAME", help="Only this weapon system's files.")
@db_option
@format_option(render.ROW_FORMATS)
@output_option("Write the list to this file (required for xlsx).")
@library_errors
def list_command(
    component_id: int | None,
    specimen: str | None,
    weapon: str | None,
    db_url: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """List the stored files, one row per component or specimen each shows.

    \b
    Examples:
      provenance evidence list --weapon KN-23
      provenance evidence list --component 42 --format json
    """
    from provenance.reports.core import resolve_weapon

    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        weapon_ids = [resolve_weapon(conn, weapon)] if weapon else None
        found = evidence_rows(
            conn, component_id=component_id, specimen=specimen, weapon_ids=weapon_ids
        )
    header = [f.name for f in dataclasses.fields(EvidenceRow)]
    data = [list(dataclasses.astuple(r)) for r in found]
    if fmt == "table":
        header, data = _short(header, data)
    text = render.rows(header, data, fmt, output)
    if output is not None and fmt != "xlsx":
        output.write_text(text, encoding="utf-8")
    elif text:
        click.echo(text, nl=False)


_TABLE = ("sha256", "media_type", "weapon_system", "specimen", "component_id", "part", "caption")


def _short(header: list[str], data: list[list[object]]) -> tuple[list[str], list[list[object]]]:
    """The columns a terminal shows, the hash cut to 12 digits."""
    keep = [header.index(name) for name in _TABLE]
    rows = [[r[i] for i in keep] for r in data]
    for r in rows:
        r[0] = str(r[0])[:12]
    return list(_TABLE), rows


@evidence_group.command("show")
@click.argument("sha256")
@db_option
@format_option(("table", "json"))
@library_errors
def show(sha256: str, db_url: str | None, fmt: str) -> None:
    """Show one stored file (its SHA-256 or its first digits): facts, what it shows, and its
    whole chain of custody.

    \b
    Examples:
      provenance evidence show 3f9a1c
      provenance evidence show 3f9a1c --format json
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    with engine.connect() as conn:
        d = evidence_detail(conn, sha256)
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(d), indent=2, default=str))
        return
    lines = [
        f"sha256    {d.sha256}",
        f"sha1      {d.sha1}",
        f"file      {d.original_name} ({d.media_type}, {d.size_bytes:,} bytes"
        + (f", {d.width}x{d.height} px)" if d.width else ")"),
        f"added     {d.added_at}",
    ]
    if d.taken_at or d.camera:
        lines.append(f"taken     {d.taken_at or 'time unknown'}, {d.camera or 'camera unknown'}")
    if d.gps_latitude is not None and d.gps_longitude is not None:
        lines.append(f"GPS       {d.gps_latitude:.6f}, {d.gps_longitude:.6f}")
    lines.append("shows")
    for s in d.shows:
        what = f"component {s.component_id} ({s.part})" if s.component_id else "the specimen"
        lines.append(f"  {s.weapon_system} / {s.specimen}: {what}" + _caption(s.caption))
    lines.append("chain of custody")
    for e in d.custody:
        who = e.actor or "who not recorded"
        seen = (e.sha256_seen or "file missing")[:12]
        lines.append(f"  {e.occurred_at}  {e.event:<11} {who}; hash seen {seen}" + _caption(e.note))
    click.echo("\n".join(lines))


def _caption(text: str | None) -> str:
    return f": {text}" if text else ""


@evidence_group.command("verify")
@click.option("--record", is_flag=True, help="Append a 'verified' event to each file's custody.")
@click.option("--by", metavar="NAME", help="Who verifies (with --record).")
@store_option
@db_option
@format_option(("table", "json"))
@library_errors
def verify_command(
    record: bool, by: str | None, store_dir: Path | None, db_url: str | None, fmt: str
) -> None:
    """Hash every stored file again: exit 1 when any is missing or altered.

    \b
    Examples:
      provenance evidence verify
      provenance evidence verify --record --by "A. Analyst"
    """
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    report = verify(engine, store_for(engine, store_dir), record=record, by=by)
    if fmt == "json":
        data = dataclasses.asdict(report) | {"passed": report.passed}
        click.echo(json.dumps(data, indent=2))
    else:
        for p in report.problems:
            seen = f" (now {p.sha256_seen[:12]})" if p.sha256_seen else ""
            click.echo(f"{p.problem.upper():<8} {p.sha256[:12]}{seen}  {p.original_name}")
        click.echo(
            f"{report.checked} file(s) checked in {report.store}: {report.ok} intact, "
            f"{sum(p.problem == 'missing' for p in report.problems)} missing, "
            f"{sum(p.problem == 'altered' for p in report.problems)} altered"
            + (
                f"; {report.unreferenced} file(s) in the store no row names"
                if report.unreferenced
                else ""
            )
            + ("; recorded in the chain of custody" if record and report.checked else "")
        )
    if not report.passed:
        raise SystemExit(1)


@evidence_group.command("custody")
@click.argument("sha256")
@click.option(
    "--event",
    type=click.Choice([e.value for e in CustodyEvent]),
    required=True,
    help="What happened.",
)
@click.option("--by", metavar="NAME", required=True, help="Who.")
@click.option("--at", "at", metavar="TIME", help="When, ISO 8601 with a zone (default: now).")
@click.option("--place", metavar="TEXT", help="Where.")
@click.option("--note", metavar="TEXT", help="Anything else (to whom, on what medium).")
@store_option
@db_option
@library_errors
def custody(
    sha256: str,
    event: str,
    by: str,
    at: str | None,
    place: str | None,
    note: str | None,
    store_dir: Path | None,
    db_url: str | None,
) -> None:
    """Add an event to a file's chain of custody (with the hash of the stored bytes now).

    \b
    Examples:
      provenance evidence custody 3f9a1c --event transferred --by "A. Analyst" --note "to CAR"
      provenance evidence custody 3f9a1c --event captured --by "Field team" --at 2024-05-01T10:00Z
    """
    when = None
    if at:
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at") from exc
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    line = custody_event(
        engine,
        store_for(engine, store_dir),
        sha256,
        CustodyEvent(event),
        actor=by,
        occurred_at=when,
        place=place,
        note=note,
    )
    seen = line.sha256_seen or "file missing from the store"
    click.echo(f"{line.occurred_at}  {line.event} by {line.actor}; hash seen {seen}")
