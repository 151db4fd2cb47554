"""Initial schema: countries, weapon systems, specimens, components, manufacturers, sources,
citations and load batches.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:22:41.753569
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "countries",
        sa.Column("code", sa.String(length=2), nullable=False, comment="ISO 3166-1 alpha-2"),
        sa.Column("alpha3", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=True),
        sa.Column("common_name", sa.String(length=200), nullable=True),
        sa.Column(
            "display_name", sa.String(length=200), nullable=False, comment="the name reports show"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_countries")),
        sa.UniqueConstraint("alpha3", name=op.f("uq_countries__alpha3")),
    )
    op.create_table(
        "load_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("components_added", sa.Integer(), nullable=False),
        sa.Column("components_matched", sa.Integer(), nullable=False),
        sa.Column("citations_added", sa.Integer(), nullable=False),
        sa.Column("tool_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_batches")),
    )
    with op.batch_alter_table("load_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_load_batches__sha256"), ["sha256"], unique=False)

    op.create_table(
        "country_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("alias_key", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_country_aliases__country_code__countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_aliases")),
        sa.UniqueConstraint("alias_key", name=op.f("uq_country_aliases__alias_key")),
    )
    with op.batch_alter_table("country_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_country_aliases__country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "manufacturers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False, comment="canonical name"),
        sa.Column("name_key", sa.String(length=300), nullable=False, comment="name for matching"),
        sa.Column(
            "country_code", sa.String(length=2), nullable=True, comment="headquarters country"
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_manufacturers__batch_id__load_batches")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_manufacturers__country_code__countries"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["manufacturers.id"],
            name=op.f("fk_manufacturers__parent_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manufacturers")),
        sa.UniqueConstraint("name", name=op.f("uq_manufacturers__name")),
        sa.UniqueConstraint("name_key", name=op.f("uq_manufacturers__name_key")),
    )
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manufacturers__batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_manufacturers__country_code"), ["country_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_manufacturers__parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("publisher_key", sa.String(length=300), nullable=False),
        sa.Column("title_key", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column(
            "published_precision",
            sa.Enum(
                "year",
                "month",
                "week",
                "day",
                name="published_precision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "reliability",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="reliability",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_sources__batch_id__load_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint(
            "publisher_key", "title_key", name=op.f("uq_sources__publisher_key_title_key")
        ),
        sa.UniqueConstraint("url", name=op.f("uq_sources__url")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources__batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "weapon_systems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("designation", sa.String(length=200), nullable=False),
        sa.Column("designation_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("producer_country_code", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["load_batches.id"],
            name=op.f("fk_weapon_systems__batch_id__load_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["producer_country_code"],
            ["countries.code"],
            name=op.f("fk_weapon_systems__producer_country_code__countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weapon_systems")),
        sa.UniqueConstraint("designation", name=op.f("uq_weapon_systems__designation")),
        sa.UniqueConstraint("designation_key", name=op.f("uq_weapon_systems__designation_key")),
    )
    with op.batch_alter_table("weapon_systems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weapon_systems__batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_weapon_systems__producer_country_code"),
            ["producer_country_code"],
            unique=False,
        )

    op.create_table(
        "manufacturer_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=300), nullable=False),
        sa.Column("alias_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_manufacturer_aliases__manufacturer_id__manufacturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manufacturer_aliases")),
        sa.UniqueConstraint("alias_key", name=op.f("uq_manufacturer_aliases__alias_key")),
    )
    with op.batch_alter_table("manufacturer_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manufacturer_aliases__manufacturer_id"),
            ["manufacturer_id"],
            unique=False,
        )

    op.create_table(
        "specimens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False, comment="the finding's own id"),
        sa.Column("label_key", sa.String(length=200), nullable=False),
        sa.Column("weapon_system_id", sa.Integer(), nullable=False),
        sa.Column(
            "identification_confidence",
            sa.Enum(
                "confirmed",
                "likely",
                "possible",
                name="identification_confidence",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("recovered_on", sa.Date(), nullable=True),
        sa.Column("recovered_at", sa.String(length=300), nullable=True),
        sa.Column("recovered_by", sa.String(length=300), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_specimens__batch_id__load_batches")
        ),
        sa.ForeignKeyConstraint(
            ["weapon_system_id"],
            ["weapon_systems.id"],
            name=op.f("fk_specimens__weapon_system_id__weapon_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specimens")),
        sa.UniqueConstraint("label", name=op.f("uq_specimens__label")),
        sa.UniqueConstraint("label_key", name=op.f("uq_specimens__label_key")),
    )
    with op.batch_alter_table("specimens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_specimens__batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_specimens__weapon_system_id"), ["weapon_system_id"], unique=False
        )

    op.create_table(
        "weapon_system_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weapon_system_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("alias_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["weapon_system_id"],
            ["weapon_systems.id"],
            name=op.f("fk_weapon_system_aliases__weapon_system_id__weapon_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weapon_system_aliases")),
        sa.UniqueConstraint("alias_key", name=op.f("uq_weapon_system_aliases__alias_key")),
    )
    with op.batch_alter_table("weapon_system_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weapon_system_aliases__weapon_system_id"),
            ["weapon_system_id"],
            unique=False,
        )

    op.create_table(
        "weapon_system_users",
        sa.Column("weapon_system_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_weapon_system_users__country_code__countries"),
        ),
        sa.ForeignKeyConstraint(
            ["weapon_system_id"],
            ["weapon_systems.id"],
            name=op.f("fk_weapon_system_users__weapon_system_id__weapon_systems"),
        ),
        sa.PrimaryKeyConstraint(
            "weapon_system_id", "country_code", name=op.f("pk_weapon_system_users")
        ),
    )
    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column(
            "identity",
            sa.String(length=32),
            nullable=False,
            comment="hash of the fields that make a component the same within a specimen",
        ),
        sa.Column("function", sa.String(length=300), nullable=False, comment="what the part does"),
        sa.Column("part_number", sa.String(length=200), nullable=True),
        sa.Column("marking", sa.Text(), nullable=True, comment="the marking as read"),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column(
            "made_in_code",
            sa.String(length=2),
            nullable=True,
            comment="country of manufacture, when the marking says so",
        ),
        sa.Column("date_code", sa.String(length=100), nullable=True, comment="date code as read"),
        sa.Column(
            "manufactured_on",
            sa.Date(),
            nullable=True,
            comment="first day of the manufacture period",
        ),
        sa.Column(
            "manufactured_precision",
            sa.Enum(
                "year",
                "month",
                "week",
                "day",
                name="manufactured_precision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.String(length=20), nullable=True),
        sa.Column(
            "authenticity",
            sa.Enum(
                "genuine",
                "suspected_counterfeit",
                "counterfeit",
                "unknown",
                name="authenticity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(manufactured_on IS NULL) = (manufactured_precision IS NULL)",
            name=op.f("ck_components__manufactured_precision_with_date"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_components__quantity_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_components__batch_id__load_batches")
        ),
        sa.ForeignKeyConstraint(
            ["made_in_code"],
            ["countries.code"],
            name=op.f("fk_components__made_in_code__countries"),
        ),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["manufacturers.id"],
            name=op.f("fk_components__manufacturer_id__manufacturers"),
        ),
        sa.ForeignKeyConstraint(
            ["specimen_id"], ["specimens.id"], name=op.f("fk_components__specimen_id__specimens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint(
            "specimen_id", "identity", name=op.f("uq_components__specimen_id_identity")
        ),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_components__batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_components__made_in_code"), ["made_in_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_components__manufacturer_id"), ["manufacturer_id"], unique=False
        )

    op.create_table(
        "citations",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_citations__batch_id__load_batches")
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["components.id"], name=op.f("fk_citations__component_id__components")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_citations__source_id__sources")
        ),
        sa.PrimaryKeyConstraint("component_id", "source_id", name=op.f("pk_citations")),
    )
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citations__batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_citations__source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citations__source_id"))
        batch_op.drop_index(batch_op.f("ix_citations__batch_id"))

    op.drop_table("citations")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components__manufacturer_id"))
        batch_op.drop_index(batch_op.f("ix_components__made_in_code"))
        batch_op.drop_index(batch_op.f("ix_components__batch_id"))

    op.drop_table("components")
    op.drop_table("weapon_system_users")
    with op.batch_alter_table("weapon_system_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weapon_system_aliases__weapon_system_id"))

    op.drop_table("weapon_system_aliases")
    with op.batch_alter_table("specimens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_specimens__weapon_system_id"))
        batch_op.drop_index(batch_op.f("ix_specimens__batch_id"))

    op.drop_table("specimens")
    with op.batch_alter_table("manufacturer_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manufacturer_aliases__manufacturer_id"))

    op.drop_table("manufacturer_aliases")
    with op.batch_alter_table("weapon_systems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weapon_systems__producer_country_code"))
        batch_op.drop_index(batch_op.f("ix_weapon_systems__batch_id"))

    op.drop_table("weapon_systems")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources__batch_id"))

    op.drop_table("sources")
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manufacturers__parent_id"))
        batch_op.drop_index(batch_op.f("ix_manufacturers__country_code"))
        batch_op.drop_index(batch_op.f("ix_manufacturers__batch_id"))

    op.drop_table("manufacturers")
    with op.batch_alter_table("country_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_country_aliases__country_code"))

    op.drop_table("country_aliases")
    with op.batch_alter_table("load_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_load_batches__sha256"))

    op.drop_table("load_batches")
    op.drop_table("countries")
