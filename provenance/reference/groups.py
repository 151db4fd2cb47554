"""Country groups with membership dates: the EU, the G7, the countries with export controls on
Russia (the "coalition"), and any group a user adds.

A membership runs from ``member_from`` to ``member_until``, both days included; a missing bound
is open (a member since before any date we track, or still a member). ``controls_from`` is the
day the member's export controls on Russia took effect, where the group records it. Groups are
data: shipped in ``seeds/country_groups.yaml`` and extendable with ``provenance reference load``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select, update

from provenance.errors import UnknownGroupError
from provenance.models import CountryGroup, CountryGroupMember

if TYPE_CHECKING:  # the schemas are checked before anything here runs
    from provenance.reference.schemas import GroupSpec, MemberSpec

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


# Adding groups from a checked reference-list file ---------------------------------------------


@dataclass
class GroupSyncSummary:
    groups_created: int = 0
    groups_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    warnings: list[str] = field(default_factory=list)


def apply_groups(
    conn: Connection, specs: Sequence[GroupSpec], update_existing: bool = False
) -> GroupSyncSummary:
    """Add the groups and memberships of a checked file (its ``country_groups``).

    A membership is identified by group, country and ``from``. Without ``update_existing`` what
    the database holds is kept as it is (only what is missing is added); with it, the groups and
    memberships named in the file take the file's values.
    """
    summary = GroupSyncSummary()
    ids = {
        code.casefold(): id_
        for id_, code in conn.execute(select(CountryGroup.id, CountryGroup.code))
    }
    for spec in specs:
        values = {"name": spec.name, "description": spec.description, "basis": spec.basis}
        group_id = ids.get(spec.code.casefold())
        if group_id is None:
            group_id = conn.execute(
                insert(CountryGroup).returning(CountryGroup.id), {"code": spec.code, **values}
            ).scalar_one()
            ids[spec.code.casefold()] = group_id
            summary.groups_created += 1
        elif update_existing:
            conn.execute(update(CountryGroup).where(CountryGroup.id == group_id).values(**values))
            summary.groups_updated += 1
        _add_members(conn, group_id, spec.members, update_existing, summary)
    return summary


def _add_members(
    conn: Connection,
    group_id: int,
    members: Sequence[MemberSpec],
    update_existing: bool,
    summary: GroupSyncSummary,
) -> None:
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
    for member in members:
        values = {
            "member_until": member.until,
            "controls_from": member.controls_from,
            "note": member.note,
        }
        old = stored.get((member.country, member.member_from))
        if old is None:
            new.append(
                {
                    "group_id": group_id,
                    "country_code": member.country,
                    "member_from": member.member_from,
                    **values,
                }
            )
        elif update_existing and (
            old.member_until != member.until
            or old.controls_from != member.controls_from
            or old.note != member.note
        ):
            conn.execute(
                update(CountryGroupMember).where(CountryGroupMember.id == old.id).values(**values)
            )
            summary.members_updated += 1
    if new:
        conn.execute(insert(CountryGroupMember), new)
        summary.members_created += len(new)
