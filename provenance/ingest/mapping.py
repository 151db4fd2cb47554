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

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from provenance.errors import (
    InvalidDataError,
    MappingError,
    PatternTimeoutError,
    RowError,
    shorten,
)
from provenance.ingest.columns import ERROR_COLUMN, LAYOUTS, LIST_COLUMNS, Kind
from provenance.ingest.mapping_schema import MappingFile, SplitSpec, header_key, template_fields
from provenance.ingest.unknowns import UnknownValues, shipped_unknowns
from provenance.limits import Limits
from provenance.resources import seeds_path
from provenance.values.dates import DateCodeOrder
from provenance.values.text import clean_text, manufacturer_key
from provenance.yamlfile import check, check_file

__all__ = [
    "ITEM_SEPARATOR",
    "ColumnMapping",
    "SheetRule",
    "Split",
    "TablePlan",
    "header_key",
    "load_mapping",
    "parse_mapping",
]

#: Joins the items of a list cell in a row's values (a character no cleaned text holds).
ITEM_SEPARATOR = "\x1f"
#: The most items one list cell may hold.
MAX_ITEMS = 1000


def _layout(kind: Kind) -> dict[str, str]:
    return {header_key(c): c for c in LAYOUTS[kind]}


def list_items(text: str, form: str | None) -> list[str]:
    """The items of a list cell: a JSON list (``json``, or by default a cell that starts with
    ``[``), or values cut at a separator (by default ``;``). ValueError when it is not one."""
    stripped = text.strip()
    if form == "json" or (form is None and stripped.startswith("[")):
        try:
            data = json.loads(stripped)
        except ValueError:
            raise ValueError('expected a JSON list, e.g. ["KN-23", "KN-24"]') from None
        if not isinstance(data, list) or not all(
            isinstance(x, str | int | float) and not isinstance(x, bool) for x in data
        ):
            raise ValueError('expected a JSON list of names, e.g. ["KN-23", "KN-24"]')
        items = [str(x) for x in data]
    else:
        items = stripped.split(form or ";")
    cleaned = [c for c in (clean_text(x) for x in items) if c]
    if len(cleaned) > MAX_ITEMS:
        raise ValueError(f"more than {MAX_ITEMS} items in one cell")
    return list(dict.fromkeys(cleaned))


@dataclass(frozen=True)
class Split:
    """One combined column split into several of ours, by a separator or a regular expression."""

    column: str
    into: tuple[str, ...]
    separator: str | None = None
    pattern: regex.Pattern[str] | None = None
    otherwise: str | None = None

    def apply(
        self,
        text: str | None,
        values: dict[str, str | None],
        errors: list[tuple[str, str]],
        timeout: float = Limits().pattern_time,
    ) -> None:
        """Put the parts of ``text`` into ``values``; a problem goes to ``errors`` as
        (value, message). A pattern that takes longer than ``timeout`` seconds raises
        ``PatternTimeoutError``."""
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
        try:
            match = self.pattern.fullmatch(cleaned, timeout=timeout)
        except TimeoutError:
            raise PatternTimeoutError(cleaned, timeout) from None
        if match is not None:
            for target in self.into:
                values[target] = match.group(target)
        elif self.otherwise is not None:
            values[self.otherwise] = cleaned
        else:
            pattern = shorten(self.pattern.pattern)
            errors.append((cleaned, f"does not match the mapping's pattern {pattern}"))


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
    #: What the file holds: findings, or a reference layout.
    kind: Kind = Kind.FINDINGS
    #: header key of their column -> "json" or a separator: its cells are lists
    lists: dict[str, str] = field(default_factory=dict)
    #: The values that mean unknown, per column of ours (the shipped list and the mapping's).
    unknowns: UnknownValues = field(default_factory=lambda: shipped_unknowns(Kind.FINDINGS))
    #: Our columns whose words mixing Latin, Cyrillic and Greek may be folded to one script
    #: (manufacturer names always may).
    fold_mixed_script: frozenset[str] = frozenset()
    #: Separators of a chain of parents in manufacturer_parent ("Cypress, Infineon").
    parent_separators: tuple[str, ...] = ()
    #: The shipped mapping's name, when it is one.
    name: str | None = None

    @property
    def is_identity(self) -> bool:
        return not (self.columns or self.constants or self.templates or self.splits or self.lists)

    @property
    def layout(self) -> dict[str, str]:
        """header key -> column, of the layout of the mapping's kind."""
        return _layout(self.kind)

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
            if key in self.columns or key in self.splits or key in self.layout:
                known += 1
                if known >= 2:
                    return True
        return False

    def plan(
        self, table: str, sheet: str | None = None, pattern_time: float = Limits().pattern_time
    ) -> TablePlan:
        return TablePlan(self, table, sheet, pattern_time)


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

    def __init__(
        self,
        mapping: ColumnMapping,
        table: str,
        sheet: str | None,
        pattern_time: float = Limits().pattern_time,
    ) -> None:
        self.mapping = mapping
        self.table = table
        self.pattern_time = pattern_time
        rule = mapping.sheet_rule(sheet)
        self.constants = {**mapping.constants, **rule.constants}
        self.templates = {**mapping.templates, **rule.templates}
        for target in self.templates:
            self.constants.pop(target, None)
        for target in rule.constants:
            self.templates.pop(target, None)
        self._layout = mapping.layout
        #: column name -> how its cells hold a list ("json", a separator, or None: the default)
        self._lists: dict[str, str | None] = {}
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
        elif key in self._layout:
            route = self._layout[key]
            targets = (route,)
        elif key == ERROR_COLUMN:
            route, targets = _IGNORED, ()
        else:
            route, targets = _IGNORED, ()
            self.unknown.append(name)
        if isinstance(route, str) and (key in self.mapping.lists or route in LIST_COLUMNS):
            self._lists[name] = self.mapping.lists.get(key)
            self.identity = False
        for target in targets:
            other_column = self._given_by.get(target)
            if target in LIST_COLUMNS and isinstance(route, str) and other_column != "":
                # Several columns of theirs may fill one list of ours (a constant may not).
                self._given_by.setdefault(target, name)
                continue
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
        self, raw: Mapping[str, str | None], row: int = 0, row_kind: str = "line"
    ) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
        """Our columns' values for a record of the file (at ``row``), and the problems found
        splitting cells as (file column, value, message). A split pattern that runs past its
        time limit stops the load (InvalidDataError): the pattern is at fault, not the row."""
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
                if name in self._lists:
                    self._list_cell(name, route, value, values, errors)
                else:
                    values[route] = value
            else:
                problems: list[tuple[str, str]] = []
                try:
                    route.apply(value, values, problems, self.pattern_time)
                except PatternTimeoutError as exc:
                    raise self._timed_out(name, exc, row, row_kind) from None
                errors.extend((name, v, m) for v, m in problems)
        for target, template in self.templates.items():
            filled = clean_text(template.format_map(_Filled(values)))
            values[target] = filled
        return values, errors

    def _list_cell(
        self,
        name: str,
        target: str,
        value: str | None,
        values: dict[str, str | None],
        errors: list[tuple[str, str, str]],
    ) -> None:
        """A list cell: its items joined with ITEM_SEPARATOR (added to what other columns of
        the file gave for the same list of ours)."""
        if value is None or not value.strip():
            return
        try:
            items = list_items(value, self._lists[name])
        except ValueError as exc:
            errors.append((name, value, str(exc)))
            return
        if not items:
            return
        before = values.get(target)
        values[target] = ITEM_SEPARATOR.join(([before] if before else []) + items)

    def expand(self, values: dict[str, str | None]) -> list[dict[str, str | None]]:
        """The rows a record stands for: one per item of a list cell filling one of our
        single-valued columns (a part listed as found in two weapons is two findings), with
        the templates filled for each."""
        many = [
            (t, v)
            for t, v in values.items()
            if v and ITEM_SEPARATOR in v and t not in LIST_COLUMNS and t not in self.templates
        ]
        if not many:
            return [values]
        rows = [dict(values)]
        for target, text in many:
            rows = [{**row, target: item} for row in rows for item in text.split(ITEM_SEPARATOR)]
        for row in rows:
            for target, template in self.templates.items():
                row[target] = clean_text(template.format_map(_Filled(row)))
        return rows

    def _timed_out(
        self, name: str, exc: PatternTimeoutError, row: int, row_kind: str
    ) -> InvalidDataError:
        message = (
            f"the mapping's pattern for this column ran longer than {exc.timeout:g} s on the "
            "value, the limit (pattern-time): a pattern with nested repeats such as (\\w+\\s?)+ "
            "can take hours; write it without them, or raise the limit with "
            "--limit pattern-time=SECONDS"
        )
        return InvalidDataError(
            [RowError(self.table, row, name, shorten(exc.value), message, row_kind)]
        )

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
        kind=checked.kind,
        lists={header_key(name): form for name, form in checked.lists.items()},
        unknowns=shipped_unknowns(checked.kind).with_values(
            checked.unknown_values, checked.unknown_defaults
        ),
        fold_mixed_script=frozenset(checked.fold_mixed_script),
        parent_separators=tuple(checked.parent_separators),
    )


def parse_mapping(data: Any, path: str = "mapping") -> ColumnMapping:
    """A checked mapping from the parsed YAML (None: an empty file); MappingError listing
    every problem."""
    checked, problems = check(MappingFile, {} if data is None else data)
    if checked is None:
        raise MappingError(path, [str(p) for p in problems])
    return _column_mapping(checked, path)


#: The folder of the shipped mappings, under seeds/.
MAPPINGS_FOLDER = "mappings"


@dataclass(frozen=True)
class ShippedMapping:
    """A mapping shipped in seeds/mappings/: its name, file, kind, description and the example
    files made for it (``examples/<name>*``)."""

    name: str
    path: Path
    kind: Kind
    description: str | None
    examples: tuple[Path, ...] = ()


def shipped_mappings() -> list[ShippedMapping]:
    """The mappings shipped in seeds/mappings/, by name (the file name without .yaml)."""
    folder = seeds_path() / MAPPINGS_FOLDER
    found = []
    for path in sorted(folder.glob("*.yaml")):
        mapping = load_mapping(path)
        examples = tuple(
            p
            for p in sorted((folder / "examples").glob(f"{path.stem}*"))
            if p.stem == path.stem or p.stem.startswith(f"{path.stem}-")
        )
        found.append(ShippedMapping(path.stem, path, mapping.kind, mapping.description, examples))
    return found


def mapping_path(name_or_path: str | Path) -> Path:
    """The file of a mapping given by path, or by the name of a shipped one (``adwo-drones``);
    MappingError listing the shipped names when it is neither."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    text = str(name_or_path)
    shipped = seeds_path() / MAPPINGS_FOLDER / f"{text.removesuffix('.yaml')}.yaml"
    if "/" not in text and "\\" not in text and shipped.is_file():
        return shipped
    names = [m.stem for m in sorted((seeds_path() / MAPPINGS_FOLDER).glob("*.yaml"))]
    close = difflib.get_close_matches(text, names, n=3)
    hint = f"closest: {', '.join(close)}; " if close else ""
    raise MappingError(
        text,
        [
            f"no such mapping file, and no shipped mapping of that name ({hint}shipped: "
            f"{', '.join(names)}; `provenance mappings list` describes them)"
        ],
    )


def load_mapping(path: Path | str) -> ColumnMapping:
    """Read and check a mapping file (a path, or a shipped mapping's name); MappingError when
    it cannot be used."""
    path = mapping_path(path)
    checked, problems = check_file(path, MappingFile, what="mapping")
    if checked is None:
        raise MappingError(str(path), [str(p) for p in problems])
    return _column_mapping(checked, str(path))
