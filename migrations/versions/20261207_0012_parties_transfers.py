"""The supply chain (issue 16): parties (companies and people that handled a part, with aliases
and identifiers), transfers (the steps of a chain, one row per source: claims kept side by side)
and trace requests (to whom, about which components or batch, sent, due, answered).

New tables only: no table is altered, no view depends on them. Downgrading drops them (and what
they hold).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:26:18.004512
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "name_key",
            sa.String(length=300),
            nullable=False,
            comment="manufacturer_key: legal forms and case ignored",
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "company", "person", name="party_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("country_code", sa.String(length=2), nullable=True, comment="NULL: not known"),
        sa.Column(
            "manufacturer_id", sa.Integer(), nullable=True, comment="the same company as this maker"
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_parties__country_code__countries")
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_parties__manufacturer_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("manufacturer_id", name=op.f("uq_parties__manufacturer_id")),
        sa.UniqueConstraint("name", name=op.f("uq_parties__name")),
        sa.UniqueConstraint("name_key", name=op.f("uq_parties__name_key")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parties__country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "party_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=300), nullable=False),
        sa.Column("alias_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_aliases__party_id__parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_aliases")),
        sa.UniqueConstraint("alias_key", name=op.f("uq_party_aliases__alias_key")),
    )
    with op.batch_alter_table("party_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_aliases__party_id"), ["party_id"], unique=False)

    op.create_table(
        "party_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=40),
            nullable=False,
            comment="registration, tax, lei, opensanctions",
        ),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_identifiers__party_id__parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_identifiers")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_party_identifiers__kind_value")),
    )
    with op.batch_alter_table("party_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_party_identifiers__party_id"), ["party_id"], unique=False
        )

    op.create_table(
        "trace_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("recipient_manufacturer_id", sa.Integer(), nullable=True),
        sa.Column("manufacturer_id", sa.Integer(), nullable=True, comment="a batch's manufacturer"),
        sa.Column(
            "part_number", sa.String(length=200), nullable=True, comment="a batch's part number"
        ),
        sa.Column("lot", sa.String(length=200), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, comment="sent_on + 28 days unless given"),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "declined",
                "closed",
                name="trace_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_evidence_id", sa.Integer(), nullable=True),
        sa.Column("reply_offered_on", sa.Date(), nullable=True, comment="right of reply"),
        sa.Column("reply_due_on", sa.Date(), nullable=True),
        sa.Column("disclosure_terms", sa.Text(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(party_id IS NULL) <> (recipient_manufacturer_id IS NULL)",
            name=op.f("ck_trace_requests__one_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_evidence_id"],
            ["evidence_files.id"],
            name=op.f("fk_trace_requests__answer_evidence_id__evidence_files"),
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_trace_requests__manufacturer_id__manufacturers"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_trace_requests__party_id__parties")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_trace_requests__recipient_manufacturer_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_requests")),
    )
    with op.batch_alter_table("trace_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trace_requests__party_id"), ["party_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_trace_requests__recipient_manufacturer_id"),
            ["recipient_manufacturer_id"],
            unique=False,
        )

    op.create_table(
        "trace_request_components",
        sa.Column("trace_request_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_trace_request_components__component_id__components"),
        ),
        sa.ForeignKeyConstraint(
            ["trace_request_id"],
            ["trace_requests.id"],
            name=op.f("fk_trace_request_components__trace_request_id__trace_requests"),
        ),
        sa.PrimaryKeyConstraint(
            "trace_request_id", "component_id", name=op.f("pk_trace_request_components")
        ),
    )
    with op.batch_alter_table("trace_request_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trace_request_components__component_id"), ["component_id"], unique=False
        )

    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("manufacturer_id", sa.Integer(), nullable=True),
        sa.Column(
            "part_number", sa.String(length=200), nullable=True, comment="a batch's part number"
        ),
        sa.Column("lot", sa.String(length=200), nullable=True, comment="a batch's lot, as written"),
        sa.Column(
            "from_party_id", sa.Integer(), nullable=True, comment="NULL: the seller is not known"
        ),
        sa.Column(
            "from_role",
            sa.Enum(
                "manufacturer",
                "distributor",
                "exporter",
                "importer",
                "shipper",
                "freight_forwarder",
                "end_user",
                "seller",
                "buyer",
                name="from_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("to_party_id", sa.Integer(), nullable=False),
        sa.Column(
            "to_role",
            sa.Enum(
                "manufacturer",
                "distributor",
                "exporter",
                "importer",
                "shipper",
                "freight_forwarder",
                "end_user",
                "seller",
                "buyer",
                name="to_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("transferred_on", sa.Date(), nullable=True, comment="first day of the period"),
        sa.Column(
            "transferred_precision",
            sa.Enum(
                "year",
                "month",
                "week",
                "day",
                name="transferred_precision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column(
            "document_kind",
            sa.Enum(
                "invoice",
                "bill_of_lading",
                "customs_declaration",
                "trace_reply",
                "other",
                name="document_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("document_ref", sa.String(length=300), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "trace_request_id",
            sa.Integer(),
            nullable=True,
            comment="the reply that named this step",
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(transferred_on IS NULL) = (transferred_precision IS NULL)",
            name=op.f("ck_transfers__date_precision"),
        ),
        sa.CheckConstraint(
            "component_id IS NOT NULL OR manufacturer_id IS NOT NULL",
            name=op.f("ck_transfers__component_or_maker"),
        ),
        sa.CheckConstraint(
            "lot IS NULL OR part_number IS NOT NULL",
            name=op.f("ck_transfers__lot_with_part_number"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["components.id"], name=op.f("fk_transfers__component_id__components")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_transfers__country_code__countries")
        ),
        sa.ForeignKeyConstraint(
            ["from_party_id"], ["parties.id"], name=op.f("fk_transfers__from_party_id__parties")
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_transfers__manufacturer_id__manufacturers"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_transfers__source_id__sources")
        ),
        sa.ForeignKeyConstraint(
            ["to_party_id"], ["parties.id"], name=op.f("fk_transfers__to_party_id__parties")
        ),
        sa.ForeignKeyConstraint(
            ["trace_request_id"],
            ["trace_requests.id"],
            name=op.f("fk_transfers__trace_request_id__trace_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfers__component_id"), ["component_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfers__from_party_id"), ["from_party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfers__manufacturer_id"), ["manufacturer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfers__source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transfers__to_party_id"), ["to_party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfers__trace_request_id"), ["trace_request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers__trace_request_id"))
        batch_op.drop_index(batch_op.f("ix_transfers__to_party_id"))
        batch_op.drop_index(batch_op.f("ix_transfers__source_id"))
        batch_op.drop_index(batch_op.f("ix_transfers__manufacturer_id"))
        batch_op.drop_index(batch_op.f("ix_transfers__from_party_id"))
        batch_op.drop_index(batch_op.f("ix_transfers__component_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("trace_request_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trace_request_components__component_id"))

    op.drop_table("trace_request_components")
    with op.batch_alter_table("trace_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trace_requests__recipient_manufacturer_id"))
        batch_op.drop_index(batch_op.f("ix_trace_requests__party_id"))

    op.drop_table("trace_requests")
    with op.batch_alter_table("party_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_identifiers__party_id"))

    op.drop_table("party_identifiers")
    with op.batch_alter_table("party_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_aliases__party_id"))

    op.drop_table("party_aliases")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties__country_code"))

    op.drop_table("parties")
