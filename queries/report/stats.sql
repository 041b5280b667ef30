-- description: report: recorder counters (events, drops, truncations) as stored in each capture
-- returns: host VARCHAR, capture VARCHAR, name VARCHAR, value UBIGINT
SELECT host, capture, name, value
FROM stats
ORDER BY host, capture, name;
