"""Views for BI tools and SQL: v_components, v_foreign_parts_by_weapon, v_foreign_share_by_weapon,
v_manufacturers, v_sources (documented in docs/views.md).

The SQL is the set of definitions versioned "0004" in provenance/views.py: frozen, so this
revision creates the same views whatever later revisions change. On PostgreSQL, a role made with
`provenance db grant-readonly` can read views created later through its default privileges.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from provenance.views import create_views, drop_views

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_views(op.get_bind(), "0004")


def downgrade() -> None:
    drop_views(op.get_bind(), "0004")
