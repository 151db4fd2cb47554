SELECT
    t.id AS transfer_id,
    CASE
        WHEN t.component_id IS NOT NULL THEN 'component'
        WHEN t.part_number IS NOT NULL THEN 'batch'
        ELSE 'product_line'
    END AS scope,
    t.component_id AS component_id,
    s.label AS specimen_label,
    w.id AS weapon_system_id,
    w.designation AS weapon_system,
    COALESCE(t.manufacturer_id, comp.manufacturer_id) AS manufacturer_id,
    m.name AS manufacturer,
    COALESCE(t.part_number, comp.part_number) AS part_number,
    t.lot AS lot,
    t.from_party_id AS from_party_id,
    fp.name AS from_party,
    t.from_role AS from_role,
    t.to_party_id AS to_party_id,
    tp.name AS to_party,
    t.to_role AS to_role,
    t.transferred_on AS transferred_on,
    t.transferred_precision AS transferred_precision,
    t.place AS place,
    t.country_code AS country_code,
    t.document_kind AS document_kind,
    t.document_ref AS document_ref,
    t.source_id AS source_id,
    src.publisher AS source_publisher,
    src.title AS source_title,
    t.trace_request_id AS trace_request_id,
    t.notes AS notes,
    t.added_at AS added_at
FROM transfers t
LEFT JOIN components comp ON comp.id = t.component_id
LEFT JOIN specimens s ON s.id = comp.specimen_id
LEFT JOIN weapon_systems w ON w.id = s.weapon_system_id
LEFT JOIN manufacturers m ON m.id = COALESCE(t.manufacturer_id, comp.manufacturer_id)
LEFT JOIN parties fp ON fp.id = t.from_party_id
JOIN parties tp ON tp.id = t.to_party_id
JOIN sources src ON src.id = t.source_id
