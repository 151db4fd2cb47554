"""Authenticity is a claim (issue 15): each citation keeps what its source says of the part's
authenticity, and on what basis; ``components.authenticity`` is the claim reports use, chosen by
a documented rule (``provenance.ingest.claims``).

Upgrading gives each citation of a component the component's authenticity (when it is not
``unknown``): the claims of its citing sources. Downgrading drops the claims and keeps the chosen
value on the component.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.views import views_dropped

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALUES = ("genuine", "suspected_counterfeit", "counterfeit", "unknown")


def upgrade() -> None:
    with (
        views_dropped(op, recreate="0006"),
        op.batch_alter_table("citations", schema=None) as batch_op,
    ):
        batch_op.add_column(
            sa.Column(
                "authenticity",
                sa.Enum(
                    *_VALUES,
                    name="citation_authenticity",
                    native_enum=False,
                    create_constraint=True,
                    length=21,
                ),
                nullable=True,
                comment="what this source says of the part's authenticity (NULL: it says nothing)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "authenticity_basis",
                sa.Text(),
                nullable=True,
                comment="on what the source bases it: engraving style, X-ray, maker's statement",
            )
        )
    op.execute(
        "UPDATE citations SET authenticity = (SELECT c.authenticity FROM components c"
        " WHERE c.id = citations.component_id AND c.authenticity <> 'unknown')"
    )


def downgrade() -> None:
    with (
        views_dropped(op, recreate="0006"),
        op.batch_alter_table("citations", schema=None) as batch_op,
    ):
        batch_op.drop_constraint(op.f("ck_citations__citation_authenticity"), type_="check")
        batch_op.drop_column("authenticity_basis")
        batch_op.drop_column("authenticity")
