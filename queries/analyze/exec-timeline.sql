-- description: exec timeline: every program started in a container, with its full argv
-- params: container, since, until
-- returns: ts TIMESTAMP_NS, host VARCHAR, container VARCHAR, pid UINTEGER, ppid UINTEGER, uid UINTEGER
-- returns: filename VARCHAR, argv VARCHAR[], note VARCHAR
SELECT ts, host, coalesce(container, '(host)') AS container, pid, ppid, uid, filename, argv,
       CASE WHEN truncated THEN 'argv truncated' END AS note
FROM execs
WHERE ($container::VARCHAR IS NULL OR container = $container OR starts_with(container_id, $container))
  AND ($since::TIMESTAMP_NS IS NULL OR ts >= $since::TIMESTAMP_NS)
  AND ($until::TIMESTAMP_NS IS NULL OR ts < $until::TIMESTAMP_NS)
ORDER BY ts;
