"""What each source states of a part's country of manufacture and manufacture date (issue 15):
kept on its citation, side by side with the other sources' statements; the component's values
are those the rule of ``provenance.claims`` chooses (most reliable source, then the latest).
The views are those of set "0009": ``v_citations`` shows each source's statements.

Upgrading gives each citation its component's values (the statements of its citing sources, as
far as the database knew them). Downgrading drops the statements and keeps the chosen values.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.views import views_dropped

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRECISIONS = ("year", "month", "week", "day")


def upgrade() -> None:
    with (
        views_dropped(op, recreate="0009"),
        op.batch_alter_table("citations", schema=None) as batch_op,
    ):
        batch_op.add_column(
            sa.Column(
                "made_in_code",
                sa.String(length=2),
                nullable=True,
                comment="the country of manufacture this source states (NULL: it states none)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "manufactured_on",
                sa.Date(),
                nullable=True,
                comment="the manufacture period this source states: its first day",
            )
        )
        batch_op.add_column(
            sa.Column(
                "manufactured_precision",
                sa.Enum(
                    *_PRECISIONS,
                    name="citation_manufactured_precision",
                    native_enum=False,
                    create_constraint=True,
                    length=5,
                ),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_citations__made_in_code__countries"),
            "countries",
            ["made_in_code"],
            ["code"],
        )
    op.execute(
        "UPDATE citations SET"
        " made_in_code = (SELECT c.made_in_code FROM components c"
        " WHERE c.id = citations.component_id),"
        " manufactured_on = (SELECT c.manufactured_on FROM components c"
        " WHERE c.id = citations.component_id),"
        " manufactured_precision = (SELECT c.manufactured_precision FROM components c"
        " WHERE c.id = citations.component_id)"
    )


def downgrade() -> None:
    with (
        views_dropped(op, recreate="0006"),
        op.batch_alter_table("citations", schema=None) as batch_op,
    ):
        batch_op.drop_constraint(
            batch_op.f("fk_citations__made_in_code__countries"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("ck_citations__citation_manufactured_precision"), type_="check"
        )
        batch_op.drop_column("manufactured_precision")
        batch_op.drop_column("manufactured_on")
        batch_op.drop_column("made_in_code")
