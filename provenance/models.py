"""The schema: weapon systems, recovered specimens, their components, manufacturers, countries,
sources and the load batches that brought every row; the sanctions lists a user loads and the
candidate matches screening finds (issue 16).

One declarative base with a constraint naming convention, so that constraint names are the same on
SQLite and PostgreSQL and later migrations can drop them by name.
"""

from __future__ import annotations

import datetime as dt
import enum

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


# --- the supply chain (issue 16) ----------------------------------------------------------------
# A party is a company or person that handled a part other than as its maker (a distributor, an
# exporter, a shipper, an end user); its role is said per transfer, not per party. A party may be
# the same company as a manufacturer (``manufacturer_id``): the chain then starts at the maker.
# Transfers are claims, one row per source: a source that contradicts another adds its own row.


class PartyKind(enum.StrEnum):
    COMPANY = "company"
    PERSON = "person"


class PartyRole(enum.StrEnum):
    """What a party was in one transfer."""

    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    EXPORTER = "exporter"
    IMPORTER = "importer"
    SHIPPER = "shipper"
    FREIGHT_FORWARDER = "freight_forwarder"
    END_USER = "end_user"
    SELLER = "seller"
    BUYER = "buyer"


class DocumentKind(enum.StrEnum):
    """The document that shows a transfer."""

    INVOICE = "invoice"
    BILL_OF_LADING = "bill_of_lading"
    CUSTOMS_DECLARATION = "customs_declaration"
    TRACE_REPLY = "trace_reply"  # a company's reply to a trace request
    OTHER = "other"


class TraceStatus(enum.StrEnum):
    """A trace request's stored status; "overdue" is computed (open and past its due date)."""

    OPEN = "open"
    ANSWERED = "answered"
    DECLINED = "declined"
    CLOSED = "closed"


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    name_key: Mapped[str] = mapped_column(
        String(300), unique=True, comment="manufacturer_key: legal forms and case ignored"
    )
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    country_code: Mapped[str | None] = mapped_column(
        ForeignKey("countries.code"), index=True, comment="NULL: not known"
    )
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), unique=True, comment="the same company as this maker"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PartyAlias(Base):
    __tablename__ = "party_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    alias: Mapped[str] = mapped_column(String(300))
    alias_key: Mapped[str] = mapped_column(String(300), unique=True)


class PartyIdentifier(Base):
    """A registration or tax number, an LEI, an OpenSanctions id: one identifies one party."""

    __tablename__ = "party_identifiers"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), comment="registration, tax, lei, opensanctions")
    value: Mapped[str] = mapped_column(String(200))


class Transfer(Base):
    """One step of a chain, as one source tells it: of one component, of a batch (a part number
    and lot of a manufacturer) or of a manufacturer's product line (the manufacturer only)."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(
            "component_id IS NOT NULL OR manufacturer_id IS NOT NULL", name="component_or_maker"
        ),
        CheckConstraint("lot IS NULL OR part_number IS NOT NULL", name="lot_with_part_number"),
        CheckConstraint(
            "(transferred_on IS NULL) = (transferred_precision IS NULL)", name="date_precision"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("components.id"), index=True)
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    part_number: Mapped[str | None] = mapped_column(String(200), comment="a batch's part number")
    lot: Mapped[str | None] = mapped_column(String(200), comment="a batch's lot, as written")
    from_party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id"), index=True, comment="NULL: the seller is not known"
    )
    from_role: Mapped[PartyRole | None] = mapped_column(_enum(PartyRole, "from_role"))
    to_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    to_role: Mapped[PartyRole | None] = mapped_column(_enum(PartyRole, "to_role"))
    transferred_on: Mapped[dt.date | None] = mapped_column(Date, comment="first day of the period")
    transferred_precision: Mapped[DatePrecision | None] = mapped_column(
        _enum(DatePrecision, "transferred_precision")
    )
    place: Mapped[str | None] = mapped_column(String(300))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    document_kind: Mapped[DocumentKind | None] = mapped_column(_enum(DocumentKind, "document_kind"))
    document_ref: Mapped[str | None] = mapped_column(String(300))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    trace_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("trace_requests.id"), index=True, comment="the reply that named this step"
    )
    notes: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TraceRequest(Base):
    """A request to a company to say where a part went (28 days to answer, then a right of
    reply), about components (``trace_request_components``) or a batch."""

    __tablename__ = "trace_requests"
    __table_args__ = (
        CheckConstraint(
            "(party_id IS NULL) <> (recipient_manufacturer_id IS NULL)", name="one_recipient"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    recipient_manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), index=True
    )
    manufacturer_id: Mapped[int | None] = mapped_column(
        ForeignKey("manufacturers.id"), comment="a batch's manufacturer"
    )
    part_number: Mapped[str | None] = mapped_column(String(200), comment="a batch's part number")
    lot: Mapped[str | None] = mapped_column(String(200))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, comment="sent_on + 28 days unless given")
    status: Mapped[TraceStatus] = mapped_column(_enum(TraceStatus, "trace_status"))
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    reply_offered_on: Mapped[dt.date | None] = mapped_column(Date, comment="right of reply")
    reply_due_on: Mapped[dt.date | None] = mapped_column(Date)
    disclosure_terms: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class TraceRequestComponent(Base):
    __tablename__ = "trace_request_components"

    trace_request_id: Mapped[int] = mapped_column(ForeignKey("trace_requests.id"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id"), primary_key=True, index=True
    )
