-- description: report: execs over time per selected container ($containers), per program, in $bucket_ms buckets, top $series programs
-- params: bucket_ms, containers, series
-- returns: host VARCHAR, container_id VARCHAR, t_ms BIGINT, program VARCHAR, execs BIGINT
WITH base AS (
  SELECT host, container_id, filename, epoch_ms(ts) // $bucket_ms * $bucket_ms AS t_ms
  FROM execs
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))),
top AS (
  SELECT host, container_id, filename FROM base GROUP BY host, container_id, filename
  QUALIFY row_number() OVER (PARTITION BY host, container_id ORDER BY count(*) DESC, min(t_ms), filename) <= $series)
SELECT b.host, b.container_id, b.t_ms,
       CASE WHEN top.filename IS NULL THEN '(other programs)' ELSE b.filename END AS program,
       count(*) AS execs
FROM base b LEFT JOIN top USING (host, container_id, filename)
GROUP BY ALL
ORDER BY 1, 2, 3, 4;
