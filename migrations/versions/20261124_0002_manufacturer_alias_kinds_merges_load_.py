"""Manufacturer alias kinds (alias, former name, merged), the manufacturer merge record, and
load batch counts of duplicate and rejected rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:39:36.615136
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "manufacturer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column(
            "merged_id", sa.Integer(), nullable=False, comment="id the merged manufacturer had"
        ),
        sa.Column("merged_name", sa.String(length=300), nullable=False),
        sa.Column("merged_country_code", sa.String(length=2), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("components_moved", sa.Integer(), nullable=False),
        sa.Column("aliases_moved", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_id"],
            ["manufacturers.id"],
            name=op.f("fk_manufacturer_merges__kept_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manufacturer_merges")),
    )
    with op.batch_alter_table("manufacturer_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manufacturer_merges__kept_id"), ["kept_id"], unique=False
        )

    with op.batch_alter_table("load_batches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("duplicate_rows", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "rows_rejected",
                sa.Integer(),
                server_default="0",
                nullable=False,
                comment="bad rows written to a rejects file, not loaded",
            )
        )

    with op.batch_alter_table("manufacturer_aliases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "alias",
                    "former_name",
                    "merged",
                    name="kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="alias",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("manufacturer_aliases", schema=None) as batch_op:
        # The enum's CHECK constraint would outlive its column in SQLite's table copy.
        batch_op.drop_constraint(op.f("ck_manufacturer_aliases__kind"), type_="check")
        batch_op.drop_column("kind")

    with op.batch_alter_table("load_batches", schema=None) as batch_op:
        batch_op.drop_column("rows_rejected")
        batch_op.drop_column("duplicate_rows")

    with op.batch_alter_table("manufacturer_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manufacturer_merges__kept_id"))

    op.drop_table("manufacturer_merges")
