"""Checking the files of a load: each file's header, then each of its rows.

A file is read a table at a time (``provenance.ingest.readers``), its columns mapped to ours
(``provenance.ingest.mapping``) and its header checked: problems with a file as a whole stop the
load. Rows are checked in chunks: each row's shape, its required values, its typed cells
(``provenance.ingest.fields``), then the entities it names (``provenance.ingest.resolve``). A good
row becomes a ``Finding``, written a few thousand at a time; every problem of a bad row is
reported with its file, row, column and value, and nothing more is written after the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import ErrorGroup, InvalidDataError, RowError, group_errors
from provenance.ingest.catalogue import (
    CHUNK,
    Catalogue,
    Entity,
    Finding,
    said_text,
)
from provenance.ingest.columns import ERROR_COLUMN, REQUIRED
from provenance.ingest.conflicts import Conflicts, Place
from provenance.ingest.datecodes import date_code_rules
from provenance.ingest.evidence_files import EvidenceCells, EvidenceRef, is_address
from provenance.ingest.fields import (
    CACHE_LIMIT,
    SINGLE_SCRIPT,
    Bad,
    Fields,
    clean,
    hs6,
    key,
    listing,
    repeats_header,
    shorten,
)
from provenance.ingest.mapping import TablePlan
from provenance.ingest.options import LoadOptions, ProgressCallback
from provenance.ingest.readers import InputFile, Record, inspect_file, read_tables
from provenance.ingest.rejects import error_text
from provenance.ingest.resolve import Cells, Pending, Resolver, Teller
from provenance.ingest.summary import FileLoad, LoadSummary
from provenance.ingest.write import Writer
from provenance.models import (
    Authenticity,
    Citation,
    Component,
    DatePrecision,
    Manufacturer,
    Source,
    Specimen,
    WeaponSystem,
)
from provenance.values.datecodes import Outcome, decode
from provenance.values.identity import component_identity, record_identity, unknown_maker_key
from provenance.values.text import fold_mixed_script, manufacturer_key, mixed_script

__all__ = ["MAX_REPORTED_ERRORS", "PROGRESS_EVERY", "Checker", "Input", "RowChecker"]

#: How many errors a load reports; the rest are only counted.
MAX_REPORTED_ERRORS = 50
#: How many rows pass between two calls of a load's progress callback.
PROGRESS_EVERY = 1000
#: How many checked rows are written at a time (fewer, larger statements; memory stays flat).
WRITE_BATCH = 5000
#: How many date codes in no known form (rows, names) a file's warning shows.
_EXAMPLES = 5
#: Columns whose mixed-script words are read as their look-alikes without asking.
FOLDED_BY_DEFAULT = frozenset({"manufacturer", "manufacturer_parent"})

#: Our text columns and the database columns that store them: a value longer than the stored
#: column is an error on every database (PostgreSQL enforces the length, SQLite does not).
_STORED_IN: dict[str, Any] = {
    "weapon_system": WeaponSystem.designation,
    "weapon_category": WeaponSystem.category,
    "specimen": Specimen.label,
    "recovered_at": Specimen.recovered_at,
    "recovered_by": Specimen.recovered_by,
    "part_number": Component.part_number,
    "date_code": Component.date_code,
    "hs_code": Component.hs_code,
    "manufacturer": Manufacturer.name,
    "manufacturer_parent": Manufacturer.name,
    "source_publisher": Source.publisher,
    "source_title": Source.title,
    "source_url": Source.url,
    "source_record_id": Citation.source_record_id,
    "source_record_url": Citation.source_record_url,
    "evidence_url": Citation.evidence_url,
}
#: Our column -> the most characters it may hold (a component's function is text of any length).
MAX_LENGTHS: dict[str, int] = {c: col.type.length for c, col in _STORED_IN.items()}


def _lengths(v: Cells, tell: Teller) -> None:
    for column, most in MAX_LENGTHS.items():
        text = v.get(column)
        if text is not None and len(text) > most:
            tell.bad(column, f"at most {most:,} characters (this one has {len(text):,})")


#: A record read, its values in our columns, and the problems of mapping it to them.
_Mapped = tuple[Record, Cells, list[tuple[str, str, str]]]


class RowChecker:
    """Checks one record, collecting every problem in it, and resolves it against the catalogue."""

    def __init__(
        self,
        fields: Fields,
        resolver: Resolver,
        file: FileLoad,
        errors: list[RowError],
        keep_rejects: bool,
    ) -> None:
        self.fields = fields
        self.resolver = resolver
        self.file = file
        self.errors = errors
        self.keep_rejects = keep_rejects
        self.plan: TablePlan | None = None  # of the table being read
        mapping = resolver.options.mapping
        self.unknowns = mapping.unknowns
        #: Our columns where a value may mean unknown (in the order of the layout).
        self.unknown_columns = tuple(mapping.unknowns.by_column)
        self.fold = mapping.fold_mixed_script | FOLDED_BY_DEFAULT
        #: (column, cleaned text) -> whether it means unknown (each distinct value matched once)
        self.said_unknown: dict[tuple[str, str], bool] = {}
        #: (column, as written, as read) -> rows, first places: for the file's warning
        self.folded: dict[tuple[str, str, str], tuple[int, list[Place]]] = {}
        self.evidence = EvidenceCells(file.name, resolver.options.limits)

    def reject(self, record: Record, first_error: int) -> None:
        """Keep ``record`` for the rejects file, with its errors from ``first_error`` on (once:
        a record that stands for several findings is one row of the rejects file)."""
        if not self.keep_rejects:
            return
        text = error_text(self.errors[first_error:])
        rejected = self.file.rejected
        if rejected and rejected[-1][0] is record:
            rejected[-1] = (record, f"{rejected[-1][1]}; {text}")
        else:
            rejected.append((record, text))

    def check(
        self, record: Record, raw: Cells, problems: Sequence[tuple[str, str, str]]
    ) -> Finding | None:
        """The finding in a record (``raw``: its values in our columns), or None when it is bad
        (its problems then added to the errors)."""
        n_errors = len(self.errors)
        if record.errors or problems or self._repeats_header(record):
            self.errors.extend(record.errors)
            where = record.source or self.file.name
            self.errors.extend(
                RowError(where, record.row, column, value, message, record.row_kind)
                for column, value, message in problems
            )
            self.reject(record, n_errors)
            return None
        v = {k: clean(val) if val else None for k, val in raw.items()}
        said_unknown = self._unknowns(v)
        place = Place(record.source or self.file.name, record.row, record.row_kind)
        tell = Teller(self._teller(record, raw))
        self._required(v, said_unknown, tell)
        self._scripts(v, tell, place)
        _lengths(v, tell)
        cell = v.get("evidence_file")
        if cell is not None and is_address(cell):  # a remote reference: recorded, not fetched
            if v.get("evidence_url") not in (None, cell):
                tell.bad("evidence_file", "an address here and another in evidence_url: give one")
            v["evidence_url"], v["evidence_file"] = cell, None
        parsed = self.fields.parse(v, tell.bad)
        if len(self.errors) > n_errors:
            self.reject(record, n_errors)
            return None
        pending: Pending = []
        resolver = self.resolver
        weapon = resolver.weapon(
            v,
            parsed["weapon_producer_country"],
            "weapon_producer_country" in said_unknown,
            tell,
            pending,
            place,
        )
        manufacturer = resolver.manufacturer(
            v,
            parsed["manufacturer_country"],
            parsed["manufacturer_parent_country"],
            tell,
            pending,
            place,
        )
        source = resolver.source(
            v,
            parsed["source_url"],
            parsed["source_published_on"],
            parsed["source_reliability"],
            tell,
            pending,
            place,
        )
        specimen = (
            resolver.specimen(
                v,
                weapon,
                parsed["recovered_on"],
                parsed["identification_confidence"],
                tell,
                pending,
                place,
            )
            if weapon
            else None
        )
        finding, evidence = None, None
        if weapon and source and specimen and not tell.bad_count:
            finding = self._finding(v, parsed, specimen, manufacturer, source, record)
            evidence = self._evidence(v.get("evidence_file"), finding, tell)
            refused = resolver.conflicts.refused(
                ("component", (specimen.key, finding.identity), "values")
            )
            if refused is not None:
                tell.bad("component", refused)
        if finding is None or tell.bad_count:
            self.reject(record, n_errors)
            return None
        for change in pending:  # a row in conflict still gives its other values
            change()
        if tell.conflict_count:
            self.reject(record, n_errors)
            return None
        if evidence is not None:
            self.file.evidence.append(evidence)
        return finding

    def _evidence(self, cell: str | None, finding: Finding, tell: Teller) -> EvidenceRef | None:
        """The file an ``evidence_file`` cell names, checked (read and hashed) now."""
        if cell is None:
            return None
        found = self.evidence.check(cell)
        if isinstance(found, str):
            tell.bad("evidence_file", found)
            return None
        path, facts = found
        return EvidenceRef(finding.specimen, finding.identity, finding.source, path, facts)

    def _unknowns(self, v: Cells) -> set[str]:
        """Blank the values that mean unknown ("UNK", "Not identified"): the columns they were
        in."""
        said: set[str] = set()
        unknowns, known = self.unknowns, self.said_unknown
        for column in self.unknown_columns:
            text = v.get(column)
            if text is None:
                continue
            cell = (column, text)
            is_unknown = known.get(cell)
            if is_unknown is None:
                is_unknown = unknowns.is_unknown(column, text)
                if len(known) >= CACHE_LIMIT:
                    known.clear()
                known[cell] = is_unknown
            if is_unknown:
                v[column] = None
                said.add(column)
        return said

    def _repeats_header(self, record: Record) -> bool:
        """Whether the record repeats the header (then an error)."""
        if not repeats_header(record):
            return False
        message = "the row repeats the header (two files joined into one?): delete it"
        source = record.source or self.file.name
        self.errors.append(RowError(source, record.row, "", "", message, record.row_kind))
        return True

    def _teller(self, record: Record, raw: Cells) -> Bad:
        """What tells of a problem with ``record``: an error naming the column as the file does,
        and showing the value as written."""
        errors, plan = self.errors, self.plan
        source = record.source or self.file.name

        def bad(column: str, message: str) -> None:
            value = shorten(raw.get(column) or "")
            shown = plan.column(column) if plan is not None else column
            errors.append(RowError(source, record.row, shown, value, message, record.row_kind))

        return bad

    @staticmethod
    def _required(v: Cells, said_unknown: set[str], tell: Teller) -> None:
        """The values every row needs (a manufacturer may be given as not identified)."""
        for column in REQUIRED:
            if v.get(column) is None and column not in said_unknown:
                hint = (
                    ", or a value that says it is not known (unknown)"
                    if column == ("manufacturer")
                    else ""
                )
                tell.bad(column, f"required, but empty{hint}")
        if v.get("source_url") is None and (
            v.get("source_publisher") is None or v.get("source_title") is None
        ):
            tell.bad(
                "source_publisher", "every finding needs a source: publisher and title, or a URL"
            )

    def _scripts(self, v: Cells, tell: Teller, place: Place) -> None:
        """Words that mix Latin, Cyrillic or Greek letters ("Peak Еlectronics"): folded to their
        look-alikes where that is allowed (manufacturer names; a mapping may allow more), the text
        as written kept in the notes; an error elsewhere, or when a letter has no look-alike."""
        for column in SINGLE_SCRIPT:
            text = v.get(column)
            problem = mixed_script(text) if text is not None else None
            if problem is None or text is None:
                continue
            folded = fold_mixed_script(text) if column in self.fold else None
            if folded is None:
                tell.bad(column, f"{problem}: a look-alike letter of another alphabet? retype it")
                continue
            v[column] = folded.text
            kept = f"{column} as written: {text!r} ({folded.describe()})"
            v["notes"] = f"{v['notes']} {kept}" if v.get("notes") else kept
            count, places = self.folded.get((column, text, folded.text), (0, []))
            if len(places) < _EXAMPLES:
                places = [*places, place]
            self.folded[(column, text, folded.text)] = (count + 1, places)

    def folded_warnings(self) -> list[str]:
        out = []
        for (column, before, after), (count, places) in sorted(self.folded.items()):
            where = ", ".join(map(str, places)) + (", ..." if count > len(places) else "")
            out.append(
                f"{count} row{'s' if count != 1 else ''}: {column} {before!r} mixes alphabets, "
                f"read as {after!r} (the text as written is kept in the notes; {where})"
            )
        return out

    def _maker_date(
        self,
        code: str,
        generic: tuple[dt.date, DatePrecision] | None,
        manufacturer: Entity,
        specimen: Entity,
        source: Entity,
    ) -> tuple[tuple[dt.date, DatePrecision] | None, bool]:
        """The period a date code stands for, read by its maker's rules first, and whether the
        maker's rules read it ambiguously (then no period: counted); without a rule of the maker
        that matches, the generic reading."""
        published = source.values.get("published_on")
        reference = specimen.values.get("recovered_on") or (
            published[0] if isinstance(published, tuple) else published
        )
        makers = {manufacturer.key, manufacturer_key(manufacturer.values["name"])}
        decoded = decode(self.fields.rules, makers, code, reference)
        if decoded.outcome is Outcome.DECODED:
            assert decoded.date is not None and decoded.precision is not None
            self.file.summary.date_codes_by_maker_rule += 1
            return (decoded.date, decoded.precision), False
        if decoded.outcome is Outcome.AMBIGUOUS:
            self.file.summary.ambiguous_date_codes += 1
            if len(self.file.ambiguous_codes) < _EXAMPLES:
                self.file.ambiguous_codes.append(f"{code!r} ({decoded.why})")
            return None, True
        return generic, False

    def _finding(
        self,
        v: Cells,
        parsed: dict[str, Any],
        specimen: Entity,
        manufacturer: Entity | None,
        source: Entity,
        record: Record,
    ) -> Finding:
        """The component a good row gives (a date code dates it when no manufacture date does)."""
        made, coded = parsed["manufactured_on"], parsed["date_code"]
        code = v.get("date_code")
        ambiguous = False
        if code is not None and manufacturer is not None and self.fields.rules:
            coded, ambiguous = self._maker_date(code, coded, manufacturer, specimen, source)
        if made is None and v.get("manufactured_on") is None:
            made = coded
        if coded is None and code is not None and not ambiguous:
            self.file.undated_count += 1
            if len(self.file.undated_codes) < _EXAMPLES:
                self.file.undated_codes.append(v["date_code"] or "")
        hs_code = parsed["hs_code"]
        reported = parsed["manufacturer_country"]
        values = {
            "function": v["component"],
            "part_number": v.get("part_number"),
            "marking": v.get("marking"),
            "made_in_code": parsed["made_in"],
            "reported_maker_country_code": reported,
            "date_code": v.get("date_code"),
            "manufactured_on": made[0] if made else None,
            "manufactured_precision": made[1] if made else None,
            "quantity": parsed["quantity"] or 1,
            "hs_code": hs_code,
            "hs6": hs6(hs_code),
            "authenticity": parsed["authenticity"] or Authenticity.UNKNOWN,
            "notes": v.get("notes"),
        }
        maker_key = manufacturer.key if manufacturer is not None else unknown_maker_key(reported)
        records = (v.get("source_record_id"), parsed["source_record_url"], parsed["evidence_url"])
        number = records[0] or records[1]
        if number is not None:
            identity = record_identity(source.key, number)
        else:
            identity = component_identity(
                specimen.key,
                values["function"],
                values["part_number"],
                values["marking"],
                maker_key,
                values["date_code"],
            )
        said = said_text(values, maker_key, records[2], records[1])
        return Finding(
            specimen,
            manufacturer,
            source,
            identity,
            values,
            row=(self.file.index, record.row, record.row_kind == "record"),
            record=records,
            said=said,
            fingerprint=hash(said),
            basis=v.get("authenticity_basis"),
        )


@dataclass(frozen=True)
class Input:
    """A file of a load."""

    path: Path  # what is read
    name: str  # as named in messages and summaries


def _header_error(table: str, message: str, column: str = "") -> InvalidDataError:
    return InvalidDataError([RowError(table, 1, column, "", message)])


class Checker:
    """Reads and checks every file of a load, and has its good rows written."""

    def __init__(
        self,
        cat: Catalogue,
        options: LoadOptions,
        errors: list[RowError],
        progress: ProgressCallback | None,
        writer: Writer,
        conflicts: Conflicts | None = None,
    ) -> None:
        self.cat = cat
        self.options = options
        self.conflicts = conflicts or Conflicts()
        self.fields = Fields(
            cat.countries, options.mapping.date_codes, date_code_rules(options.date_codes)
        )
        self.errors = errors
        self.fatal = 0  # errors that stop the load even with a rejects file
        self.progress = progress
        self.rows = 0
        self.writer = writer
        self.errors_dropped = 0  # beyond the MAX_REPORTED_ERRORS kept in ``errors``
        self.dropped_groups: dict[tuple[str, str, str], ErrorGroup] = {}  # those, counted
        self.checked: list[Finding] = []  # checked, not yet written

    def _flush(self, file: FileLoad) -> None:
        """Write the checked findings (none, and no more, once the load will be rolled back)."""
        if self.writing:
            self.writer.write(file, self.checked)
        self.checked = []

    @property
    def writing(self) -> bool:
        """Whether checked rows are still written: not once a row is bad (the load will be
        rolled back; the rest is only checked, to report every problem), unless bad rows go to
        a rejects file."""
        return not self.fatal and (not self.errors or self.options.rejects is not None)

    def files(self, inputs: Sequence[Input]) -> list[FileLoad]:
        """Check (and write) every file; problems with a file as a whole are fatal."""
        files: list[FileLoad] = []
        for index, item in enumerate(inputs):
            file = FileLoad(item.path, item.name, LoadSummary(item.name, ""), index)
            files.append(file)
            n_errors = len(self.errors)
            try:
                self._file(file)
                if self.writing and file.summary.batch_id is not None:
                    self._flush(file)
                    self.writer.finish(file)
            except InvalidDataError as exc:
                self.errors.extend(exc.errors)
                self.fatal += len(exc.errors)
            except OSError as exc:
                message = f"cannot read the file ({exc.strerror or exc})"
                self.errors.append(RowError(item.name, 0, "", "", message))
                self.fatal += 1
            if file.summary.rows_read == 0 and len(self.errors) == n_errors:
                self.errors.append(RowError(item.name, 0, "", "", "the file holds no findings"))
                self.fatal += 1
            if file.ambiguous_codes:
                count = file.summary.ambiguous_date_codes
                more = ", ..." if count > len(file.ambiguous_codes) else ""
                file.summary.warnings.append(
                    f"{item.name}: {count} date codes that their makers' rules do not read "
                    f"unambiguously were kept as written, without a manufacture date "
                    f"({', '.join(file.ambiguous_codes)}{more})"
                )
            if file.undated_count:
                examples = ", ".join(map(repr, file.undated_codes))
                more = ", ..." if file.undated_count > len(file.undated_codes) else ""
                file.summary.warnings.append(
                    f"{item.name}: {file.undated_count} date codes in no known form were kept "
                    f"as written, without a manufacture date ({examples}{more})"
                )
        if self.progress is not None:
            self.progress(self.rows)
        return files

    def _file(self, file: FileLoad) -> None:
        options = self.options
        source = inspect_file(file.path, file.name, options.input_format, options.limits)
        file.sha256 = file.summary.sha256 = source.sha256
        if self.writing:
            self.writer.start(file)
        resolver = Resolver(self.cat, options, file, self.conflicts)
        checker = RowChecker(self.fields, resolver, file, self.errors, options.rejects is not None)
        try:
            self._tables(file, source, checker)
        finally:
            file.summary.warnings += resolver.reported_warnings() + checker.folded_warnings()

    def _tables(self, file: FileLoad, source: InputFile, checker: RowChecker) -> None:
        options = self.options
        mapping = options.mapping
        for table in read_tables(
            source,
            sheets=options.sheets,
            delimiter=options.delimiter,
            looks_like_header=mapping.looks_like_header,
            warnings=file.summary.warnings,
            limits=options.limits,
        ):
            skip = mapping.sheet_rule(table.sheet).skip
            if skip and not options.sheets:  # a sheet asked for by name is read
                continue
            plan = mapping.plan(table.name, table.sheet, options.limits.pattern_time)
            checker.plan = plan
            plan.see_all(table.columns)
            plan.fixed = table.fixed_columns
            if table.fixed_columns:
                self._check_header(file, table.name, plan, table.columns)
            pending: list[_Mapped] = []
            for record in table.records:
                file.summary.rows_read += 1
                self.rows += 1
                if self.progress is not None and self.rows % PROGRESS_EVERY == 0:
                    self.progress(self.rows)
                values, problems = (
                    plan.apply(record.values, record.row, record.row_kind)
                    if record.values
                    else ({}, [])
                )
                for row_values in plan.expand(values):
                    pending.append((record, row_values, problems))
                if len(pending) >= CHUNK:
                    self._chunk(checker, file, pending)
                    pending = []
            self._chunk(checker, file, pending)
            if not table.fixed_columns:
                self._check_header(file, table.name, plan, table.columns)
            for column in table.columns:
                if column not in file.columns and column != ERROR_COLUMN:
                    file.columns.append(column)

    def _check_header(
        self, file: FileLoad, table: str, plan: TablePlan, columns: Sequence[str]
    ) -> None:
        """The table's columns against the findings layout and the mapping: a required column
        missing is fatal; unknown ones are warnings (errors with ``strict``)."""
        see_readme = "see README 'Findings files'" + (
            "" if self.options.mapping.path else ", or give a column mapping (--mapping)"
        )
        if columns and not plan.gives() & set(REQUIRED):
            raise _header_error(
                table,
                f"the header has none of the findings columns ({', '.join(REQUIRED)}, ...): "
                + see_readme,
            )
        absent = [c for c in REQUIRED if c not in plan.gives()] if columns else []
        if absent:
            unknown = f"; columns it does not know: {listing(plan.unknown)}" if plan.unknown else ""
            raise _header_error(
                table,
                f"the header lacks the required columns {', '.join(absent)}{unknown}: "
                + see_readme,
            )
        problems = []
        if plan.unknown:
            problems.append(
                f"columns that neither the findings layout nor the mapping uses: "
                f"{listing(plan.unknown)}"
            )
        missing = plan.missing() if columns else []
        if missing:
            problems.append(f"columns of the mapping that it does not have: {listing(missing)}")
        if problems and self.options.strict:
            raise InvalidDataError(
                [RowError(table, 1, "", "", p + " (--strict)") for p in problems]
            )
        for problem in problems:
            note = "ignored " + problem if problem.startswith("columns that") else problem
            file.summary.warnings.append(f"{table}: {note}")

    def _chunk(self, checker: RowChecker, file: FileLoad, records: list[_Mapped]) -> None:
        """Check a chunk of records (their specimens fetched at once) and write the good ones
        when enough are waiting."""
        self.cat.specimen_values(key(v.get("specimen") or "") for _, v, _ in records)
        findings = []
        for record, values, problems in records:
            finding = checker.check(record, values, problems)
            if finding is not None:
                findings.append(finding)
        self.checked += findings
        if len(self.checked) >= WRITE_BATCH:
            self._flush(file)
        if len(self.errors) > MAX_REPORTED_ERRORS:  # the rest are only counted: memory stays flat
            self.errors_dropped += len(self.errors) - MAX_REPORTED_ERRORS
            group_errors(self.errors[MAX_REPORTED_ERRORS:], self.dropped_groups)
            del self.errors[MAX_REPORTED_ERRORS:]

    def error_groups(self, errors: Sequence[RowError]) -> dict[tuple[str, str, str], ErrorGroup]:
        """Every error of the load by file, column and kind: ``errors`` (the first ones) and
        those only counted."""
        groups = group_errors(errors)
        for kind, group in self.dropped_groups.items():
            if kind in groups:
                groups[kind].merge(group)
            else:
                groups[kind] = group
        return groups
