"""Parties are screened too (issue 16), and the chain gets views for BI tools.

``screening_candidates`` gains ``party_id``: a candidate's subject is a manufacturer or a party of
the supply chain, exactly one of them (check ``one_subject``); ``manufacturer_id`` becomes
nullable, and (party, OpenSanctions id) is unique as (manufacturer, id) is. The views are those
of set "0014": ``v_screening_candidates`` adds the party's columns at its end, and new
``v_parties``, ``v_transfers``, ``v_customs_shipments`` and ``v_customs_links`` show the chain and
the customs records.

Downgrading refuses while a party has a candidate (revision 0013 cannot hold one): run
``provenance export`` first, to keep the decisions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.errors import ProvenanceError
from provenance.views import views_dropped

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with (
        views_dropped(op, recreate="0014"),
        op.batch_alter_table("screening_candidates", schema=None) as batch_op,
    ):
        batch_op.add_column(
            sa.Column(
                "party_id",
                sa.Integer(),
                nullable=True,
                comment="NULL: a manufacturer's candidate",
            )
        )
        batch_op.alter_column(
            "manufacturer_id",
            existing_type=sa.Integer(),
            nullable=True,
            comment="NULL: a party's candidate",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_screening_candidates__party_id__parties"),
            "parties",
            ["party_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_screening_candidates__party_id"), ["party_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_screening_candidates__party_id_entity_key"), ["party_id", "entity_key"]
        )
        batch_op.create_check_constraint(
            "one_subject", "(manufacturer_id IS NULL) <> (party_id IS NULL)"
        )


def downgrade() -> None:
    conn = op.get_bind()
    held = conn.execute(
        sa.text("SELECT COUNT(*) FROM screening_candidates WHERE party_id IS NOT NULL")
    ).scalar_one()
    if held:
        raise ProvenanceError(
            f"cannot downgrade below revision 0014: {held} screening candidates are of parties, "
            "which revision 0013 cannot hold: export the database first (provenance export)"
        )
    with (
        views_dropped(op, recreate="0011"),
        op.batch_alter_table("screening_candidates", schema=None) as batch_op,
    ):
        batch_op.drop_constraint(batch_op.f("ck_screening_candidates__one_subject"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_screening_candidates__party_id_entity_key"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_screening_candidates__party_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_screening_candidates__party_id__parties"), type_="foreignkey"
        )
        batch_op.alter_column(
            "manufacturer_id", existing_type=sa.Integer(), nullable=False, comment=None
        )
        batch_op.drop_column("party_id")
