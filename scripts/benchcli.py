"""The benchmark's command-line rows (scripts/bench, issue 14): what a user waits for at the prompt.

Every row is the wall time of a fresh process running the ``provenance`` command (the console
script installed beside this interpreter), the median of ``repeat`` runs, judged as a ratio to
``startup_bare_import``, a bare ``python -c "import sqlalchemy, click"`` timed in the same run:

  startup_bare_import    the baseline: the interpreter and the two libraries every command needs
  startup_help           ``provenance --help``
  startup_seed_<report>  ``provenance report <report>`` on a database made by ``provenance seed``
  cli_<report>           ``provenance report <report>`` on the benchmark's loaded database (N rows)

Each report writes its table format (the default) to a file, as ``> out.txt`` would: the
terminal's width is then $COLUMNS or 200, and $COLUMNS is removed so that every run lays out
its tables alike. The runs are interleaved (one of each command per round) so that a busy
machine slows them all alike. Python's bytecode cache is used as an installed provenance uses
it: $PYTHONDONTWRITEBYTECODE is removed for the children and one run of each command before the
timed ones writes the cache (and warms the file cache); without it every run would compile the
package from source (about 0.05 s here).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The reports issue 14 times through the command line (``report components`` is a listing).
REPORTS = ("foreign-parts", "countries", "manufacturers", "chpl", "timeline", "sources")
BARE_IMPORT = "import sqlalchemy, click"

#: Targets (issue 14): start-up against the bare import, each report at 1M rows through the CLI.
HELP_LIMIT = 1.5
SEED_REPORT_LIMIT = 2.5
CLI_REPORT_LIMIT_S = 2.0


@dataclass
class Command:
    name: str
    description: str
    argv: list[str]
    runs: list[float] = field(default_factory=list)
    output_bytes: int | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def provenance_command() -> list[str]:
    """The ``provenance`` console script beside this interpreter, else one that calls main."""
    script = Path(sys.executable).parent / "provenance"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from provenance.cli.main import main; main()"]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("COLUMNS", None)
    return env


def _run(command: Command, out: Path, env: dict[str, str]) -> float:
    with out.open("wb") as handle:
        start = time.perf_counter()
        done = subprocess.run(command.argv, stdout=handle, stderr=subprocess.PIPE, env=env)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command.argv)} exited with {done.returncode}: "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        )
    command.output_bytes = out.stat().st_size
    return elapsed


def run_commands(commands: Sequence[Command], repeat: int, work: Path) -> None:
    """One untimed run of each command, then ``repeat`` timed rounds, interleaved."""
    env = child_env()
    out = work / "cli-output.txt"
    for command in commands:
        _run(command, out, env)
    for _ in range(repeat):
        for command in commands:
            command.runs.append(_run(command, out, env))
    out.unlink(missing_ok=True)


def seed_database(work: Path) -> str:
    """A database made by ``provenance seed`` (the shipped demo data), as a URL."""
    path = work / "seed.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    subprocess.run(
        [*provenance_command(), "seed", "--db", url],
        check=True,
        stdout=subprocess.DEVNULL,
        env=child_env(),
    )
    return url


def startup_commands(seed_url: str) -> list[Command]:
    exe = provenance_command()
    commands = [
        Command(
            "startup_bare_import",
            f'baseline: python -c "{BARE_IMPORT}"',
            [sys.executable, "-c", BARE_IMPORT],
        ),
        Command("startup_help", "provenance --help", [*exe, "--help"]),
    ]
    for report in REPORTS:
        commands.append(
            Command(
                f"startup_seed_{report.replace('-', '_')}",
                f"provenance report {report}, seed database",
                [*exe, "report", report, "--db", seed_url],
            )
        )
    return commands


def report_commands(db_url: str, rows: int) -> list[Command]:
    exe = provenance_command()
    return [
        Command(
            f"cli_{report.replace('-', '_')}",
            f"provenance report {report}, {rows} rows loaded, table format to a file",
            [*exe, "report", report, "--db", db_url],
        )
        for report in REPORTS
    ]


def comparisons(commands: Sequence[Command]) -> dict[str, float | None]:
    """Each command's median over the bare import's (``<name>_vs_bare_import``)."""
    by_name = {c.name: c for c in commands}
    bare = by_name["startup_bare_import"].median if "startup_bare_import" in by_name else None
    return {
        f"{c.name}_vs_bare_import": (c.median / bare if c.median is not None and bare else None)
        for c in commands
        if c.name != "startup_bare_import"
    }


def targets(commands: Sequence[Command], ratios: dict[str, float | None]) -> dict[str, Any]:
    """Whether each start-up and CLI target of issue 14 is met (None: not measured)."""
    help_ratio = ratios.get("startup_help_vs_bare_import")
    seed = [v for k, v in ratios.items() if k.startswith("startup_seed_") and v is not None]
    cli = [c.median for c in commands if c.name.startswith("cli_") and c.median is not None]
    return {
        f"provenance --help <= {HELP_LIMIT} x bare import": (
            None if help_ratio is None else help_ratio <= HELP_LIMIT
        ),
        f"every report on the seed database <= {SEED_REPORT_LIMIT} x bare import": (
            max(seed) <= SEED_REPORT_LIMIT if seed else None
        ),
        f"every report through the CLI < {CLI_REPORT_LIMIT_S:g} s": (
            max(cli) < CLI_REPORT_LIMIT_S if cli else None
        ),
    }
