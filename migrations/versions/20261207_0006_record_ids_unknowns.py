"""Real third-party data (issue 18): a finding keeps its source's record id, unknown stays unknown.

- ``citations`` carry the source's own record id of the finding, the record's address and the
  source's photo of the part (``source_record_id``, ``source_record_url``, ``evidence_url``).
- ``components.manufacturer_id`` may be NULL (the source could not identify the maker), and
  ``components.reported_maker_country_code`` keeps the maker's country as the source reported it
  for the part ("Not identified, China").
- ``weapon_systems.producer_country_code`` may be NULL (a weapon of unknown origin).
- The foreign-origin report's covering index on ``components`` takes the reported country.
- ``load_batches.kind`` says what the file held (findings, or a reference file of weapon
  systems, manufacturers or sources).
- The views are those of set "0006" (``provenance/view_sql/0006``), with ``v_citations``.

- Manufacturers' matching keys lose a legal form written before the name ("ОАО Интеграл" is
  ``интеграл``, "JSC Chip and Dip" ``chip and dip``), and their components' identities follow
  (a key that would then be another manufacturer's is left as it was). Downgrading keeps the
  new keys.

Downgrading refuses a database that holds what revision 0005 cannot: a component without a
manufacturer, or a weapon system without a producer country (it says which, and how many).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:00:00.000000
"""

from __future__ import annotations

import hashlib
import unicodedata
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
            # The foreign-origin report's covering index takes the reported country too.
            batch_op.drop_index("ix_components__specimen_id_manufacturer_id_quantity")
            batch_op.create_index(
                "ix_components__specimen_id_manufacturer_id_quantity_reported",
                ["specimen_id", "manufacturer_id", "quantity", "reported_maker_country_code"],
                unique=False,
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
    _rekey_prefixed_manufacturers()


# Frozen copies, as of this revision, of the prefix legal forms and of the component identity
# (provenance.values.text.PREFIX_LEGAL_FORMS, provenance.values.identity.component_identity).
_PREFIXES = frozenset(
    [
        "оао",
        "ао",
        "зао",
        "пао",
        "ооо",
        "нао",
        "одо",
        "чуп",
        "фгуп",
        "гуп",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "ooo",
        "oao",
        "zao",
        "pao",
    ]
)


def _without_prefix(key: str) -> str:
    tokens = key.split()
    while len(tokens) > 1 and tokens[0] in _PREFIXES:
        tokens = tokens[1:]
    return " ".join(tokens)


def _text_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    return " ".join(text.split()).casefold()


def _identity(parts: Sequence[str | None], maker_key: str) -> str:
    specimen, function, part_number, marking, date_code = parts
    keyed = (specimen or "", function or "", part_number or "", marking or "", maker_key)
    text = "\x1f".join(_text_key(p) for p in (*keyed, date_code or ""))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _rekey_prefixed_manufacturers() -> None:
    conn = op.get_bind()
    taken = {str(k) for (k,) in conn.execute(sa.text("SELECT name_key FROM manufacturers"))}
    taken |= {
        str(k) for (k,) in conn.execute(sa.text("SELECT alias_key FROM manufacturer_aliases"))
    }
    statements = (
        (
            "SELECT id, name_key FROM manufacturers",
            "UPDATE manufacturers SET name_key = :new WHERE id = :id",
        ),
        (
            "SELECT id, alias_key FROM manufacturer_aliases",
            "UPDATE manufacturer_aliases SET alias_key = :new WHERE id = :id",
        ),
    )
    for index, (read, write) in enumerate(statements):
        for row_id, old in conn.execute(sa.text(read)).all():
            new = _without_prefix(str(old))
            if new == old or new in taken:
                continue
            conn.execute(sa.text(write), {"new": new, "id": row_id})
            taken.add(new)
            if index == 0:
                _reidentify(conn, int(row_id), new)


def _reidentify(conn: sa.Connection, maker_id: int, maker_key: str) -> None:
    """The identities of a manufacturer's components, with its new key (a component whose new
    identity another one of its specimen has keeps its old one)."""
    rows = conn.execute(
        sa.text(
            "SELECT c.id, c.specimen_id, s.label_key, c.function, c.part_number, c.marking,"
            " c.date_code FROM components c JOIN specimens s ON s.id = c.specimen_id"
            " WHERE c.manufacturer_id = :m"
        ),
        {"m": maker_id},
    ).all()
    for cid, specimen_id, *parts in rows:
        identity = _identity(parts, maker_key)
        clash = conn.execute(
            sa.text("SELECT 1 FROM components WHERE specimen_id = :s AND identity = :i"),
            {"s": specimen_id, "i": identity},
        ).first()
        if clash is None:
            conn.execute(
                sa.text("UPDATE components SET identity = :i WHERE id = :id"),
                {"i": identity, "id": cid},
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
            batch_op.drop_index("ix_components__specimen_id_manufacturer_id_quantity_reported")
            batch_op.create_index(
                "ix_components__specimen_id_manufacturer_id_quantity",
                ["specimen_id", "manufacturer_id", "quantity"],
                unique=False,
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
