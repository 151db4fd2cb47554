SELECT
    sc.id AS candidate_id,
    sc.manufacturer_id AS manufacturer_id,
    m.name AS manufacturer,
    m.country_code AS manufacturer_country_code,
    sc.entity_key AS entity_key,
    sc.entity_name AS entity_name,
    se.schema AS entity_schema,
    se.countries AS entity_countries,
    se.datasets AS entity_datasets,
    se.sanctions AS entity_sanctions,
    sl.file_name AS list_file,
    sl.list_date AS list_date,
    sc.score AS score,
    sc.reasons AS reasons,
    COALESCE(sc.decision, 'open') AS decision,
    sc.decided_by AS decided_by,
    sc.decided_at AS decided_at,
    sc.note AS note,
    CASE WHEN sc.party_id IS NULL THEN 'manufacturer' ELSE 'party' END AS subject_kind,
    sc.party_id AS party_id,
    p.name AS party,
    p.country_code AS party_country_code
FROM screening_candidates sc
LEFT JOIN manufacturers m ON m.id = sc.manufacturer_id
LEFT JOIN parties p ON p.id = sc.party_id
LEFT JOIN screening_lists sl ON sl.id = sc.list_id
LEFT JOIN screening_entities se ON se.list_id = sc.list_id AND se.entity_id = sc.entity_key
