-- description: report: syscall calls over time per selected container ($containers), re-bucketed to $bucket_ms, top $series syscalls + (other)
-- params: bucket_ms, containers, series
-- returns: host VARCHAR, container_id VARCHAR, t_ms BIGINT, syscall VARCHAR, calls BIGINT
WITH base AS (
  SELECT host, container_id, coalesce(name, '#' || nr) AS syscall,
         t_ms // $bucket_ms * $bucket_ms AS t_ms, calls AS count
  FROM report_syscalls
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))),
top AS (
  SELECT host, container_id, syscall FROM base GROUP BY host, container_id, syscall
  QUALIFY row_number() OVER (PARTITION BY host, container_id ORDER BY sum(count) DESC, syscall) <= $series)
SELECT b.host, b.container_id, b.t_ms,
       CASE WHEN top.syscall IS NULL THEN '(other)' ELSE b.syscall END AS syscall,
       sum(b.count)::BIGINT AS calls
FROM base b LEFT JOIN top USING (host, container_id, syscall)
GROUP BY ALL
ORDER BY 1, 2, 3, 4;
