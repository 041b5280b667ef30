-- description: summary: every container with its events per kind (syscalls are calls, not aggregate rows)
-- params: container_ids
-- returns: host VARCHAR, container VARCHAR, id VARCHAR, image VARCHAR, syscalls UBIGINT, denied UBIGINT
-- returns: execs UBIGINT, opens UBIGINT, connections UBIGINT
SELECT p.host, coalesce(c.name, CASE WHEN p.container_id IS NULL THEN '(host)' END) AS container,
       c.short_id AS id, c.image, sum(syscalls)::UBIGINT AS syscalls, sum(denied)::UBIGINT AS denied,
       sum(execs)::UBIGINT AS execs, sum(opens)::UBIGINT AS opens, sum(connections)::UBIGINT AS connections
FROM container_event_counts p LEFT JOIN containers c ON c.host = p.host AND c.container_id = p.container_id
WHERE $container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), p.container_id)
GROUP BY ALL
ORDER BY p.host, syscalls DESC;
