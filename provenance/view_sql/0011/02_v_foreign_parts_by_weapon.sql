
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
    )
SELECT
    p.basis AS basis,
    ws.id AS weapon_system_id,
    ws.designation AS weapon_system,
    ws.producer_country_code AS weapon_producer_country_code,
    wpc.display_name AS weapon_producer_country,
    p.origin_code AS origin_country_code,
    COALESCE(oc.display_name, '(unknown origin)') AS origin_country,
    CASE
        WHEN p.origin_code IS NULL THEN NULL
        WHEN ws.producer_country_code IS NULL THEN NULL
        WHEN p.origin_code <> ws.producer_country_code THEN 1
        ELSE 0
    END AS is_foreign,
    CAST(SUM(p.quantity) AS INTEGER) AS parts,
    CAST(SUM(SUM(p.quantity)) OVER (PARTITION BY p.basis, ws.id) AS INTEGER) AS weapon_parts,
    CAST(SUM(p.quantity) AS DOUBLE PRECISION)
        / SUM(SUM(p.quantity)) OVER (PARTITION BY p.basis, ws.id) AS share,
    CAST(COUNT(*) AS INTEGER) AS component_count,
    CAST(COUNT(DISTINCT p.manufacturer_id) AS INTEGER) AS manufacturer_count
FROM parts p
JOIN weapon_systems ws ON ws.id = p.weapon_system_id
LEFT JOIN countries wpc ON wpc.code = ws.producer_country_code
LEFT JOIN countries oc ON oc.code = p.origin_code
GROUP BY
    p.basis, ws.id, ws.designation, ws.producer_country_code, wpc.display_name,
    p.origin_code, oc.display_name
