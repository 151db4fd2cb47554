
SELECT
    c.id AS component_id,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.category AS weapon_category,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    s.id AS specimen_id,
    s.label AS specimen,
    s.identification_confidence AS identification_confidence,
    s.recovered_on AS recovered_on,
    s.recovered_at AS recovered_at,
    s.recovered_by AS recovered_by,
    c."function" AS component,
    c.part_number AS part_number,
    c.marking AS marking,
    c.date_code AS date_code,
    c.quantity AS quantity,
    m.id AS manufacturer_id,
    m.name AS manufacturer,
    pm.name AS manufacturer_parent,
    m.country_code AS manufacturer_country_code,
    mc.display_name AS manufacturer_country,
    c.reported_maker_country_code AS reported_maker_country_code,
    rc.display_name AS reported_maker_country,
    COALESCE(m.country_code, c.reported_maker_country_code) AS manufacturer_origin_code,
    c.made_in_code AS made_in_code,
    mi.display_name AS made_in_country,
    c.manufactured_on AS manufactured_on,
    c.manufactured_precision AS manufactured_precision,
    c.hs_code AS hs_code,
    c.hs6 AS hs6,
    ce.tier AS chpl_tier,
    CASE WHEN c.hs6 IS NOT NULL THEN cl.version END AS chpl_version,
    c.authenticity AS authenticity,
    CASE
        WHEN COALESCE(m.country_code, c.reported_maker_country_code) IS NULL THEN NULL
        WHEN ws.producer_country_code IS NULL THEN NULL
        WHEN COALESCE(m.country_code, c.reported_maker_country_code)
            <> ws.producer_country_code THEN 1
        ELSE 0
    END AS foreign_by_manufacturer,
    CASE
        WHEN c.made_in_code IS NULL THEN NULL
        WHEN ws.producer_country_code IS NULL THEN NULL
        WHEN c.made_in_code <> ws.producer_country_code THEN 1
        ELSE 0
    END AS foreign_by_made_in,
    CAST(COALESCE(sc.source_count, 0) AS INTEGER) AS source_count,
    fs.publisher AS first_source_publisher,
    fs.title AS first_source_title,
    fs.url AS first_source_url,
    fs.published_on AS first_source_published_on,
    fs.source_record_id AS first_source_record_id,
    fs.source_record_url AS first_source_record_url,
    c.batch_id AS batch_id,
    lb.file_name AS batch_file_name,
    lb.loaded_at AS batch_loaded_at
FROM components c
JOIN specimens s ON s.id = c.specimen_id
JOIN weapon_systems ws ON ws.id = s.weapon_system_id
LEFT JOIN countries wpc ON wpc.code = ws.producer_country_code
LEFT JOIN manufacturers m ON m.id = c.manufacturer_id
JOIN load_batches lb ON lb.id = c.batch_id
LEFT JOIN manufacturers pm ON pm.id = m.parent_id
LEFT JOIN countries mc ON mc.code = m.country_code
LEFT JOIN countries rc ON rc.code = c.reported_maker_country_code
LEFT JOIN countries mi ON mi.code = c.made_in_code
LEFT JOIN chpl_lists cl ON cl.id = (
    SELECT newest.id FROM chpl_lists newest
    ORDER BY newest.published_on DESC, newest.id DESC
    LIMIT 1
)
LEFT JOIN chpl_entries ce ON ce.list_id = cl.id AND ce.hs6 = c.hs6
LEFT JOIN (
    SELECT component_id, COUNT(*) AS source_count
    FROM citations
    GROUP BY component_id
) sc ON sc.component_id = c.id
LEFT JOIN (
    SELECT
        ci.component_id AS component_id,
        so.publisher AS publisher,
        so.title AS title,
        so.url AS url,
        so.published_on AS published_on,
        ci.source_record_id AS source_record_id,
        ci.source_record_url AS source_record_url,
        ROW_NUMBER() OVER (
            PARTITION BY ci.component_id
            ORDER BY CASE WHEN so.published_on IS NULL THEN 1 ELSE 0 END, so.published_on, so.id
        ) AS source_order
    FROM citations ci
    JOIN sources so ON so.id = ci.source_id
) fs ON fs.component_id = c.id AND fs.source_order = 1
