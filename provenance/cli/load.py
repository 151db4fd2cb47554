"""``provenance load`` and ``provenance seed``: findings files into the database, and the reference
data and published findings shipped with provenance.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from provenance import migrate
from provenance.cli.common import (
    db_option,
    format_option,
    library_errors,
    open_engine,
    open_store,
    store_option,
)
from provenance.cli.progress import RowProgress
from provenance.ingest.loader import LoadOptions, load_files
from provenance.ingest.mapping import ColumnMapping, load_mapping
from provenance.ingest.readers import INPUT_FORMATS
from provenance.ingest.seed import seed as seed_database
from provenance.limits import Limits
from provenance.publish import render
from provenance.reference import install


@click.command()
@db_option
@format_option(render.SUMMARY_FORMATS)
@library_errors
def seed(db_url: str | None, fmt: str) -> None:
    """Load the reference data and published findings shipped with provenance.

    Creates the schema first in a new database (an older schema must be migrated with
    `provenance db upgrade` first). Running it again adds nothing.

    \b
    Example:
      provenance seed --db sqlite:///demo.db
    """
    engine = open_engine(db_url)
    if migrate.current_revision(engine) is None:
        install.upgrade(engine)
    ref, loaded = seed_database(engine)
    click.echo(render.seed_summary(ref, loaded, fmt), nl=False)


@click.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
@db_option
@click.option(
    "--mapping",
    "mapping_file",
    metavar="FILE|NAME",
    help="A column mapping (YAML) for files in another layout, or the name of a shipped one "
    "(`provenance mappings list`); see seeds/mappings/README.md.",
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    help="The files' format (default: detected from each file's content).",
)
@click.option(
    "--sheet",
    "sheets",
    multiple=True,
    metavar="NAME",
    help="Only this sheet of an Excel workbook (repeat for more; default: every sheet).",
)
@click.option(
    "--delimiter",
    metavar="CHAR",
    help="The delimiter of delimited text: , ; | or tab (default: sniffed from the file).",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Load the good rows and write every bad row here (CSV: its columns and an error).",
)
@click.option(
    "--new-manufacturers",
    is_flag=True,
    help="Create new manufacturers even when their names are close to known ones.",
)
@click.option("--strict", is_flag=True, help="Columns that nothing uses are errors, not warnings.")
@click.option("--dry-run", is_flag=True, help="Check and count everything, write nothing.")
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    help="Raise a limit on input (repeat for more): file-size, xlsx-size, xlsx-rows, cell-size, "
    "json-size, json-depth, line-size (sizes as 2G, 500M ...), pattern-time (seconds). "
    "Defaults and meaning: README, 'Limits on input'.",
)
@click.option(
    "--date-codes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Date-code rules of makers (YAML, the format of seeds/date_codes.yaml), added to the "
    "shipped ones.",
)
@store_option
@click.option("--by", metavar="NAME", help="Who loads the evidence files (chain of custody).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@format_option(render.SUMMARY_FORMATS)
@library_errors
def load(
    files: tuple[Path, ...],
    db_url: str | None,
    mapping_file: str | None,
    input_format: str | None,
    sheets: tuple[str, ...],
    delimiter: str | None,
    rejects: Path | None,
    new_manufacturers: bool,
    strict: bool,
    dry_run: bool,
    limits: tuple[str, ...],
    date_codes: Path | None,
    store_dir: Path | None,
    by: str | None,
    quiet: bool,
    fmt: str,
) -> None:
    """Load findings files (CSV or other delimited text, Excel, JSON, JSON Lines; - reads
    standard input): all of them, or nothing.

    One row per component found in a recovered weapon, with the source that reported it. Any bad
    row stops the load, and every bad row is listed with its file, row and column, unless
    --rejects FILE is given: then the good rows load and the bad ones go to FILE, to be fixed and
    loaded again. Loading the same findings again adds nothing; a new source for a known
    component adds a citation. A new manufacturer whose name is close to a known one is an error
    (a probable duplicate): name it in a mapping's manufacturer_aliases, or accept it with
    --new-manufacturers. The columns are described in the README ("Findings files"); files in
    another layout are read through a mapping (--mapping).

    \b
    Examples:
      provenance load findings.csv
      provenance load --dry-run partner-annex.json more.jsonl
      provenance load --mapping hur-portal portal-export.csv
      provenance load --mapping adwo-drones drones.csv   # a reference file: weapon systems
      provenance load --mapping annex.yaml --sheet "Table 2" --rejects bad.csv annex.xlsx
      provenance load --date-codes our-makers.yaml findings.csv
      provenance load findings.csv --by "A. Analyst"   # its evidence_file column: photos
      cat findings.tsv | provenance load --input-format tsv -
    """
    if sum(1 for f in files if str(f) == "-") > 1:
        raise click.UsageError("standard input (-) can be read only once")
    options = LoadOptions(
        mapping=load_mapping(mapping_file) if mapping_file else ColumnMapping(),
        input_format=input_format,
        sheets=sheets,
        delimiter=_delimiter(delimiter),
        strict=strict,
        new_manufacturers=new_manufacturers,
        rejects=rejects,
        limits=Limits().with_changes(limits),
        date_codes=date_codes,
    )
    engine = open_engine(db_url)
    options = dataclasses.replace(
        options, evidence_store=open_store(engine, store_dir), evidence_by=by
    )
    progress = RowProgress(enabled=False if quiet else None)
    try:
        summaries = load_files(
            engine,
            list(files),
            dry_run=dry_run,
            options=options,
            progress=progress,
        )
    finally:
        progress.close()
    click.echo(render.load_summaries(summaries, fmt), nl=False)


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.casefold(), text)
    if len(value) != 1:
        raise click.BadParameter("expected one character, e.g. ; or tab", param_hint="--delimiter")
    return value
