"""The ``provenance`` command: the root group and its command groups, one module each.

Each command opens the database, calls one library function and prints what it returns. Library
errors (``ProvenanceError``) become "Error: ..." with exit code 1; usage errors exit with 2.
"""

from __future__ import annotations

import click

from provenance import __version__
from provenance.cli import sql
from provenance.cli.country import country
from provenance.cli.db import db_group, init
from provenance.cli.load import load, seed
from provenance.cli.manufacturers import manufacturers_group
from provenance.cli.reference import reference_group
from provenance.cli.reports import report_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provenance")
def cli() -> None:
    """provenance: which countries' and companies' parts end up in which weapons.

    \b
    Examples (quick start):
      provenance init                      # create ./provenance.db
      provenance seed                      # load the published findings shipped with provenance
      provenance report foreign-parts --weapon KN-23
      provenance load my-findings.csv      # add your own findings
    """


cli.add_command(init)
cli.add_command(db_group)
db_group.add_command(sql.grant_readonly)
cli.add_command(seed)
cli.add_command(load)
cli.add_command(report_group)
cli.add_command(reference_group)
cli.add_command(manufacturers_group)
cli.add_command(country)
cli.add_command(sql.query)
cli.add_command(sql.export_command)
cli.add_command(sql.datasette_metadata)


def main() -> None:
    cli(prog_name="provenance")
