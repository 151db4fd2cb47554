SELECT
    cl.id AS link_id,
    cl.shipment_id AS shipment_id,
    cs.record_id AS record_id,
    cl.component_id AS component_id,
    s.label AS specimen_label,
    w.id AS weapon_system_id,
    w.designation AS weapon_system,
    comp.part_number AS part_number,
    m.name AS manufacturer,
    cs.shipped_on AS shipped_on,
    cs.exporter AS exporter,
    cs.importer AS importer,
    cs.origin_code AS origin_code,
    cs.dispatch_code AS dispatch_code,
    cl.rule AS rule,
    cl.status AS status,
    cl.decided_by AS decided_by,
    cl.decided_at AS decided_at,
    cl.note AS note
FROM customs_links cl
JOIN customs_shipments cs ON cs.id = cl.shipment_id
JOIN components comp ON comp.id = cl.component_id
JOIN specimens s ON s.id = comp.specimen_id
JOIN weapon_systems w ON w.id = s.weapon_system_id
LEFT JOIN manufacturers m ON m.id = comp.manufacturer_id
