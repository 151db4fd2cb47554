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
checked as a whole before any findings file is read; every problem is reported with its key.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provenance.errors import InvalidDataError, MappingError, RowError
from provenance.ingest.columns import ALL_COLUMNS, ERROR_COLUMN
from provenance.values.dates import DateCodeOrder
from provenance.values.text import clean_text, manufacturer_key

_KEYS = {
    "description",
    "columns",
    "ignore",
    "constants",
    "split",
    "manufacturer_aliases",
    "date_codes",
    "sheets",
}
_SPLIT_KEYS = {"column", "separator", "into", "pattern", "otherwise"}
_SHEET_KEYS = {"constants", "skip"}
_SEPARATORS = re.compile(r"[\s_\-]+")


def header_key(name: str) -> str:
    """The key column names are matched on: case, spacing, ``_`` and ``-`` ignored."""
    return _SEPARATORS.sub(" ", name.casefold()).strip()


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


def _closest(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (closest: {close[0]})" if close else ""


def _target(value: Any, where: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or value not in ALL_COLUMNS:
        problems.append(
            f"{where}: {value!r} is not a column of the findings layout"
            + _closest(str(value), ALL_COLUMNS)
        )
        return None
    return value


def _text_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _template_fields(text: str, where: str, problems: list[str]) -> list[str] | None:
    """The columns a constant's ``{column}`` placeholders name; None for a plain constant."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        problems.append(f"{where}: {text!r}: {exc} (write a literal brace as {{{{ or }}}})")
        return None
    fields = [f for _, f, _, _ in parsed if f is not None]
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or name not in ALL_COLUMNS:
            problems.append(
                f"{where}: {{{name}}} is not a column of the findings layout"
                + _closest(name, ALL_COLUMNS)
                + " (placeholders are {our_column}, nothing more)"
            )
    return fields or None


def _constants(data: Any, where: str, problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(plain constants, templates): our column -> value."""
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping of our column -> value")
        return {}, {}
    out: dict[str, str] = {}
    templates: dict[str, str] = {}
    for column, value in data.items():
        target = _target(column, f"{where}: {column}", problems)
        text = _text_value(value)
        if text is None:
            problems.append(f"{where}: {column}: expected a single value, got {value!r}")
        elif target is not None:
            fields = _template_fields(text, f"{where}: {column}", problems)
            if fields is None:  # {{ and }} are literal braces
                out[target] = text.replace("{{", "{").replace("}}", "}")
            else:
                templates[target] = text
    for target, text in templates.items():
        for name in _template_fields(text, where, []) or []:
            if name in templates:
                problems.append(
                    f"{where}: {target}: {{{name}}} is itself a template; "
                    "placeholders name the file's columns"
                )
    return out, templates


def _split(index: int, entry: Any, problems: list[str]) -> Split | None:
    where = f"split[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with column, into/separator or pattern")
        return None
    for key in entry:
        if key not in _SPLIT_KEYS:
            problems.append(
                f"{where}: unknown key {key!r} (known: {', '.join(sorted(_SPLIT_KEYS))})"
            )
    column = entry.get("column")
    if not isinstance(column, str) or not column.strip():
        problems.append(f"{where}: 'column' must name the file's column to split")
        return None
    separator, pattern_text = entry.get("separator"), entry.get("pattern")
    if (separator is None) == (pattern_text is None):
        problems.append(f"{where}: give either 'separator' (with 'into') or 'pattern'")
        return None
    otherwise = entry.get("otherwise")
    if otherwise is not None:
        otherwise = _target(otherwise, f"{where}: otherwise", problems)
    if separator is not None:
        into = entry.get("into")
        if not isinstance(separator, str) or separator == "":
            problems.append(f"{where}: 'separator' must be non-empty text")
            return None
        if not isinstance(into, list) or not into:
            problems.append(f"{where}: 'into' must list our columns, in the order of the parts")
            return None
        targets = [_target(t, f"{where}: into", problems) for t in into]
        if None in targets:
            return None
        if otherwise is not None:
            problems.append(f"{where}: 'otherwise' goes with 'pattern', not 'separator'")
        return Split(column, tuple(t for t in targets if t), separator=separator)
    if not isinstance(pattern_text, str):
        problems.append(f"{where}: 'pattern' must be a regular expression (quote it in YAML)")
        return None
    if entry.get("into") is not None:
        problems.append(f"{where}: a pattern names our columns by its groups, (?P<column>...)")
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        problems.append(f"{where}: pattern {pattern_text!r} is not a regular expression ({exc})")
        return None
    groups = tuple(pattern.groupindex)
    if not groups:
        problems.append(f"{where}: the pattern has no named groups, e.g. (?P<manufacturer>...)")
        return None
    targets = [_target(g, f"{where}: pattern group", problems) for g in groups]
    if None in targets:
        return None
    return Split(column, groups, pattern=pattern, otherwise=otherwise)


def parse_mapping(data: Any, path: str = "mapping") -> ColumnMapping:
    """A checked mapping from the parsed YAML; MappingError listing every problem."""
    problems: list[str] = []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MappingError(path, ["expected a mapping with keys such as columns:, constants:"])
    for key in data:
        if key not in _KEYS:
            problems.append(
                f"unknown key {key!r}"
                + _closest(str(key), sorted(_KEYS))
                + f"; known keys: {', '.join(sorted(_KEYS))}"
            )
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append("description: expected text")
        description = None

    columns: dict[str, str | None] = {}
    column_names: dict[str, str] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        problems.append("columns: expected a mapping of their column -> our column")
        raw_columns = {}
    for source, target in raw_columns.items():
        key = header_key(str(source))
        if not key:
            problems.append(f"columns: {source!r}: a blank column name")
            continue
        if key in columns:
            problems.append(f"columns: {source!r} is named twice")
            continue
        column_names[key] = str(source)
        if target is None:
            columns[key] = None
            continue
        columns[key] = _target(target, f"columns: {source}", problems)
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list):
        problems.append("ignore: expected a list of their columns")
        ignore = []
    for source in ignore:
        key = header_key(str(source))
        if key in columns:
            problems.append(f"ignore: {source!r} is also under columns")
        columns[key] = None
        column_names[key] = str(source)

    constants, templates = _constants(data.get("constants"), "constants", problems)

    splits: dict[str, Split] = {}
    raw_splits = data.get("split") or []
    if not isinstance(raw_splits, list):
        problems.append("split: expected a list of splits")
        raw_splits = []
    for index, entry in enumerate(raw_splits, start=1):
        split = _split(index, entry, problems)
        if split is None:
            continue
        key = header_key(split.column)
        if key in splits or key in columns:
            problems.append(f"split[{index}]: column {split.column!r} is mapped twice")
            continue
        splits[key] = split

    # One of our columns filled two ways is a mistake in the mapping itself.
    given: dict[str, str] = {}
    sources: list[tuple[str, tuple[str, ...]]] = [
        (f"columns: {k}", (t,)) for k, t in columns.items() if t
    ]
    sources += [(f"split: {s.column}", s.into) for s in splits.values()]
    sources += [(f"constants: {t}", (t,)) for t in (*constants, *templates)]
    for where, targets in sources:
        for target in targets:
            if target in given:
                problems.append(f"{where}: gives {target}, which {given[target]} gives too")
            else:
                given[target] = where

    aliases: dict[str, str] = {}
    alias_names: dict[str, str] = {}
    raw_aliases = data.get("manufacturer_aliases") or {}
    if not isinstance(raw_aliases, dict):
        problems.append("manufacturer_aliases: expected a mapping of name as written -> name")
        raw_aliases = {}
    for written, canonical in raw_aliases.items():
        written_text, canonical_text = _text_value(written), _text_value(canonical)
        if not (
            written_text and written_text.strip() and canonical_text and canonical_text.strip()
        ):
            problems.append(f"manufacturer_aliases: {written!r}: expected name: name")
            continue
        key = manufacturer_key(written_text)
        if key == manufacturer_key(canonical_text):
            continue  # the same name once case and legal forms are ignored: nothing to do
        if key in aliases and aliases[key] != canonical_text:
            problems.append(f"manufacturer_aliases: {written!r} is given two names")
        aliases[key] = canonical_text
        alias_names[key] = written_text

    order_text = data.get("date_codes", DateCodeOrder.YYWW.value)
    try:
        order = DateCodeOrder(str(order_text).casefold())
    except ValueError:
        choices = ", ".join(o.value for o in DateCodeOrder)
        problems.append(f"date_codes: expected one of {choices}, got {order_text!r}")
        order = DateCodeOrder.YYWW

    sheets: dict[str, SheetRule] = {}
    raw_sheets = data.get("sheets") or {}
    if not isinstance(raw_sheets, dict):
        problems.append("sheets: expected a mapping of sheet name -> constants: or skip")
        raw_sheets = {}
    for sheet, rule in raw_sheets.items():
        where = f"sheets: {sheet}"
        if rule == "skip":
            sheets[header_key(str(sheet))] = SheetRule(skip=True)
            continue
        if not isinstance(rule, dict):
            problems.append(f"{where}: expected 'skip' or a mapping with constants:")
            continue
        for key in rule:
            if key not in _SHEET_KEYS:
                problems.append(f"{where}: unknown key {key!r} (known: constants, skip)")
        sheet_constants, sheet_templates = _constants(
            rule.get("constants"), f"{where}: constants", problems
        )
        for target in (*sheet_constants, *sheet_templates):
            if target in given and given[target] != f"constants: {target}":
                problems.append(f"{where}: constants: {target} is given by {given[target]}")
        sheets[header_key(str(sheet))] = SheetRule(
            sheet_constants, sheet_templates, bool(rule.get("skip"))
        )

    if problems:
        raise MappingError(path, problems)
    return ColumnMapping(
        path=path,
        description=description,
        columns=columns,
        column_names=column_names,
        constants=constants,
        templates=templates,
        splits=splits,
        manufacturer_aliases=aliases,
        manufacturer_alias_names=alias_names,
        date_codes=order,
        sheets=sheets,
    )


def load_mapping(path: Path | str) -> ColumnMapping:
    """Read and check a mapping file; MappingError when it cannot be used."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(str(path), [f"cannot read the mapping ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise MappingError(str(path), ["the mapping is not UTF-8 text"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise MappingError(str(path), [f"{where}not valid YAML ({exc})"]) from None
    return parse_mapping(data, str(path))
