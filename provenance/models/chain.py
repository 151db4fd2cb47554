"""The supply chain (issue 16): parties, transfers, trace requests."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from provenance.models.base import (
    Base,
    DatePrecision,
    _enum,
)

# --- the supply chain (issue 16) ----------------------------------------------------------------
# A party is a company or person that handled a part other than as its maker (a distributor, an
# exporter, a shipper, an end user); its role is said per transfer, not per party. A party may be
# the same company as a manufacturer (``manufacturer_id``): the chain then starts at the maker.
# Transfers are claims, one row per source: a source that contradicts another adds its own row.


class PartyKind(enum.StrEnum):
    COMPANY = "company"
    PERSON = "person"


class PartyRole(enum.StrEnum):
    """What a party was in one transfer."""

    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    EXPORTER = "exporter"
    IMPORTER = "importer"
    SHIPPER = "shipper"
    FREIGHT_FORWARDER = "freight_forwarder"
    END_USER = "end_user"
    SELLER = "seller"
    BUYER = "buyer"


class DocumentKind(enum.StrEnum):
    """The document that shows a transfer."""

    INVOICE = "invoice"
    BILL_OF_LADING = "bill_of_lading"
    CUSTOMS_DECLARATION = "customs_declaration"
    TRACE_REPLY = "trace_reply"  # a company's reply to a trace request
    OTHER = "other"


class TraceStatus(enum.StrEnum):
    """A trace request's stored status; "overdue" is computed (open and past its due date)."""

    OPEN = "open"
    ANSWERED = "answered"
    DECLINED = "declined"
    CLOSED = "closed"


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    name_key: Mapped[str] = mapped_column(
        String(300), unique=True, comment="manufacturer_key: legal forms and case ignored"
    )
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), index=True, comment="NULL: not known"
    )
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), unique=True, comment="the same company as this maker"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PartyAlias(Base):
    __tablename__ = "party_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    alias: Mapped[str] = mapped_column(String(300))
    alias_key: Mapped[str] = mapped_column(String(300), unique=True)


class PartyIdentifier(Base):
    """A registration or tax number, an LEI, an OpenSanctions id: one identifies one party."""

    __tablename__ = "party_identifiers"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), comment="registration, tax, lei, opensanctions")
    value: Mapped[str] = mapped_column(String(200))


class Transfer(Base):
    """One step of a chain, as one source tells it: of one component, of a batch (a part number
    and lot of a manufacturer) or of a manufacturer's product line (the manufacturer only)."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(
            "component_id IS NOT NULL OR manufacturer_id IS NOT NULL", name="component_or_maker"
        ),
        CheckConstraint("lot IS NULL OR part_number IS NOT NULL", name="lot_with_part_number"),
        CheckConstraint(
            "(transferred_on IS NULL) = (transferred_precision IS NULL)", name="date_precision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("components.id"), index=True)
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    part_number: Mapped[str | None] = mapped_column(String(200), comment="a batch's part number")
    lot: Mapped[str | None] = mapped_column(String(200), comment="a batch's lot, as written")
    from_party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id"), index=True, comment="NULL: the seller is not known"
    )
    from_role: Mapped[PartyRole | None] = mapped_column(_enum(PartyRole, "from_role"))
    to_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    to_role: Mapped[PartyRole | None] = mapped_column(_enum(PartyRole, "to_role"))
    transferred_on: Mapped[dt.date | None] = mapped_column(Date, comment="first day of the period")
    transferred_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "transferred_precision")
    )
    place: Mapped[str | None] = mapped_column(String(300))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    document_kind: Mapped[DocumentKind | None] = mapped_column(_enum(DocumentKind, "document_kind"))
    document_ref: Mapped[str | None] = mapped_column(String(300))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    trace_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("trace_requests.id"), index=True, comment="the reply that named this step"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TraceRequest(Base):
    """A request to a company to say where a part went (28 days to answer, then a right of
    reply), about components (``trace_request_components``) or a batch."""

    __tablename__ = "trace_requests"
    __table_args__ = (
        CheckConstraint(
            "(party_id IS NULL) <> (recipient_manufacturer_id IS NULL)", name="one_recipient"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    recipient_manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), index=True
    )
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), comment="a batch's manufacturer"
    )
    part_number: Mapped[str | None] = mapped_column(String(200), comment="a batch's part number")
    lot: Mapped[str | None] = mapped_column(String(200))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, comment="sent_on + 28 days unless given")
    status: Mapped[TraceStatus] = mapped_column(_enum(TraceStatus, "trace_status"))
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    reply_offered_on: Mapped[dt.date | None] = mapped_column(Date, comment="right of reply")
    reply_due_on: Mapped[dt.date | None] = mapped_column(Date)
    disclosure_terms: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class TraceRequestComponent(Base):
    __tablename__ = "trace_request_components"

    trace_request_id: Mapped[int] = mapped_column(ForeignKey("trace_requests.id"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id"), primary_key=True, index=True
    )
