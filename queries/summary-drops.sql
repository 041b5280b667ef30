-- summary: events lost or cut by the recorder (drops, truncations, unknown values); empty is good
SELECT host, capture, name, value
FROM stats
WHERE value > 0 AND (name LIKE 'drops.%' OR name LIKE 'truncated.%' OR name LIKE 'unknown.%' OR name LIKE 'invalid.%' OR name LIKE '%.lost')
ORDER BY host, capture, name;
