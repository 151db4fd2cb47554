"""Evidence files (issue 15): photos and documents stored by their content, what each shows (a
component or a specimen), and an append-only chain of custody. The views are those of set
"0010": ``v_evidence`` lists stored files and the remote references sources gave.

``custody_events`` refuses UPDATE and DELETE (a trigger on each database): the chain of custody
is only ever added to. Downgrading drops the three tables (the files in the store are left
where they are).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.views import views_dropped

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENTS = ("captured", "received", "copied", "transferred", "verified")
_MESSAGE = "custody_events is append-only: its rows are never changed or deleted"


def upgrade() -> None:
    with views_dropped(op, recreate="0010"):
        _create_tables()
        _append_only()


def _create_tables() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="hex; the store's key"),
        sa.Column(
            "sha1",
            sa.String(length=40),
            nullable=False,
            comment="hex, as FollowTheMoney names files",
        ),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "media_type", sa.String(length=100), nullable=False, comment="sniffed from the bytes"
        ),
        sa.Column(
            "original_name",
            sa.String(length=1000),
            nullable=False,
            comment="the name first added",
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "taken_at",
            sa.String(length=19),
            nullable=True,
            comment="EXIF time the photo was taken, YYYY-MM-DD HH:MM:SS, camera's local time, "
            "no zone",
        ),
        sa.Column("camera", sa.String(length=300), nullable=True, comment="EXIF make and model"),
        sa.Column("gps_latitude", sa.Float(), nullable=True, comment="EXIF, decimal degrees"),
        sa.Column("gps_longitude", sa.Float(), nullable=True, comment="EXIF, decimal degrees"),
        sa.Column("width", sa.Integer(), nullable=True, comment="pixels, for images"),
        sa.Column("height", sa.Integer(), nullable=True, comment="pixels, for images"),
        sa.Column(
            "batch_id", sa.Integer(), nullable=True, comment="the load that added it, if any"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["load_batches.id"],
            name=op.f("fk_evidence_files__batch_id__load_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_evidence_files__sha256")),
    )
    op.create_index(op.f("ix_evidence_files__batch_id"), "evidence_files", ["batch_id"])
    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                *_EVENTS,
                name="custody_event",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor", sa.String(length=300), nullable=True, comment="who (NULL: not recorded)"
        ),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column(
            "sha256_seen",
            sa.String(length=64),
            nullable=True,
            comment="the hash of the bytes at that moment (NULL: the file was missing)",
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_files.id"],
            name=op.f("fk_custody_events__evidence_id__evidence_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
    )
    op.create_index(op.f("ix_custody_events__evidence_id"), "custody_events", ["evidence_id"])
    op.create_table(
        "evidence_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("specimen_id", sa.Integer(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("taken_by", sa.String(length=300), nullable=True, comment="who took the photo"),
        sa.Column(
            "source_id",
            sa.Integer(),
            nullable=True,
            comment="the source that published it, if any",
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(component_id IS NULL) <> (specimen_id IS NULL)",
            name=op.f("ck_evidence_links__component_or_specimen"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["load_batches.id"],
            name=op.f("fk_evidence_links__batch_id__load_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_evidence_links__component_id__components"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_files.id"],
            name=op.f("fk_evidence_links__evidence_id__evidence_files"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_evidence_links__source_id__sources")
        ),
        sa.ForeignKeyConstraint(
            ["specimen_id"],
            ["specimens.id"],
            name=op.f("fk_evidence_links__specimen_id__specimens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_links")),
        sa.UniqueConstraint(
            "evidence_id",
            "component_id",
            name=op.f("uq_evidence_links__evidence_id_component_id"),
        ),
        sa.UniqueConstraint(
            "evidence_id",
            "specimen_id",
            name=op.f("uq_evidence_links__evidence_id_specimen_id"),
        ),
    )
    for column in ("batch_id", "component_id", "source_id", "specimen_id"):
        op.create_index(op.f(f"ix_evidence_links__{column}"), "evidence_links", [column])


def _append_only() -> None:
    """Triggers that refuse UPDATE and DELETE on custody_events."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER custody_events_no_{action.lower()} BEFORE {action}"
                f" ON custody_events BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION custody_events_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON custody_events"
        " FOR EACH ROW EXECUTE FUNCTION custody_events_append_only()"
    )


def downgrade() -> None:
    with views_dropped(op, recreate="0009"):
        if op.get_bind().dialect.name != "sqlite":
            op.execute("DROP TRIGGER custody_events_append_only ON custody_events")
            op.execute("DROP FUNCTION custody_events_append_only()")
        # SQLite drops a table's triggers with it.
        op.drop_table("evidence_links")
        op.drop_table("custody_events")
        op.drop_table("evidence_files")
