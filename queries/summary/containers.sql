-- description: summary: every container with its events per kind (syscalls are calls, not aggregate rows)
-- params: container_ids
-- returns: host VARCHAR, container VARCHAR, id VARCHAR, image VARCHAR, syscalls UBIGINT, denied UBIGINT
-- returns: execs UBIGINT, opens UBIGINT, connections UBIGINT
WITH per AS (
  SELECT host, container_id, sum(count) AS syscalls, sum(denied) AS denied, 0 AS execs, 0 AS opens, 0 AS conns FROM syscalls GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, count(*), 0, 0 FROM execs GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, 0, count(*), 0 FROM opens GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, 0, 0, count(*) FROM net_events WHERE kind <> 'close' GROUP BY ALL
)
SELECT p.host, coalesce(c.name, CASE WHEN p.container_id IS NULL THEN '(host)' END) AS container,
       c.short_id AS id, c.image, sum(syscalls)::UBIGINT AS syscalls, sum(denied)::UBIGINT AS denied,
       sum(execs)::UBIGINT AS execs, sum(opens)::UBIGINT AS opens, sum(conns)::UBIGINT AS connections
FROM per p LEFT JOIN containers c ON c.host = p.host AND c.container_id = p.container_id
WHERE $container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), p.container_id)
GROUP BY ALL
ORDER BY p.host, syscalls DESC;
