"""The date-code rules a load reads codes with: ``seeds/date_codes.yaml``, and any file given
with ``provenance load --date-codes FILE`` (same format), checked as a whole before any findings
are read (:mod:`provenance.values.datecodes` decodes)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import regex
from pydantic import AfterValidator, BeforeValidator, Field

from provenance.errors import MappingError
from provenance.resources import seeds_path
from provenance.values.datecodes import GROUPS, DateCodeRule
from provenance.values.text import manufacturer_key
from provenance.yamlfile import NoneAsList, Schema, check_file, invalid, scalar_text

__all__ = ["DATE_CODES_FILE", "date_code_rules", "read_rules", "shipped_rules"]

DATE_CODES_FILE = "date_codes.yaml"


def _text(value: object) -> str:
    text = scalar_text(value) if not isinstance(value, bool) else None
    if text is None or not text.strip():
        raise invalid("expected text")
    return text.strip()


def _pattern(value: object) -> str:
    text = _text(value)
    try:
        compiled = regex.compile(text, regex.IGNORECASE)
    except regex.error as exc:
        raise invalid(f"not a regular expression ({exc})") from None
    names = set(compiled.groupindex)
    stray = sorted(names - GROUPS)
    if stray:
        raise invalid(f"unknown groups {stray}: use {', '.join(sorted(GROUPS))}")
    if not names & {"yyyy", "yy", "y"}:
        raise invalid("needs a year group: yyyy, yy or y")
    if {"ww", "m", "mm"} & names and len({"ww", "m", "mm"} & names) > 1:
        raise invalid("give a week (ww) or a month (m, mm), not both")
    return text


_Text = Annotated[str, BeforeValidator(_text)]


class _Rule(Schema):
    name: _Text
    maker: _Text
    aliases: Annotated[list[_Text], NoneAsList] = Field([], description="a list of names")
    pattern: Annotated[str, BeforeValidator(_pattern)]
    source: _Text


def _unique_names(rules: list[_Rule]) -> list[_Rule]:
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise invalid(f"two rules are named {rule.name!r}")
        seen.add(rule.name)
    return rules


class _RulesFile(Schema):
    rules: Annotated[list[_Rule], AfterValidator(_unique_names)]


def read_rules(path: Path) -> tuple[DateCodeRule, ...]:
    """The rules of a date-code file; MappingError listing every problem with their key paths."""
    checked, problems = check_file(path, _RulesFile, what="date-code file")
    if checked is None:
        raise MappingError(str(path), [str(p) for p in problems])
    return tuple(
        DateCodeRule(
            r.name,
            frozenset(manufacturer_key(n) for n in (r.maker, *r.aliases)),
            regex.compile(r.pattern, regex.IGNORECASE),
            r.source,
        )
        for r in checked.rules
    )


@functools.cache
def shipped_rules() -> tuple[DateCodeRule, ...]:
    return read_rules(seeds_path() / DATE_CODES_FILE)


def date_code_rules(extra: Path | None = None) -> tuple[DateCodeRule, ...]:
    """The shipped rules, and those of ``extra`` (a rule of the same name replaces a shipped
    one)."""
    if extra is None:
        return shipped_rules()
    added = read_rules(extra)
    names = {r.name for r in added}
    return tuple(r for r in shipped_rules() if r.name not in names) + added
