"""Trace requests: asking a company where a part (or a batch) went, as Conflict Armament Research
does: sent on a day, due 28 days later unless agreed otherwise, answered (or declined), a right of
reply, the disclosure terms agreed, then closed.

The status kept is open, answered, declined or closed; "overdue" is computed on reading: an open
request past its due date (``as_of``, today by default). An answer may name the company's buyer:
each becomes a transfer whose document is the reply (``trace_reply``) and whose source is the
reply itself (publisher: the company asked; title: "Reply to trace request N").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, select, update

from provenance.chain.parties import party_id
from provenance.chain.transfers import TransferSpec, insert_transfer, source_id
from provenance.db import write_transaction
from provenance.errors import ChainError
from provenance.models import (
    Component,
    DatePrecision,
    DocumentKind,
    EvidenceFile,
    Manufacturer,
    Party,
    PartyRole,
    TraceRequest,
    TraceRequestComponent,
    TraceStatus,
    Transfer,
)
from provenance.reference.manufacturers import find as find_manufacturer
from provenance.values.text import clean_text

#: Days a company has to answer, unless the request says otherwise.
DEFAULT_DAYS = 28
OVERDUE = "overdue"
#: Every column of a request, read as a row (the library reads with Core, not ORM sessions).
_REQUESTS = select(TraceRequest.__table__)


@dataclass
class NamedStep:
    """A step an answer names: the company asked sold the part to ``to_party``."""

    to_party: str
    to_role: PartyRole | None = PartyRole.BUYER
    on: dt.date | None = None
    precision: DatePrecision | None = None
    document_ref: str | None = None


@dataclass
class TraceRow:
    id: int
    recipient: str
    components: list[int]
    batch: str | None
    sent_on: dt.date
    due_on: dt.date
    answered_on: dt.date | None
    status: str  # open, answered, declined, closed, or overdue (computed)
    late: bool  # answered (or still open) after the due date
    answer: str | None = None
    disclosure_terms: str | None = None
    reply_offered_on: dt.date | None = None
    reply_due_on: dt.date | None = None
    transfers: int = 0
    notes: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in vars(self).items():
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
        return out


@dataclass
class TraceSpec:
    """A request to add: to a party or to a manufacturer (exactly one), about components or a
    batch (``manufacturer`` with ``part_number`` and perhaps ``lot``)."""

    sent_on: dt.date
    party: str | None = None
    recipient_manufacturer: str | None = None
    components: Sequence[int] = ()
    manufacturer: str | None = None
    part_number: str | None = None
    lot: str | None = None
    due_on: dt.date | None = None
    disclosure_terms: str | None = None
    notes: str | None = None


def _recipient(conn: Connection, spec: TraceSpec) -> tuple[int | None, int | None]:
    if (spec.party is None) == (spec.recipient_manufacturer is None):
        raise ChainError("a trace request goes to one party or one manufacturer")
    if spec.party is not None:
        return party_id(conn, spec.party), None
    return None, find_manufacturer(conn, str(spec.recipient_manufacturer))


def add_request(engine: Engine, spec: TraceSpec) -> int:
    """Log a trace request; its id. ChainError for an unknown recipient or component, or a
    request about nothing."""
    if not spec.components and spec.part_number is None:
        raise ChainError("a trace request is about components (--component) or a batch")
    with write_transaction(engine) as conn:
        party, maker_to = _recipient(conn, spec)
        batch_maker = find_manufacturer(conn, spec.manufacturer) if spec.manufacturer else None
        due = spec.due_on or spec.sent_on + dt.timedelta(days=DEFAULT_DAYS)
        if due < spec.sent_on:
            raise ChainError(f"due {due} is before sent {spec.sent_on}")
        new = conn.execute(
            insert(TraceRequest)
            .values(
                party_id=party,
                recipient_manufacturer_id=maker_to,
                manufacturer_id=batch_maker,
                part_number=clean_text(spec.part_number),
                lot=clean_text(spec.lot),
                sent_on=spec.sent_on,
                due_on=due,
                status=TraceStatus.OPEN,
                disclosure_terms=clean_text(spec.disclosure_terms),
                notes=clean_text(spec.notes),
            )
            .returning(TraceRequest.id)
        ).scalar_one()
        for component in dict.fromkeys(spec.components):
            if conn.execute(select(Component.id).where(Component.id == component)).first() is None:
                raise ChainError(f"no component with id {component}")
            conn.execute(
                insert(TraceRequestComponent).values(trace_request_id=new, component_id=component)
            )
    return int(new)


def _request(conn: Connection, request_id: int) -> Any:
    row = conn.execute(_REQUESTS.where(TraceRequest.id == request_id)).first()
    if row is None:
        raise ChainError(f"no trace request {request_id}")
    return row


def _recipient_party(conn: Connection, request: Any) -> tuple[int, str]:
    """The party that answers: the one asked, or the party that is the manufacturer asked
    (ChainError when that manufacturer is no party yet)."""
    if request.party_id is not None:
        name = conn.execute(select(Party.name).where(Party.id == request.party_id)).scalar_one()
        return request.party_id, name
    found = conn.execute(
        select(Party.id, Party.name).where(
            Party.manufacturer_id == request.recipient_manufacturer_id
        )
    ).first()
    if found is None:
        maker = conn.execute(
            select(Manufacturer.name).where(Manufacturer.id == request.recipient_manufacturer_id)
        ).scalar_one()
        raise ChainError(
            f"the answer names steps from {maker}, which is no party yet: "
            f"provenance parties add {maker!r} --manufacturer {maker!r}"
        )
    return int(found.id), str(found.name)


def _steps_of(conn: Connection, request: Any) -> list[dict[str, object]]:
    """What each step of the answer is about: the components, else the batch."""
    components = list(
        conn.scalars(
            select(TraceRequestComponent.component_id)
            .where(TraceRequestComponent.trace_request_id == request.id)
            .order_by(TraceRequestComponent.component_id)
        )
    )
    if components:
        return [{"component_id": c} for c in components]
    return [
        {
            "manufacturer_id": request.manufacturer_id,
            "part_number": request.part_number,
            "lot": request.lot,
        }
    ]


def answer_request(
    engine: Engine,
    request_id: int,
    answered_on: dt.date,
    answer: str,
    *,
    steps: Sequence[NamedStep] = (),
    evidence_sha256: str | None = None,
    declined: bool = False,
) -> int:
    """Record the answer (or refusal) to a request; each step it names becomes a transfer from
    the company asked, cited to the reply. The number of transfers added."""
    added = 0
    with write_transaction(engine) as conn:
        request = _request(conn, request_id)
        if request.status != TraceStatus.OPEN:
            raise ChainError(f"trace request {request_id} is {request.status} already")
        evidence = None
        if evidence_sha256:
            evidence = conn.execute(
                select(EvidenceFile.id).where(EvidenceFile.sha256 == evidence_sha256.lower())
            ).scalar_one_or_none()
            if evidence is None:
                raise ChainError(
                    f"no evidence file {evidence_sha256} (add it: provenance evidence add)"
                )
        conn.execute(
            update(TraceRequest)
            .where(TraceRequest.id == request_id)
            .values(
                status=TraceStatus.DECLINED if declined else TraceStatus.ANSWERED,
                answered_on=answered_on,
                answer=clean_text(answer),
                answer_evidence_id=evidence,
            )
        )
        if steps:
            seller, seller_name = _recipient_party(conn, request)
            reply, _ = source_id(conn, seller_name, f"Reply to trace request {request_id}")
            for step in steps:
                buyer = party_id(conn, step.to_party)
                for subject in _steps_of(conn, request):
                    spec = TransferSpec(
                        to_party_id=buyer,
                        source_id=reply,
                        from_party_id=seller,
                        from_role=PartyRole.SELLER,
                        to_role=step.to_role,
                        transferred_on=step.on,
                        transferred_precision=step.precision if step.on else None,
                        document_kind=DocumentKind.TRACE_REPLY,
                        document_ref=step.document_ref or f"trace request {request_id}",
                        trace_request_id=request_id,
                        **subject,  # type: ignore[arg-type]
                    )
                    added += insert_transfer(conn, spec)
    return added


def close_request(
    engine: Engine,
    request_id: int,
    closed_on: dt.date,
    *,
    reply_offered_on: dt.date | None = None,
    reply_due_on: dt.date | None = None,
    note: str | None = None,
) -> None:
    """Close a request (after the right of reply); the reply dates are kept with it."""
    with write_transaction(engine) as conn:
        request = _request(conn, request_id)
        if request.status == TraceStatus.CLOSED:
            raise ChainError(f"trace request {request_id} is closed already")
        notes = "\n".join(n for n in (request.notes, clean_text(note)) if n) or None
        conn.execute(
            update(TraceRequest)
            .where(TraceRequest.id == request_id)
            .values(
                status=TraceStatus.CLOSED,
                closed_on=closed_on,
                reply_offered_on=reply_offered_on or request.reply_offered_on,
                reply_due_on=reply_due_on or request.reply_due_on,
                notes=notes,
            )
        )


def status_of(request: Any, as_of: dt.date) -> tuple[str, bool]:
    """The status shown (open past its due date: overdue) and whether the answer was late."""
    late_answer = request.answered_on is not None and request.answered_on > request.due_on
    if request.status == TraceStatus.OPEN and as_of > request.due_on:
        return OVERDUE, True
    return str(request.status), late_answer


def list_requests(
    conn: Connection, *, overdue: bool = False, as_of: dt.date | None = None
) -> list[TraceRow]:
    """Every trace request by date sent (only the overdue ones with ``overdue``)."""
    today = as_of or dt.date.today()
    out: list[TraceRow] = []
    for request in conn.execute(_REQUESTS.order_by(TraceRequest.sent_on, TraceRequest.id)):
        status, late = status_of(request, today)
        if overdue and status != OVERDUE:
            continue
        out.append(_row(conn, request, status, late))
    return out


def _row(conn: Connection, request: Any, status: str, late: bool) -> TraceRow:
    if request.party_id is not None:
        recipient = conn.execute(
            select(Party.name).where(Party.id == request.party_id)
        ).scalar_one()
    else:
        recipient = conn.execute(
            select(Manufacturer.name).where(Manufacturer.id == request.recipient_manufacturer_id)
        ).scalar_one()
    components = list(
        conn.scalars(
            select(TraceRequestComponent.component_id)
            .where(TraceRequestComponent.trace_request_id == request.id)
            .order_by(TraceRequestComponent.component_id)
        )
    )
    batch = " ".join(p for p in (request.part_number, request.lot) if p) or None
    transfers = conn.execute(
        select(func.count()).select_from(Transfer).where(Transfer.trace_request_id == request.id)
    ).scalar_one()
    return TraceRow(
        id=request.id,
        recipient=recipient,
        components=components,
        batch=batch,
        sent_on=request.sent_on,
        due_on=request.due_on,
        answered_on=request.answered_on,
        status=status,
        late=late,
        answer=request.answer,
        disclosure_terms=request.disclosure_terms,
        reply_offered_on=request.reply_offered_on,
        reply_due_on=request.reply_due_on,
        transfers=int(transfers),
        notes=request.notes,
    )


def requests_about(
    conn: Connection, component_ids: Sequence[int] | Select[Any], as_of: dt.date
) -> list[TraceRow]:
    """The trace requests about any of these components (ids, or a query of them), by date
    sent."""
    ids = select(TraceRequestComponent.trace_request_id).where(
        TraceRequestComponent.component_id.in_(component_ids)
    )
    query = _REQUESTS.where(TraceRequest.id.in_(ids)).order_by(
        TraceRequest.sent_on, TraceRequest.id
    )
    return [_row(conn, r, *status_of(r, as_of)) for r in conn.execute(query)]
