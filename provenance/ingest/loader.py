"""Loading findings: one row per component recovered from a weapon, cited by a source.

A load is all or nothing by default. Every row of every file is checked, against the database
and against the rows before it; if any row is bad, nothing is kept and every problem is reported
with its file, row, column and value. A load streams, in one transaction: rows are read and
checked in chunks, against lookups filled once per load, and the good ones written a few
thousand at a time (new entities through SQLAlchemy Core, components and citations through the
driver: ``executemany`` on SQLite, ``COPY`` into a staging table on PostgreSQL). Nothing is
written after the first bad row, and the transaction is rolled back at the end. Each file gets a
load batch that its rows point to. With a rejects file, the bad rows are written there instead
(with their original columns and an ``error`` column) and the good ones are loaded.

Files come in any of the formats ``provenance.ingest.readers`` reads, in our layout or in a
foreign one that a column mapping (``provenance.ingest.mapping``) turns into ours.

Loading the same findings again adds nothing: a component is identified within its specimen by
its function, part number, marking, manufacturer and date code; a new source for a known component
adds a citation. Manufacturers are matched on ``manufacturer_key`` (case, punctuation and legal
forms ignored) and by alias; a new name close to a known one is a probable duplicate, an error
unless the load accepts new manufacturers or a mapping names it as an alias.

This module is the public entry (``load_files``) and holds the load together: its transaction,
the lock and retries that let loads run side by side, the garbage collector's pause. The steps
are the ingest package's other modules: ``catalogue`` (what the database holds), ``check`` (files
and rows) with ``fields`` (typed cells) and ``resolve`` (the entities a row names), ``write``
(inserts, per database) and ``rejects`` (the rejects file).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from provenance.db import write_transaction
from provenance.errors import InvalidDataError, ProvenanceError, RowError
from provenance.ingest.catalogue import Catalogue
from provenance.ingest.check import MAX_REPORTED_ERRORS, PROGRESS_EVERY, Checker, Input
from provenance.ingest.claims import settle_claims
from provenance.ingest.columns import ALL_COLUMNS, COLUMNS, EXTRA_COLUMNS, REQUIRED, Kind
from provenance.ingest.conflicts import ConflictKey, Conflicts
from provenance.ingest.evidence_files import record_evidence
from provenance.ingest.fields import MAX_QUANTITY
from provenance.ingest.merge import check_known_records, merge_components
from provenance.ingest.options import LoadOptions, ProgressCallback
from provenance.ingest.readers import STDIN_NAME, copy_stream, stage_input
from provenance.ingest.reference_rows import load_reference_rows
from provenance.ingest.rejects import write_rejects
from provenance.ingest.summary import FileLoad, LoadSummary
from provenance.ingest.write import Writer
from provenance.limits import Limits
from provenance.migrate import ensure_current
from provenance.models import Component
from provenance.values.countries import CountryResolver, default_resolver

__all__ = [
    "ALL_COLUMNS",
    "COLUMNS",
    "EXTRA_COLUMNS",
    "MAX_REPORTED_ERRORS",
    "PROGRESS_EVERY",
    "REQUIRED",
    "LoadOptions",
    "LoadSummary",
    "ProgressCallback",
    "load_files",
]


def _inputs(
    paths: Sequence[Path | str], folder: Path, stdin: IO[bytes] | None, limits: Limits
) -> list[Input]:
    """The files to read: regular files as they are, standard input and pipes copied once
    (they can be read only once), devices refused."""
    inputs: list[Input] = []
    for p in paths:
        if str(p) == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            staged = copy_stream(stream, folder, STDIN_NAME, limits.file_size)
            inputs.append(Input(staged, STDIN_NAME))
        else:
            inputs.append(Input(stage_input(Path(p), str(p), folder, limits), str(p)))
    return inputs


_gc_lock = threading.Lock()
_gc_pauses = 0  # loads running (in any thread) that have paused the garbage collector
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while loads run (however many at once).

    A load makes few reference cycles but millions of short-lived objects, beside large caches:
    the collector's passes over them took a sixth of a 1M-row load's time (scripts/bench), for
    a few thousand objects collected. Reference counting still frees everything else as the load
    goes; the collector is turned back on (if it was on) when the last load ends."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


_ATTEMPTS = 3
#: The key of the PostgreSQL advisory lock a load holds (any fixed number; "prov" in ASCII).
_LOAD_LOCK = 0x70726F76
#: PostgreSQL's deadlock_detected and serialization_failure: a load that can be run again.
_TRANSIENT_SQLSTATES = ("40P01", "40001")


def _transient(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def _not_customs(options: LoadOptions) -> None:
    if options.mapping.kind is Kind.CUSTOMS:
        raise ProvenanceError(
            "a customs mapping (kind: customs) is for customs records: "
            "provenance customs load FILE --mapping NAME"
        )


def load_files(
    engine: Engine,
    paths: Sequence[Path | str],
    *,
    dry_run: bool = False,
    resolver: CountryResolver | None = None,
    options: LoadOptions | None = None,
    progress: ProgressCallback | None = None,
    stdin: IO[bytes] | None = None,
) -> list[LoadSummary]:
    """Load findings files: all of them or nothing, unless ``options.rejects`` names a file.

    ``-`` in ``paths`` reads ``stdin`` (standard input when None; give ``options.input_format``).
    Raises ``InvalidDataError`` (nothing written) listing every bad row, up to
    ``MAX_REPORTED_ERRORS``. With a rejects file, bad rows are written there and the good ones
    are loaded; problems with a file as a whole still stop the load. With ``dry_run`` everything
    is checked and counted, nothing kept (a rejects file is still written). ``progress`` is
    called with the number of rows read so far, every ``PROGRESS_EVERY`` rows.
    """
    ensure_current(engine)
    options = options or LoadOptions()
    rejects = options.rejects
    if rejects is not None and any(
        str(p) != "-" and Path(p).resolve() == rejects.resolve() for p in paths
    ):
        raise ProvenanceError(f"{rejects}: the rejects file cannot be a file being loaded")
    _not_customs(options)
    if options.mapping.kind is not Kind.FINDINGS:
        if rejects is not None:
            raise ProvenanceError(
                f"--rejects is for findings files; a {options.mapping.kind.value} file (kind of "
                "the mapping) loads whole or not at all: fix the rows the error lists"
            )
        with tempfile.TemporaryDirectory(prefix="provenance-") as folder:
            inputs = _inputs(paths, Path(folder), stdin, options.limits)
            return load_reference_rows(
                engine, inputs, options, dry_run, resolver or default_resolver()
            )
    staged = None if rejects is None else rejects.with_name(rejects.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="provenance-") as folder, _gc_paused():
        inputs = _inputs(paths, Path(folder), stdin, options.limits)
        try:
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    files = _checked_runs(
                        engine, inputs, options, dry_run, resolver, progress, staged
                    )
                    break
                except DBAPIError as exc:
                    # Two loads writing the same rows in another order: PostgreSQL rolls one
                    # back to break the deadlock. That one starts again from the files.
                    if attempt == _ATTEMPTS or not _transient(exc):
                        raise
        except BaseException:
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise
    if staged is not None and rejects is not None and any(f.rejected for f in files):
        staged.replace(rejects)
        for file in files:
            if file.rejected:
                file.summary.rejects_file = str(rejects)
    return [f.summary for f in files]


#: How many times a load with a rejects file runs again, each time rejecting the rows of the
#: conflicts the last run found (a run only rejects more rows than the one before).
_RUNS = 5


class _RunAgain(Exception):
    """The rows of a load with a rejects file are in conflict: roll back and run it again,
    rejecting every row of those conflicts."""

    def __init__(self, verdicts: dict[ConflictKey, str]) -> None:
        super().__init__("run the load again")
        self.verdicts = verdicts


def _checked_runs(
    engine: Engine,
    inputs: Sequence[Input],
    options: LoadOptions,
    dry_run: bool,
    resolver: CountryResolver | None,
    progress: ProgressCallback | None,
    staged: Path | None,
) -> list[FileLoad]:
    """The load, run again while its rows conflict and a rejects file takes them."""
    decided: dict[ConflictKey, str] = {}
    for _ in range(_RUNS):
        try:
            return _load(engine, inputs, options, dry_run, resolver, progress, staged, decided)
        except _RunAgain as again:
            if again.verdicts.keys() <= decided.keys():  # pragma: no cover - a run adds some
                raise ProvenanceError("the load's conflicts did not settle: load again") from None
            decided = again.verdicts
    raise ProvenanceError(  # pragma: no cover - each run rejects more; real loads settle in two
        f"the load's conflicts did not settle in {_RUNS} runs: load without --rejects to see them"
    )


def _check_total_parts(conn: Connection, inputs: Sequence[Input]) -> None:
    """Refuse a load that takes the database's parts (the sum of quantities) past
    ``MAX_QUANTITY``: the BI views count parts as PostgreSQL ``integer``, and every report and
    view must work on whatever a load accepted."""
    total = conn.execute(select(func.coalesce(func.sum(Component.quantity), 0))).scalar_one()
    if total > MAX_QUANTITY:
        names = ", ".join(i.name for i in inputs)
        raise InvalidDataError(
            [
                RowError(
                    names,
                    0,
                    "quantity",
                    "",
                    f"the findings would bring the parts in the database (the sum of quantity) "
                    f"to {total:,}, past {MAX_QUANTITY:,}, the most that the reports and BI "
                    "views count: check the quantities",
                )
            ]
        )


def _load(
    engine: Engine,
    inputs: Sequence[Input],
    options: LoadOptions,
    dry_run: bool,
    resolver: CountryResolver | None,
    progress: ProgressCallback | None,
    staged: Path | None,
    decided: dict[ConflictKey, str],
) -> list[FileLoad]:
    """Check and write, in one transaction; the rejects go to ``staged`` before it commits."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            # One load at a time per database: a second one waits here, then reads what the
            # first one wrote (so they can neither deadlock nor create the same row twice).
            conn.execute(select(func.pg_advisory_xact_lock(_LOAD_LOCK)))
        cat = Catalogue(conn, resolver or default_resolver())
        errors: list[RowError] = []
        conflicts = Conflicts(decided)
        checker = Checker(cat, options, errors, progress, Writer(conn), conflicts)
        files = checker.files(inputs)
        if not checker.fatal:
            _end_checks(checker, files, conflicts)
        if conflicts.found and staged is not None and not checker.fatal:
            raise _RunAgain(conflicts.verdicts())
        errors += conflicts.errors()
        if errors and (staged is None or checker.fatal):
            total = len(errors) + checker.errors_dropped
            raise InvalidDataError(
                errors[:MAX_REPORTED_ERRORS], total=total, groups=checker.error_groups(errors)
            )
        _check_total_parts(conn, inputs)
        if not dry_run:
            _record_evidence(conn, files, options)
        for file in files:
            file.summary.dry_run = dry_run
        checker.writer.close()
        if staged is not None and any(f.rejected for f in files):
            try:
                write_rejects(staged, files)
            except OSError as exc:
                raise ProvenanceError(
                    f"{options.rejects}: cannot write the rejects file ({exc.strerror})"
                ) from None
        if dry_run:
            conn.rollback()
            for file in files:
                file.summary.batch_id = None
    return files


def _record_evidence(conn: Connection, files: Sequence[FileLoad], options: LoadOptions) -> None:
    """The files of the ``evidence_file`` column, stored and linked; counted per file."""
    named = [(f.name, f.summary.batch_id, f.evidence) for f in files]
    added = record_evidence(conn, named, options.evidence_store, options.evidence_by)
    for file, done in zip(files, added, strict=True):
        file.summary.evidence_files_added = sum(a.new_file for a in done)
        file.summary.evidence_links_added = sum(a.new_link for a in done)


def _end_checks(checker: Checker, files: Sequence[FileLoad], conflicts: Conflicts) -> None:
    """What only the whole load tells: a new weapon system that no row gives a producer country
    for, and a component that rows describe in different ways."""
    for weapon in checker.cat.new_weapons:
        if weapon.producer_given or weapon.first_place is None:
            continue
        designation = weapon.values["designation"]
        conflicts.add(
            ("weapon", weapon.key, "exists"),
            designation,
            "weapon_producer_country",
            f"required for a weapon system not yet in the database ({designation}; "
            f"{max(weapon.rows, 1)} row{'s name' if weapon.rows > 1 else ' names'} it)",
            weapon.first_place,
            code="weapon_systems",
            rows=max(weapon.rows, 1),
            hint=(
                "give it in one of its rows (or say it is unknown: UNK), load the weapon "
                "systems' reference file first (a mapping of kind weapon_systems), or set a "
                "constant in a mapping"
            ),
        )
    if not checker.writing:  # the rows were not all written: the load fails anyway
        return
    names = {f.index: f.name for f in files}
    batches = [f.summary.batch_id for f in files if f.summary.batch_id is not None]
    merge_components(checker.writer.conn, batches, names, conflicts)
    filled = check_known_records(checker.writer.conn, batches, names, conflicts)
    settle_claims(checker.writer.conn, batches, names, conflicts)
    for f in files:
        f.summary.known_components_filled = filled.get(f.index, 0)
