"""The declarative base with its constraint naming convention (constraint names are the same
on SQLite and PostgreSQL, and later migrations can drop them by name), the enums the tables
share, and how an enum is stored.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    Enum,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_N_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Authenticity(enum.StrEnum):
    GENUINE = "genuine"
    SUSPECTED_COUNTERFEIT = "suspected_counterfeit"
    COUNTERFEIT = "counterfeit"
    UNKNOWN = "unknown"


class DatePrecision(enum.StrEnum):
    YEAR = "year"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


class Confidence(enum.StrEnum):
    """How sure the identification of a specimen's weapon system is."""

    CONFIRMED = "confirmed"
    LIKELY = "likely"
    POSSIBLE = "possible"


class AliasKind(enum.StrEnum):
    """Why a manufacturer has another name."""

    ALIAS = "alias"  # another way of writing the name (XP POWER LTD)
    FORMER_NAME = "former_name"  # an earlier name of the company
    MERGED = "merged"  # the name of a manufacturer merged into this one


class Reliability(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CustodyEvent(enum.StrEnum):
    """What happened to a piece of evidence (the chain of custody)."""

    CAPTURED = "captured"  # photographed or scanned
    RECEIVED = "received"  # came into the store (``provenance evidence add``, a load)
    COPIED = "copied"  # a copy was made (``provenance export``)
    TRANSFERRED = "transferred"  # handed to someone else
    VERIFIED = "verified"  # its bytes were hashed again (``provenance evidence verify --record``)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """Stored by value as a short string with a named CHECK constraint (no native enum)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda c: [m.value for m in c],
        validate_strings=True,
    )
