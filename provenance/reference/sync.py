"""Reference data: the countries (from pycountry and the shipped aliases), and weapon systems and
sources described in a reference file (``seeds/reference.yaml`` is the shipped one).

Everything here is idempotent: running it again adds what is missing and changes nothing else.
The files are checked as a whole against their schemas (:mod:`provenance.reference.schemas`)
before anything is written; the functions here write what was checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from provenance.db import write_transaction
from provenance.errors import InvalidDataError, RowError
from provenance.migrate import ensure_current
from provenance.models import (
    Country,
    CountryAlias,
    Source,
    WeaponSystem,
    WeaponSystemAlias,
    WeaponSystemUser,
)
from provenance.reference.chpl import apply_chpl_lists
from provenance.reference.groups import apply_groups
from provenance.reference.schemas import (
    ListFile,
    SourceSpec,
    WeaponSystemSpec,
    read_list_files,
    read_reference_file,
)
from provenance.resources import seeds_path
from provenance.values.countries import (
    CountryResolver,
    all_countries,
    default_resolver,
    shipped_aliases,
)
from provenance.values.countries import normalize_key as country_key
from provenance.values.text import name_key
from provenance.yamlfile import key_path


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

    The file is checked as a whole first (:mod:`provenance.reference.schemas`). Entries already
    in the database (same designation, same publisher and title) are kept as they are. A bad
    entry raises ``InvalidDataError`` and nothing is written.
    """
    ensure_current(engine)
    reference = read_reference_file(path, resolver or default_resolver())
    summary = ReferenceSummary(str(path))
    with write_transaction(engine) as conn:
        weapons = dict(conn.execute(select(WeaponSystem.designation_key, WeaponSystem.id)).all())
        errors = _alias_conflicts(weapons, reference.weapon_systems, str(path))
        if errors:
            raise InvalidDataError(errors)
        _add_weapon_systems(conn, weapons, reference.weapon_systems, summary)
        _add_sources(conn, reference.sources, summary)
    return summary


def _alias_conflicts(
    weapons: dict[str, int], systems: Sequence[WeaponSystemSpec], path: str
) -> list[RowError]:
    """The aliases that are the designation of a stored weapon system (the file's own are
    checked with the file)."""
    errors: list[RowError] = []
    for i, system in enumerate(systems):
        for j, alias in enumerate(system.aliases):
            key = name_key(alias)
            if key != name_key(system.designation) and key in weapons:
                where = key_path(("weapon_systems", i, "aliases", j))
                message = "is the designation of another weapon system"
                errors.append(RowError(path, 0, where, alias, message))
    return errors


def _add_weapon_systems(
    conn: Connection,
    weapons: dict[str, int],
    systems: Sequence[WeaponSystemSpec],
    summary: ReferenceSummary,
) -> None:
    alias_keys = set(conn.scalars(select(WeaponSystemAlias.alias_key)))
    for system in systems:
        key = name_key(system.designation)
        ws_id = weapons.get(key)
        if ws_id is None:
            ws_id = conn.execute(
                insert(WeaponSystem).returning(WeaponSystem.id),
                {
                    "designation": system.designation,
                    "designation_key": key,
                    "category": system.category,
                    "producer_country_code": system.producer_country,
                    "description": system.description,
                },
            ).scalar_one()
            weapons[key] = ws_id
            summary.weapon_systems_created += 1
            for user in dict.fromkeys(system.used_by):
                conn.execute(
                    insert(WeaponSystemUser).values(weapon_system_id=ws_id, country_code=user)
                )
        for alias in system.aliases:
            alias_key = name_key(alias)
            if alias_key not in alias_keys and alias_key != key:
                conn.execute(
                    insert(WeaponSystemAlias).values(
                        weapon_system_id=ws_id, alias=alias, alias_key=alias_key
                    )
                )
                alias_keys.add(alias_key)
                summary.aliases_created += 1


def _add_sources(
    conn: Connection, sources: Sequence[SourceSpec], summary: ReferenceSummary
) -> None:
    stored = {(p, t) for p, t in conn.execute(select(Source.publisher_key, Source.title_key))}
    for source in sources:
        key = (name_key(source.publisher), name_key(source.title))
        if key in stored:
            continue
        on, precision = source.published_on or (None, None)
        conn.execute(
            insert(Source).values(
                publisher=source.publisher,
                title=source.title,
                publisher_key=key[0],
                title_key=key[1],
                url=source.url,
                published_on=on,
                published_precision=precision,
                reliability=source.reliability,
                notes=source.notes,
            )
        )
        stored.add(key)
        summary.sources_created += 1


# Reference lists: the Common High Priority List and country groups -----------------------------

#: The shipped reference lists, synced after every upgrade to head (``install.upgrade``).
REFERENCE_LIST_FILES = ("chpl.yaml", "country_groups.yaml")


@dataclass
class ReferenceListSummary:
    files: list[str]
    chpl_lists_created: int = 0
    chpl_entries_created: int = 0
    groups_created: int = 0
    groups_updated: int = 0
    members_created: int = 0
    members_updated: int = 0


def _apply_list_files(
    conn: Connection, files: Sequence[tuple[Path, ListFile]], update_existing: bool
) -> ReferenceListSummary:
    """Write checked reference-list files; InvalidDataError (and nothing kept: the caller's
    transaction is rolled back) when they contradict what the database holds."""
    summary = ReferenceListSummary([str(path) for path, _ in files])
    errors: list[RowError] = []
    for path, data in files:
        lists = apply_chpl_lists(conn, data.chpl_lists, str(path), errors)
        groups = apply_groups(conn, data.country_groups, update_existing)
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
    files = read_list_files(shipped_list_files(), default_resolver())
    return _apply_list_files(conn, files, False)


def load_reference_lists(
    engine: Engine, path: Path, update_existing: bool = False
) -> ReferenceListSummary:
    """Load a user's reference-list file (CHPL versions and/or country groups, the layout of
    ``seeds/chpl.yaml`` and ``seeds/country_groups.yaml``): all of it, or nothing.

    The file is checked as a whole first, with the country aliases the database knows. New
    groups, memberships, list versions and codes are added. With ``update_existing`` the groups
    and memberships the file names take its values (e.g. a member's own controls date).
    """
    ensure_current(engine)
    with engine.connect() as conn:
        aliases = dict(conn.execute(select(CountryAlias.alias, CountryAlias.country_code)).all())
    resolver = default_resolver()
    if aliases:
        resolver = resolver.with_aliases(aliases)
    files = read_list_files([path], resolver)
    with write_transaction(engine) as conn:
        return _apply_list_files(conn, files, update_existing)
