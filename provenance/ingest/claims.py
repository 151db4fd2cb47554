"""Claims a load brings (``provenance.claims`` says what a claim is and how one is chosen).

When a load ends (:func:`settle_claims`): a source that already holds a claim on a component
and whose rows now say another is a conflict naming the rows (a correction is another source's
claim, or a change made on purpose); a citation without a claim gets the one its source's rows
give; then every component the load cited gets its chosen claim again (``provenance.claims``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Table, and_, select, update

from provenance.claims import choose_for
from provenance.ingest.conflicts import Conflicts, Place
from provenance.ingest.write import ROWS
from provenance.models import Citation, Component, Specimen

__all__ = ["settle_claims"]

_BATCH = 500


def settle_claims(
    conn: Connection, batches: Sequence[int], names: Mapping[int, str], conflicts: Conflicts
) -> None:
    """At the end of a load: contradictions of stored claims, claims given to citations that
    had none, and the chosen claim of every component the load cited."""
    citations: Table = Citation.__table__  # type: ignore[assignment]
    components: Table = Component.__table__  # type: ignore[assignment]
    t, c, ct = ROWS.c, components.c, citations.c
    rows = (
        select(
            c.id,
            t.source_id,
            t.authenticity,
            t.authenticity_basis,
            ct.authenticity.label("stored"),
            ct.batch_id,
            t.file_index,
            t.row,
            t.is_record,
            Specimen.label,
            Specimen.label_key,
            c.identity,
            c.function,
        )
        .join_from(ROWS, components, (c.specimen_id == t.specimen_id) & (c.identity == t.identity))
        .join(citations, and_(ct.component_id == c.id, ct.source_id == t.source_id))
        .join(Specimen, Specimen.id == c.specimen_id)
        .where(t.authenticity.is_not(None), ct.batch_id.not_in(list(batches)))
        .order_by(c.id, t.source_id, t.file_index, t.row)
    )
    fills: dict[tuple[int, int], tuple[str, str | None]] = {}
    for r in conn.execute(rows):
        place = Place(names[r.file_index], r.row, "record" if r.is_record else "line")
        if r.stored is not None and str(r.stored) != r.authenticity:
            conflicts.add(  # with --rejects, the next run rejects the rows of the component
                ("component", (r.label_key, r.identity), "values"),
                f"{r.function} in specimen {r.label}",
                "authenticity",
                f"this source already says the part ({r.function} in specimen {r.label}) is "
                f"{r.stored} (load batch {r.batch_id}); its rows now say {r.authenticity}: a "
                "source's claim is not replaced by a load (another source's claim is kept "
                "beside it)",
                place,
                code="claims",
            )
        elif r.stored is None:
            fills.setdefault((r.id, r.source_id), (r.authenticity, r.authenticity_basis))
    for (component_id, source_id), (claim, basis) in fills.items():
        conn.execute(
            update(Citation)
            .where(Citation.component_id == component_id, Citation.source_id == source_id)
            .values(authenticity=claim, authenticity_basis=basis)
        )
    cited = (
        select(c.id)
        .distinct()
        .join_from(ROWS, components, (c.specimen_id == t.specimen_id) & (c.identity == t.identity))
    )
    ids = sorted(conn.execute(cited).scalars())
    for start in range(0, len(ids), _BATCH):
        choose_for(conn, ids[start : start + _BATCH])
