-- description: exec timeline: every program started in a container, with its full argv
-- params: container_ids, since, until
-- returns: ts TIMESTAMP_NS, host VARCHAR, container VARCHAR, pid UINTEGER, ppid UINTEGER, uid UINTEGER
-- returns: filename VARCHAR, argv VARCHAR[], note VARCHAR
SELECT ts, host, coalesce(container, '(host)') AS container, pid, ppid, uid, filename, argv,
       CASE WHEN truncated THEN 'argv truncated' END AS note
FROM execs
WHERE ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND ($since::TIMESTAMP_NS IS NULL OR ts >= $since::TIMESTAMP_NS)
  AND ($until::TIMESTAMP_NS IS NULL OR ts < $until::TIMESTAMP_NS)
ORDER BY ts;
