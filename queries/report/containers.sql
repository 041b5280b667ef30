-- description: report: the containers in scope ($container_ids: JSON list of ids resolved from --container; NULL = all), ranked: $flagged ids (containers with findings) first, then by activity; the first $limit, each with its activity totals and the size of the scope
-- params: container_ids, flagged, limit
-- returns: host VARCHAR, container_id VARCHAR, short_id VARCHAR, name VARCHAR, image VARCHAR, runtime VARCHAR
-- returns: ips VARCHAR, started_ms BIGINT, first_ms BIGINT, last_ms BIGINT, calls BIGINT, execs BIGINT, opens BIGINT
-- returns: conns_out BIGINT, conns_in BIGINT, flagged_rank INTEGER, in_scope BIGINT, hosts BIGINT
WITH scope AS (
  SELECT * FROM containers c
  WHERE c.container_id IS NOT NULL
    AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), c.container_id))),
-- one grouped pass per source, over every container at once (no per-container queries)
sc AS (SELECT host, container_id, sum(calls)::BIGINT AS calls FROM report_syscalls GROUP BY ALL),
ex AS (SELECT host, container_id, count(*) AS execs FROM execs GROUP BY ALL),
op AS (SELECT host, container_id, count(*) AS opens FROM opens GROUP BY ALL),
co AS (SELECT host, client_container_id AS container_id, count(*) AS conns_out FROM report_connections GROUP BY ALL),
ci AS (SELECT host, server_container_id AS container_id, count(*) AS conns_in FROM report_connections GROUP BY ALL),
ranked AS (
  SELECT s.host, s.container_id, s.short_id, s.name, s.image, s.runtime,
         array_to_string(s.ips, ', ') AS ips,
         epoch_ms(s.started_at) AS started_ms, epoch_ms(s.first_seen) AS first_ms, epoch_ms(s.last_seen) AS last_ms,
         coalesce(sc.calls, 0) AS calls, coalesce(ex.execs, 0) AS execs, coalesce(op.opens, 0) AS opens,
         coalesce(co.conns_out, 0) AS conns_out, coalesce(ci.conns_in, 0) AS conns_in,
         list_position(from_json($flagged, '["VARCHAR"]'), s.container_id) AS flagged_rank
  FROM scope s
  LEFT JOIN sc USING (host, container_id) LEFT JOIN ex USING (host, container_id) LEFT JOIN op USING (host, container_id)
  LEFT JOIN co USING (host, container_id) LEFT JOIN ci USING (host, container_id))
SELECT *,
       count(*) OVER () AS in_scope,
       -- hosts of all loaded captures (a plain table: the containers view is costly to compute twice)
       (SELECT count(DISTINCT host) FROM capture_files) AS hosts
FROM ranked
ORDER BY flagged_rank NULLS LAST, calls + execs + opens + conns_out + conns_in DESC, name, host, container_id
LIMIT $limit;
