-- description: report: per selected container ($containers: JSON list of ids), activity totals
-- params: containers
-- returns: host VARCHAR, container_id VARCHAR, calls BIGINT, distinct_syscalls BIGINT, errors BIGINT
-- returns: denied BIGINT, execs BIGINT, opens BIGINT, open_failures BIGINT, conns_out BIGINT, conns_in BIGINT
WITH sel AS (SELECT unnest(from_json($containers, '["VARCHAR"]')) AS container_id),
sc AS (
  SELECT host, container_id, sum(calls)::BIGINT AS calls, count(DISTINCT coalesce(name, '#' || nr)) AS distinct_syscalls,
         sum(errors)::BIGINT AS errors, sum(denied)::BIGINT AS denied
  FROM report_syscalls WHERE container_id IN (SELECT container_id FROM sel) GROUP BY ALL),
ex AS (SELECT host, container_id, count(*) AS execs FROM execs WHERE container_id IN (SELECT container_id FROM sel) GROUP BY ALL),
op AS (
  SELECT host, container_id, count(*) AS opens, count(*) FILTER (WHERE errno IS NOT NULL) AS open_failures
  FROM opens WHERE container_id IN (SELECT container_id FROM sel) GROUP BY ALL),
co AS (
  SELECT host, client_container_id AS container_id, count(*) AS conns_out
  FROM report_connections WHERE client_container_id IN (SELECT container_id FROM sel) GROUP BY ALL),
ci AS (
  SELECT host, server_container_id AS container_id, count(*) AS conns_in
  FROM report_connections WHERE server_container_id IN (SELECT container_id FROM sel) GROUP BY ALL),
keys AS (
  SELECT host, container_id FROM sc UNION SELECT host, container_id FROM ex UNION SELECT host, container_id FROM op
  UNION SELECT host, container_id FROM co UNION SELECT host, container_id FROM ci)
SELECT k.host, k.container_id,
  coalesce(sc.calls, 0) AS calls, coalesce(sc.distinct_syscalls, 0) AS distinct_syscalls,
  coalesce(sc.errors, 0) AS errors, coalesce(sc.denied, 0) AS denied,
  coalesce(ex.execs, 0) AS execs, coalesce(op.opens, 0) AS opens, coalesce(op.open_failures, 0) AS open_failures,
  coalesce(co.conns_out, 0) AS conns_out, coalesce(ci.conns_in, 0) AS conns_in
FROM keys k
LEFT JOIN sc USING (host, container_id) LEFT JOIN ex USING (host, container_id) LEFT JOIN op USING (host, container_id)
LEFT JOIN co USING (host, container_id) LEFT JOIN ci USING (host, container_id)
ORDER BY k.host, k.container_id;
