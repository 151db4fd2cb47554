"""The timeline report: parts by manufacture year (or month) per weapon system; how many were made
after the export controls of their origin country took effect; the lag from manufacture to
recovery.

"Made after the controls" and the lag take a partial date's precision into account (see
:func:`timeline`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    and_,
    case,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from provenance.models import Component, DatePrecision, Specimen, WeaponSystem
from provenance.reference import groups
from provenance.reports.core import (
    FilteredParts,
    Filters,
    ReferenceRow,
    Scope,
    as_int,
    components_joined,
    unindexed_id,
)


class Period(enum.StrEnum):
    """What the timeline counts parts by."""

    YEAR = "year"
    MONTH = "month"


class days_between(FunctionElement[int]):
    """Whole days from the second date to the first, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)})"
        f" - julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: date - date is a whole number of days.
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


class year_of(FunctionElement[int]):
    """The year of a date column, as an integer (NULL for NULL)."""

    type = Integer()
    inherit_cache = True
    name = "year_of"
    part = "YEAR"


class month_of(year_of):
    """The month of a date column, as an integer (NULL for NULL)."""

    inherit_cache = True
    name = "month_of"
    part = "MONTH"


@compiles(year_of, "sqlite")
@compiles(month_of, "sqlite")
def _date_part_sqlite(element: year_of, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores a Date as YYYY-MM-DD: its digits, without strftime's parse of the date.
    (column,) = list(element.clauses)
    start, length = (1, 4) if element.part == "YEAR" else (6, 2)
    return f"CAST(substr({compiler.process(column, **kw)}, {start}, {length}) AS INTEGER)"


@compiles(year_of)
@compiles(month_of)
def _date_part_default(element: year_of, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"CAST(EXTRACT({element.part} FROM {compiler.process(column, **kw)}) AS INTEGER)"


@dataclass
class TimelineBucket:
    label: str  # 2023, 2023-02, "2022 (month unknown)", "(no manufacture date)"
    year: int | None
    month: int | None
    parts_by_weapon: dict[str, int]
    total: int


@dataclass
class ControlsRow:
    """A weapon system's parts by whether they were made after their origin's controls."""

    designation: str
    parts: int
    after: int = 0  # made on or after the day the origin country's controls took effect
    before: int = 0  # the whole manufacture period lies before that day
    undetermined: int = 0  # the period (e.g. the year 2022) straddles that day
    no_date: int = 0  # no manufacture date
    no_controls: int = 0  # the origin country has no controls date in the group
    unknown_origin: int = 0


@dataclass
class LagRow:
    """Days from manufacture to recovery, over parts whose manufacture month or day is known."""

    designation: str
    parts: int  # parts with both dates, month precision or better
    year_only: int  # parts with both dates but the manufacture date known only to the year
    missing: int  # parts without a manufacture or recovery date
    negative: int  # parts recovered before their stated manufacture (a data problem)
    minimum: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    maximum: float | None = None


@dataclass
class TimelineReport:
    scope: Scope
    period: Period
    weapons: list[str]
    buckets: list[TimelineBucket]
    controls_group: groups.GroupInfo
    controls_dates: list[dt.date]  # the distinct controls dates of the group's members
    controls: list[ControlsRow]  # per weapon system, then all together
    lag: list[LagRow]  # per weapon system, then all together
    references: list[ReferenceRow] = field(default_factory=list)


LAG_METHOD = (
    "quartiles by statistics.quantiles(method='inclusive') over one value per part (a component "
    "of quantity 3 counts three times); the lag is counted from the first day of the "
    "manufacture month (or week, or the day); parts dated only to the year are left out"
)


def _quartiles(counts: Mapping[int, int]) -> tuple[float, float, float]:
    """The quartiles of values given with how often each occurs, as
    ``statistics.quantiles(values, n=4, method="inclusive")`` computes them, without making
    the list of values (a row's quantity can be two billion parts)."""
    values = sorted(counts)
    ends = list(itertools.accumulate(counts[v] for v in values))
    total = ends[-1]
    if total == 1:
        v = float(values[0])
        return v, v, v

    def at(index: int) -> int:  # the value at ``index`` of the sorted list of values
        return values[bisect.bisect_right(ends, index)]

    quartiles = []
    for i in (1, 2, 3):
        j, delta = divmod(i * (total - 1), 4)
        quartiles.append((at(j) * (4 - delta) + at(j + 1) * delta) / 4)
    return quartiles[0], quartiles[1], quartiles[2]


def timeline(
    conn: Connection,
    filters: Filters | None = None,
    period: Period = Period.YEAR,
    controls_group: str = groups.CONTROLS_GROUP,
) -> TimelineReport:
    """Parts by manufacture year (or month) per weapon system; how many were made after the
    export controls of their origin country took effect; the lag from manufacture to recovery.

    "After the controls": the origin country's ``controls_from`` in ``controls_group``; a part
    counts as made after when its manufacture period starts on or after that day, before when
    the period ends before it, and undetermined when the period (e.g. the year 2022) contains it.

    The buckets and the controls come from one pass over the components (grouped by the weapon
    system's id, the manufacture year or month and what the controls count the part as), the lag
    from a second; designations are joined after aggregating.
    """
    filters = filters or Filters()
    info = groups.get_group(conn, controls_group)
    ctx = FilteredParts(conn, filters)
    names = _designations(conn)
    dated = _dated_parts(conn, ctx, info, names, period)
    controls = _controls(dated)
    dates = sorted(set(groups.controls_dates(conn, info.code).values()))
    return TimelineReport(
        scope=ctx.scope,
        period=period,
        weapons=sorted(c.designation for c in controls[:-1]),
        buckets=_buckets(dated, period),
        controls_group=info,
        controls_dates=dates,
        controls=controls,
        lag=_lag(conn, ctx, names),
        references=[
            ReferenceRow("country group (controls dates)", f"{info.name} ({info.code})", info.basis)
        ],
    )


def _designations(conn: Connection) -> dict[int, str]:
    """Every weapon system's designation by id."""
    return dict(conn.execute(select(WeaponSystem.id, WeaponSystem.designation)).all())


#: What the controls count a part as (the fields of :class:`ControlsRow`).
CONTROLS_CLASSES = ("unknown_origin", "no_controls", "no_date", "after", "before", "undetermined")

#: (designation, manufacture year, month (None: not counted by month, or not known), what the
#: controls count the parts as, parts)
DatedParts = list[tuple[str, int | None, int | None, str, int]]


def _before_threshold(
    controls_from: ColumnElement[Any], dates: list[dt.date]
) -> ColumnElement[Any]:
    """The day a manufacture date (the first day of its period) must be before for its whole
    period to end before ``controls_from``: :func:`period_end` turned round, one bound date per
    distinct controls date and precision (a group has few distinct controls dates)."""
    if not dates:
        return null()
    precision = Component.manufactured_precision

    def threshold(day: dt.date) -> ColumnElement[Any]:
        # period_end(start, YEAR) < day  <=>  start < 1 January of day's year; and so on.
        return case(
            (precision == DatePrecision.YEAR, literal(dt.date(day.year, 1, 1), Date)),
            (precision == DatePrecision.MONTH, literal(day.replace(day=1), Date)),
            (precision == DatePrecision.WEEK, literal(day - dt.timedelta(days=6), Date)),
            else_=literal(day, Date),
        )

    return case(*((controls_from == literal(d, Date), threshold(d)) for d in dates))


def _dated_parts(
    conn: Connection,
    ctx: FilteredParts,
    info: groups.GroupInfo,
    names: Mapping[int, str],
    period: Period,
) -> DatedParts:
    """Parts per weapon system, manufacture year (and month) and what the controls count them
    as, in one pass: what both the buckets and the controls count. Grouped by the weapon
    system's id; the designations are joined after."""
    made = Component.manufactured_on
    controls = groups.controls_subquery(info.id)
    controls_from = controls.c.controls_from
    dates = sorted(conn.scalars(select(controls_from).distinct()))
    origin = ctx.origin
    standing = case(
        (origin.is_(None), CONTROLS_CLASSES[0]),
        (controls_from.is_(None), CONTROLS_CLASSES[1]),
        (made.is_(None), CONTROLS_CLASSES[2]),
        (made >= controls_from, CONTROLS_CLASSES[3]),
        (made < _before_threshold(controls_from, dates), CONTROLS_CLASSES[4]),
        else_=CONTROLS_CLASSES[5],
    )
    year = year_of(made)
    # By month, a date known only to the year has no month: it gets a bucket of its own.
    month: ColumnElement[Any] = (
        case(
            (Component.manufactured_precision == DatePrecision.YEAR, null()),
            else_=month_of(made),
        )
        if period is Period.MONTH
        else null()
    )
    # A subquery, grouped by its columns: PostgreSQL does not take a GROUP BY of an expression
    # with bound parameters as the same expression in the select list.
    parts = (
        components_joined(
            unindexed_id(Specimen.weapon_system_id).label("weapon_id"),
            year.label("year"),
            month.label("month"),
            standing.label("standing"),
            Component.quantity.label("quantity"),
        )
        .outerjoin(controls, controls.c.country_code == origin)
        .where(*ctx.where)
        .subquery("dated_parts")
    )
    keys = [parts.c.weapon_id, parts.c.year, parts.c.month, parts.c.standing]
    rows: Sequence[Any] = conn.execute(
        select(*keys, func.sum(parts.c.quantity)).group_by(*keys)
    ).all()
    return [(names[w], y, m, standing, as_int(n)) for w, y, m, standing, n in rows]


def _buckets(dated: DatedParts, period: Period) -> list[TimelineBucket]:
    """Parts per manufacture year (or month) and weapon system."""
    cells: dict[tuple[int | None, int | None], dict[str, int]] = defaultdict(dict)
    for designation, y, m, _, n in dated:
        cell = cells[(y, m)]
        cell[designation] = cell.get(designation, 0) + n
    buckets = []
    for (y, m), by_weapon in sorted(
        cells.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1] or 0)
    ):
        if y is None:
            label = "(no manufacture date)"
        elif period is Period.MONTH and m is None:
            label = f"{y} (month unknown)"
        elif m is None:
            label = str(y)
        else:
            label = f"{y}-{m:02d}"
        by_weapon = {k: by_weapon[k] for k in sorted(by_weapon)}
        buckets.append(TimelineBucket(label, y, m, by_weapon, sum(by_weapon.values())))
    return buckets


def _controls(dated: DatedParts) -> list[ControlsRow]:
    """Per weapon system (then all together): parts made before or after the controls."""
    by_weapon_controls: dict[str, ControlsRow] = {}
    for designation, _, _, standing, n in dated:
        row = by_weapon_controls.setdefault(designation, ControlsRow(designation, 0))
        row.parts += n
        setattr(row, standing, getattr(row, standing) + n)
    controls_rows = [by_weapon_controls[k] for k in sorted(by_weapon_controls)]
    all_controls = ControlsRow("All weapon systems", 0)
    for r in controls_rows:
        for name in ("parts", *CONTROLS_CLASSES):
            setattr(all_controls, name, getattr(all_controls, name) + getattr(r, name))
    return [*controls_rows, all_controls]


#: What a part counts as in the lag: no lag (a date missing), dated only to the year, counted.
_NO_LAG, _YEAR_ONLY, _COUNTED = 0, 1, 2


def _stats(row: LagRow, values: Mapping[int, int]) -> LagRow:
    """``row`` with the quartiles of ``values`` (value -> how many parts), when there are some."""
    if values:
        q1, q2, q3 = _quartiles(values)
        row.minimum, row.q1, row.median, row.q3, row.maximum = (
            float(min(values)),
            q1,
            q2,
            q3,
            float(max(values)),
        )
    return row


def _lag(conn: Connection, ctx: FilteredParts, names: Mapping[int, str]) -> list[LagRow]:
    """Per weapon system (then all together): days from manufacture to recovery.

    Grouped by the weapon system's id, by what a part counts as (no lag, dated only to the
    year, counted) and by the lag of the counted ones only: the fewest rows the quartiles need."""
    made = Component.manufactured_on
    both = and_(made.isnot(None), Specimen.recovered_on.isnot(None))
    kind = case(
        (~both, _NO_LAG),
        (Component.manufactured_precision == DatePrecision.YEAR, _YEAR_ONLY),
        else_=_COUNTED,
    )
    counted = and_(both, Component.manufactured_precision != DatePrecision.YEAR)
    # A subquery, grouped by its columns (bound parameters in the expressions: see
    # _dated_parts), the weapon system's id read from the row (see unindexed_id).
    lags = (
        components_joined(
            unindexed_id(Specimen.weapon_system_id).label("weapon_id"),
            kind.label("kind"),
            case((counted, days_between(Specimen.recovered_on, made)), else_=null()).label("lag"),
            Component.quantity.label("quantity"),
        )
        .where(*ctx.where)
        .subquery("lags")
    )
    keys = [lags.c.weapon_id, lags.c.kind, lags.c.lag]
    rows: Sequence[Any] = conn.execute(
        select(*keys, func.sum(lags.c.quantity)).group_by(*keys)
    ).all()
    lag_values: dict[str, Counter[int]] = defaultdict(Counter)
    lag_rows: dict[str, LagRow] = {}
    for weapon_id, how, lag, parts in rows:
        designation = names[weapon_id]
        row = lag_rows.get(designation)
        if row is None:
            row = lag_rows[designation] = LagRow(designation, 0, 0, 0, 0)
        n = as_int(parts)
        if how == _NO_LAG:
            row.missing += n
        elif how == _YEAR_ONLY:
            row.year_only += n
        else:
            row.parts += n
            if lag < 0:
                row.negative += n
            lag_values[designation][int(lag)] += n
    out = [_stats(lag_rows[k], lag_values[k]) for k in sorted(lag_rows)]
    all_lag = LagRow(
        "All weapon systems",
        sum(r.parts for r in out),
        sum(r.year_only for r in out),
        sum(r.missing for r in out),
        sum(r.negative for r in out),
    )
    together: Counter[int] = Counter()
    for values in lag_values.values():
        together.update(values)  # in place: sum() of Counters copies the whole sum each time
    out.append(_stats(all_lag, +together))  # + keeps the positive counts, as Counter sums do
    return out
