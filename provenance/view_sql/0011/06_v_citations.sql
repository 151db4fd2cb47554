SELECT
    ci.component_id AS component_id,
    s.weapon_system_id AS weapon_system_id,
    ci.source_id AS source_id,
    so.publisher AS publisher,
    so.title AS title,
    so.url AS source_url,
    ci.source_record_id AS source_record_id,
    ci.source_record_url AS source_record_url,
    ci.evidence_url AS evidence_url,
    ci.authenticity AS authenticity,
    ci.authenticity_basis AS authenticity_basis,
    ci.made_in_code AS made_in_code,
    ci.manufactured_on AS manufactured_on,
    ci.manufactured_precision AS manufactured_precision,
    ci.batch_id AS batch_id
FROM citations ci
JOIN sources so ON so.id = ci.source_id
JOIN components c ON c.id = ci.component_id
JOIN specimens s ON s.id = c.specimen_id
