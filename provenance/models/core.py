"""Weapon systems, recovered specimens, their components, manufacturers, countries, sources,
the load batches that brought every row, and the reference lists (CHPL, country groups).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provenance.models.base import (
    AliasKind,
    Authenticity,
    Base,
    Confidence,
    DatePrecision,
    Reliability,
    _enum,
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
