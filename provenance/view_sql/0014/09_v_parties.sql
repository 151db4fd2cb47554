SELECT
    p.id AS party_id,
    p.name AS party,
    p.kind AS kind,
    p.country_code AS country_code,
    c.display_name AS country,
    p.manufacturer_id AS manufacturer_id,
    m.name AS manufacturer,
    (SELECT COUNT(*) FROM party_aliases pa WHERE pa.party_id = p.id) AS aliases,
    (SELECT COUNT(*) FROM party_identifiers pi WHERE pi.party_id = p.id) AS identifiers,
    (SELECT COUNT(*) FROM transfers t WHERE t.from_party_id = p.id) AS transfers_from,
    (SELECT COUNT(*) FROM transfers t WHERE t.to_party_id = p.id) AS transfers_to,
    (SELECT COUNT(DISTINCT t.component_id) FROM transfers t
     WHERE (t.from_party_id = p.id OR t.to_party_id = p.id)
       AND t.component_id IS NOT NULL) AS components,
    (SELECT COUNT(*) FROM trace_requests tr WHERE tr.party_id = p.id) AS trace_requests,
    (SELECT COUNT(*) FROM screening_candidates sc
     WHERE sc.decision = 'accepted'
       AND (sc.party_id = p.id OR sc.manufacturer_id = p.manufacturer_id)) AS sanctions_matches,
    p.added_at AS added_at
FROM parties p
LEFT JOIN countries c ON c.code = p.country_code
LEFT JOIN manufacturers m ON m.id = p.manufacturer_id
