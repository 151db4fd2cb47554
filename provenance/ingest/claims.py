"""Claims a load brings: what each row's source states of the part's authenticity, country of
manufacture and manufacture date (``provenance.claims`` says what a claim is and how the one
reports use is chosen).

When a load ends (:func:`settle_claims`): a source that already holds a claim on a component
and whose rows now say another is a conflict naming the rows (a correction is another source's
claim, or a change made on purpose); a citation without a claim gets the one its source's rows
give; then every component the load cited gets its chosen claim again (``provenance.claims``),
but for those that one citation states exactly what the component holds (most of a load: the
rule picks the one claim there is; set-based, one statement).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Select, Table, and_, case, func, literal, or_, select, update

from provenance.claims import STATEMENTS, choose_for
from provenance.ingest.catalogue import chunks
from provenance.ingest.conflicts import Conflicts, Place
from provenance.ingest.write import ROWS
from provenance.models import Authenticity, Citation, Component, Specimen

__all__ = ["settle_claims"]


def _shown(values: Sequence[object]) -> str:
    return " ".join(str(getattr(v, "value", v)) for v in values if v is not None)


def settle_claims(
    conn: Connection, batches: Sequence[int], names: Mapping[int, str], conflicts: Conflicts
) -> None:
    """At the end of a load: contradictions of stored statements, statements given to
    citations that had none, and the chosen statements of every component the load cited."""
    citations: Table = Citation.__table__  # type: ignore[assignment]
    components: Table = Component.__table__  # type: ignore[assignment]
    t, c, ct = ROWS.c, components.c, citations.c
    for statement in STATEMENTS:
        columns, given, column = statement.cited, statement.columns[0], statement.column
        compared = len(statement.columns)  # the basis of a claim comes with it, never compared
        rows = (
            select(
                c.id,
                t.source_id,
                *(t[x] for x in columns),
                *(ct[x].label(f"stored_{x}") for x in columns),
                ct.batch_id,
                t.file_index,
                t.row,
                t.is_record,
                Specimen.label,
                Specimen.label_key,
                c.identity,
                c.function,
            )
            .join_from(
                ROWS, components, (c.specimen_id == t.specimen_id) & (c.identity == t.identity)
            )
            .join(citations, and_(ct.component_id == c.id, ct.source_id == t.source_id))
            .join(Specimen, Specimen.id == c.specimen_id)
            .where(t[given].is_not(None), ct.batch_id.not_in(list(batches)))
            .order_by(c.id, t.source_id, t.file_index, t.row)
        )
        fills: dict[tuple[int, int], dict[str, object]] = {}
        for r in conn.execute(rows):
            said = _shown([r._mapping[t[x]] for x in columns][:compared])
            stored = _shown([r._mapping[f"stored_{x}"] for x in columns][:compared])
            place = Place(names[r.file_index], r.row, "record" if r.is_record else "line")
            if not stored:
                fills.setdefault((r.id, r.source_id), {x: r._mapping[t[x]] for x in columns})
            elif stored != said:
                part = f"{r.function} in specimen {r.label}"
                conflicts.add(  # with --rejects, the next run rejects the rows of the component
                    ("component", (r.label_key, r.identity), "values"),
                    part,
                    column,
                    f"this source already states {column.replace('_', ' ')} {stored} for the "
                    f"part ({part}; load batch {r.batch_id}); its rows now state {said}: a "
                    "source's statement is not replaced by a load (another source's is kept "
                    "beside it)",
                    place,
                    code="claims",
                )
        for (component_id, source_id), values in fills.items():
            conn.execute(
                update(Citation)
                .where(Citation.component_id == component_id, Citation.source_id == source_id)
                .values(values)
            )
    for chunk in chunks(sorted(conn.execute(_to_choose(components, citations)).scalars())):
        choose_for(conn, chunk)


def _to_choose(components: Table, citations: Table) -> Select[tuple[int]]:
    """The components the load cited whose chosen statements may change: all but those with
    one citation whose statements the component already holds (with one claim, the rule of
    ``provenance.claims.choose`` picks it; with none, the component holds nothing)."""
    t, c, ct = ROWS.c, components.c, citations.c
    cited = components.alias("cited")
    unknown = literal(Authenticity.UNKNOWN, type_=ct.authenticity.type)
    holds = and_(
        c.authenticity == func.coalesce(ct.authenticity, unknown),
        c.made_in_code.is_not_distinct_from(ct.made_in_code),
        c.manufactured_on.is_not_distinct_from(ct.manufactured_on),
        # a date and its precision are one statement: no date, no precision
        c.manufactured_precision.is_not_distinct_from(
            case((ct.manufactured_on.is_(None), None), else_=ct.manufactured_precision)
        ),
    )
    by_load = select(cited.c.id).join_from(
        ROWS, cited, (cited.c.specimen_id == t.specimen_id) & (cited.c.identity == t.identity)
    )
    return (
        select(c.id)
        .join(citations, ct.component_id == c.id, isouter=True)
        .where(c.id.in_(by_load))
        .group_by(c.id)
        .having(or_(func.count(ct.component_id) != 1, func.max(case((holds, 1), else_=0)) == 0))
    )
