-- description: containers by CPU use, with peak memory and network/disk traffic (resource samples)
-- params: container_ids, since, until, limit
-- returns: host VARCHAR, container VARCHAR, samples BIGINT, cpu_seconds DOUBLE, cpu_cores_max DOUBLE
-- returns: memory_max_bytes UBIGINT, pids_max UBIGINT, net_rx_bytes DOUBLE, net_tx_bytes DOUBLE
-- returns: io_read_bytes DOUBLE, io_write_bytes DOUBLE, throttled_seconds DOUBLE
SELECT host, coalesce(container, '(unknown)') AS container, count(*) AS samples,
       coalesce(sum(cpu_cores * interval_s), 0) AS cpu_seconds, max(cpu_cores) AS cpu_cores_max,
       max(greatest(memory_current, memory_peak))::UBIGINT AS memory_max_bytes, max(pids_current)::UBIGINT AS pids_max,
       coalesce(sum(net_rx_bytes_per_s * interval_s), 0) AS net_rx_bytes, coalesce(sum(net_tx_bytes_per_s * interval_s), 0) AS net_tx_bytes,
       coalesce(sum(io_read_bytes_per_s * interval_s), 0) AS io_read_bytes, coalesce(sum(io_write_bytes_per_s * interval_s), 0) AS io_write_bytes,
       coalesce(sum(cpu_throttled_cores * interval_s), 0) AS throttled_seconds
FROM resources
WHERE ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND ($since::TIMESTAMP_NS IS NULL OR ts >= $since::TIMESTAMP_NS)
  AND ($until::TIMESTAMP_NS IS NULL OR ts < $until::TIMESTAMP_NS)
GROUP BY host, container
ORDER BY cpu_seconds DESC, host, container
LIMIT coalesce($limit::INTEGER, 15);
