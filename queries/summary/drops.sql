-- description: summary: what was lost, cut or unknown (drops, truncations, unnamed syscall numbers, repaired strings); empty is good
-- returns: host VARCHAR, capture VARCHAR, name VARCHAR, value UBIGINT
SELECT host, capture, name, value
FROM stats
WHERE value > 0 AND (name LIKE 'drops.%' OR name LIKE 'truncated.%' OR name LIKE 'errors.%'
                     OR name IN ('syscall.unknown', 'recorder.invalid_utf8'))
UNION ALL
SELECT host, capture, 'syscall numbers without a name in the capture''s table: ' || string_agg(DISTINCT nr::VARCHAR, ', ' ORDER BY nr::VARCHAR), sum(count)::UBIGINT
FROM syscalls WHERE name IS NULL
GROUP BY host, capture
ORDER BY host, capture, name;
