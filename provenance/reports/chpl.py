"""The CHPL report: parts per tier of the Common High Priority List per weapon system, and the
share of foreign parts on the list; and the parts by HS code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from provenance.models import ChplEntry, Component, WeaponSystem
from provenance.reference import chpl as chpl_lists
from provenance.reports.core import (
    FilteredParts,
    Filters,
    ReferenceRow,
    Scope,
    as_int,
    components_joined,
    foreign_condition,
    fraction,
)

NOT_LISTED = "not on the list"
HS_TOO_SHORT = "HS code under 6 digits"
NO_HS = "no HS code"


@dataclass
class ChplWeapon:
    designation: str
    producer: str
    parts: int
    by_category: dict[str, int]  # tier, NOT_LISTED, HS_TOO_SHORT or NO_HS -> parts
    foreign_parts: int
    foreign_listed: int  # foreign parts whose HS-6 code is on the list
    foreign_coded: int  # foreign parts with an HS code of six digits or more

    @property
    def listed_parts(self) -> int:
        return sum(
            n for c, n in self.by_category.items() if c not in (NOT_LISTED, HS_TOO_SHORT, NO_HS)
        )

    @property
    def foreign_listed_share(self) -> float:
        """Listed foreign parts over all foreign parts (those without a code count as not
        listed: a lower bound)."""
        return fraction(self.foreign_listed, self.foreign_parts)

    @property
    def foreign_listed_share_of_coded(self) -> float:
        """Listed foreign parts over the foreign parts whose six-digit code is known."""
        return fraction(self.foreign_listed, self.foreign_coded)


class _unindexed(FunctionElement[str]):
    """A text column, read from the row rather than through an index of it: SQLite would read
    ``hs6 IS NOT NULL`` through the index on hs6, which nearly every component matches, and
    then look each one up (at 1M rows 1.6 s a query, against 1.05 s reading the rows)."""

    type = String()
    inherit_cache = True
    name = "unindexed"


@compiles(_unindexed, "sqlite")
def _unindexed_sqlite(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"  # SQLite's unary + : the value, no index


@compiles(_unindexed)
def _unindexed_default(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return str(compiler.process(column, **kw))


@dataclass
class ChplCode:
    weapon: str
    hs6: str
    tier: str | None
    parts: int
    foreign_parts: int
    components: list[str]  # what the parts are (component functions)


@dataclass
class ChplReport:
    scope: Scope
    version: chpl_lists.ChplVersion
    categories: list[str]  # the columns: tiers, then NOT_LISTED, HS_TOO_SHORT, NO_HS
    weapons: list[ChplWeapon]
    total: ChplWeapon
    codes: list[ChplCode]
    references: list[ReferenceRow] = field(default_factory=list)


def chpl_report(
    conn: Connection, filters: Filters | None = None, version: str | None = None
) -> ChplReport:
    """Parts per CHPL tier per weapon system, and the share of foreign parts on the list.

    A component's tier is the tier of its HS-6 code on the list version used (the newest unless
    ``version``). Components without an HS code, or with one shorter than six digits (a heading
    such as 8504 cannot be placed on the list), are counted in their own columns.
    """
    filters = filters or Filters()
    listed = chpl_lists.resolve_version(conn, version)
    ctx = FilteredParts(conn, filters)
    origin = ctx.origin
    qty = Component.quantity
    category = case(
        (Component.hs_code.is_(None), literal(NO_HS)),
        (Component.hs6.is_(None), literal(HS_TOO_SHORT)),
        (ChplEntry.tier.is_(None), literal(NOT_LISTED)),
        else_=ChplEntry.tier,
    ).label("category")
    is_foreign = case(
        (foreign_condition(origin, WeaponSystem.producer_country_code), 1), else_=0
    ).label("is_foreign")

    def base(*columns: Any) -> Select[Any]:
        return components_joined(*columns).outerjoin(
            ChplEntry, and_(ChplEntry.hs6 == Component.hs6, ChplEntry.list_id == listed.id)
        )

    rows = conn.execute(
        base(
            WeaponSystem.designation,
            WeaponSystem.producer_country_code,
            category,
            is_foreign,
            func.sum(qty),
        )
        .where(*ctx.where)
        .group_by(
            WeaponSystem.designation, WeaponSystem.producer_country_code, category, is_foreign
        )
    ).all()
    by_weapon: dict[str, ChplWeapon] = {}
    for designation, producer, cat, foreign, parts in rows:
        w = by_weapon.setdefault(
            designation,
            ChplWeapon(designation, ctx.producer_name(producer), 0, {}, 0, 0, 0),
        )
        n = as_int(parts)
        w.parts += n
        w.by_category[cat] = w.by_category.get(cat, 0) + n
        if foreign:
            w.foreign_parts += n
            if cat not in (NOT_LISTED, HS_TOO_SHORT, NO_HS):
                w.foreign_listed += n
            if cat not in (HS_TOO_SHORT, NO_HS):
                w.foreign_coded += n
    weapons = [by_weapon[k] for k in sorted(by_weapon)]
    total = ChplWeapon("All weapon systems", "", 0, {}, 0, 0, 0)
    for w in weapons:
        total.parts += w.parts
        total.foreign_parts += w.foreign_parts
        total.foreign_listed += w.foreign_listed
        total.foreign_coded += w.foreign_coded
        for c, n in w.by_category.items():
            total.by_category[c] = total.by_category.get(c, 0) + n
    tiers = sorted(
        set(conn.scalars(select(ChplEntry.tier).where(ChplEntry.list_id == listed.id).distinct())),
        key=chpl_lists.tier_sort_key,
    )
    return ChplReport(
        ctx.scope,
        listed,
        [*tiers, NOT_LISTED, HS_TOO_SHORT, NO_HS],
        weapons,
        total,
        _codes(conn, ctx, base, is_foreign),
        [ReferenceRow("export-control list", listed.citation, listed.notes)],
    )


def _codes(
    conn: Connection,
    ctx: FilteredParts,
    base: Callable[..., Select[Any]],
    is_foreign: ColumnElement[int],
) -> list[ChplCode]:
    """The parts per weapon system and HS-6 code (with its tier), and what they are."""
    qty = Component.quantity
    functions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for designation, hs6, function in conn.execute(
        base(WeaponSystem.designation, Component.hs6, Component.function)
        .where(*ctx.where, _unindexed(Component.hs6).isnot(None))
        .group_by(WeaponSystem.designation, Component.hs6, Component.function)
        .order_by(Component.function)
    ):
        functions[(designation, hs6)].append(function)
    codes = [
        ChplCode(d, hs6, tier, as_int(parts), as_int(foreign), functions[(d, hs6)])
        for d, hs6, tier, parts, foreign in conn.execute(
            base(
                WeaponSystem.designation,
                Component.hs6,
                ChplEntry.tier,
                func.sum(qty),
                func.sum(case((is_foreign == 1, qty), else_=0)),
            )
            .where(*ctx.where, _unindexed(Component.hs6).isnot(None))
            .group_by(WeaponSystem.designation, Component.hs6, ChplEntry.tier)
        )
    ]
    codes.sort(
        key=lambda c: (
            c.weapon,
            c.tier is None,
            chpl_lists.tier_sort_key(c.tier or ""),
            -c.parts,
            c.hs6,
        )
    )
    return codes
