SELECT
    'stored' AS kind,
    f.id AS evidence_id,
    f.sha256 AS sha256,
    f.sha1 AS sha1,
    f.media_type AS media_type,
    f.size_bytes AS size_bytes,
    f.original_name AS original_name,
    CAST(NULL AS VARCHAR(2000)) AS remote_url,
    l.component_id AS component_id,
    s.id AS specimen_id,
    s.label AS specimen_label,
    w.id AS weapon_system_id,
    w.designation AS weapon_system,
    l.caption AS caption,
    l.taken_by AS taken_by,
    l.source_id AS source_id,
    f.taken_at AS taken_at,
    f.camera AS camera,
    f.gps_latitude AS gps_latitude,
    f.gps_longitude AS gps_longitude,
    l.added_at AS added_at,
    (SELECT COUNT(*) FROM custody_events ce WHERE ce.evidence_id = f.id) AS custody_events,
    (SELECT MAX(ce.occurred_at) FROM custody_events ce
     WHERE ce.evidence_id = f.id AND ce.event = 'verified') AS last_verified_at
FROM evidence_links l
JOIN evidence_files f ON f.id = l.evidence_id
LEFT JOIN components c ON c.id = l.component_id
JOIN specimens s ON s.id = COALESCE(l.specimen_id, c.specimen_id)
JOIN weapon_systems w ON w.id = s.weapon_system_id
UNION ALL
SELECT
    'remote' AS kind,
    CAST(NULL AS INTEGER) AS evidence_id,
    CAST(NULL AS VARCHAR(64)) AS sha256,
    CAST(NULL AS VARCHAR(40)) AS sha1,
    CAST(NULL AS VARCHAR(100)) AS media_type,
    CAST(NULL AS BIGINT) AS size_bytes,
    CAST(NULL AS VARCHAR(1000)) AS original_name,
    ci.evidence_url AS remote_url,
    ci.component_id AS component_id,
    s.id AS specimen_id,
    s.label AS specimen_label,
    w.id AS weapon_system_id,
    w.designation AS weapon_system,
    CAST(NULL AS TEXT) AS caption,
    CAST(NULL AS VARCHAR(300)) AS taken_by,
    ci.source_id AS source_id,
    CAST(NULL AS VARCHAR(19)) AS taken_at,
    CAST(NULL AS VARCHAR(300)) AS camera,
    CAST(NULL AS DOUBLE PRECISION) AS gps_latitude,
    CAST(NULL AS DOUBLE PRECISION) AS gps_longitude,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS added_at,
    0 AS custody_events,
    CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS last_verified_at
FROM citations ci
JOIN components c ON c.id = ci.component_id
JOIN specimens s ON s.id = c.specimen_id
JOIN weapon_systems w ON w.id = s.weapon_system_id
WHERE ci.evidence_url IS NOT NULL
