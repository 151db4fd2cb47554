"""Bringing a database to this version of provenance: the schema (Alembic, ``provenance.migrate``)
and then the reference data the schema's head expects (countries, the CHPL, country groups)."""

from __future__ import annotations

from sqlalchemy import Engine

from provenance.db import write_transaction
from provenance.migrate import current_revision, head_revision, upgrade_schema
from provenance.reference.sync import sync_countries, sync_reference_lists


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema, or bring it up to ``revision``; the reference data is kept in step."""
    upgrade_schema(engine, revision)
    # Whether ``revision`` said "head", "+1" or a revision id: once the schema is at head.
    if current_revision(engine) == head_revision():
        with write_transaction(engine) as conn:
            sync_countries(conn)
            sync_reference_lists(conn)
