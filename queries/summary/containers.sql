-- description: summary: every container with its events per kind (syscalls are calls, not aggregate rows)
-- params: container_ids
-- returns: host VARCHAR, container VARCHAR, id VARCHAR, image VARCHAR, syscalls UBIGINT, denied UBIGINT
-- returns: execs UBIGINT, opens UBIGINT, connections UBIGINT
-- Each kind's events are counted per (capture, cgroup) in its own table first, and only those few
-- rows are joined to their host and container: going through the event views instead joined every
-- event to its strings and syscall names first (15 hash joins for 4 numbers per container, most of
-- a small capture's summary). Same rows as summing the views syscalls, execs, opens and net_events
-- (connect and accept); test/unit/summary-containers.test.ts compares the two.
WITH counted AS (
  SELECT capture_id, cgroup_id, sum(count) AS syscalls, sum(denied) AS denied, 0 AS execs, 0 AS opens, 0 AS conns FROM ev_syscall GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, count(*), 0, 0 FROM ev_exec GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, count(*), 0 FROM ev_open GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, 0, count(*) FROM ev_connect GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, 0, count(*) FROM ev_accept GROUP BY ALL
), per AS (
  SELECT cap.host, cc.container_id, n.syscalls, n.denied, n.execs, n.opens, n.conns
  FROM counted n JOIN capture_files cap USING (capture_id) LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
)
SELECT p.host, coalesce(c.name, CASE WHEN p.container_id IS NULL THEN '(host)' END) AS container,
       c.short_id AS id, c.image, sum(syscalls)::UBIGINT AS syscalls, sum(denied)::UBIGINT AS denied,
       sum(execs)::UBIGINT AS execs, sum(opens)::UBIGINT AS opens, sum(conns)::UBIGINT AS connections
FROM per p LEFT JOIN containers c ON c.host = p.host AND c.container_id = p.container_id
WHERE $container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), p.container_id)
GROUP BY ALL
ORDER BY p.host, syscalls DESC;
