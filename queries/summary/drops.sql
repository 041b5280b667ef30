-- description: summary: what was lost, cut or unknown (drops, truncations, unnamed syscall numbers, repaired strings, strings cut at load, unknown counters); empty is good
-- returns: host VARCHAR, capture VARCHAR, name VARCHAR, value UBIGINT
SELECT host, capture, name, value
FROM stats
WHERE value > 0 AND (name LIKE 'drops.%' OR name LIKE 'truncated.%' OR name LIKE 'errors.%'
                     OR name IN ('syscall.unknown', 'syscall.sigreturn_exit_skipped', 'recorder.invalid_utf8'))
UNION ALL
SELECT host, capture, 'syscall numbers without a name in the capture''s table: ' || string_agg(DISTINCT nr::VARCHAR, ', ' ORDER BY nr::VARCHAR), sum(count)::UBIGINT
FROM syscalls WHERE name IS NULL
GROUP BY host, capture
UNION ALL
SELECT host, capture, 'truncated strings: cut at load to their column''s cap (docs/capture-format.md, Limits)', truncated_strings
FROM capture_files WHERE truncated_strings > 0
UNION ALL
-- No stats record (cut before the recorder's first flush): no counter is known, so "nothing lost" would be a guess.
SELECT host, capture, 'counters unknown: the capture has no stats record (cut before its first flush), so drops and truncations are not known', NULL
FROM capture_files f WHERE NOT EXISTS (SELECT 1 FROM ev_stats s WHERE s.capture_id = f.capture_id)
ORDER BY host, capture, name;
