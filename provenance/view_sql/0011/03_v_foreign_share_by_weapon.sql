
WITH
    bases(basis) AS (VALUES ('manufacturer'), ('made-in')),
    parts AS (
        SELECT
            b.basis AS basis,
            s.weapon_system_id AS weapon_system_id,
            CASE
                WHEN b.basis = 'manufacturer'
                THEN COALESCE(m.country_code, c.reported_maker_country_code)
                ELSE c.made_in_code
            END
                AS origin_code,
            c.manufacturer_id AS manufacturer_id,
            c.quantity AS quantity
        FROM components c
        JOIN specimens s ON s.id = c.specimen_id
        LEFT JOIN manufacturers m ON m.id = c.manufacturer_id
        CROSS JOIN bases b
    ),
    cited AS (
        SELECT s.weapon_system_id AS weapon_system_id, COUNT(DISTINCT ci.source_id) AS sources
        FROM citations ci
        JOIN components c ON c.id = ci.component_id
        JOIN specimens s ON s.id = c.specimen_id
        GROUP BY s.weapon_system_id
    )
SELECT
    p.basis AS basis,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.category AS weapon_category,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    CAST(SUM(p.quantity) AS INTEGER) AS parts,
    CAST(SUM(CASE
        WHEN p.origin_code IS NOT NULL AND p.origin_code <> ws.producer_country_code
        THEN p.quantity ELSE 0 END) AS INTEGER) AS foreign_parts,
    CAST(SUM(CASE
        WHEN p.origin_code = ws.producer_country_code THEN p.quantity ELSE 0 END) AS INTEGER)
        AS domestic_parts,
    CAST(SUM(CASE WHEN p.origin_code IS NULL THEN p.quantity ELSE 0 END) AS INTEGER)
        AS unknown_origin_parts,
    CASE WHEN ws.producer_country_code IS NOT NULL THEN
        CAST(SUM(CASE
            WHEN p.origin_code IS NOT NULL AND p.origin_code <> ws.producer_country_code
            THEN p.quantity ELSE 0 END) AS DOUBLE PRECISION) / SUM(p.quantity)
    END AS foreign_share,
    CAST(COUNT(DISTINCT CASE
        WHEN p.origin_code <> ws.producer_country_code THEN p.origin_code END) AS INTEGER)
        AS foreign_country_count,
    CAST(COALESCE(MAX(cited.sources), 0) AS INTEGER) AS source_count,
    CAST(SUM(CASE
        WHEN p.origin_code IS NOT NULL AND ws.producer_country_code IS NULL
        THEN p.quantity ELSE 0 END) AS INTEGER) AS unknown_producer_parts
FROM parts p
JOIN weapon_systems ws ON ws.id = p.weapon_system_id
LEFT JOIN countries wpc ON wpc.code = ws.producer_country_code
LEFT JOIN cited ON cited.weapon_system_id = ws.id
GROUP BY
    p.basis, ws.id, ws.designation, ws.category, ws.producer_country_code, wpc.display_name
