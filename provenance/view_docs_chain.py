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
    description="One row per candidate match of a manufacturer with an entity of a sanctions "
    "list (`provenance screen run`), with the person's decision: `open`, `accepted` or `rejected`.",
    key=("manufacturer", "entity_key"),
    facets=("decision", "entity_schema", "list_file"),
    columns=(
        _c("candidate_id", "integer", "Id of the candidate (`provenance screen review`).", "3"),
        _c("manufacturer_id", "integer", "Id of the manufacturer (`v_manufacturers`).", "5"),
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
    ),
)
