"""``provenance parties``, ``transfers``, ``trace`` and ``chain``: the supply chain of the parts
(issue 16; registered in cli/main.py). The logic is in ``provenance.chain``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy import Engine

from provenance import migrate
from provenance.chain.parties import (
    IDENTIFIER_KINDS,
    PartyDetail,
    PartySpec,
    add_party,
    list_parties,
    show_party,
)
from provenance.chain.read import Chain, chain_of_component, chain_of_manufacturer, chain_of_weapon
from provenance.chain.render import NO_GRAPHVIZ, picture, to_dot, to_markdown, to_text
from provenance.chain.trace import (
    NamedStep,
    TraceRow,
    TraceSpec,
    add_request,
    answer_request,
    close_request,
    list_requests,
)
from provenance.chain.transfers import load_transfers
from provenance.cli.common import connect, db_option, format_option, library_errors, open_engine
from provenance.models import PartyKind, PartyRole
from provenance.publish import render
from provenance.publish.formats import json_text
from provenance.values.dates import parse_partial_date

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _engine(db_url: str | None) -> Engine:
    """An engine on a database whose schema is up to date (else a clean error)."""
    engine = open_engine(db_url)
    migrate.ensure_current(engine)
    return engine


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


# parties ---------------------------------------------------------------------------------------


@click.group("parties")
def parties_group() -> None:
    """Companies and people other than the maker that handled a part (distributors, exporters,
    shippers, end users).

    \b
    Examples:
      provenance parties add "Arrow Electronics, Inc." --country US --alias Arrow
      provenance parties add "Texas Instruments Inc" --manufacturer "Texas Instruments"
      provenance parties list --search Shenzhen
      provenance parties show Arrow --format json
    """


@parties_group.command("add")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in PartyKind]),
    default="company",
    help="A company or a person.",
)
@click.option("--country", help="Country (name or ISO code); leave out when not known.")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeatable).")
@click.option(
    "--identifier",
    "identifiers",
    multiple=True,
    metavar="KIND=VALUE",
    help=f"An identifier, KIND one of {', '.join(IDENTIFIER_KINDS)} (repeatable).",
)
@click.option("--manufacturer", help="The manufacturer this party is the same company as.")
@click.option("--notes", help="Free text kept with the party.")
@db_option
@library_errors
def parties_add(
    name: str,
    kind: str,
    country: str | None,
    aliases: tuple[str, ...],
    identifiers: tuple[str, ...],
    manufacturer: str | None,
    notes: str | None,
    db_url: str | None,
) -> None:
    """Add a party (matched like manufacturers: case, punctuation and legal forms ignored).

    \b
    Example:
      provenance parties add "Shenzhen Hongda Trading Co., Ltd." --country CN \\
          --identifier registration=91440300XXXX
    """
    pairs = []
    for item in identifiers:
        k, sep, v = item.partition("=")
        if not sep or not v.strip():
            raise click.UsageError(f"--identifier {item!r}: expected KIND=VALUE")
        pairs.append((k, v))
    spec = PartySpec(name, PartyKind(kind), country, aliases, pairs, manufacturer, notes)
    new = add_party(_engine(db_url), spec)
    click.echo(f"party {new}: {name}")


def _party_rows(parties: list[PartyDetail], fmt: str) -> str:
    if fmt == "json":
        return json_text([p.as_dict() for p in parties])
    header = (
        "id",
        "name",
        "kind",
        "country",
        "manufacturer",
        "aliases",
        "identifiers",
        "transfers",
    )
    data = [
        [
            p.id,
            p.name,
            p.kind,
            p.country_code,
            p.manufacturer,
            "; ".join(p.aliases),
            "; ".join(f"{k}={v}" for k, v in p.identifiers),
            p.transfers,
        ]
        for p in parties
    ]
    return render.rows(header, data, fmt)


@parties_group.command("list")
@click.option("--search", help="Only parties whose name or alias contains this.")
@db_option
@format_option(("table", "csv", "json"))
@library_errors
def parties_list(search: str | None, db_url: str | None, fmt: str) -> None:
    """List the parties by name, with their aliases, identifiers and number of transfers.

    \b
    Example:
      provenance parties list --search Shenzhen --format csv
    """
    with connect(db_url) as conn:
        found = list_parties(conn, search)
    if fmt == "table" and not found:
        click.echo("no parties: provenance parties add NAME")
        return
    click.echo(_party_rows(found, fmt), nl=False)


@parties_group.command("show")
@click.argument("name")
@db_option
@format_option(("table", "json"))
@library_errors
def parties_show(name: str, db_url: str | None, fmt: str) -> None:
    """Show one party (by name or alias).

    \b
    Example:
      provenance parties show Arrow --format json
    """
    with connect(db_url) as conn:
        party = show_party(conn, name)
    if fmt == "json":
        click.echo(json_text(party.as_dict()), nl=False)
        return
    lines = [
        f"{party.name} ({party.kind}), country: {party.country_code or 'not known'}",
        f"same company as manufacturer: {party.manufacturer or '-'}",
        f"aliases: {'; '.join(party.aliases) or '-'}",
        f"identifiers: {'; '.join(f'{k}={v}' for k, v in party.identifiers) or '-'}",
        f"transfers: {party.transfers}",
    ]
    click.echo("\n".join(lines))


# transfers -------------------------------------------------------------------------------------


@click.group("transfers")
def transfers_group() -> None:
    """The steps of the chains: who sold a part, a batch or a product line to whom.

    \b
    Example:
      provenance transfers load steps.csv
    """


@transfers_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--new-parties", is_flag=True, help="Add the parties the file names that are new.")
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def transfers_load(file: Path, new_parties: bool, db_url: str | None, fmt: str) -> None:
    """Load transfers from a file (CSV, JSON, Excel...): all of its rows, or nothing.

    Columns: component_id, or manufacturer (with part_number and lot for a batch); from_party,
    from_role, to_party (required), to_role, date (YYYY, YYYY-MM or YYYY-MM-DD), place, country,
    document_kind (invoice, bill_of_lading, customs_declaration, trace_reply, other),
    document_ref, source_publisher, source_title (required), source_url, notes. A step another
    source already told differently is added beside it (`chain` marks both disputed).

    \b
    Example:
      provenance transfers load kse-customs-steps.csv --new-parties
    """
    summary = load_transfers(_engine(db_url), file, new_parties=new_parties)
    if fmt == "json":
        click.echo(json_text(summary.as_dict()), nl=False)
        return
    click.echo(
        f"{summary.file}: {summary.rows} rows read, {summary.transfers_added} transfers added, "
        f"{summary.already_known} already known; {summary.parties_added} parties and "
        f"{summary.sources_added} sources added"
    )


# trace requests --------------------------------------------------------------------------------


@click.group("trace")
def trace_group() -> None:
    """Trace requests to companies: sent, due (28 days), answered, declined, closed.

    \b
    Examples:
      provenance trace add --to Arrow --component 1 --sent 2024-03-01
      provenance trace list --overdue
      provenance trace answer 1 --on 2024-05-10 --text "sold to Hongda" --sold-to "Hongda"
      provenance trace close 1 --on 2024-07-01 --reply-offered 2024-06-01
    """


@trace_group.command("add")
@click.option("--to", "party", metavar="PARTY", help="The party asked.")
@click.option("--to-manufacturer", metavar="NAME", help="Or the manufacturer asked.")
@click.option("--component", "components", type=int, multiple=True, help="A component id.")
@click.option("--manufacturer", help="A batch's manufacturer (with --part-number).")
@click.option("--part-number", help="A batch's part number.")
@click.option("--lot", help="A batch's lot.")
@click.option("--sent", type=_DATE, required=True, help="The day it was sent (YYYY-MM-DD).")
@click.option("--due", type=_DATE, help="The day an answer is due (default: 28 days later).")
@click.option("--terms", help="The disclosure terms agreed.")
@db_option
@library_errors
def trace_add(
    party: str | None,
    to_manufacturer: str | None,
    components: tuple[int, ...],
    manufacturer: str | None,
    part_number: str | None,
    lot: str | None,
    sent: dt.datetime,
    due: dt.datetime | None,
    terms: str | None,
    db_url: str | None,
) -> None:
    """Log a trace request sent to a company about components or a batch.

    \b
    Examples:
      provenance trace add --to Arrow --component 1 --component 2 --sent 2024-03-01
      provenance trace add --to-manufacturer "Texas Instruments" --manufacturer \\
          "Texas Instruments" --part-number LM2596 --lot L2231 --sent 2024-03-01
    """
    spec = TraceSpec(
        sent.date(),
        party=party,
        recipient_manufacturer=to_manufacturer,
        components=components,
        manufacturer=manufacturer,
        part_number=part_number,
        lot=lot,
        due_on=_day(due),
        disclosure_terms=terms,
    )
    new = add_request(_engine(db_url), spec)
    click.echo(f"trace request {new}")


def _trace_rows(rows: list[TraceRow], fmt: str) -> str:
    if fmt == "json":
        return json_text([r.as_dict() for r in rows])
    header = (
        *("id", "recipient", "components", "batch", "sent_on", "due_on", "answered_on"),
        *("status", "late", "transfers"),
    )
    data = [
        [
            r.id,
            r.recipient,
            " ".join(str(c) for c in r.components),
            r.batch,
            r.sent_on,
            r.due_on,
            r.answered_on,
            r.status,
            "yes" if r.late else "",
            r.transfers,
        ]
        for r in rows
    ]
    return render.rows(header, data, fmt)


@trace_group.command("list")
@click.option("--overdue", is_flag=True, help="Only open requests past their due date.")
@click.option("--as-of", type=_DATE, help="The day to judge overdue by (default: today).")
@db_option
@format_option(("table", "csv", "json"))
@library_errors
def trace_list(overdue: bool, as_of: dt.datetime | None, db_url: str | None, fmt: str) -> None:
    """List the trace requests by date sent, with their status (overdue: open past due).

    \b
    Example:
      provenance trace list --overdue
    """
    with connect(db_url) as conn:
        rows = list_requests(conn, overdue=overdue, as_of=_day(as_of))
    if fmt == "table" and not rows:
        click.echo("no trace requests" + (" overdue" if overdue else ""))
        return
    click.echo(_trace_rows(rows, fmt), nl=False)


@trace_group.command("answer")
@click.argument("request_id", type=int)
@click.option("--on", "on", type=_DATE, required=True, help="The day the answer came.")
@click.option("--text", required=True, help="The answer, as the company gave it.")
@click.option("--sold-to", "sold_to", multiple=True, metavar="PARTY", help="A buyer it names.")
@click.option("--sold-on", help="When it sold (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option(
    "--role",
    type=click.Choice([r.value for r in PartyRole]),
    default="buyer",
    help="The role of each --sold-to party.",
)
@click.option("--evidence", metavar="SHA256", help="The reply as an evidence file (its SHA-256).")
@click.option("--declined", is_flag=True, help="The company declined to answer.")
@db_option
@library_errors
def trace_answer(
    request_id: int,
    on: dt.datetime,
    text: str,
    sold_to: tuple[str, ...],
    sold_on: str | None,
    role: str,
    evidence: str | None,
    declined: bool,
    db_url: str | None,
) -> None:
    """Record the answer to a trace request; each --sold-to becomes a transfer cited to it.

    \b
    Example:
      provenance trace answer 1 --on 2024-05-10 --text "sold to Hongda, June 2022" \\
          --sold-to "Shenzhen Hongda Trading" --sold-on 2022-06
    """
    when, precision = parse_partial_date(sold_on) if sold_on else (None, None)
    steps = [NamedStep(p, PartyRole(role), when, precision) for p in sold_to]
    added = answer_request(
        _engine(db_url),
        request_id,
        on.date(),
        text,
        steps=steps,
        evidence_sha256=evidence,
        declined=declined,
    )
    click.echo(f"trace request {request_id}: answered, {added} transfers added")


@trace_group.command("close")
@click.argument("request_id", type=int)
@click.option("--on", "on", type=_DATE, required=True, help="The day it was closed.")
@click.option("--reply-offered", type=_DATE, help="When the right of reply was offered.")
@click.option("--reply-due", type=_DATE, help="When the right of reply ended.")
@click.option("--note", help="Why it was closed (kept with its notes).")
@db_option
@library_errors
def trace_close(
    request_id: int,
    on: dt.datetime,
    reply_offered: dt.datetime | None,
    reply_due: dt.datetime | None,
    note: str | None,
    db_url: str | None,
) -> None:
    """Close a trace request, with its right-of-reply dates.

    \b
    Example:
      provenance trace close 1 --on 2024-07-01 --reply-offered 2024-06-01 --reply-due 2024-06-15
    """
    close_request(
        _engine(db_url),
        request_id,
        on.date(),
        reply_offered_on=_day(reply_offered),
        reply_due_on=_day(reply_due),
        note=note,
    )
    click.echo(f"trace request {request_id}: closed")


# chain -----------------------------------------------------------------------------------------


@click.command("chain")
@click.argument("component_id", type=int, required=False)
@click.option("--manufacturer", metavar="NAME", help="The chains of this maker's parts.")
@click.option("--weapon", metavar="NAME", help="The chains of this weapon system's parts.")
@click.option("--as-of", type=_DATE, help="The day to judge overdue requests by.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)
@db_option
@format_option(("text", "json", "markdown", "dot", "svg"), default="text")
@library_errors
def chain_command(
    component_id: int | None,
    manufacturer: str | None,
    weapon: str | None,
    as_of: dt.datetime | None,
    output: Path | None,
    db_url: str | None,
    fmt: str,
) -> None:
    """Print the supply chain of a component, a manufacturer's parts or a weapon's parts.

    Each step shows its date, seller and buyer with their roles, the document and the source;
    steps that sources tell differently are marked DISPUTED, side by side. A customs record
    linked to the part and accepted (`customs review --accept`) is a step too: exporter ->
    importer, date, HS code, countries of origin and dispatch, the record's id and its file;
    proposed links are only counted ("customs: N proposed links, not reviewed").

    --format dot writes a Graphviz graph; svg draws it when Graphviz (`dot`) is installed, and
    gives the text instead (with a note on stderr) when it is not.

    \b
    Examples:
      provenance chain 1
      provenance chain --weapon KN-23 --format markdown
      provenance chain --manufacturer "Texas Instruments" --format dot -o chain.dot
      provenance chain 1 --format svg -o chain.svg
    """
    if sum(x is not None for x in (component_id, manufacturer, weapon)) != 1:
        raise click.UsageError("give one of COMPONENT_ID, --manufacturer or --weapon")
    day = _day(as_of)
    with connect(db_url) as conn:
        if component_id is not None:
            chain = chain_of_component(conn, component_id, as_of=day)
        elif manufacturer is not None:
            chain = chain_of_manufacturer(conn, manufacturer, as_of=day)
        else:
            chain = chain_of_weapon(conn, str(weapon), as_of=day)
    _write(chain, fmt, output)


def _write(chain: Chain, fmt: str, output: Path | None) -> None:
    if fmt == "svg":
        drawn = picture(chain)
        if not drawn.svg:
            click.echo(f"Note: {NO_GRAPHVIZ}", err=True)
        if output is None:
            click.echo(drawn.content.decode("utf-8"), nl=False)
        else:
            output.write_bytes(drawn.content)
        return
    writers = {"text": to_text, "markdown": to_markdown, "dot": to_dot}
    text = json_text(chain.as_dict()) if fmt == "json" else writers[fmt](chain)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
