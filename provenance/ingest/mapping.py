"""Column mappings: reading a foreign findings layout (a partner's sheet, a report annex, another
database's export) as ours, without editing the file.

A mapping is a YAML file (read with ``yaml.safe_load``; documented in ``seeds/mappings/README.md``)
that renames the foreign columns to ours, ignores columns on purpose, sets constants (every row's
source, or the weapon system of a sheet about one weapon), splits combined cells into several of
our columns (``DC/DC converter / TSM0505S / 2413`` into component, part number and date code;
``Maxim Integrated (Analog Devices)`` into a manufacturer and its parent), names manufacturers'
other spellings, and says how four-digit date codes are written.

Columns are matched on their names with case, spacing, ``_`` and ``-`` ignored (``Name and
marking`` is ``name_and_marking``). A column of our own layout needs no entry. The mapping file is
checked as a whole against its schema (:mod:`provenance.ingest.mapping_schema`) before any
findings file is read; every problem is reported with its key path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.errors import InvalidDataError, MappingError, RowError
from provenance.ingest.columns import ALL_COLUMNS, ERROR_COLUMN
from provenance.ingest.mapping_schema import MappingFile, SplitSpec, header_key, template_fields
from provenance.values.dates import DateCodeOrder
from provenance.values.text import clean_text, manufacturer_key
from provenance.yamlfile import check, check_file

__all__ = [
    "ColumnMapping",
    "SheetRule",
    "Split",
    "TablePlan",
    "header_key",
    "load_mapping",
    "parse_mapping",
]

_LAYOUT = {header_key(c): c for c in ALL_COLUMNS}


@dataclass(frozen=True)
class Split:
    """One combined column split into several of ours, by a separator or a regular expression."""

    column: str
    into: tuple[str, ...]
    separator: str | None = None
    pattern: re.Pattern[str] | None = None
    otherwise: str | None = None

    def apply(
        self, text: str | None, values: dict[str, str | None], errors: list[tuple[str, str]]
    ) -> None:
        """Put the parts of ``text`` into ``values``; a problem goes to ``errors`` as
        (value, message)."""
        cleaned = clean_text(text)
        if cleaned is None:
            return
        if self.separator is not None:
            parts = [p.strip() for p in cleaned.split(self.separator)]
            if len(parts) > len(self.into):
                errors.append(
                    (
                        cleaned,
                        f"expected at most {len(self.into)} parts separated by "
                        f"{self.separator!r} ({', '.join(self.into)}), found {len(parts)}",
                    )
                )
                return
            for target, part in zip(self.into, parts, strict=False):
                values[target] = part or None
            return
        assert self.pattern is not None
        match = self.pattern.fullmatch(cleaned)
        if match is not None:
            for target in self.into:
                values[target] = match.group(target)
        elif self.otherwise is not None:
            values[self.otherwise] = cleaned
        else:
            errors.append((cleaned, f"does not match the mapping's pattern {self.pattern.pattern}"))


@dataclass(frozen=True)
class SheetRule:
    constants: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    skip: bool = False


@dataclass(frozen=True)
class ColumnMapping:
    """A checked mapping. ``ColumnMapping()`` is the identity: our own layout."""

    path: str | None = None
    description: str | None = None
    columns: dict[str, str | None] = field(default_factory=dict)  # header key -> ours or None
    column_names: dict[str, str] = field(default_factory=dict)  # header key -> as written
    constants: dict[str, str] = field(default_factory=dict)
    #: Constants with ``{column}`` placeholders, filled from each row's values.
    templates: dict[str, str] = field(default_factory=dict)
    splits: dict[str, Split] = field(default_factory=dict)  # header key -> split
    #: manufacturer_key of another spelling -> the name to use
    manufacturer_aliases: dict[str, str] = field(default_factory=dict)
    manufacturer_alias_names: dict[str, str] = field(default_factory=dict)  # key -> as written
    date_codes: DateCodeOrder = DateCodeOrder.YYWW
    sheets: dict[str, SheetRule] = field(default_factory=dict)  # header key of the sheet name

    @property
    def is_identity(self) -> bool:
        return not (self.columns or self.constants or self.templates or self.splits)

    def sheet_rule(self, sheet: str | None) -> SheetRule:
        if sheet is None:
            return SheetRule()
        return self.sheets.get(header_key(sheet), SheetRule())

    def source_names(self) -> list[tuple[str, str]]:
        """(header key, how the mapping writes it) of every column the mapping expects."""
        return [(k, self.column_names.get(k, k)) for k in self.columns] + [
            (k, s.column) for k, s in self.splits.items()
        ]

    def looks_like_header(self, cells: Sequence[str]) -> bool:
        """Whether a row is a header: two or more of its cells are column names that this
        mapping or our layout knows."""
        known = 0
        for cell in cells:
            key = header_key(cell)
            if key in self.columns or key in self.splits or key in _LAYOUT:
                known += 1
                if known >= 2:
                    return True
        return False

    def plan(self, table: str, sheet: str | None = None) -> TablePlan:
        return TablePlan(self, table, sheet)


_IGNORED = object()


class _Filled(dict[str, str]):
    """A row's values for a template: cleaned, and blank when missing."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        super().__init__()
        self.row = values

    def __missing__(self, key: str) -> str:
        return clean_text(self.row.get(key)) or ""


class TablePlan:
    """How the columns of one table become ours: built from its header (or, for JSON, from each
    column name as it first appears)."""

    def __init__(self, mapping: ColumnMapping, table: str, sheet: str | None) -> None:
        self.mapping = mapping
        self.table = table
        rule = mapping.sheet_rule(sheet)
        self.constants = {**mapping.constants, **rule.constants}
        self.templates = {**mapping.templates, **rule.templates}
        for target in self.templates:
            self.constants.pop(target, None)
        for target in rule.constants:
            self.templates.pop(target, None)
        self._routes: dict[str, Any] = {}  # column name -> our column, a Split, or _IGNORED
        self._given_by: dict[str, str] = {}  # our column -> the file column (or constant)
        for target in (*self.constants, *self.templates):
            self._given_by[target] = ""
        self.unknown: list[str] = []
        self._seen_keys: set[str] = set()
        self.identity = mapping.is_identity and not (self.constants or self.templates)
        #: Every column was seen before the records (a header): ``apply`` need not check.
        self.fixed = False

    def see(self, name: str) -> None:
        """Route a column of the file; InvalidDataError when two columns would fill one of ours."""
        if name in self._routes:
            return
        key = header_key(name)
        self._seen_keys.add(key)
        route: Any
        targets: tuple[str, ...]
        if key in self.mapping.splits:
            route = self.mapping.splits[key]
            targets = route.into
        elif key in self.mapping.columns:
            target = self.mapping.columns[key]
            route, targets = (target, (target,)) if target else (_IGNORED, ())
        elif key in _LAYOUT:
            route = _LAYOUT[key]
            targets = (route,)
        elif key == ERROR_COLUMN:
            route, targets = _IGNORED, ()
        else:
            route, targets = _IGNORED, ()
            self.unknown.append(name)
        for target in targets:
            if target in self._given_by:
                other = self._given_by[target]
                by = f"column {other!r}" if other else "a constant of the mapping"
                raise InvalidDataError(
                    [
                        RowError(
                            self.table,
                            0,
                            name,
                            "",
                            f"gives {target}, which {by} gives too: "
                            "rename one, or ignore it in the mapping",
                        )
                    ]
                )
            self._given_by[target] = name
        self._routes[name] = route
        if isinstance(route, str) and route != name:
            self.identity = False  # a column of ours written another way: rename it

    def see_all(self, names: Sequence[str]) -> None:
        for name in names:
            self.see(name)

    def apply(
        self, raw: Mapping[str, str | None]
    ) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
        """Our columns' values for a record of the file, and the problems found splitting cells
        as (file column, value, message)."""
        if self.identity and (self.fixed or all(n in self._routes for n in raw)):
            return raw if isinstance(raw, dict) else dict(raw), []
        values: dict[str, str | None] = dict(self.constants)
        errors: list[tuple[str, str, str]] = []
        for name, value in raw.items():
            route = self._routes.get(name)
            if route is None:
                self.see(name)
                route = self._routes[name]
            if route is _IGNORED:
                continue
            if isinstance(route, str):
                values[route] = value
            else:
                problems: list[tuple[str, str]] = []
                route.apply(value, values, problems)
                errors.extend((name, v, m) for v, m in problems)
        for target, template in self.templates.items():
            filled = clean_text(template.format_map(_Filled(values)))
            values[target] = filled
        return values, errors

    def column(self, target: str) -> str:
        """The name to show for one of our columns: the file's column it comes from."""
        source = self._given_by.get(target)
        if source is None or source == target:
            return target
        if source == "":
            return f"{target} (mapping constant)"
        route = self._routes.get(source)
        if isinstance(route, Split):
            return f"{source} ({target})"
        return f"{source} ({target})" if header_key(source) != header_key(target) else source

    def missing(self) -> list[str]:
        """The columns the mapping names that the table does not have."""
        return [
            written
            for key, written in self.mapping.source_names()
            if key not in self._seen_keys and (self.mapping.columns.get(key, "") is not None)
        ]

    def gives(self) -> set[str]:
        """Our columns this table gives values for (so far)."""
        return set(self._given_by)


# Reading and checking a mapping file ---------------------------------------------------------


def _constants(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(plain constants, templates) of checked constants: our column -> value. In a plain
    constant ``{{`` and ``}}`` are literal braces."""
    plain: dict[str, str] = {}
    templates: dict[str, str] = {}
    for target, text in values.items():
        if template_fields(text):
            templates[target] = text
        else:
            plain[target] = text.replace("{{", "{").replace("}}", "}")
    return plain, templates


def _split(spec: SplitSpec) -> Split:
    if spec.pattern is not None:
        return Split(spec.column, spec.targets, pattern=spec.pattern, otherwise=spec.otherwise)
    return Split(spec.column, spec.targets, separator=spec.separator)


def _column_mapping(checked: MappingFile, path: str) -> ColumnMapping:
    columns = {header_key(name): target for name, target in checked.columns.items()}
    names = {header_key(name): name for name in checked.columns}
    for name in checked.ignore:
        columns[header_key(name)] = None
        names[header_key(name)] = name
    aliases: dict[str, str] = {}
    alias_names: dict[str, str] = {}
    for written, canonical in checked.manufacturer_aliases.items():
        key = manufacturer_key(written)
        if key != manufacturer_key(canonical):  # else the same name: nothing to do
            aliases[key] = canonical
            alias_names[key] = written
    constants, templates = _constants(checked.constants)
    return ColumnMapping(
        path=path,
        description=checked.description,
        columns=columns,
        column_names=names,
        constants=constants,
        templates=templates,
        splits={header_key(s.column): _split(s) for s in checked.split},
        manufacturer_aliases=aliases,
        manufacturer_alias_names=alias_names,
        date_codes=checked.date_codes,
        sheets={
            header_key(name): SheetRule(*_constants(rule.constants), skip=rule.skip)
            for name, rule in checked.sheets.items()
        },
    )


def parse_mapping(data: Any, path: str = "mapping") -> ColumnMapping:
    """A checked mapping from the parsed YAML (None: an empty file); MappingError listing
    every problem."""
    checked, problems = check(MappingFile, {} if data is None else data)
    if checked is None:
        raise MappingError(path, [str(p) for p in problems])
    return _column_mapping(checked, path)


def load_mapping(path: Path | str) -> ColumnMapping:
    """Read and check a mapping file; MappingError when it cannot be used."""
    path = Path(path)
    checked, problems = check_file(path, MappingFile, what="mapping")
    if checked is None:
        raise MappingError(str(path), [str(p) for p in problems])
    return _column_mapping(checked, str(path))
