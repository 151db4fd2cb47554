"""The schemas of the reference files: weapon systems and sources (the layout of
``seeds/reference.yaml``), and reference lists, that is versions of the Common High Priority List
and country groups (the layout of ``seeds/chpl.yaml`` and ``seeds/country_groups.yaml``).

A file is read and checked as a whole (:mod:`provenance.yamlfile`) before any of it is written:
every problem is an error naming the file and the key path, e.g. ``chpl.yaml:
chpl_lists[1].tiers['3.A'][4].hs: expected a six-digit HS code, e.g. 8504.40 (got '8504')``.
Countries are resolved while the file is checked, by the resolver the caller gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from provenance.errors import InvalidDataError, RowError
from provenance.models import DatePrecision, Reliability
from provenance.values.countries import CountryResolver
from provenance.values.dates import parse_partial_date
from provenance.values.hs import format_hs6, hs_digits
from provenance.values.text import clean_text, name_key
from provenance.yamlfile import (
    Conflicts,
    NoneAsDict,
    NoneAsList,
    Problem,
    Schema,
    check_file,
    context_value,
    invalid,
    scalar_text,
    yaml_bool_hint,
)

#: The layouts of reference-list files this version reads (the files' ``version:`` key).
REFERENCE_LIST_FORMATS = (1,)

# Values --------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid(yaml_bool_hint(value))
    text = scalar_text(value)
    if text is None:
        raise invalid("expected text")
    return clean_text(text)


def _required_text(value: object) -> str:
    text = _text(value)
    if text is None:
        raise invalid("required, but empty")
    return text


def _country(value: object, info: ValidationInfo) -> str:
    if isinstance(value, bool):
        raise invalid(
            "YAML reads NO, YES, ON and OFF as true/false: write the code in quotes "
            f'({info.field_name}: "NO" for Norway)'
        )
    text = scalar_text(value)
    if text is None or not text.strip():
        raise invalid("expected a country: an ISO code or a name")
    resolver: CountryResolver = context_value(info, "resolver")
    code = resolver.lookup(text)
    if code is None:
        raise invalid("unknown country", text)
    return code


def _date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = None if isinstance(value, bool) else scalar_text(value)
    if text is None:
        raise invalid("expected a date as YYYY-MM-DD")
    text = clean_text(text)
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise invalid("expected a date as YYYY-MM-DD", text) from None


def _required_date(value: object) -> dt.date:
    day = _date(value)
    if day is None:
        raise invalid("required: a date as YYYY-MM-DD")
    return day


def _partial_date(value: object) -> tuple[dt.date, DatePrecision] | None:
    if value is None:
        return None
    text = None if isinstance(value, bool) else scalar_text(value)
    if text is None:
        raise invalid("expected a date as YYYY, YYYY-MM or YYYY-MM-DD")
    text = clean_text(text)
    try:
        return parse_partial_date(text) if text else None
    except ValueError as exc:
        raise invalid(str(exc), text) from None


def _reliability(value: object) -> Reliability | None:
    if value is None or value == "":
        return None
    try:
        return Reliability(scalar_text(value) or "")
    except ValueError:
        choices = ", ".join(r.value for r in Reliability)
        raise invalid(f"expected one of {choices}", scalar_text(value)) from None


OptionalText = Annotated[str | None, BeforeValidator(_text)]
RequiredText = Annotated[str, BeforeValidator(_required_text)]
#: A country as any name or code the resolver knows; its ISO 3166-1 alpha-2 code once checked.
Country = Annotated[str, BeforeValidator(_country)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_date)]
RequiredDate = Annotated[dt.date, BeforeValidator(_required_date)]


# reference.yaml ------------------------------------------------------------------------------


class WeaponSystemSpec(Schema):
    designation: RequiredText
    category: OptionalText = None
    producer_country: Country
    aliases: Annotated[list[RequiredText], NoneAsList] = Field([], description="a list of names")
    used_by: Annotated[list[Country], NoneAsList] = Field([], description="a list of countries")
    description: OptionalText = None


class SourceSpec(Schema):
    #: A short name for people reading the file; not stored.
    key: OptionalText = None
    publisher: RequiredText
    title: RequiredText
    #: Whether the title is one of our own (the published one is not known); not stored.
    title_is_descriptive: bool | None = None
    url: OptionalText = None
    published_on: Annotated[
        tuple[dt.date, DatePrecision] | None, BeforeValidator(_partial_date)
    ] = None
    reliability: Annotated[Reliability | None, BeforeValidator(_reliability)] = None
    notes: OptionalText = None


class ReferenceFile(Schema):
    """A reference file: weapon systems (with aliases and users) and sources."""

    weapon_systems: Annotated[list[WeaponSystemSpec], NoneAsList] = Field(
        [], description="a list of weapon systems (designation, producer_country ...)"
    )
    sources: Annotated[list[SourceSpec], NoneAsList] = Field(
        [], description="a list of sources (publisher, title ...)"
    )

    @model_validator(mode="after")
    def _aliases_name_one_system(self) -> ReferenceFile:
        designations = {name_key(w.designation) for w in self.weapon_systems}
        conflicts = Conflicts()
        for i, system in enumerate(self.weapon_systems):
            own = name_key(system.designation)
            for j, alias in enumerate(system.aliases):
                if name_key(alias) != own and name_key(alias) in designations:
                    conflicts.add(
                        ("weapon_systems", i, "aliases", j),
                        "is the designation of another weapon system",
                        alias,
                    )
        conflicts.raise_any()
        return self


# Reference lists: the CHPL -------------------------------------------------------------------


def _hs6(value: object) -> str:
    text = scalar_text(value) if not isinstance(value, bool) else None
    digits = hs_digits(text)
    if digits is None or len(digits) != 6:
        raise invalid("expected a six-digit HS code, e.g. 8504.40", text)
    return digits


class ChplCode(Schema):
    """A code of the list: ``"8504.40"``, or ``{hs: "8504.40", description: ...}``."""

    hs: Annotated[str, BeforeValidator(_hs6)]
    description: OptionalText = None

    @model_validator(mode="before")
    @classmethod
    def _bare_code(cls, data: Any) -> Any:
        return data if isinstance(data, Mapping) else {"hs": data}


def _codes(value: object) -> object:
    if not isinstance(value, list):
        raise invalid("expected a list of HS codes")
    return value


def _tiers(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping) or not value:
        raise invalid("expected a mapping of tier -> list of HS codes")
    tiers: dict[str, object] = {}
    for written, codes in value.items():
        tier = str(written).strip().upper()
        if not tier or tier in tiers:
            raise invalid(f"tier {written!r} is " + ("given twice" if tier else "blank"))
        tiers[tier] = codes
    return tiers


class ChplListSpec(Schema):
    """One published version of the list."""

    version: RequiredText
    published_on: RequiredDate
    publisher: RequiredText
    title: RequiredText
    url: OptionalText = None
    notes: OptionalText = None
    tiers: Annotated[
        dict[str, Annotated[list[ChplCode], BeforeValidator(_codes)]], BeforeValidator(_tiers)
    ]

    def codes(self) -> dict[str, tuple[str, str | None]]:
        """HS-6 code -> (tier, description)."""
        return {c.hs: (tier, c.description) for tier, codes in self.tiers.items() for c in codes}

    def code_paths(self) -> dict[str, tuple[str, int]]:
        """HS-6 code -> (tier, index) where the file lists it (the last time)."""
        return {c.hs: (tier, i) for tier, codes in self.tiers.items() for i, c in enumerate(codes)}

    @model_validator(mode="after")
    def _one_tier_per_code(self) -> ChplListSpec:
        conflicts = Conflicts()
        first: dict[str, str] = {}
        for tier, codes in self.tiers.items():
            for i, code in enumerate(codes):
                other = first.setdefault(code.hs, tier)
                if other != tier:
                    conflicts.add(
                        ("tiers", tier, i), f"listed in tier {other} too", format_hs6(code.hs)
                    )
        conflicts.raise_any()
        return self


# Reference lists: country groups -------------------------------------------------------------


class MemberDefaults(Schema):
    """Values for every member of a group that does not give its own."""

    member_from: OptionalDate = Field(None, alias="from")
    until: OptionalDate = None
    controls_from: OptionalDate = None
    note: OptionalText = None


class MemberSpec(MemberDefaults):
    """A membership: a country, from / until (both days included; missing is open)."""

    country: Country

    @model_validator(mode="after")
    def _until_after_from(self) -> MemberSpec:
        if self.member_from and self.until and self.until < self.member_from:
            conflicts = Conflicts()
            conflicts.add(("until",), "is before 'from'", self.until.isoformat())
            conflicts.raise_any()
        return self


class GroupSpec(Schema):
    code: RequiredText
    name: RequiredText
    description: OptionalText = None
    basis: OptionalText = None
    defaults: Annotated[MemberDefaults, NoneAsDict] = Field(
        default_factory=lambda: MemberDefaults.model_validate({}),
        description="a mapping of from, until, controls_from and note",
    )
    members: list[MemberSpec] = Field(
        [], description="a list of countries, or of mappings with country, from, until ..."
    )

    @field_validator("members", mode="before")
    @classmethod
    def _with_defaults(cls, value: Any, info: ValidationInfo) -> Any:
        """A bare member is a country (``- "NO"``: a bare NO is read as false, and is caught
        as such); the group's defaults go under each member's own values."""
        if value is None:
            return []
        if not isinstance(value, list):
            return value
        defaults = info.data.get("defaults")
        given = defaults.model_dump(by_alias=True, exclude_unset=True) if defaults else {}
        members: list[Any] = []
        for member in value:
            if isinstance(member, Mapping):
                members.append({**given, **member})
            elif isinstance(member, str | bool | int | float):
                members.append({**given, "country": member})
            else:
                members.append(member)
        return members

    @model_validator(mode="after")
    def _members_once(self) -> GroupSpec:
        conflicts = Conflicts()
        seen: set[tuple[str, dt.date | None]] = set()
        for i, member in enumerate(self.members):
            key = (member.country, member.member_from)
            if key in seen:
                conflicts.add(("members", i), "listed twice with the same 'from'", member.country)
            seen.add(key)
        conflicts.raise_any()
        return self


def _format(value: object) -> object:
    if type(value) is not int or value not in REFERENCE_LIST_FORMATS:
        raise invalid(
            "expected one of "
            + ", ".join(map(str, REFERENCE_LIST_FORMATS))
            + " (the layout of the file, e.g. `version: 1`)",
            value,
        )
    return value


class ListFile(Schema):
    """A reference-list file: CHPL versions and/or country groups."""

    version: Annotated[int | None, BeforeValidator(_format)] = Field(None, validate_default=True)
    chpl_lists: Annotated[list[ChplListSpec], NoneAsList] = Field(
        [], description="a list of CHPL versions (version, published_on, publisher, title, tiers)"
    )
    country_groups: Annotated[list[GroupSpec], NoneAsList] = Field(
        [], description="a list of country groups (code, name, members ...)"
    )


# Reading the files ---------------------------------------------------------------------------


def _errors(path: Path, problems: Iterable[Problem]) -> list[RowError]:
    return [RowError(str(path), 0, p.where, p.value, p.message) for p in problems]


def read_reference_file(path: Path, resolver: CountryResolver) -> ReferenceFile:
    """A checked reference file; InvalidDataError listing every problem."""
    checked, problems = check_file(path, ReferenceFile, {"resolver": resolver})
    if checked is None:
        raise InvalidDataError(_errors(path, problems))
    return checked


def read_list_files(
    paths: Iterable[Path], resolver: CountryResolver
) -> list[tuple[Path, ListFile]]:
    """Checked reference-list files; InvalidDataError listing every problem of all of them."""
    files: list[tuple[Path, ListFile]] = []
    errors: list[RowError] = []
    for path in paths:
        checked, problems = check_file(path, ListFile, {"resolver": resolver})
        errors += _errors(path, problems)
        if checked is not None:
            files.append((path, checked))
    if errors:
        raise InvalidDataError(errors)
    return files
