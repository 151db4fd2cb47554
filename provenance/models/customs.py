"""Customs records (issue 16): shipment rows and the links a rule proposes to components."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
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

# --- customs records (issue 16) -----------------------------------------------------------------
# Shipment rows as a customs data provider gives them (the KSE practice), loaded with
# ``provenance customs load`` (a load batch of kind "customs"), and the links a rule proposes
# between a shipment and a component, for a person to accept or reject. Exporter and importer
# stay text, with their manufacturer keys, so that they can be linked to parties later.


class CustomsLinkStatus(enum.StrEnum):
    """Where a proposed link between a shipment and a component stands."""

    PROPOSED = "proposed"  # a rule matched; nobody has decided yet
    ACCEPTED = "accepted"  # a person agrees: the shipment carried this part
    REJECTED = "rejected"  # a person disagrees


class CustomsShipment(Base):
    """One shipment row of a customs records file."""

    __tablename__ = "customs_shipments"
    __table_args__ = (
        CheckConstraint(
            "(shipped_on IS NULL) = (shipped_precision IS NULL)",
            name="shipped_precision_with_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batches.id"), index=True)
    identity: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="hash of the record id (else of the row's values and its occurrence)",
    )
    record_id: Mapped[str | None] = mapped_column(String(200), comment="the source's record id")
    content: Mapped[str] = mapped_column(
        String(64), comment="hash of the row's values: its record id again with others is an error"
    )
    shipped_on: Mapped[dt.date | None] = mapped_column(Date, comment="first day of the period")
    shipped_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "shipped_precision")
    )
    hs_code: Mapped[str | None] = mapped_column(String(20), comment="digits as declared")
    hs6: Mapped[str | None] = mapped_column(String(6), index=True)
    description: Mapped[str | None] = mapped_column(Text, comment="the goods, as declared")
    brand: Mapped[str | None] = mapped_column(String(300), comment="as declared")
    brand_key: Mapped[str | None] = mapped_column(String(300), comment="manufacturer_key")
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"),
        index=True,
        comment="the brand's manufacturer, by exact key or alias (never a fuzzy guess)",
    )
    part_number: Mapped[str | None] = mapped_column(String(200))
    part_key: Mapped[str | None] = mapped_column(
        String(200), index=True, comment="part number without case, spaces or punctuation"
    )
    part_number_from: Mapped[str | None] = mapped_column(
        String(20), comment="column or description (P/N ... in the text)"
    )
    exporter: Mapped[str | None] = mapped_column(String(500))
    exporter_key: Mapped[str | None] = mapped_column(String(500), index=True)
    importer: Mapped[str | None] = mapped_column(String(500))
    importer_key: Mapped[str | None] = mapped_column(String(500), index=True)
    origin_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), comment="country of origin (NULL: not known)"
    )
    dispatch_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), comment="country of dispatch (NULL: not known)"
    )
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    currency: Mapped[str | None] = mapped_column(String(3), comment="ISO 4217, e.g. USD")
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    source_row: Mapped[int] = mapped_column(Integer, comment="the row of the file it came from")


class CustomsLink(Base):
    """A link a rule proposed between a shipment and a component, and a person's decision."""

    __tablename__ = "customs_links"
    __table_args__ = (UniqueConstraint("shipment_id", "component_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("customs_shipments.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40), comment="hs-brand-part or hs-brand")
    status: Mapped[CustomsLinkStatus] = mapped_column(
        _enum(CustomsLinkStatus, "customs_link_status"),
        server_default=CustomsLinkStatus.PROPOSED.value,
    )
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
