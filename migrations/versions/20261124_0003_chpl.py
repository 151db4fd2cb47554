"""Reference tables for the Common High Priority List (versioned) and country groups with
membership dates; components get the six-digit HS code that list look-ups join on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 20:41:17.428921
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chpl_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False, comment="e.g. 2024-02-23"),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chpl_lists")),
        sa.UniqueConstraint("version", name=op.f("uq_chpl_lists__version")),
    )
    op.create_table(
        "country_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False, comment="e.g. eu, g7, coalition"),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "basis", sa.Text(), nullable=True, comment="where the membership dates come from"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_country_groups__code")),
    )
    op.create_table(
        "chpl_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("hs6", sa.String(length=6), nullable=False, comment="six digits, no dots"),
        sa.Column(
            "tier", sa.String(length=10), nullable=False, comment="1, 2, 3.A, 3.B, 4.A or 4.B"
        ),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"], ["chpl_lists.id"], name=op.f("fk_chpl_entries__list_id__chpl_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chpl_entries")),
        sa.UniqueConstraint("list_id", "hs6", name=op.f("uq_chpl_entries__list_id_hs6")),
    )
    with op.batch_alter_table("chpl_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chpl_entries__hs6"), ["hs6"], unique=False)

    op.create_table(
        "country_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("member_from", sa.Date(), nullable=True),
        sa.Column("member_until", sa.Date(), nullable=True),
        sa.Column(
            "controls_from",
            sa.Date(),
            nullable=True,
            comment="when this member's export controls on Russia took effect",
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_country_group_members__country_code__countries"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["country_groups.id"],
            name=op.f("fk_country_group_members__group_id__country_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_group_members")),
        sa.UniqueConstraint(
            "group_id",
            "country_code",
            "member_from",
            name=op.f("uq_country_group_members__group_id_country_code_member_from"),
        ),
    )
    with op.batch_alter_table("country_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_country_group_members__country_code"), ["country_code"], unique=False
        )

    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hs6",
                sa.String(length=6),
                nullable=True,
                comment="the HS code's first six digits, for list look-ups",
            )
        )
        batch_op.create_index(batch_op.f("ix_components__hs6"), ["hs6"], unique=False)

    # Existing components: the first six digits of the HS code as written (8504.40 -> 850440).
    op.execute(
        "UPDATE components"
        " SET hs6 = substr(replace(replace(hs_code, '.', ''), ' ', ''), 1, 6)"
        " WHERE length(replace(replace(hs_code, '.', ''), ' ', '')) >= 6"
    )


def downgrade() -> None:
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components__hs6"))
        batch_op.drop_column("hs6")

    with op.batch_alter_table("country_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_country_group_members__country_code"))

    op.drop_table("country_group_members")
    with op.batch_alter_table("chpl_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chpl_entries__hs6"))

    op.drop_table("chpl_entries")
    op.drop_table("country_groups")
    op.drop_table("chpl_lists")
