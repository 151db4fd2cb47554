"""Customs records (issue 16): shipment rows loaded from a customs records file
(``customs_shipments``, each from a load batch of kind "customs") and the links a rule proposes
between a shipment and a component, with a person's decision (``customs_links``, one per
shipment and component).

New tables only: no table is altered, no view depends on them. Downgrading drops them (and the
decisions they hold). The parties work (0012) is built in parallel: exporter and importer stay
text here, with their keys; this revision is relinked onto 0012 when both are merged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:25:25.637560
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customs_shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "identity",
            sa.String(length=64),
            nullable=False,
            comment="hash of the record id (else of the row's values and its occurrence)",
        ),
        sa.Column(
            "record_id", sa.String(length=200), nullable=True, comment="the source's record id"
        ),
        sa.Column(
            "content",
            sa.String(length=64),
            nullable=False,
            comment="hash of the row's values: its record id again with others is an error",
        ),
        sa.Column("shipped_on", sa.Date(), nullable=True, comment="first day of the period"),
        sa.Column(
            "shipped_precision",
            sa.Enum(
                "year",
                "month",
                "week",
                "day",
                name="shipped_precision",
                native_enum=False,
                create_constraint=True,
                length=5,
            ),
            nullable=True,
        ),
        sa.Column("hs_code", sa.String(length=20), nullable=True, comment="digits as declared"),
        sa.Column("hs6", sa.String(length=6), nullable=True),
        sa.Column("description", sa.Text(), nullable=True, comment="the goods, as declared"),
        sa.Column("brand", sa.String(length=300), nullable=True, comment="as declared"),
        sa.Column("brand_key", sa.String(length=300), nullable=True, comment="manufacturer_key"),
        sa.Column(
            "manufacturer_id",
            sa.Integer(),
            nullable=True,
            comment="the brand's manufacturer, by exact key or alias (never a fuzzy guess)",
        ),
        sa.Column("part_number", sa.String(length=200), nullable=True),
        sa.Column(
            "part_key",
            sa.String(length=200),
            nullable=True,
            comment="part number without case, spaces or punctuation",
        ),
        sa.Column(
            "part_number_from",
            sa.String(length=20),
            nullable=True,
            comment="column or description (P/N ... in the text)",
        ),
        sa.Column("exporter", sa.String(length=500), nullable=True),
        sa.Column("exporter_key", sa.String(length=500), nullable=True),
        sa.Column("importer", sa.String(length=500), nullable=True),
        sa.Column("importer_key", sa.String(length=500), nullable=True),
        sa.Column(
            "origin_code",
            sa.String(length=2),
            nullable=True,
            comment="country of origin (NULL: not known)",
        ),
        sa.Column(
            "dispatch_code",
            sa.String(length=2),
            nullable=True,
            comment="country of dispatch (NULL: not known)",
        ),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True, comment="ISO 4217, e.g. USD"),
        sa.Column("quantity", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column(
            "source_row", sa.Integer(), nullable=False, comment="the row of the file it came from"
        ),
        sa.CheckConstraint(
            "(shipped_on IS NULL) = (shipped_precision IS NULL)",
            name=op.f("ck_customs_shipments__shipped_precision_with_date"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["load_batches.id"],
            name=op.f("fk_customs_shipments__batch_id__load_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_code"],
            ["countries.code"],
            name=op.f("fk_customs_shipments__dispatch_code__countries"),
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_customs_shipments__manufacturer_id__manufacturers"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_code"],
            ["countries.code"],
            name=op.f("fk_customs_shipments__origin_code__countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_shipments")),
        sa.UniqueConstraint("identity", name=op.f("uq_customs_shipments__identity")),
    )
    with op.batch_alter_table("customs_shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customs_shipments__batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customs_shipments__exporter_key"), ["exporter_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customs_shipments__hs6"), ["hs6"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customs_shipments__importer_key"), ["importer_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customs_shipments__manufacturer_id"), ["manufacturer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customs_shipments__part_key"), ["part_key"], unique=False
        )

    op.create_table(
        "customs_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column(
            "rule", sa.String(length=40), nullable=False, comment="hs-brand-part or hs-brand"
        ),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                name="customs_link_status",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            server_default="proposed",
            nullable=False,
        ),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_customs_links__component_id__components"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["customs_shipments.id"],
            name=op.f("fk_customs_links__shipment_id__customs_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_links")),
        sa.UniqueConstraint(
            "shipment_id", "component_id", name=op.f("uq_customs_links__shipment_id_component_id")
        ),
    )
    with op.batch_alter_table("customs_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customs_links__component_id"), ["component_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("customs_links")
    op.drop_table("customs_shipments")
