"""Sanctions screening (issue 16): the lists a user loads, their entities, and candidate
matches with a person's decision.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from provenance.models.base import (
    Base,
    _enum,
)

# --- sanctions screening (issue 16) -------------------------------------------------------------
# A candidate is keyed by its subject (a manufacturer, or a party of the supply chain) and the
# OpenSanctions id of the entity, never by an entity's row id: a decision stays with its candidate
# when the screening runs again and when a newer list is loaded.


class ScreeningDecision(enum.StrEnum):
    """What a person decided of a candidate match (NULL: not decided yet)."""

    ACCEPTED = "accepted"  # the manufacturer (or party) is the listed entity
    REJECTED = "rejected"  # a name alike, another company


class ScreeningList(Base):
    """One sanctions list file as the user downloaded it (an OpenSanctions export)."""

    __tablename__ = "screening_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(
        String(20), comment="targets.simple.csv (csv) or FollowTheMoney JSON lines (ftm)"
    )
    datasets: Mapped[str | None] = mapped_column(Text, comment="the datasets it holds, ; between")
    list_date: Mapped[dt.date | None] = mapped_column(
        Date, comment="the newest last_change of its entities (NULL: the file says none)"
    )
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    entity_count: Mapped[int] = mapped_column(Integer)


class ScreeningEntity(Base):
    """A company, organisation or person on a loaded list, as the list describes it."""

    __tablename__ = "screening_entities"
    __table_args__ = (UniqueConstraint("list_id", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("screening_lists.id"))
    entity_id: Mapped[str] = mapped_column(
        String(200), index=True, comment="the OpenSanctions id, e.g. NK-2a5hBmaG3ZQd4vuXnLTa4j"
    )
    schema: Mapped[str] = mapped_column(String(40), comment="FtM schema: Company, Person, ...")
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[str | None] = mapped_column(Text, comment="; between")
    countries: Mapped[str | None] = mapped_column(Text, comment="ISO codes, lower case, ; between")
    identifiers: Mapped[str | None] = mapped_column(Text, comment="; between")
    datasets: Mapped[str | None] = mapped_column(Text, comment="; between")
    sanctions: Mapped[str | None] = mapped_column(Text, comment="the sanctions, as the list says")


class ScreeningCandidate(Base):
    """A listed entity whose name is like a manufacturer's or a party's: found by ``screen run``,
    decided by a person (``screen review``). One of ``manufacturer_id`` and ``party_id`` is set."""

    __tablename__ = "screening_candidates"
    __table_args__ = (
        UniqueConstraint("manufacturer_id", "entity_key"),
        UniqueConstraint("party_id", "entity_key"),
        CheckConstraint("(manufacturer_id IS NULL) <> (party_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), index=True, comment="NULL: a party's candidate"
    )
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id"), index=True, comment="NULL: a manufacturer's candidate"
    )
    entity_key: Mapped[str] = mapped_column(
        String(200), index=True, comment="the entity's OpenSanctions id (kept across lists)"
    )
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("screening_lists.id"),
        index=True,
        comment="the list the entity was last found in",
    )
    entity_name: Mapped[str] = mapped_column(Text, comment="the entity's name when last found")
    score: Mapped[float] = mapped_column(Float, comment="0-100: name likeness and country")
    reasons: Mapped[str] = mapped_column(Text, comment="why: the names compared, the countries")
    found_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[ScreeningDecision | None] = mapped_column(
        _enum(ScreeningDecision, "decision"), comment="NULL: open, not decided yet"
    )
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
