"""The schema, one module a part of it: ``base`` (the declarative base with its constraint naming
convention, the shared enums), ``core`` (weapon systems, specimens, components, manufacturers,
countries, sources, load batches, reference lists), ``evidence`` (issue 15), ``screening``,
``customs`` and ``chain`` (issue 16). Every table and enum is importable from here:
``from provenance.models import Component``; ``Base.metadata`` holds every table.
"""

from __future__ import annotations

from provenance.models.base import (
    NAMING_CONVENTION,
    AliasKind,
    Authenticity,
    Base,
    Confidence,
    CustodyEvent,
    DatePrecision,
    Reliability,
)
from provenance.models.chain import (
    DocumentKind,
    Party,
    PartyAlias,
    PartyIdentifier,
    PartyKind,
    PartyRole,
    TraceRequest,
    TraceRequestComponent,
    TraceStatus,
    Transfer,
)
from provenance.models.core import (
    ChplEntry,
    ChplList,
    Citation,
    Component,
    Country,
    CountryAlias,
    CountryGroup,
    CountryGroupMember,
    LoadBatch,
    Manufacturer,
    ManufacturerAlias,
    ManufacturerMerge,
    Source,
    Specimen,
    WeaponSystem,
    WeaponSystemAlias,
    WeaponSystemUser,
)
from provenance.models.customs import (
    CustomsLink,
    CustomsLinkStatus,
    CustomsShipment,
)
from provenance.models.evidence import (
    CustodyRecord,
    EvidenceFile,
    EvidenceLink,
)
from provenance.models.screening import (
    ScreeningCandidate,
    ScreeningDecision,
    ScreeningEntity,
    ScreeningList,
)

__all__ = [
    "NAMING_CONVENTION",
    "AliasKind",
    "Authenticity",
    "Base",
    "ChplEntry",
    "ChplList",
    "Citation",
    "Component",
    "Confidence",
    "Country",
    "CountryAlias",
    "CountryGroup",
    "CountryGroupMember",
    "CustodyEvent",
    "CustodyRecord",
    "CustomsLink",
    "CustomsLinkStatus",
    "CustomsShipment",
    "DatePrecision",
    "DocumentKind",
    "EvidenceFile",
    "EvidenceLink",
    "LoadBatch",
    "Manufacturer",
    "ManufacturerAlias",
    "ManufacturerMerge",
    "Party",
    "PartyAlias",
    "PartyIdentifier",
    "PartyKind",
    "PartyRole",
    "Reliability",
    "ScreeningCandidate",
    "ScreeningDecision",
    "ScreeningEntity",
    "ScreeningList",
    "Source",
    "Specimen",
    "TraceRequest",
    "TraceRequestComponent",
    "TraceStatus",
    "Transfer",
    "WeaponSystem",
    "WeaponSystemAlias",
    "WeaponSystemUser",
]
