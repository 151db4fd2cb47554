"""Real third-party data (issue 18): a finding keeps its source's record id, unknown stays unknown.

- ``citations`` carry the source's own record id of the finding, the record's address and the
  source's photo of the part (``source_record_id``, ``source_record_url``, ``evidence_url``).
- ``components.manufacturer_id`` may be NULL (the source could not identify the maker), and
  ``components.reported_maker_country_code`` keeps the maker's country as the source reported it
  for the part ("Not identified, China").
- ``weapon_systems.producer_country_code`` may be NULL (a weapon of unknown origin).
- ``load_batches.kind`` says what the file held (findings, or a reference file of weapon
  systems, manufacturers or sources).
- The views are those of set "0006" (``provenance/view_sql/0006``), with ``v_citations``.

Downgrading refuses a database that holds what revision 0005 cannot: a component without a
manufacturer, or a weapon system without a producer country (it says which, and how many).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.errors import ProvenanceError
from provenance.views import views_dropped

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with views_dropped(op, recreate="0006"):
        with op.batch_alter_table("citations", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "source_record_id",
                    sa.String(length=200),
                    nullable=True,
                    comment="the source's own id of the finding, e.g. gur-7188",
                )
            )
            batch_op.add_column(
                sa.Column(
                    "source_record_url",
                    sa.String(length=2000),
                    nullable=True,
                    comment="where the source shows the finding (its page)",
                )
            )
            batch_op.add_column(
                sa.Column(
                    "evidence_url",
                    sa.String(length=2000),
                    nullable=True,
                    comment="the source's photo or document of the part (never fetched)",
                )
            )
            batch_op.create_index(
                batch_op.f("ix_citations__source_id_source_record_id"),
                ["source_id", "source_record_id"],
                unique=False,
            )
        with op.batch_alter_table("components", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "reported_maker_country_code",
                    sa.String(length=2),
                    nullable=True,
                    comment="the manufacturer's country as the source reported it for this part",
                )
            )
            batch_op.create_foreign_key(
                batch_op.f("fk_components__reported_maker_country_code__countries"),
                "countries",
                ["reported_maker_country_code"],
                ["code"],
            )
            batch_op.alter_column(
                "manufacturer_id",
                existing_type=sa.Integer(),
                nullable=True,
                comment="NULL: the source could not identify the manufacturer",
            )
        with op.batch_alter_table("weapon_systems", schema=None) as batch_op:
            batch_op.alter_column(
                "producer_country_code",
                existing_type=sa.String(length=2),
                nullable=True,
                comment="NULL: not known (its parts are then neither foreign nor domestic)",
            )
        with op.batch_alter_table("load_batches", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "kind",
                    sa.String(length=40),
                    server_default="findings",
                    nullable=False,
                    comment=(
                        "what the file held: findings, weapon_systems, manufacturers or sources"
                    ),
                )
            )


def _refuse_unknowns() -> None:
    conn = op.get_bind()
    makers = conn.execute(
        sa.text("SELECT COUNT(*) FROM components WHERE manufacturer_id IS NULL")
    ).scalar_one()
    weapons = [
        str(name)
        for (name,) in conn.execute(
            sa.text(
                "SELECT designation FROM weapon_systems WHERE producer_country_code IS NULL"
                " ORDER BY designation"
            )
        )
    ]
    problems = []
    if makers:
        problems.append(f"{makers} components have no manufacturer (not identified)")
    if weapons:
        shown = ", ".join(weapons[:5]) + (", ..." if len(weapons) > 5 else "")
        problems.append(f"{len(weapons)} weapon systems have no producer country ({shown})")
    if problems:
        raise ProvenanceError(
            "cannot downgrade below revision 0006: "
            + "; ".join(problems)
            + ". Revision 0005 requires both: export the database first, then delete or "
            "complete those rows"
        )


def downgrade() -> None:
    _refuse_unknowns()
    with views_dropped(op, recreate="0004"):
        with op.batch_alter_table("load_batches", schema=None) as batch_op:
            batch_op.drop_column("kind")
        with op.batch_alter_table("weapon_systems", schema=None) as batch_op:
            batch_op.alter_column(
                "producer_country_code",
                existing_type=sa.String(length=2),
                nullable=False,
                comment=None,
            )
        with op.batch_alter_table("components", schema=None) as batch_op:
            batch_op.alter_column(
                "manufacturer_id", existing_type=sa.Integer(), nullable=False, comment=None
            )
            batch_op.drop_constraint(
                batch_op.f("fk_components__reported_maker_country_code__countries"),
                type_="foreignkey",
            )
            batch_op.drop_column("reported_maker_country_code")
        with op.batch_alter_table("citations", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_citations__source_id_source_record_id"))
            batch_op.drop_column("evidence_url")
            batch_op.drop_column("source_record_url")
            batch_op.drop_column("source_record_id")
