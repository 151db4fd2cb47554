"""A component's function is text of any length (issue 18: the GUR portal describes a part in up
to 331 characters, past the 300 of ``components.function``, which PostgreSQL enforced and SQLite
did not).

Downgrading refuses a database with a function longer than 300 characters (it says how many).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.errors import ProvenanceError
from provenance.views import views_dropped

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_LENGTH = 300


def upgrade() -> None:
    with (
        views_dropped(op, recreate="0006"),
        op.batch_alter_table("components", schema=None) as batch_op,
    ):
        batch_op.alter_column(
            "function",
            existing_type=sa.String(length=_OLD_LENGTH),
            type_=sa.Text(),
            existing_nullable=False,
            existing_comment="what the part does",
        )


def downgrade() -> None:
    conn = op.get_bind()
    longer = conn.execute(
        sa.text("SELECT COUNT(*) FROM components WHERE LENGTH(function) > :most"),
        {"most": _OLD_LENGTH},
    ).scalar_one()
    if longer:
        raise ProvenanceError(
            f"cannot downgrade below revision 0007: {longer} components have a function longer "
            f"than {_OLD_LENGTH} characters, which revision 0006 cannot hold: export the "
            "database first, then shorten those functions"
        )
    with (
        views_dropped(op, recreate="0006"),
        op.batch_alter_table("components", schema=None) as batch_op,
    ):
        batch_op.alter_column(
            "function",
            existing_type=sa.Text(),
            type_=sa.String(length=_OLD_LENGTH),
            existing_nullable=False,
            existing_comment="what the part does",
        )
