"""The schema of a column mapping file (the format ``seeds/mappings/README.md`` documents).

Every key of the file, and what each may hold, is declared here; :mod:`provenance.ingest.mapping`
turns a checked file into the mapping a load applies. The checks made across keys (one of our
columns filled two ways, a file column named twice) are the validators of :class:`MappingFile`.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any

import regex
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator

from provenance.errors import shorten
from provenance.ingest.columns import EVERY_COLUMN, LAYOUTS, LIST_COLUMNS, Kind
from provenance.values.dates import DateCodeOrder
from provenance.values.text import manufacturer_key
from provenance.yamlfile import (
    Conflicts,
    KeyPath,
    NoneAsDict,
    NoneAsList,
    Schema,
    invalid,
    key_path,
    scalar_text,
    yaml_bool_hint,
)

_SEPARATORS = re.compile(r"[\s_\-]+")


def header_key(name: str) -> str:
    """The key column names are matched on: case, spacing, ``_`` and ``-`` ignored."""
    return _SEPARATORS.sub(" ", name.casefold()).strip()


def closest(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (closest: {close[0]})" if close else ""


# Values --------------------------------------------------------------------------------------


def _target(value: object) -> str:
    """One of our columns, of any layout (:class:`MappingFile` checks it against its kind's)."""
    if not isinstance(value, str) or value not in EVERY_COLUMN:
        raise invalid(
            f"{value!r} is not a column of the findings layout" + closest(str(value), EVERY_COLUMN)
        )
    return value


def _column_name(value: object) -> str:
    if isinstance(value, bool):
        raise invalid(yaml_bool_hint(value))
    text = scalar_text(value)
    if text is None:
        raise invalid("expected a column name")
    if not header_key(text):
        raise invalid("a blank column name", text)
    return text


def _single_value(value: object) -> str:
    """A constant: text, a number or a date as written; true/false as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = scalar_text(value)
    if text is None:
        raise invalid(f"expected a single value, got {shorten(repr(value))}")
    return text


def template_fields(text: str) -> list[str]:
    """The columns a constant's ``{column}`` placeholders name (none for a plain constant)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _constant(value: object) -> str:
    text = _single_value(value)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise invalid(f"{text!r}: {exc} (write a literal brace as {{{{ or }}}})") from None
    conflicts = Conflicts()
    for _, name, spec, conversion in parsed:
        if name is not None and (spec or conversion or name not in EVERY_COLUMN):
            conflicts.add(
                (),
                f"{{{name}}} is not a column of the findings layout"
                + closest(name, EVERY_COLUMN)
                + " (placeholders are {our_column}, nothing more)",
            )
    conflicts.raise_any()
    return text


def _no_template_in_template(constants: dict[str, str]) -> dict[str, str]:
    templates = {t for t, text in constants.items() if template_fields(text)}
    conflicts = Conflicts()
    for target in templates:
        for name in template_fields(constants[target]):
            if name in templates:
                conflicts.add(
                    (target,),
                    f"{{{name}}} is itself a template; placeholders name the file's columns",
                )
    conflicts.raise_any()
    return constants


def _name(value: object) -> str:
    text = _single_value(value) if value is not None else None
    if text is None or not text.strip():
        raise invalid("expected name: name")
    return text


def _kind(value: object) -> Kind:
    try:
        return Kind(str(value).casefold())
    except ValueError:
        choices = ", ".join(k.value for k in Kind)
        raise invalid(f"expected one of {choices}", str(value)) from None


def _list_format(value: object) -> str:
    """How a cell holds a list: ``json`` (``["a", "b"]``) or a separator such as ``;``."""
    if not isinstance(value, str) or value == "":
        raise invalid("expected json (a JSON list in each cell) or a separator, e.g. ';'")
    return "json" if value.casefold() == "json" else value


def _unknown_value(value: object) -> str:
    text = scalar_text(value) if not isinstance(value, bool) else None
    if text is None or not text.strip():
        raise invalid("expected a value as written, e.g. UNK or Not identified")
    return text


def _separator_text(value: object) -> str:
    if not isinstance(value, str) or value == "":
        raise invalid("expected a separator, e.g. ', '")
    return value


def _date_codes(value: object) -> DateCodeOrder:
    try:
        return DateCodeOrder(str(value).casefold())
    except ValueError:
        choices = ", ".join(o.value for o in DateCodeOrder)
        raise invalid(f"expected one of {choices}", str(value)) from None


#: One of our columns (the findings layout's).
Target = Annotated[str, BeforeValidator(_target)]
#: A column of their file, as written (matched with case, spacing, _ and - ignored).
ColumnName = Annotated[str, BeforeValidator(_column_name)]
Constants = Annotated[
    dict[Target, Annotated[str, BeforeValidator(_constant)]],
    NoneAsDict,
    AfterValidator(_no_template_in_template),
]


# Splits and sheets ---------------------------------------------------------------------------


def _split_column(value: object) -> str:
    text = scalar_text(value) if not isinstance(value, bool) else None
    if text is None or not text.strip():
        raise invalid("'column' must name the file's column to split")
    return text


def _separator(value: object) -> object:
    if value is not None and (not isinstance(value, str) or value == ""):
        raise invalid("'separator' must be non-empty text")
    return value


def _into(value: object) -> object:
    if value is not None and (not isinstance(value, list) or not value):
        raise invalid("'into' must list our columns, in the order of the parts")
    return value


def _pattern(value: object) -> regex.Pattern[str] | None:
    """A split pattern, compiled with the ``regex`` module (Python's ``re`` syntax), whose
    matches can be given a time limit."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("'pattern' must be a regular expression (quote it in YAML)")
    try:
        pattern = regex.compile(value)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise invalid(f"pattern {shorten(value)!r} is not a regular expression ({exc})") from None
    if not pattern.groupindex:
        raise invalid("the pattern has no named groups, e.g. (?P<manufacturer>...)")
    for group in pattern.groupindex:
        _target(group)
    return pattern


class SplitSpec(Schema):
    """One of their columns split into several of ours, by a separator or a pattern."""

    column: Annotated[str, BeforeValidator(_split_column)]
    separator: Annotated[str | None, BeforeValidator(_separator)] = None
    into: Annotated[list[Target] | None, BeforeValidator(_into)] = None
    pattern: Annotated[regex.Pattern[str] | None, BeforeValidator(_pattern)] = None

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    otherwise: Target | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """Our columns the split fills (for a pattern, its named groups)."""
        if self.pattern is not None:
            return tuple(self.pattern.groupindex)
        return tuple(self.into or ())

    @model_validator(mode="after")
    def _separator_or_pattern(self) -> SplitSpec:
        conflicts = Conflicts()
        if (self.separator is None) == (self.pattern is None):
            conflicts.add((), "give either 'separator' (with 'into') or 'pattern'")
        elif self.separator is not None and self.into is None:
            conflicts.add((), "'into' must list our columns, in the order of the parts")
        elif self.separator is not None and self.otherwise is not None:
            conflicts.add(("otherwise",), "'otherwise' goes with 'pattern', not 'separator'")
        elif self.pattern is not None and self.into is not None:
            conflicts.add(("into",), "a pattern names our columns by its groups, (?P<column>...)")
        conflicts.raise_any()
        return self


class SheetSpec(Schema):
    """What applies to one sheet of a workbook: its own constants, or ``skip``."""

    constants: Constants = Field({}, description="a mapping of our column -> value")
    skip: bool = False

    @model_validator(mode="before")
    @classmethod
    def _skip(cls, data: Any) -> Any:
        if data == "skip":
            return {"skip": True}
        if not isinstance(data, Mapping):
            raise invalid("expected 'skip' or a mapping with constants:")
        return data


# The file ------------------------------------------------------------------------------------


class MappingFile(Schema):
    """A column mapping file; every key is optional."""

    description: str | None = Field(None, description="text")
    kind: Annotated[Kind, BeforeValidator(_kind)] = Kind.FINDINGS
    columns: Annotated[dict[ColumnName, Target | None], NoneAsDict] = Field(
        {}, description="a mapping of their column -> our column"
    )
    ignore: Annotated[list[ColumnName], NoneAsList] = Field(
        [], description="a list of their columns"
    )
    constants: Constants = Field({}, description="a mapping of our column -> value")
    split: Annotated[list[SplitSpec], NoneAsList] = Field(
        [], description="a list of splits (column, separator and into, or pattern)"
    )
    manufacturer_aliases: Annotated[
        dict[Annotated[str, BeforeValidator(_name)], Annotated[str, BeforeValidator(_name)]],
        NoneAsDict,
    ] = Field({}, description="a mapping of name as written -> name")
    date_codes: Annotated[DateCodeOrder, BeforeValidator(_date_codes)] = DateCodeOrder.YYWW
    sheets: Annotated[dict[ColumnName, SheetSpec], NoneAsDict] = Field(
        {}, description="a mapping of sheet name -> constants: or skip"
    )
    lists: Annotated[
        dict[ColumnName, Annotated[str, BeforeValidator(_list_format)]], NoneAsDict
    ] = Field({}, description="a mapping of their column -> json or a separator")
    unknown_values: Annotated[
        dict[Target, Annotated[list[Annotated[str, BeforeValidator(_unknown_value)]], NoneAsList]],
        NoneAsDict,
    ] = Field({}, description="a mapping of our column -> values that mean unknown")
    unknown_defaults: bool = True
    fold_mixed_script: Annotated[list[Target], NoneAsList] = Field(
        [], description="a list of our columns"
    )
    parent_separators: Annotated[
        list[Annotated[str, BeforeValidator(_separator_text)]], NoneAsList
    ] = Field([], description="a list of separators, e.g. ', '")

    def targets(self) -> Iterator[tuple[KeyPath, str]]:
        """Every one of our columns the file names, with its key path."""
        for where, targets in self.sources():
            for target in targets:
                yield where, target
        for target in self.unknown_values:
            yield ("unknown_values", target), target
        for index, target in enumerate(self.fold_mixed_script):
            yield ("fold_mixed_script", index), target
        for sheet, rule in self.sheets.items():
            for target in rule.constants:
                yield ("sheets", sheet, "constants", target), target

    def sources(self) -> Iterator[tuple[KeyPath, tuple[str, ...]]]:
        """Where each of our columns gets its value: (key path, our columns), in file order."""
        for name, target in self.columns.items():
            if target is not None:
                yield ("columns", name), (target,)
        for index, split in enumerate(self.split):
            yield ("split", index), split.targets
        for target in self.constants:
            yield ("constants", target), (target,)

    @model_validator(mode="after")
    def _each_column_once(self) -> MappingFile:
        conflicts = Conflicts()
        _in_layout(self, conflicts)
        _their_columns_once(self, conflicts)
        given = _our_columns_once(self, conflicts)
        for sheet, rule in self.sheets.items():
            for target in rule.constants:
                if target in given and given[target][0] != "constants":
                    conflicts.add(
                        ("sheets", sheet, "constants", target),
                        f"{target} is given by {key_path(given[target])}",
                    )
        names: dict[str, str] = {}
        for written, canonical in self.manufacturer_aliases.items():
            key = manufacturer_key(written)
            if key != manufacturer_key(canonical) and names.setdefault(key, canonical) != canonical:
                conflicts.add(("manufacturer_aliases", written), "is given two names")
        conflicts.raise_any()
        return self


def _in_layout(mapping: MappingFile, conflicts: Conflicts) -> None:
    """Every one of our columns the file names is one of its kind's layout."""
    layout = LAYOUTS[mapping.kind]
    what = (
        "the findings layout"
        if mapping.kind is Kind.FINDINGS
        else f"the {mapping.kind.value} layout (kind: {mapping.kind.value})"
    )
    for where, target in mapping.targets():
        if target not in layout:
            conflicts.add(where, f"{target!r} is not a column of {what}" + closest(target, layout))
    for target, text in mapping.constants.items():
        for name in template_fields(text):
            if name not in layout:
                conflicts.add(("constants", target), f"{{{name}}} is not a column of {what}")


def _their_columns_once(mapping: MappingFile, conflicts: Conflicts) -> None:
    """Each of their columns is named once (in columns, ignore or a split)."""
    seen: dict[str, str] = {}
    for name in mapping.columns:
        key = header_key(name)
        if key in seen:
            conflicts.add(("columns", name), f"the same column as {seen[key]!r}")
        seen.setdefault(key, name)
    for index, name in enumerate(mapping.ignore):
        if header_key(name) in seen:
            conflicts.add(("ignore", index), f"{name!r} is also under columns")
    named = set(seen) | {header_key(n) for n in mapping.ignore}
    for index, split in enumerate(mapping.split):
        key = header_key(split.column)
        if key in named:
            conflicts.add(("split", index), f"column {split.column!r} is mapped twice")
        named.add(key)


def _our_columns_once(mapping: MappingFile, conflicts: Conflicts) -> dict[str, KeyPath]:
    """Each of our columns is filled one way; our column -> where it is filled."""
    given: dict[str, KeyPath] = {}
    for where, targets in mapping.sources():
        for target in targets:
            if target in LIST_COLUMNS and where[0] == "columns":
                continue  # several columns of theirs may fill a list of ours
            if target in given:
                conflicts.add(where, f"gives {target}, which {key_path(given[target])} gives too")
            else:
                given[target] = where
    return given
