"""Values that mean "not known": ``UNK`` for a country, ``Not identified`` for a maker.

The shipped list (``seeds/unknown_values.yaml``) applies to every load, in the columns it names
per layout; a mapping adds values per column (``unknown_values``) or turns the shipped list off
(``unknown_defaults: false``). A cell that holds such a value is read as unknown: never a company,
never a country. Unlike a blank cell, it *says* that the value is not known, which is enough for a
column that must be given (a manufacturer not identified is a finding; a blank one is a mistake).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BeforeValidator, Field

from provenance.ingest.columns import LAYOUTS, Kind
from provenance.resources import seeds_path
from provenance.values.text import name_key
from provenance.yamlfile import NoneAsList, Schema, check_file, invalid, scalar_text

__all__ = ["UNKNOWN_VALUES_FILE", "UnknownValues", "shipped_unknowns", "unknown_key"]

UNKNOWN_VALUES_FILE = "unknown_values.yaml"


def unknown_key(text: str) -> str:
    """The key unknown values are matched on: case and spacing aside."""
    return name_key(text)


def _value(value: object) -> str:
    text = scalar_text(value) if not isinstance(value, bool) else None
    if text is None or not text.strip():
        raise invalid("expected a value as written, e.g. UNK or Not identified")
    return text


_Values = Annotated[list[Annotated[str, BeforeValidator(_value)]], NoneAsList]


class _ColumnsSpec(Schema):
    findings: _Values = Field([], description="a list of our columns")
    weapon_systems: _Values = Field([], description="a list of our columns")
    manufacturers: _Values = Field([], description="a list of our columns")
    sources: _Values = Field([], description="a list of our columns")
    customs: _Values = Field([], description="a list of our columns")


class _UnknownFile(Schema):
    values: _Values
    columns: _ColumnsSpec


@dataclass(frozen=True)
class UnknownValues:
    """Per column of a layout, the keys of the values that mean unknown."""

    by_column: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_unknown(self, column: str, text: str) -> bool:
        keys = self.by_column.get(column)
        return keys is not None and unknown_key(text) in keys

    def with_values(self, extra: Mapping[str, Iterable[str]], defaults: bool) -> UnknownValues:
        """These values added per column (``defaults`` False: instead of this list)."""
        merged: dict[str, set[str]] = {}
        if defaults:
            merged = {c: set(keys) for c, keys in self.by_column.items()}
        for column, values in extra.items():
            merged.setdefault(column, set()).update(unknown_key(v) for v in values)
        return UnknownValues({c: frozenset(k) for c, k in merged.items() if k})


@functools.cache
def shipped_unknowns(kind: Kind) -> UnknownValues:
    """The shipped list, for the columns of ``kind``'s layout."""
    path = seeds_path() / UNKNOWN_VALUES_FILE
    checked, problems = check_file(path, _UnknownFile, what="unknown values")
    if checked is None:  # pragma: no cover - the shipped file is checked by the tests
        raise ValueError("; ".join(map(str, problems)))
    columns: list[str] = getattr(checked.columns, kind.value)
    stray = [c for c in columns if c not in LAYOUTS[kind]]
    if stray:  # pragma: no cover - the shipped file is checked by the tests
        raise ValueError(f"{path}: columns not in the {kind.value} layout: {stray}")
    keys = frozenset(unknown_key(v) for v in checked.values)
    return UnknownValues(dict.fromkeys(columns, keys))
