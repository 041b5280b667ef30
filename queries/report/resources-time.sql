-- description: report: CPU, memory and network of each selected container ($containers) over time, re-bucketed to $bucket_ms (resource samples)
-- params: bucket_ms, containers
-- returns: host VARCHAR, container_id VARCHAR, t_ms BIGINT, metric VARCHAR, value DOUBLE
WITH b AS (
  SELECT host, container_id, epoch_ms(ts) // $bucket_ms * $bucket_ms AS t_ms,
         avg(cpu_cores) AS cpu, max(memory_current) AS mem,
         avg(coalesce(net_rx_bytes_per_s, 0) + coalesce(net_tx_bytes_per_s, 0)) FILTER (WHERE net_rx_bytes_per_s IS NOT NULL OR net_tx_bytes_per_s IS NOT NULL) AS net
  FROM resources
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))
  GROUP BY ALL)
SELECT host, container_id, t_ms, metric, value
FROM (
  SELECT host, container_id, t_ms, 'CPU (cores)' AS metric, cpu::DOUBLE AS value FROM b
  UNION ALL SELECT host, container_id, t_ms, 'memory (MiB)', mem / 1048576.0 FROM b
  UNION ALL SELECT host, container_id, t_ms, 'network (KiB/s, rx+tx)', net / 1024.0 FROM b)
WHERE value IS NOT NULL
ORDER BY 1, 2, 4, 3;
