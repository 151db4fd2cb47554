"""Country groups with membership dates: the EU, the G7, the countries with export controls on
Russia (the "coalition"), and any group a user adds.

A membership runs from ``member_from`` to ``member_until``, both days included; a missing bound
is open (a member since before any date we track, or still a member). ``controls_from`` is the
day the member's export controls on Russia took effect, where the group records it. Groups are
data: shipped in ``seeds/country_groups.yaml`` and extendable with ``provenance reference load``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select, update

from provenance.errors import RowError, UnknownGroupError
from provenance.models import CountryGroup, CountryGroupMember
from provenance.values.countries import CountryResolver
from provenance.values.text import clean_text

#: The group whose ``controls_from`` dates the reports use for "made after the controls".
CONTROLS_GROUP = "coalition"


@dataclass(frozen=True)
class GroupInfo:
    id: int
    code: str
    name: str
    description: str | None
    basis: str | None
    members: int


@dataclass(frozen=True)
class Membership:
    country_code: str
    member_from: dt.date | None
    member_until: dt.date | None
    controls_from: dt.date | None
    note: str | None


def list_groups(conn: Connection) -> list[GroupInfo]:
    counts = (
        select(
            CountryGroupMember.group_id,
            func.count(func.distinct(CountryGroupMember.country_code)).label("n"),
        )
        .group_by(CountryGroupMember.group_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            CountryGroup.id,
            CountryGroup.code,
            CountryGroup.name,
            CountryGroup.description,
            CountryGroup.basis,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(counts, counts.c.group_id == CountryGroup.id)
        .order_by(CountryGroup.code)
    )
    return [GroupInfo(*r) for r in rows]


def get_group(conn: Connection, code: str) -> GroupInfo:
    """The group with this code (any case), or UnknownGroupError listing the known ones."""
    groups = list_groups(conn)
    for g in groups:
        if g.code.casefold() == code.strip().casefold():
            return g
    raise UnknownGroupError(code, [g.code for g in groups])


def memberships(conn: Connection, code: str) -> list[Membership]:
    group = get_group(conn, code)
    rows = conn.execute(
        select(
            CountryGroupMember.country_code,
            CountryGroupMember.member_from,
            CountryGroupMember.member_until,
            CountryGroupMember.controls_from,
            CountryGroupMember.note,
        )
        .where(CountryGroupMember.group_id == group.id)
        .order_by(CountryGroupMember.country_code, CountryGroupMember.member_from)
    )
    return [Membership(*r) for r in rows]


def member_on_clause(on: dt.date | ColumnElement[Any]) -> ColumnElement[bool]:
    """The membership rows in force on ``on`` (a date, or a date column)."""
    return and_(
        or_(CountryGroupMember.member_from.is_(None), CountryGroupMember.member_from <= on),
        or_(CountryGroupMember.member_until.is_(None), CountryGroupMember.member_until >= on),
    )


def members_on(conn: Connection, code: str, on: dt.date) -> set[str]:
    """The countries that are members of the group on the day ``on``."""
    group = get_group(conn, code)
    return set(
        conn.scalars(
            select(CountryGroupMember.country_code)
            .where(CountryGroupMember.group_id == group.id, member_on_clause(on))
            .distinct()
        )
    )


def is_member(conn: Connection, code: str, country: str, on: dt.date) -> bool:
    return country.upper() in members_on(conn, code, on)


def controls_dates(conn: Connection, code: str = CONTROLS_GROUP) -> dict[str, dt.date]:
    """Per member country of the group, the earliest day its export controls took effect."""
    group = get_group(conn, code)
    rows = conn.execute(
        select(CountryGroupMember.country_code, func.min(CountryGroupMember.controls_from))
        .where(
            CountryGroupMember.group_id == group.id,
            CountryGroupMember.controls_from.isnot(None),
        )
        .group_by(CountryGroupMember.country_code)
    )
    return {country: day for country, day in rows if day is not None}


def controls_subquery(group_id: int) -> Any:
    """A subquery (country_code, controls_from) of the group's members with a controls date."""
    return (
        select(
            CountryGroupMember.country_code.label("country_code"),
            func.min(CountryGroupMember.controls_from).label("controls_from"),
        )
        .where(
            CountryGroupMember.group_id == group_id,
            CountryGroupMember.controls_from.isnot(None),
        )
        .group_by(CountryGroupMember.country_code)
        .subquery("controls")
    )


# Loading groups from reference YAML -----------------------------------------------------------

_GROUP_KEYS = {"code", "name", "description", "basis", "defaults", "members"}
_MEMBER_KEYS = {"country", "from", "until", "controls_from", "note"}


@dataclass
class GroupSyncSummary:
    groups_created: int = 0
    groups_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    warnings: list[str] = field(default_factory=list)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = clean_text(value)
    return dt.date.fromisoformat(text) if text else None


def apply_groups(
    conn: Connection,
    entries: list[Any],
    where: str,
    errors: list[RowError],
    resolver: CountryResolver,
    update_existing: bool = False,
) -> GroupSyncSummary:
    """Add the groups and memberships described in ``entries`` (``country_groups`` of a file).

    A membership is identified by group, country and ``from``. Without ``update_existing`` what
    the database holds is kept as it is (only what is missing is added); with it, the groups and
    memberships named in the file take the file's values. Problems go to ``errors``.
    """
    summary = GroupSyncSummary()
    groups = {
        code.casefold(): id_
        for id_, code in conn.execute(select(CountryGroup.id, CountryGroup.code))
    }

    def bad(index: int, column: str, value: Any, message: str) -> None:
        errors.append(
            RowError(where, index, f"country_groups.{column}", str(value or ""), message, "record")
        )

    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            bad(index, "", entry, "expected a mapping with code, name and members")
            continue
        unknown = set(entry) - _GROUP_KEYS
        if unknown:
            bad(
                index,
                ",".join(sorted(map(str, unknown))),
                None,
                f"unknown keys (expected {', '.join(sorted(_GROUP_KEYS))})",
            )
        code = clean_text(entry.get("code"))
        name = clean_text(entry.get("name"))
        if code is None or name is None:
            bad(index, "code", code, "a group needs a code and a name")
            continue
        defaults = entry.get("defaults") or {}
        members = entry.get("members") or []
        if not isinstance(defaults, Mapping) or not isinstance(members, list):
            bad(index, "members", None, "expected defaults: a mapping, members: a list")
            continue
        parsed: list[dict[str, Any]] = []
        seen: set[tuple[str, dt.date | None]] = set()
        for m_index, member in enumerate(members, start=1):
            if isinstance(member, str | bool):  # a bare NO (Norway) is read as false
                member = {"country": member}
            if not isinstance(member, Mapping):
                bad(index, f"members[{m_index}]", member, "expected a country or a mapping")
                continue
            values = {**defaults, **member}
            unknown = set(values) - _MEMBER_KEYS
            if unknown:
                bad(
                    index,
                    f"members[{m_index}]",
                    ",".join(sorted(map(str, unknown))),
                    f"unknown keys (expected {', '.join(sorted(_MEMBER_KEYS))})",
                )
                continue
            raw_country = values.get("country")
            if isinstance(raw_country, bool):
                bad(
                    index,
                    f"members[{m_index}].country",
                    raw_country,
                    "YAML reads NO, YES, ON and OFF as true/false: write the code in quotes "
                    '(country: "NO" for Norway)',
                )
                continue
            country = resolver.lookup(str(raw_country or ""))
            if country is None:
                bad(index, f"members[{m_index}].country", raw_country, "unknown country")
                continue
            try:
                start = _date(values.get("from"))
                until = _date(values.get("until"))
                controls = _date(values.get("controls_from"))
            except ValueError:
                bad(index, f"members[{m_index}]", country, "dates must be written YYYY-MM-DD")
                continue
            if start and until and until < start:
                bad(index, f"members[{m_index}].until", until, "is before 'from'")
                continue
            if (country, start) in seen:
                bad(index, f"members[{m_index}]", country, "listed twice with the same 'from'")
                continue
            seen.add((country, start))
            parsed.append(
                {
                    "country_code": country,
                    "member_from": start,
                    "member_until": until,
                    "controls_from": controls,
                    "note": clean_text(values.get("note")),
                }
            )
        group_values = {
            "name": name,
            "description": clean_text(entry.get("description")),
            "basis": clean_text(entry.get("basis")),
        }
        group_id = groups.get(code.casefold())
        if group_id is None:
            group_id = conn.execute(
                insert(CountryGroup).returning(CountryGroup.id), {"code": code, **group_values}
            ).scalar_one()
            groups[code.casefold()] = group_id
            summary.groups_created += 1
        elif update_existing:
            conn.execute(
                update(CountryGroup).where(CountryGroup.id == group_id).values(**group_values)
            )
            summary.groups_updated += 1
        stored = {
            (r.country_code, r.member_from): r
            for r in conn.execute(
                select(
                    CountryGroupMember.id,
                    CountryGroupMember.country_code,
                    CountryGroupMember.member_from,
                    CountryGroupMember.member_until,
                    CountryGroupMember.controls_from,
                    CountryGroupMember.note,
                ).where(CountryGroupMember.group_id == group_id)
            )
        }
        new = []
        for values in parsed:
            old = stored.get((values["country_code"], values["member_from"]))
            if old is None:
                new.append({"group_id": group_id, **values})
            elif update_existing and (
                old.member_until != values["member_until"]
                or old.controls_from != values["controls_from"]
                or old.note != values["note"]
            ):
                conn.execute(
                    update(CountryGroupMember)
                    .where(CountryGroupMember.id == old.id)
                    .values(
                        member_until=values["member_until"],
                        controls_from=values["controls_from"],
                        note=values["note"],
                    )
                )
                summary.members_updated += 1
        if new:
            conn.execute(insert(CountryGroupMember), new)
            summary.members_created += len(new)
    return summary
