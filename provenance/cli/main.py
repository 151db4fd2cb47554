"""The ``provenance`` command: the root group and its command groups, one module each.

Each command opens the database, calls one library function and prints what it returns. Library
errors (``ProvenanceError``) become "Error: ..." with exit code 1; usage errors exit with 2.

The command modules are imported only when their command runs (or is asked for its help): the
root group knows each command by the module and name it lives under and by the first sentence of
its help, so that ``provenance --help`` starts without importing the library (SQLAlchemy, the
reports, matplotlib). ``tests/test_cli.py`` checks that these sentences are the commands' own.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import click

from provenance import __version__

#: command name -> (module under provenance.cli, attribute, the first sentence of its help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("db", "init", "Create the database, or bring it up to date (same as `db upgrade`)."),
    "db": ("db", "db_group", "Manage the database schema."),
    "seed": (
        "load",
        "seed",
        "Load the reference data and published findings shipped with provenance.",
    ),
    "load": (
        "load",
        "load",
        "Load findings files (CSV or other delimited text, Excel, JSON, JSON Lines; - reads "
        "standard input): all of them, or nothing.",
    ),
    "report": ("reports", "report_group", "Reports over the findings."),
    "reference": (
        "reference",
        "reference_group",
        "Reference data: Common High Priority List versions and country groups.",
    ),
    "manufacturers": (
        "manufacturers",
        "manufacturers_group",
        "List, inspect, alias and merge manufacturers.",
    ),
    "mappings": (
        "mappings",
        "mappings_group",
        "The column mappings shipped with provenance, for `provenance load --mapping NAME`.",
    ),
    "component": (
        "component",
        "component_group",
        "One component: what it is and what each source says of it.",
    ),
    "evidence": (
        "evidence",
        "evidence_group",
        "Photos and documents of the parts, stored by content, with their chain of custody.",
    ),
    "screen": (
        "screen",
        "screen_group",
        "Screen the manufacturers and parties against sanctions lists you download "
        "(OpenSanctions).",
    ),
    "customs": (
        "customs",
        "customs_group",
        "Customs records: load shipment rows, propose links to components, review them.",
    ),
    "parties": (
        "chain",
        "parties_group",
        "Companies and people other than the maker that handled a part (distributors, "
        "exporters, shippers, end users).",
    ),
    "transfers": (
        "chain",
        "transfers_group",
        "The steps of the chains: who sold a part, a batch or a product line to whom.",
    ),
    "trace": (
        "chain",
        "trace_group",
        "Trace requests to companies: sent, due (28 days), answered, declined, closed.",
    ),
    "chain": (
        "chain",
        "chain_command",
        "Print the supply chain of a component, a manufacturer's parts or a weapon's parts.",
    ),
    "country": (
        "country",
        "country",
        "Show the ISO country a name resolves to, in any language provenance knows.",
    ),
    "query": (
        "sql",
        "query",
        "Run one read-only SQL statement (SELECT, WITH or VALUES) and print its rows.",
    ),
    "export": (
        "sql",
        "export_command",
        "Write a copy of the database, or of its views, to OUT to hand to a colleague.",
    ),
    "datasette-metadata": (
        "sql",
        "datasette_metadata",
        "Print Datasette metadata (descriptions, column docs, facets, labels) as JSON.",
    ),
    "serve": (
        "serve",
        "serve",
        "Browse the database in a web browser (Datasette), read-only, on this machine.",
    ),
}


def load_command(name: str) -> click.Command:
    """The command ``name`` of :data:`COMMANDS`, its module imported now."""
    module, attribute, _summary = COMMANDS[name]
    command = getattr(importlib.import_module(f"provenance.cli.{module}"), attribute)
    assert isinstance(command, click.Command)
    return command


class _Commands(MutableMapping[str, click.Command]):
    """The root group's commands: each imported on first use (Click reads ``group.commands``)."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("the root group's commands are fixed")

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class RootGroup(click.Group):
    """A group whose commands are imported when used; its help lists them without importing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        # A stand-in command with the summary as its help shortens it as Click would.
        rows = [(n, click.Command(n, help=COMMANDS[n][2]).get_short_help_str(limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provenance")
def cli() -> None:
    """provenance: which countries' and companies' parts end up in which weapons.

    \b
    Examples (quick start):
      provenance init                      # create ./provenance.db
      provenance seed                      # load the published findings shipped with provenance
      provenance report foreign-parts --weapon KN-23
      provenance load my-findings.csv      # add your own findings
      provenance serve                     # browse it in a web browser (Datasette)
    """


def main() -> None:
    cli(prog_name="provenance")
