-- report: recorder counters (events, drops, truncations) as stored in each capture
SELECT host, capture, name, value
FROM stats
ORDER BY host, capture, name;
