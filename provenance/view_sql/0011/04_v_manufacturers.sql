
SELECT
    m.id AS manufacturer_id,
    m.name AS manufacturer,
    m.parent_id AS parent_manufacturer_id,
    pm.name AS parent_manufacturer,
    m.country_code AS country_code,
    mc.display_name AS country,
    CAST(COALESCE(al.alias_count, 0) AS INTEGER) AS alias_count,
    CAST(COALESCE(found.component_count, 0) AS INTEGER) AS component_count,
    CAST(COALESCE(found.parts, 0) AS INTEGER) AS parts,
    CAST(COALESCE(found.weapon_system_count, 0) AS INTEGER) AS weapon_system_count,
    found.first_manufactured_on AS first_manufactured_on,
    found.last_manufactured_on AS last_manufactured_on,
    m.batch_id AS batch_id
FROM manufacturers m
LEFT JOIN manufacturers pm ON pm.id = m.parent_id
LEFT JOIN countries mc ON mc.code = m.country_code
LEFT JOIN (
    SELECT manufacturer_id, COUNT(*) AS alias_count
    FROM manufacturer_aliases
    GROUP BY manufacturer_id
) al ON al.manufacturer_id = m.id
LEFT JOIN (
    SELECT
        c.manufacturer_id AS manufacturer_id,
        COUNT(*) AS component_count,
        SUM(c.quantity) AS parts,
        COUNT(DISTINCT s.weapon_system_id) AS weapon_system_count,
        MIN(c.manufactured_on) AS first_manufactured_on,
        MAX(c.manufactured_on) AS last_manufactured_on
    FROM components c
    JOIN specimens s ON s.id = c.specimen_id
    GROUP BY c.manufacturer_id
) found ON found.manufacturer_id = m.id
