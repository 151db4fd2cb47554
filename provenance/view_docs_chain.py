"""The documentation of the views of the investigation around the findings: evidence files,
sanctions screening, the supply chain and customs records (``provenance.views``)."""

from __future__ import annotations

from provenance.view_docs import View, _c

V_EVIDENCE = View(
    name="v_evidence",
    description=(
        "One row per photo or document of a component or specimen: `stored` files kept by their "
        "content (`provenance evidence add`, hashes and EXIF, the custody count), and `remote` "
        "references a source gave as a URL (recorded, never fetched)."
    ),
    key=("kind", "evidence_id", "remote_url", "component_id", "specimen_id", "source_id"),
    facets=("kind", "media_type", "weapon_system"),
    columns=(
        _c("kind", "text", "`stored` (in the evidence store) or `remote` (a URL).", "stored"),
        _c("evidence_id", "integer", "Id of the stored file; NULL for a remote one.", "3"),
        _c("sha256", "text", "SHA-256 of the file's bytes (hex): its name in the store.", ""),
        _c("sha1", "text", "SHA-1 of the bytes (hex), as FollowTheMoney names files.", ""),
        _c("media_type", "text", "Media type sniffed from the bytes.", "image/jpeg"),
        _c("size_bytes", "integer", "Size of the file in bytes.", "2483112"),
        _c("original_name", "text", "The file's name when it was first added.", "IMG_0412.jpg"),
        _c("remote_url", "text", "Where a remote reference points (never fetched).", ""),
        _c("component_id", "integer", "The component it shows; NULL for a specimen's.", "17"),
        _c("specimen_id", "integer", "The specimen it shows (or the component's).", "4"),
        _c("specimen_label", "text", "The specimen's own label.", "UA-2024-0113"),
        _c("weapon_system_id", "integer", "Id of the weapon system.", "1"),
        _c("weapon_system", "text", "Designation of the weapon system.", "KN-23"),
        _c("caption", "text", "What the photo shows, as its adder wrote it.", "converter, top"),
        _c("taken_by", "text", "Who took it, when recorded.", ""),
        _c("source_id", "integer", "The source that published or gave it, when known.", "2"),
        _c("taken_at", "text", "EXIF time taken, camera's local time, no zone.", ""),
        _c("camera", "text", "EXIF camera make and model.", ""),
        _c("gps_latitude", "real", "EXIF latitude, decimal degrees (NULL when stripped).", ""),
        _c("gps_longitude", "real", "EXIF longitude, decimal degrees.", ""),
        _c("added_at", "timestamp", "When the file was linked to the part or specimen.", ""),
        _c("custody_events", "integer", "Events in the file's chain of custody.", "2"),
        _c("last_verified_at", "timestamp", "When its bytes were last hashed again.", ""),
    ),
)

V_SCREENING_CANDIDATES = View(
    name="v_screening_candidates",
    description="One row per candidate match of a manufacturer, or of a party of the supply "
    "chain, with an entity of a sanctions list (`provenance screen run`), with the person's "
    "decision: `open`, `accepted` or `rejected`. `subject_kind` says which: the manufacturer "
    "columns are NULL for a party's candidate, the party columns for a manufacturer's.",
    key=("subject_kind", "manufacturer", "party", "entity_key"),
    facets=("decision", "entity_schema", "list_file"),
    columns=(
        _c("candidate_id", "integer", "Id of the candidate (`provenance screen review`).", "3"),
        _c(
            "manufacturer_id",
            "integer",
            "Id of the manufacturer (`v_manufacturers`); NULL for a party's candidate.",
            "5",
        ),
        _c("manufacturer", "text", "The manufacturer's name.", "Xilinx"),
        _c("manufacturer_country_code", "text", "Its headquarters country, when known.", "US"),
        _c("entity_key", "text", "The entity's OpenSanctions id.", "NK-2a5hBmaG3ZQd4vuXnLTa4j"),
        _c("entity_name", "text", "The entity's name on the list.", "XILINX, INC"),
        _c("entity_schema", "text", "FtM schema: Company, Organization, Person, ...", "Company"),
        _c("entity_countries", "text", "The entity's countries (ISO, lower case, `;`).", "us"),
        _c("entity_datasets", "text", "The lists' datasets naming it (`;`).", "us_ofac_sdn"),
        _c("entity_sanctions", "text", "The sanctions, as the list says.", ""),
        _c("list_file", "text", "The file the entity was last found in.", "targets.simple.csv"),
        _c("list_date", "date", "The newest change the list records.", "2024-05-01"),
        _c("score", "real", "0 to 100: name likeness, the country for or against.", "100.0"),
        _c("reasons", "text", "Why it is a candidate: the names compared, the countries.", ""),
        _c("decision", "text", "`open`, `accepted` or `rejected`.", "accepted"),
        _c("decided_by", "text", "Who decided.", "A. Analyst"),
        _c("decided_at", "timestamp", "When.", ""),
        _c("note", "text", "The decision's note.", "same company, same address"),
        _c("subject_kind", "text", "`manufacturer` or `party`: who is screened.", "manufacturer"),
        _c("party_id", "integer", "Id of the party (`v_parties`); NULL for a maker's.", ""),
        _c("party", "text", "The party's name.", ""),
        _c("party_country_code", "text", "The party's country, when known.", ""),
    ),
)

V_PARTIES = View(
    name="v_parties",
    description="One row per party of the supply chain (`provenance parties add`, "
    "`transfers load`): distributors, exporters, shippers, end users, with how many transfers "
    "and trace requests name it and whether a screening hit was confirmed.",
    key=("party_id",),
    facets=("kind", "country_code"),
    columns=(
        _c("party_id", "integer", "Id of the party.", "2"),
        _c("party", "text", "Its name.", "Hongda Trading"),
        _c("kind", "text", "`company` or `person`.", "company"),
        _c(
            "country_code", "text", "ISO 3166-1 alpha-2 code of its country; NULL: not known.", "CN"
        ),
        _c("country", "text", "The country's name, as reports show it.", "China"),
        _c("manufacturer_id", "integer", "The manufacturer it is, when it is one.", ""),
        _c("manufacturer", "text", "That manufacturer's name.", ""),
        _c("aliases", "integer", "How many other names it has.", "1"),
        _c("identifiers", "integer", "How many registration, tax, LEI or other ids it has.", "0"),
        _c("transfers_from", "integer", "Transfers in which it passed parts on.", "3"),
        _c("transfers_to", "integer", "Transfers in which it received parts.", "1"),
        _c("components", "integer", "Distinct components its transfers name.", "2"),
        _c("trace_requests", "integer", "Trace requests sent to it.", "1"),
        _c(
            "sanctions_matches",
            "integer",
            "Screening candidates accepted for it (or for the manufacturer it is).",
            "0",
        ),
        _c("added_at", "timestamp", "When it was added.", ""),
    ),
)

V_TRANSFERS = View(
    name="v_transfers",
    description="One row per step of a supply chain as one source tells it: of a component, of "
    "a batch (part number and lot) or of a manufacturer's product line. A step two sources tell "
    "differently has a row for each.",
    key=("transfer_id",),
    facets=("scope", "from_role", "to_role", "document_kind", "weapon_system"),
    columns=(
        _c("transfer_id", "integer", "Id of the step.", "4"),
        _c("scope", "text", "`component`, `batch` or `product_line`.", "component"),
        _c("component_id", "integer", "The component, for a component's step.", "17"),
        _c("specimen_label", "text", "Its specimen's own label.", "UA-2024-0113"),
        _c("weapon_system_id", "integer", "Id of the component's weapon system.", "1"),
        _c("weapon_system", "text", "Designation of the weapon system.", "KN-23"),
        _c("manufacturer_id", "integer", "The manufacturer (the step's, else the part's).", "3"),
        _c("manufacturer", "text", "Its name.", "XP Power"),
        _c("part_number", "text", "The batch's part number, else the component's.", "JCM3012"),
        _c("lot", "text", "The batch's lot, as written.", ""),
        _c("from_party_id", "integer", "Who passed it on; NULL: not known.", "1"),
        _c("from_party", "text", "Their name.", "Arrow Electronics"),
        _c("from_role", "text", "Their role in this step.", "distributor"),
        _c("to_party_id", "integer", "Who received it.", "2"),
        _c("to_party", "text", "Their name.", "Hongda Trading"),
        _c("to_role", "text", "Their role in this step.", "buyer"),
        _c("transferred_on", "date", "First day of the period it happened in.", "2022-06-01"),
        _c("transferred_precision", "text", "year, month, week or day.", "month"),
        _c("place", "text", "Where, as the source says.", ""),
        _c("country_code", "text", "The country it happened in.", ""),
        _c("document_kind", "text", "invoice, bill_of_lading, customs_declaration, ...", ""),
        _c("document_ref", "text", "The document's own number.", ""),
        _c("source_id", "integer", "The source that tells it (`v_sources`).", "2"),
        _c("source_publisher", "text", "Its publisher.", "Conflict Armament Research"),
        _c("source_title", "text", "Its title.", "Dispatch from Ukraine"),
        _c("trace_request_id", "integer", "The trace request whose answer named it.", ""),
        _c("notes", "text", "Notes.", ""),
        _c("added_at", "timestamp", "When it was added.", ""),
    ),
)

V_CUSTOMS_SHIPMENTS = View(
    name="v_customs_shipments",
    description="One row per shipment of a loaded customs records file (`provenance customs "
    "load`), with how many components a person linked to it and how many links wait.",
    key=("shipment_id",),
    facets=("hs6", "origin_code", "dispatch_code", "manufacturer"),
    columns=(
        _c("shipment_id", "integer", "Id of the shipment.", "12"),
        _c("record_id", "text", "The customs data's own record id.", "C-1"),
        _c("batch_id", "integer", "The load batch.", "3"),
        _c("load_file", "text", "The file it was loaded from.", "customs-2023.csv"),
        _c("source_row", "integer", "Its row in that file.", "2"),
        _c("shipped_on", "date", "First day of the period it shipped in.", "2023-03-01"),
        _c("shipped_precision", "text", "year, month, week or day.", "month"),
        _c("hs_code", "text", "The HS code as declared.", "8504.40.00"),
        _c("hs6", "text", "Its first six digits.", "850440"),
        _c("description", "text", "The goods, as declared.", ""),
        _c("brand", "text", "The brand, as declared.", "XP Power Ltd"),
        _c("manufacturer_id", "integer", "The brand's manufacturer (exact name or alias).", "3"),
        _c("manufacturer", "text", "Its name.", "XP Power"),
        _c("part_number", "text", "The part number declared or read from the text.", ""),
        _c("exporter", "text", "The exporter, as declared.", ""),
        _c("importer", "text", "The importer, as declared.", ""),
        _c("origin_code", "text", "Country of origin; NULL: not known.", "GB"),
        _c("dispatch_code", "text", "Country of dispatch; NULL: not known.", ""),
        _c("value", "real", "The declared value.", "1200.5"),
        _c("currency", "text", "Its currency (ISO 4217).", "USD"),
        _c("quantity", "real", "The declared quantity.", "10.0"),
        _c("components_accepted", "integer", "Components a person linked to it.", "1"),
        _c("components_proposed", "integer", "Links a rule proposed, not yet decided.", "0"),
    ),
)

V_CUSTOMS_LINKS = View(
    name="v_customs_links",
    description="One row per link between a customs shipment and a component found in a weapon "
    "(`provenance customs match`): `proposed` by a rule, `accepted` or `rejected` by a person. "
    "Filter on `status = 'accepted'` for what a person agreed to.",
    key=("link_id",),
    facets=("status", "rule", "weapon_system"),
    columns=(
        _c("link_id", "integer", "Id of the link (`provenance customs review`).", "1"),
        _c("shipment_id", "integer", "The shipment (`v_customs_shipments`).", "12"),
        _c("record_id", "text", "The shipment's own record id.", "C-1"),
        _c("component_id", "integer", "The component (`v_components`).", "17"),
        _c("specimen_label", "text", "Its specimen's own label.", "UA-2024-0113"),
        _c("weapon_system_id", "integer", "Id of the weapon system.", "1"),
        _c("weapon_system", "text", "Designation of the weapon system.", "KN-23"),
        _c("part_number", "text", "The component's part number.", "JCM3012"),
        _c("manufacturer", "text", "The component's manufacturer.", "XP Power"),
        _c("shipped_on", "date", "When the shipment shipped (first day of the period).", ""),
        _c("exporter", "text", "The shipment's exporter.", ""),
        _c("importer", "text", "The shipment's importer.", ""),
        _c("origin_code", "text", "Country of origin.", "GB"),
        _c("dispatch_code", "text", "Country of dispatch.", ""),
        _c(
            "rule", "text", "The rule that proposed it: hs-brand-part or hs-brand.", "hs-brand-part"
        ),
        _c("status", "text", "`proposed`, `accepted` or `rejected`.", "accepted"),
        _c("decided_by", "text", "Who decided.", ""),
        _c("decided_at", "timestamp", "When.", ""),
        _c("note", "text", "The decision's note.", ""),
    ),
)
