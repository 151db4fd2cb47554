"""Customs records in the chain: the shipments a person linked to a component.

Only an *accepted* link (``customs review --accept``) is a step of a component's chain: the
shipment from its exporter to its importer, with its date, HS code, countries of origin and
dispatch, the record's own id and the file it was loaded from. A proposed link is not a fact:
the chain only counts them ("N proposed, not reviewed"); a rejected link is not shown at all.

Exporter and importer are shown as declared (text, not parties); an empty one stays unknown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, func, select

from provenance.models import CustomsLink, CustomsLinkStatus, CustomsShipment, LoadBatch
from provenance.values.dates import format_partial_date, utc_text


@dataclass
class CustomsStep:
    """One accepted customs link of a component, as the chain shows it."""

    link_id: int
    shipment_id: int
    record_id: str | None  # the source's own id of the row
    date: str  # as precisely as known: 2023, 2023-03 or 2023-03-14; "" when not known
    exporter: str | None
    importer: str | None
    hs_code: str | None  # as declared
    hs6: str | None
    description: str | None
    brand: str | None
    part_number: str | None
    origin: str | None  # ISO code; None: not known
    dispatch: str | None
    quantity: str | None  # exact decimal text (e.g. "10"), None when not known
    value: str | None
    currency: str | None
    file: str  # the customs file the row was loaded from
    file_sha256: str
    source_row: int
    rule: str
    accepted_by: str | None
    accepted_at: str | None  # ISO timestamp
    note: str | None
    # For ordering, not shown.
    shipped_on: dt.date | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k != "shipped_on"}


def _number(value: Decimal | None) -> str | None:
    """A stored decimal as its shortest exact text (10.0000 -> "10", 1200.5000 -> "1200.5")."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def accepted_customs(
    conn: Connection, ids: list[int] | Select[Any]
) -> list[tuple[int, CustomsStep]]:
    """Each accepted customs link of the components ``ids``, with the component's id: by date
    (unknown last), then the record's own id (none last), then the shipment (so that records
    of one day come in the same order whatever order their files gave them)."""
    k, s = CustomsLink, CustomsShipment
    query = (
        select(
            k.component_id,
            k.id.label("link_id"),
            k.rule,
            k.decided_by,
            k.decided_at,
            k.note,
            s.id.label("shipment_id"),
            s.record_id,
            s.shipped_on,
            s.shipped_precision,
            s.exporter,
            s.importer,
            s.hs_code,
            s.hs6,
            s.description,
            s.brand,
            s.part_number,
            s.origin_code,
            s.dispatch_code,
            s.quantity,
            s.value,
            s.currency,
            s.source_row,
            LoadBatch.file_name,
            LoadBatch.sha256,
        )
        .join(s, s.id == k.shipment_id)
        .join(LoadBatch, LoadBatch.id == s.batch_id)
        .where(k.component_id.in_(ids), k.status == CustomsLinkStatus.ACCEPTED)
        .order_by(
            s.shipped_on.is_(None), s.shipped_on, s.record_id.is_(None), s.record_id, s.id, k.id
        )
    )
    out: list[tuple[int, CustomsStep]] = []
    for r in conn.execute(query):
        step = CustomsStep(
            link_id=r.link_id,
            shipment_id=r.shipment_id,
            record_id=r.record_id,
            date=format_partial_date(r.shipped_on, r.shipped_precision),
            exporter=r.exporter,
            importer=r.importer,
            hs_code=r.hs_code,
            hs6=r.hs6,
            description=r.description,
            brand=r.brand,
            part_number=r.part_number,
            origin=r.origin_code,
            dispatch=r.dispatch_code,
            quantity=_number(r.quantity),
            value=_number(r.value),
            currency=r.currency,
            file=r.file_name,
            file_sha256=r.sha256,
            source_row=r.source_row,
            rule=r.rule,
            accepted_by=r.decided_by,
            accepted_at=utc_text(r.decided_at) if r.decided_at else None,
            note=r.note,
            shipped_on=r.shipped_on,
        )
        out.append((r.component_id, step))
    return out


def proposed_counts(conn: Connection, ids: list[int] | Select[Any]) -> Counter[int]:
    """How many links of each of the components ``ids`` nobody has reviewed yet."""
    k = CustomsLink
    query = (
        select(k.component_id, func.count())
        .where(k.component_id.in_(ids), k.status == CustomsLinkStatus.PROPOSED)
        .group_by(k.component_id)
    )
    return Counter({component: n for component, n in conn.execute(query)})
