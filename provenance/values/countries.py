"""ISO 3166-1 countries (from pycountry) and a resolver for the many ways researchers write them.

The resolver indexes, under one normalised key each: alpha-2 and alpha-3 codes, pycountry's
English, official and common names, their translations in the languages listed in
``seeds/country_aliases.yaml``, the display-name overrides, and that file's aliases. Codes always
mean their own country; a name that would mean two countries is left out of the index (no
guessing); aliases win over pycountry, and user aliases win over shipped ones.
"""

from __future__ import annotations

import difflib
import functools
import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pycountry
from pydantic import BeforeValidator, Field, model_validator

from provenance.errors import CountryAliasError, UnknownCountryError
from provenance.resources import seeds_path
from provenance.values.text import normalize_key
from provenance.yamlfile import Conflicts, NoneAsDict, Schema, check_file, invalid

__all__ = [
    "CountryAliasError",
    "CountryResolver",
    "IsoCountry",
    "all_countries",
    "default_resolver",
    "display_name",
    "normalize_key",
    "shipped_aliases",
]

ALIASES_FILE = "country_aliases.yaml"
_DEFAULT_LANGUAGES = ("de", "fr", "ru", "uk", "ja", "ko", "es", "it", "pl", "nl", "zh_CN")
_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class IsoCountry:
    """One ISO 3166-1 country as pycountry names it (the database's are ``models.Country``)."""

    alpha2: str
    alpha3: str
    name: str
    official_name: str | None
    common_name: str | None
    display_override: str | None = None

    @property
    def display_name(self) -> str:
        """The name for reports: the shipped override, else pycountry's common name, else name."""
        return self.display_override or self.common_name or self.name


@dataclass(frozen=True)
class _Seed:
    aliases: dict[str, str]
    display_names: dict[str, str]
    languages: tuple[str, ...]


@dataclass(frozen=True)
class _BaseIndex:
    keys: dict[str, str]  # normalised key -> alpha-2
    ambiguous: frozenset[str]  # keys left out because they named several countries
    countries: dict[str, IsoCountry]


def _check_code(code: object, where: str) -> str:
    if not isinstance(code, str):
        raise CountryAliasError(f"{where}: {code!r} is not a country code (quote codes in YAML)")
    alpha2 = code.strip().upper()
    if len(alpha2) != 2 or pycountry.countries.get(alpha_2=alpha2) is None:
        raise CountryAliasError(f"{where}: {code!r} is not an ISO 3166-1 alpha-2 country code")
    return alpha2


def _normalized_aliases(aliases: Mapping[str, str], source: str) -> dict[str, str]:
    """Normalised key -> alpha-2, checking codes, blank aliases and contradictory duplicates."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for alias, code in aliases.items():
        if not isinstance(alias, str):
            raise CountryAliasError(f"{source}: alias {alias!r} is not text (quote it in YAML)")
        alpha2 = _check_code(code, f"{source}: alias {alias!r}")
        key = normalize_key(alias)
        if not key:
            raise CountryAliasError(f"{source}: alias {alias!r} is blank")
        if out.get(key, alpha2) != alpha2:
            raise CountryAliasError(
                f"{source}: aliases {seen[key]!r} ({out[key]}) and {alias!r} ({alpha2}) "
                "are the same name once case and accents are ignored"
            )
        out[key] = alpha2
        seen.setdefault(key, alias)
    return out


# The shipped alias file (seeds/country_aliases.yaml) -------------------------------------------

_YAML_NO = (
    'YAML reads NO, YES, ON and OFF as true/false: write the code in quotes ("NO" for Norway)'
)


def _alpha2(value: object) -> str:
    if isinstance(value, bool):
        raise invalid(_YAML_NO)
    if not isinstance(value, str):
        raise invalid(f"{value!r} is not a country code (quote codes in YAML)")
    alpha2 = value.strip().upper()
    if len(alpha2) != 2 or pycountry.countries.get(alpha_2=alpha2) is None:
        raise invalid(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return alpha2


def _alias(value: object) -> str:
    if not isinstance(value, str):
        raise invalid(f"alias {value!r} is not text (quote it in YAML)")
    if not normalize_key(value):
        raise invalid(f"alias {value!r} is blank")
    return value


def _display(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("a display name must be non-blank text")
    return value.strip()


Alpha2 = Annotated[str, BeforeValidator(_alpha2)]


class AliasFile(Schema):
    """The layout of ``seeds/country_aliases.yaml`` (its header explains it)."""

    languages: list[str] | None = Field(
        list(_DEFAULT_LANGUAGES), description="a list of locale names"
    )
    display_names: Annotated[
        dict[Alpha2, Annotated[str, BeforeValidator(_display)]], NoneAsDict
    ] = Field({}, description="a mapping of ISO 3166-1 alpha-2 code -> name shown in reports")
    aliases: Annotated[dict[Annotated[str, BeforeValidator(_alias)], Alpha2], NoneAsDict] = Field(
        {}, description="a mapping of alias -> ISO 3166-1 alpha-2 code"
    )

    @model_validator(mode="after")
    def _one_country_per_name(self) -> AliasFile:
        conflicts = Conflicts()
        seen: dict[str, tuple[str, str]] = {}  # key -> (alias as written, code)
        for alias, code in self.aliases.items():
            first, other = seen.setdefault(normalize_key(alias), (alias, code))
            if other != code:
                conflicts.add(
                    ("aliases", alias),
                    f"aliases {first!r} ({other}) and {alias!r} ({code}) "
                    "are the same name once case and accents are ignored",
                )
        conflicts.raise_any()
        return self


def read_alias_file(path: Path) -> _Seed:
    """A checked alias file; CountryAliasError listing every problem."""
    checked, problems = check_file(path, AliasFile)
    if checked is None:
        raise CountryAliasError("\n".join(f"{path}: {p}" for p in problems))
    return _Seed(dict(checked.aliases), dict(checked.display_names), tuple(checked.languages or ()))


@functools.cache
def _load_seed() -> _Seed:
    return read_alias_file(seeds_path() / ALIASES_FILE)


def _translations(languages: Iterable[str]) -> list[gettext.NullTranslations]:
    catalogs: list[gettext.NullTranslations] = []
    for lang in languages:
        try:
            catalogs.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
            )
        except OSError:  # catalog not shipped with this pycountry release
            continue
    return catalogs


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], frozenset[str]]:
    """Index (key, alpha-2) pairs, leaving out every key that names more than one country."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for key, alpha2 in pairs:
        if not key or key in ambiguous:
            continue
        if index.setdefault(key, alpha2) != alpha2:
            del index[key]
            ambiguous.add(key)
    return index, frozenset(ambiguous)


@functools.cache
def _base_index() -> _BaseIndex:
    seed = _load_seed()
    countries: dict[str, IsoCountry] = {}
    for c in pycountry.countries:
        countries[c.alpha_2] = IsoCountry(
            alpha2=c.alpha_2,
            alpha3=c.alpha_3,
            name=c.name,
            official_name=getattr(c, "official_name", None),
            common_name=getattr(c, "common_name", None),
            display_override=seed.display_names.get(c.alpha_2),
        )
    catalogs = _translations(seed.languages)

    def names() -> Iterable[tuple[str, str]]:
        for country in countries.values():
            english = [country.name, country.official_name, country.common_name]
            for text in filter(None, english):
                yield normalize_key(text), country.alpha2
                for catalog in catalogs:
                    yield normalize_key(catalog.gettext(text)), country.alpha2
            if country.display_override:
                yield normalize_key(country.display_override), country.alpha2

    keys, ambiguous = _unambiguous(names())
    for country in countries.values():  # a code always means its own country
        keys[country.alpha2.lower()] = country.alpha2
        keys[country.alpha3.lower()] = country.alpha2
    keys.update(_normalized_aliases(seed.aliases, ALIASES_FILE))
    return _BaseIndex(keys, ambiguous, countries)


class CountryResolver:
    """Maps codes, names, translations and aliases to ISO 3166-1 alpha-2 codes."""

    def __init__(self, extra_aliases: Mapping[str, str] | None = None) -> None:
        self._base = _base_index()
        self._extra = _normalized_aliases(extra_aliases or {}, "user aliases")
        self._cache: dict[str, str | None] = {}
        self._suggest_keys: list[str] | None = None

    def lookup(self, text: str) -> str | None:
        """The alpha-2 code for ``text``, or None if unknown or blank."""
        try:
            return self._cache[text]
        except KeyError:
            pass
        key = normalize_key(text)
        found = self._extra.get(key) or self._base.keys.get(key)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[text] = found
        return found

    def resolve(self, text: str) -> str:
        """The alpha-2 code for ``text``; raises UnknownCountryError with suggestions."""
        found = self.lookup(text)
        if found is None:
            raise UnknownCountryError(text, self.suggest(text))
        return found

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Display names of the countries whose known names are closest to ``text``."""
        key = normalize_key(text)
        if not key or limit <= 0:
            return []
        if self._suggest_keys is None:
            self._suggest_keys = list(self._base.keys.keys() | self._extra.keys())
        out: list[str] = []
        for match in difflib.get_close_matches(key, self._suggest_keys, n=limit * 5):
            alpha2 = self._extra.get(match) or self._base.keys[match]
            shown = self._base.countries[alpha2].display_name
            if shown not in out:
                out.append(shown)
        return out[:limit]

    def country(self, alpha2: str) -> IsoCountry:
        """The IsoCountry for an alpha-2 code (any case); KeyError if there is none."""
        return self._base.countries[alpha2.strip().upper()]

    def with_aliases(self, extra: Mapping[str, str]) -> CountryResolver:
        """A copy that also knows ``extra`` (alias -> alpha-2); those win over existing ones."""
        copy = CountryResolver.__new__(CountryResolver)
        copy._base = self._base
        copy._extra = {**self._extra, **_normalized_aliases(extra, "user aliases")}
        copy._cache = {}
        copy._suggest_keys = None
        return copy


def all_countries() -> list[IsoCountry]:
    """Every ISO 3166-1 country, sorted by alpha-2 code."""
    return sorted(_base_index().countries.values(), key=lambda c: c.alpha2)


@functools.cache
def default_resolver() -> CountryResolver:
    """The resolver with the shipped aliases only (built once)."""
    return CountryResolver()


def shipped_aliases() -> dict[str, str]:
    """The alias table of seeds/country_aliases.yaml (alias as written -> alpha-2)."""
    return dict(_load_seed().aliases)


def display_name(alpha2: str) -> str:
    """The report name of a country: "Taiwan", "North Korea", "United Kingdom"."""
    return default_resolver().country(alpha2).display_name
