"""A covering index for the foreign-origin report: components by specimen, with their
manufacturer and quantity (issue 7).

Only an index is added: no table is copied, so the views stay as revision 0004 made them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_components__specimen_id_manufacturer_id_quantity"),
            ["specimen_id", "manufacturer_id", "quantity"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components__specimen_id_manufacturer_id_quantity"))
