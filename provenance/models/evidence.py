"""Evidence files (issue 15): photos and documents stored by content, what each shows, and
the append-only chain of custody.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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
    CustodyEvent,
    _enum,
)


class EvidenceFile(Base):
    """A photo or document, stored by its content (``provenance.evidence``): the same bytes are
    one file, however often and under whatever names they are added."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, comment="hex; the store's key")
    sha1: Mapped[str] = mapped_column(String(40), comment="hex, as FollowTheMoney names files")
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100), comment="sniffed from the bytes")
    original_name: Mapped[str] = mapped_column(String(1000), comment="the name first added")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[str | None] = mapped_column(
        String(19),
        comment="EXIF time the photo was taken, YYYY-MM-DD HH:MM:SS, camera's local time, no zone",
    )
    camera: Mapped[str | None] = mapped_column(String(300), comment="EXIF make and model")
    gps_latitude: Mapped[float | None] = mapped_column(Float, comment="EXIF, decimal degrees")
    gps_longitude: Mapped[float | None] = mapped_column(Float, comment="EXIF, decimal degrees")
    width: Mapped[int | None] = mapped_column(Integer, comment="pixels, for images")
    height: Mapped[int | None] = mapped_column(Integer, comment="pixels, for images")
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("load_batches.id"), index=True, comment="the load that added it, if any"
    )


class EvidenceLink(Base):
    """What a piece of evidence shows: one component or one specimen, with a caption."""

    __tablename__ = "evidence_links"
    __table_args__ = (
        UniqueConstraint("evidence_id", "component_id"),
        UniqueConstraint("evidence_id", "specimen_id"),
        CheckConstraint(
            "(component_id IS NULL) <> (specimen_id IS NULL)", name="component_or_specimen"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))
    component_id: Mapped[int | None] = mapped_column(ForeignKey("components.id"), index=True)
    specimen_id: Mapped[int | None] = mapped_column(ForeignKey("specimens.id"), index=True)
    caption: Mapped[str | None] = mapped_column(Text)
    taken_by: Mapped[str | None] = mapped_column(String(300), comment="who took the photo")
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id"), index=True, comment="the source that published it, if any"
    )
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"), index=True)


class CustodyRecord(Base):
    """One event in a piece of evidence's chain of custody. Append-only: the migration adds
    triggers that refuse UPDATE and DELETE on both databases."""

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"), index=True)
    event: Mapped[CustodyEvent] = mapped_column(_enum(CustodyEvent, "custody_event"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(300), comment="who (NULL: not recorded)")
    place: Mapped[str | None] = mapped_column(String(300))
    sha256_seen: Mapped[str | None] = mapped_column(
        String(64), comment="the hash of the bytes at that moment (NULL: the file was missing)"
    )
    note: Mapped[str | None] = mapped_column(Text)
