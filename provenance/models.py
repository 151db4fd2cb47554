"""The schema: weapon systems, recovered specimens, their components, manufacturers, countries,
sources and the load batches that brought every row; the sanctions lists a user loads and the
candidate matches screening finds, customs shipment records and their proposed links to
components (issue 16).

One declarative base with a constraint naming convention, so that constraint names are the same on
SQLite and PostgreSQL and later migrations can drop them by name.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


class Country(Base):
    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True, comment="ISO 3166-1 alpha-2")
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    official_name: Mapped[str | None] = mapped_column(String(200))
    common_name: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), comment="the name reports show")


class CountryAlias(Base):
    """A name researchers write for a country that pycountry lacks (e.g. "UK", "DPRK")."""

    __tablename__ = "country_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200), unique=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)


class LoadBatch(Base):
    """One load of one file: every row it added points here."""

    __tablename__ = "load_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer)
    components_added: Mapped[int] = mapped_column(Integer)
    components_matched: Mapped[int] = mapped_column(Integer)
    citations_added: Mapped[int] = mapped_column(Integer)
    tool_version: Mapped[str] = mapped_column(String(40))
    duplicate_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    rows_rejected: Mapped[int] = mapped_column(
        Integer, server_default="0", comment="bad rows written to a rejects file, not loaded"
    )
    kind: Mapped[str] = mapped_column(
        String(40),
        server_default="findings",
        comment="what the file held: findings, weapon_systems, manufacturers or sources",
    )


class Manufacturer(Base):
    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True, comment="canonical name")
    name_key: Mapped[str] = mapped_column(String(300), unique=True, comment="name for matching")
    country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), index=True, comment="headquarters country"
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"), index=True)

    aliases: Mapped[list[ManufacturerAlias]] = relationship(
        back_populates="manufacturer", lazy="raise"
    )


class ManufacturerAlias(Base):
    __tablename__ = "manufacturer_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    alias: Mapped[str] = mapped_column(String(300))
    alias_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[AliasKind] = mapped_column(
        _enum(AliasKind, "kind"), server_default=AliasKind.ALIAS.value
    )

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="aliases", lazy="raise")


class ManufacturerMerge(Base):
    """A record of one manufacturer merged into another (its components and aliases moved)."""

    __tablename__ = "manufacturer_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(Integer, comment="id the merged manufacturer had")
    merged_name: Mapped[str] = mapped_column(String(300))
    merged_country_code: Mapped[str | None] = mapped_column(String(2))
    merged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    components_moved: Mapped[int] = mapped_column(Integer)
    aliases_moved: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class WeaponSystem(Base):
    __tablename__ = "weapon_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    designation: Mapped[str] = mapped_column(String(200), unique=True)
    designation_key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str | None] = mapped_column(String(100))
    producer_country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"),
        index=True,
        comment="NULL: not known (its parts are then neither foreign nor domestic)",
    )
    description: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"), index=True)


class WeaponSystemAlias(Base):
    __tablename__ = "weapon_system_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_system_id: Mapped[int] = mapped_column(ForeignKey("weapon_systems.id"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200), unique=True)


class WeaponSystemUser(Base):
    """A country known to have used a weapon system (Russia fired North Korean KN-23s)."""

    __tablename__ = "weapon_system_users"

    weapon_system_id: Mapped[int] = mapped_column(ForeignKey("weapon_systems.id"), primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), primary_key=True)


class Specimen(Base):
    """One recovered physical weapon, or its debris."""

    __tablename__ = "specimens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200), unique=True, comment="the finding's own id")
    label_key: Mapped[str] = mapped_column(String(200), unique=True)
    weapon_system_id: Mapped[int] = mapped_column(ForeignKey("weapon_systems.id"), index=True)
    identification_confidence: Mapped[Confidence | None] = mapped_column(
        _enum(Confidence, "identification_confidence")
    )
    recovered_on: Mapped[dt.date | None] = mapped_column(Date)
    recovered_at: Mapped[str | None] = mapped_column(String(300))
    recovered_by: Mapped[str | None] = mapped_column(String(300))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"), index=True)


class Source(Base):
    """Who reported a finding."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("publisher_key", "title_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publisher: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(1000))
    publisher_key: Mapped[str] = mapped_column(String(300))
    title_key: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    published_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "published_precision")
    )
    reliability: Mapped[Reliability | None] = mapped_column(_enum(Reliability, "reliability"))
    notes: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"), index=True)


class Component(Base):
    """A part found in a specimen."""

    __tablename__ = "components"
    __table_args__ = (
        UniqueConstraint("specimen_id", "identity"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(manufactured_on IS NULL) = (manufactured_precision IS NULL)",
            name="manufactured_precision_with_date",
        ),
        Index(None, "made_in_code"),
        # Covers the foreign-origin report: a weapon system's components, by specimen, with
        # their manufacturers, quantities and makers' reported countries, without reading the
        # table (provenance.reports.foreign_parts). Named: the convention's name would pass
        # PostgreSQL's 63 characters.
        Index(
            "ix_components__specimen_id_manufacturer_id_quantity_reported",
            "specimen_id",
            "manufacturer_id",
            "quantity",
            "reported_maker_country_code",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimens.id"))
    identity: Mapped[str] = mapped_column(
        String(32), comment="hash of the fields that make a component the same within a specimen"
    )
    function: Mapped[str] = mapped_column(Text, comment="what the part does")
    part_number: Mapped[str | None] = mapped_column(String(200))
    marking: Mapped[str | None] = mapped_column(Text, comment="the marking as read")
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"),
        index=True,
        comment="NULL: the source could not identify the manufacturer",
    )
    reported_maker_country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"),
        comment="the manufacturer's country as the source reported it for this part",
    )
    made_in_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), comment="country of manufacture, when the marking says so"
    )
    date_code: Mapped[str | None] = mapped_column(String(100), comment="date code as read")
    manufactured_on: Mapped[dt.date | None] = mapped_column(
        Date, comment="first day of the manufacture period"
    )
    manufactured_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "manufactured_precision")
    )
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    hs_code: Mapped[str | None] = mapped_column(String(20))
    hs6: Mapped[str | None] = mapped_column(
        String(6), index=True, comment="the HS code's first six digits, for list look-ups"
    )
    #: The claim reports use: of the citing sources' claims (``Citation.authenticity``), the
    #: most reliable source's, then the latest (provenance.ingest.claims).
    authenticity: Mapped[Authenticity] = mapped_column(
        _enum(Authenticity, "authenticity"), default=Authenticity.UNKNOWN
    )
    notes: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batches.id"), index=True)


class Citation(Base):
    """A source reporting a component; every component cites at least one source.

    A source that numbers its findings (a portal's page per part) gives each citation its own
    record id and the record's address."""

    __tablename__ = "citations"
    __table_args__ = (Index(None, "source_id", "source_record_id"),)

    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True, index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batches.id"), index=True)
    source_record_id: Mapped[str | None] = mapped_column(
        String(200), comment="the source's own id of the finding, e.g. gur-7188"
    )
    source_record_url: Mapped[str | None] = mapped_column(
        String(2000), comment="where the source shows the finding (its page)"
    )
    evidence_url: Mapped[str | None] = mapped_column(
        String(2000), comment="the source's photo or document of the part (never fetched)"
    )
    authenticity: Mapped[Authenticity | None] = mapped_column(
        _enum(Authenticity, "citation_authenticity"),
        comment="what this source says of the part's authenticity (NULL: it says nothing)",
    )
    authenticity_basis: Mapped[str | None] = mapped_column(
        Text, comment="on what the source bases it: engraving style, X-ray, maker's statement"
    )
    made_in_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"),
        comment="the country of manufacture this source states (NULL: it states none)",
    )
    manufactured_on: Mapped[dt.date | None] = mapped_column(
        Date, comment="the manufacture period this source states: its first day"
    )
    manufactured_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "citation_manufactured_precision")
    )


class ChplList(Base):
    """One published version of the Common High Priority List (items Russia seeks for weapons)."""

    __tablename__ = "chpl_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True, comment="e.g. 2024-02-23")
    published_on: Mapped[dt.date] = mapped_column(Date)
    publisher: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2000))
    notes: Mapped[str | None] = mapped_column(Text)


class ChplEntry(Base):
    """An HS-6 code on one version of the list, with its tier."""

    __tablename__ = "chpl_entries"
    __table_args__ = (UniqueConstraint("list_id", "hs6"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("chpl_lists.id"))
    hs6: Mapped[str] = mapped_column(String(6), index=True, comment="six digits, no dots")
    tier: Mapped[str] = mapped_column(String(10), comment="1, 2, 3.A, 3.B, 4.A or 4.B")
    description: Mapped[str | None] = mapped_column(String(500))


class CountryGroup(Base):
    """A group of countries, e.g. the EU, the G7, the countries with export controls on Russia."""

    __tablename__ = "country_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, comment="e.g. eu, g7, coalition")
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text, comment="where the membership dates come from")


class CountryGroupMember(Base):
    """A country's membership of a group over time."""

    __tablename__ = "country_group_members"
    __table_args__ = (UniqueConstraint("group_id", "country_code", "member_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("country_groups.id"))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    member_from: Mapped[dt.date | None] = mapped_column(Date)
    member_until: Mapped[dt.date | None] = mapped_column(Date)
    controls_from: Mapped[dt.date | None] = mapped_column(
        Date, comment="when this member's export controls on Russia took effect"
    )
    note: Mapped[str | None] = mapped_column(Text)


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


# --- sanctions screening (issue 16) -------------------------------------------------------------
# A candidate is keyed by the manufacturer and the OpenSanctions id of the entity, never by an
# entity's row id: a decision stays with its candidate when the screening runs again and when a
# newer list is loaded.


class ScreeningDecision(enum.StrEnum):
    """What a person decided of a candidate match (NULL: not decided yet)."""

    ACCEPTED = "accepted"  # the manufacturer is the listed entity
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
    """A listed entity whose name is like a manufacturer's: found by ``screen run``, decided by a
    person (``screen review``)."""

    __tablename__ = "screening_candidates"
    __table_args__ = (UniqueConstraint("manufacturer_id", "entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
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


# --- customs records (issue 16) -----------------------------------------------------------------
# Shipment rows as a customs data provider gives them (the KSE practice), loaded with
# ``provenance customs load`` (a load batch of kind "customs"), and the links a rule proposes
# between a shipment and a component, for a person to accept or reject. Exporter and importer
# stay text, with their manufacturer keys, so that they can be linked to parties later.


class CustomsLinkStatus(enum.StrEnum):
    """Where a proposed link between a shipment and a component stands."""

    PROPOSED = "proposed"  # a rule matched; nobody has decided yet
    ACCEPTED = "accepted"  # a person agrees: the shipment carried this part
    REJECTED = "rejected"  # a person disagrees


class CustomsShipment(Base):
    """One shipment row of a customs records file."""

    __tablename__ = "customs_shipments"
    __table_args__ = (
        CheckConstraint(
            "(shipped_on IS NULL) = (shipped_precision IS NULL)",
            name="shipped_precision_with_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batches.id"), index=True)
    identity: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="hash of the record id (else of the row's values and its occurrence)",
    )
    record_id: Mapped[str | None] = mapped_column(String(200), comment="the source's record id")
    content: Mapped[str] = mapped_column(
        String(64), comment="hash of the row's values: its record id again with others is an error"
    )
    shipped_on: Mapped[dt.date | None] = mapped_column(Date, comment="first day of the period")
    shipped_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "shipped_precision")
    )
    hs_code: Mapped[str | None] = mapped_column(String(20), comment="digits as declared")
    hs6: Mapped[str | None] = mapped_column(String(6), index=True)
    description: Mapped[str | None] = mapped_column(Text, comment="the goods, as declared")
    brand: Mapped[str | None] = mapped_column(String(300), comment="as declared")
    brand_key: Mapped[str | None] = mapped_column(String(300), comment="manufacturer_key")
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"),
        index=True,
        comment="the brand's manufacturer, by exact key or alias (never a fuzzy guess)",
    )
    part_number: Mapped[str | None] = mapped_column(String(200))
    part_key: Mapped[str | None] = mapped_column(
        String(200), index=True, comment="part number without case, spaces or punctuation"
    )
    part_number_from: Mapped[str | None] = mapped_column(
        String(20), comment="column or description (P/N ... in the text)"
    )
    exporter: Mapped[str | None] = mapped_column(String(500))
    exporter_key: Mapped[str | None] = mapped_column(String(500), index=True)
    importer: Mapped[str | None] = mapped_column(String(500))
    importer_key: Mapped[str | None] = mapped_column(String(500), index=True)
    origin_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), comment="country of origin (NULL: not known)"
    )
    dispatch_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), comment="country of dispatch (NULL: not known)"
    )
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    currency: Mapped[str | None] = mapped_column(String(3), comment="ISO 4217, e.g. USD")
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    source_row: Mapped[int] = mapped_column(Integer, comment="the row of the file it came from")


class CustomsLink(Base):
    """A link a rule proposed between a shipment and a component, and a person's decision."""

    __tablename__ = "customs_links"
    __table_args__ = (UniqueConstraint("shipment_id", "component_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("customs_shipments.id"))
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40), comment="hs-brand-part or hs-brand")
    status: Mapped[CustomsLinkStatus] = mapped_column(
        _enum(CustomsLinkStatus, "customs_link_status"),
        server_default=CustomsLinkStatus.PROPOSED.value,
    )
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
