SELECT
    cs.id AS shipment_id,
    cs.record_id AS record_id,
    cs.batch_id AS batch_id,
    lb.file_name AS load_file,
    cs.source_row AS source_row,
    cs.shipped_on AS shipped_on,
    cs.shipped_precision AS shipped_precision,
    cs.hs_code AS hs_code,
    cs.hs6 AS hs6,
    cs.description AS description,
    cs.brand AS brand,
    cs.manufacturer_id AS manufacturer_id,
    m.name AS manufacturer,
    cs.part_number AS part_number,
    cs.exporter AS exporter,
    cs.importer AS importer,
    cs.origin_code AS origin_code,
    cs.dispatch_code AS dispatch_code,
    CAST(cs.value AS DOUBLE PRECISION) AS value,
    cs.currency AS currency,
    CAST(cs.quantity AS DOUBLE PRECISION) AS quantity,
    (SELECT COUNT(*) FROM customs_links cl
     WHERE cl.shipment_id = cs.id AND cl.status = 'accepted') AS components_accepted,
    (SELECT COUNT(*) FROM customs_links cl
     WHERE cl.shipment_id = cs.id AND cl.status = 'proposed') AS components_proposed
FROM customs_shipments cs
JOIN load_batches lb ON lb.id = cs.batch_id
LEFT JOIN manufacturers m ON m.id = cs.manufacturer_id
