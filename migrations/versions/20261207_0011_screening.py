"""Sanctions screening (issue 16): the lists a user loads (``screening_lists``), their entities
(``screening_entities``) and the candidate matches between manufacturers and entities, with a
person's decision (``screening_candidates``, one per manufacturer and OpenSanctions id).

New tables only: no table is altered. The views are those of set "0011": ``v_screening_candidates``
shows every candidate with its manufacturer, entity, list and decision. Downgrading drops them
(and the decisions they hold).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.views import views_dropped

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with views_dropped(op, recreate="0011"):
        _create_tables()


def _create_tables() -> None:
    op.create_table(
        "screening_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "format",
            sa.String(length=20),
            nullable=False,
            comment="targets.simple.csv (csv) or FollowTheMoney JSON lines (ftm)",
        ),
        sa.Column("datasets", sa.Text(), nullable=True, comment="the datasets it holds, ; between"),
        sa.Column(
            "list_date",
            sa.Date(),
            nullable=True,
            comment="the newest last_change of its entities (NULL: the file says none)",
        ),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_lists")),
        sa.UniqueConstraint("sha256", name=op.f("uq_screening_lists__sha256")),
    )
    op.create_table(
        "screening_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column(
            "entity_id",
            sa.String(length=200),
            nullable=False,
            comment="the OpenSanctions id, e.g. NK-2a5hBmaG3ZQd4vuXnLTa4j",
        ),
        sa.Column(
            "schema",
            sa.String(length=40),
            nullable=False,
            comment="FtM schema: Company, Person, ...",
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=True, comment="; between"),
        sa.Column(
            "countries", sa.Text(), nullable=True, comment="ISO codes, lower case, ; between"
        ),
        sa.Column("identifiers", sa.Text(), nullable=True, comment="; between"),
        sa.Column("datasets", sa.Text(), nullable=True, comment="; between"),
        sa.Column("sanctions", sa.Text(), nullable=True, comment="the sanctions, as the list says"),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["screening_lists.id"],
            name=op.f("fk_screening_entities__list_id__screening_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_entities")),
        sa.UniqueConstraint(
            "list_id", "entity_id", name=op.f("uq_screening_entities__list_id_entity_id")
        ),
    )
    with op.batch_alter_table("screening_entities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_entities__entity_id"), ["entity_id"], unique=False
        )
    op.create_table(
        "screening_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column(
            "entity_key",
            sa.String(length=200),
            nullable=False,
            comment="the entity's OpenSanctions id (kept across lists)",
        ),
        sa.Column(
            "list_id", sa.Integer(), nullable=True, comment="the list the entity was last found in"
        ),
        sa.Column(
            "entity_name", sa.Text(), nullable=False, comment="the entity's name when last found"
        ),
        sa.Column("score", sa.Float(), nullable=False, comment="0-100: name likeness and country"),
        sa.Column(
            "reasons", sa.Text(), nullable=False, comment="why: the names compared, the countries"
        ),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "accepted",
                "rejected",
                name="decision",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=True,
            comment="NULL: open, not decided yet",
        ),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["screening_lists.id"],
            name=op.f("fk_screening_candidates__list_id__screening_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_screening_candidates__manufacturer_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_candidates")),
        sa.UniqueConstraint(
            "manufacturer_id",
            "entity_key",
            name=op.f("uq_screening_candidates__manufacturer_id_entity_key"),
        ),
    )
    with op.batch_alter_table("screening_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_candidates__entity_key"), ["entity_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_candidates__list_id"), ["list_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_candidates__manufacturer_id"),
            ["manufacturer_id"],
            unique=False,
        )


def downgrade() -> None:
    with views_dropped(op, recreate="0010"):
        op.drop_table("screening_candidates")
        op.drop_table("screening_entities")
        op.drop_table("screening_lists")
