"""Reference data: the countries (from pycountry and the shipped aliases), and weapon systems and
sources described in a reference file (``seeds/reference.yaml`` is the shipped one).

Everything here is idempotent: running it again adds what is missing and changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, insert, select, update

from provenance.db import write_transaction
from provenance.errors import InvalidDataError, RowError
from provenance.migrate import ensure_current
from provenance.models import (
    Country,
    CountryAlias,
    Reliability,
    Source,
    WeaponSystem,
    WeaponSystemAlias,
    WeaponSystemUser,
)
from provenance.resources import seeds_path
from provenance.values.countries import (
    CountryResolver,
    all_countries,
    default_resolver,
    shipped_aliases,
)
from provenance.values.countries import normalize_key as country_key
from provenance.values.dates import parse_partial_date
from provenance.values.text import clean_text, name_key


def sync_countries(conn: Connection) -> int:
    """Fill the countries table from pycountry and the alias table from the shipped aliases.
    Returns the number of rows added or changed."""
    changed = 0
    stored = {row.code: row for row in conn.execute(select(Country))}
    for c in all_countries():
        values = {
            "alpha3": c.alpha3,
            "name": c.name,
            "official_name": c.official_name,
            "common_name": c.common_name,
            "display_name": c.display_name,
        }
        row = stored.get(c.alpha2)
        if row is None:
            conn.execute(insert(Country).values(code=c.alpha2, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(Country).where(Country.code == c.alpha2).values(**values))
            changed += 1
    known = set(conn.scalars(select(CountryAlias.alias_key)))
    for alias, code in shipped_aliases().items():
        key = country_key(alias)
        if key not in known:
            conn.execute(insert(CountryAlias).values(alias=alias, alias_key=key, country_code=code))
            known.add(key)
            changed += 1
    return changed


@dataclass
class ReferenceSummary:
    file: str
    weapon_systems_created: int = 0
    aliases_created: int = 0
    sources_created: int = 0


def load_reference(
    engine: Engine, path: Path, resolver: CountryResolver | None = None
) -> ReferenceSummary:
    """Load weapon systems (with aliases and users) and sources from a reference YAML file.

    Entries already in the database (same designation, same publisher and title) are kept as
    they are. A bad entry raises ``InvalidDataError`` and nothing is written.
    """
    ensure_current(engine)
    resolver = resolver or default_resolver()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidDataError([RowError(str(path), 0, "", "", f"cannot read ({exc})")]) from None
    summary = ReferenceSummary(str(path))
    errors: list[RowError] = []

    def bad(index: int, column: str, value: Any, message: str) -> None:
        errors.append(RowError(str(path), index, column, str(value or ""), message, "record"))

    def code(index: int, column: str, value: Any) -> str | None:
        code = resolver.lookup(str(value)) if value else None
        if code is None:
            bad(index, column, value, "unknown country")
        return code

    with write_transaction(engine) as conn:
        weapons = dict(conn.execute(select(WeaponSystem.designation_key, WeaponSystem.id)).all())
        alias_keys = set(conn.scalars(select(WeaponSystemAlias.alias_key)))
        for index, entry in enumerate(data.get("weapon_systems") or [], start=1):
            designation = clean_text(entry.get("designation"))
            if designation is None:
                bad(index, "designation", None, "required, but empty")
                continue
            key = name_key(designation)
            producer = code(index, "producer_country", entry.get("producer_country"))
            users = [code(index, "used_by", u) for u in entry.get("used_by") or []]
            if producer is None or None in users:
                continue
            ws_id = weapons.get(key)
            if ws_id is None:
                ws_id = conn.execute(
                    insert(WeaponSystem).returning(WeaponSystem.id),
                    {
                        "designation": designation,
                        "designation_key": key,
                        "category": clean_text(entry.get("category")),
                        "producer_country_code": producer,
                        "description": clean_text(entry.get("description")),
                    },
                ).scalar_one()
                weapons[key] = ws_id
                summary.weapon_systems_created += 1
                for user in users:
                    conn.execute(
                        insert(WeaponSystemUser).values(weapon_system_id=ws_id, country_code=user)
                    )
            for alias in entry.get("aliases") or []:
                alias_key = name_key(str(alias))
                if alias_key in weapons and weapons[alias_key] != ws_id:
                    bad(index, "aliases", alias, "is the designation of another weapon system")
                elif alias_key not in alias_keys and alias_key != key:
                    conn.execute(
                        insert(WeaponSystemAlias).values(
                            weapon_system_id=ws_id, alias=str(alias), alias_key=alias_key
                        )
                    )
                    alias_keys.add(alias_key)
                    summary.aliases_created += 1

        sources = {(p, t) for p, t in conn.execute(select(Source.publisher_key, Source.title_key))}
        for index, entry in enumerate(data.get("sources") or [], start=1):
            publisher = clean_text(entry.get("publisher"))
            title = clean_text(entry.get("title"))
            if publisher is None or title is None:
                bad(index, "title", None, "a source needs a publisher and a title")
                continue
            skey = (name_key(publisher), name_key(title))
            if skey in sources:
                continue
            published = entry.get("published_on")
            try:
                on, precision = parse_partial_date(str(published)) if published else (None, None)
                reliability = (
                    Reliability(entry["reliability"]) if entry.get("reliability") else None
                )
            except ValueError as exc:
                bad(index, "published_on/reliability", published, str(exc))
                continue
            conn.execute(
                insert(Source).values(
                    publisher=publisher,
                    title=title,
                    publisher_key=skey[0],
                    title_key=skey[1],
                    url=clean_text(entry.get("url")),
                    published_on=on,
                    published_precision=precision,
                    reliability=reliability,
                    notes=clean_text(entry.get("notes")),
                )
            )
            sources.add(skey)
            summary.sources_created += 1
        if errors:
            raise InvalidDataError(errors)
    return summary


# Reference lists: the Common High Priority List and country groups -----------------------------

#: The shipped reference lists, synced after every upgrade to head (``install.upgrade``).
REFERENCE_LIST_FILES = ("chpl.yaml", "country_groups.yaml")
#: The layouts of reference-list files this version reads (the files' ``version:`` key).
REFERENCE_LIST_FORMATS = (1,)
_LIST_KEYS = {"version", "chpl_lists", "country_groups"}


@dataclass
class ReferenceListSummary:
    files: list[str]
    chpl_lists_created: int = 0
    chpl_entries_created: int = 0
    groups_created: int = 0
    groups_updated: int = 0
    members_created: int = 0
    members_updated: int = 0


def _read_list_file(path: Path, errors: list[RowError]) -> dict[str, Any]:
    def bad(message: str, value: Any = None) -> None:
        errors.append(RowError(str(path), 0, "", str(value or ""), message))

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        bad(f"cannot read ({exc})")
        return {}
    if not isinstance(data, dict):
        bad("expected a mapping with version, chpl_lists and/or country_groups")
        return {}
    unknown = set(data) - _LIST_KEYS
    if unknown:
        expected = ", ".join(sorted(_LIST_KEYS))
        bad(f"unknown keys {', '.join(sorted(map(str, unknown)))} (expected {expected})")
    if data.get("version") not in REFERENCE_LIST_FORMATS:
        bad(
            "version: expected one of "
            + ", ".join(map(str, REFERENCE_LIST_FORMATS))
            + " (the layout of the file, e.g. `version: 1`)",
            data.get("version"),
        )
    for key in ("chpl_lists", "country_groups"):
        if not isinstance(data.get(key) or [], list):
            bad(f"{key}: expected a list")
            data[key] = []
    return data


def _apply_list_files(
    conn: Connection,
    paths: list[Path],
    resolver: CountryResolver,
    update_existing: bool,
) -> ReferenceListSummary:
    # Imported here: reference is imported by migrate, which these modules need not load.
    from provenance.reference.chpl import apply_chpl_lists
    from provenance.reference.groups import apply_groups

    summary = ReferenceListSummary([str(p) for p in paths])
    errors: list[RowError] = []
    for path in paths:
        data = _read_list_file(path, errors)
        if not data:
            continue
        lists = apply_chpl_lists(conn, data.get("chpl_lists") or [], str(path), errors)
        groups = apply_groups(
            conn, data.get("country_groups") or [], str(path), errors, resolver, update_existing
        )
        summary.chpl_lists_created += lists.lists_created
        summary.chpl_entries_created += lists.entries_created
        summary.groups_created += groups.groups_created
        summary.groups_updated += groups.groups_updated
        summary.members_created += groups.members_created
        summary.members_updated += groups.members_updated
    if errors:
        raise InvalidDataError(errors)
    return summary


def shipped_list_files() -> list[Path]:
    return [seeds_path() / name for name in REFERENCE_LIST_FILES]


def sync_reference_lists(conn: Connection) -> ReferenceListSummary:
    """Add the shipped CHPL versions and country groups that the database lacks.

    Only adds: list versions, codes, groups and memberships already stored (shipped or added by
    a user, edited or not) are left as they are, so running it again changes nothing.
    """
    return _apply_list_files(conn, shipped_list_files(), default_resolver(), False)


def load_reference_lists(
    engine: Engine, path: Path, update_existing: bool = False
) -> ReferenceListSummary:
    """Load a user's reference-list file (CHPL versions and/or country groups, the layout of
    ``seeds/chpl.yaml`` and ``seeds/country_groups.yaml``): all of it, or nothing.

    New groups, memberships, list versions and codes are added. With ``update_existing`` the
    groups and memberships the file names take its values (e.g. a member's own controls date).
    """
    ensure_current(engine)
    with write_transaction(engine) as conn:
        aliases = dict(conn.execute(select(CountryAlias.alias, CountryAlias.country_code)).all())
        resolver = default_resolver()
        if aliases:
            resolver = resolver.with_aliases(aliases)
        return _apply_list_files(conn, [path], resolver, update_existing)
