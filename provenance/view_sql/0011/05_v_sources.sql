
SELECT
    so.id AS source_id,
    so.publisher AS publisher,
    so.title AS title,
    so.url AS url,
    so.published_on AS published_on,
    so.published_precision AS published_precision,
    so.reliability AS reliability,
    CAST(COALESCE(cited.component_count, 0) AS INTEGER) AS component_count,
    CAST(COALESCE(cited.parts, 0) AS INTEGER) AS parts,
    CAST(COALESCE(cited.specimen_count, 0) AS INTEGER) AS specimen_count,
    CAST(COALESCE(cited.weapon_system_count, 0) AS INTEGER) AS weapon_system_count,
    so.notes AS notes,
    so.batch_id AS batch_id
FROM sources so
LEFT JOIN (
    SELECT
        ci.source_id AS source_id,
        COUNT(*) AS component_count,
        SUM(c.quantity) AS parts,
        COUNT(DISTINCT c.specimen_id) AS specimen_count,
        COUNT(DISTINCT s.weapon_system_id) AS weapon_system_count
    FROM citations ci
    JOIN components c ON c.id = ci.component_id
    JOIN specimens s ON s.id = c.specimen_id
    GROUP BY ci.source_id
) cited ON cited.source_id = so.id
