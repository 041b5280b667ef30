-- detect: resource samples per (container, window), capture format 1.1 (none in older captures): mean CPU cores, peak memory and pids, mean I/O and network byte rates
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w,
       count(*)::DOUBLE AS samples,
       avg(cpu_cores)::DOUBLE AS cpu_cores,
       max(memory_current)::DOUBLE AS memory_bytes,
       max(pids_current)::DOUBLE AS pids,
       avg(coalesce(io_read_bytes_per_s, 0) + coalesce(io_write_bytes_per_s, 0))::DOUBLE AS io_bytes_per_s,
       avg(net_rx_bytes_per_s)::DOUBLE AS net_rx_bytes_per_s,
       avg(net_tx_bytes_per_s)::DOUBLE AS net_tx_bytes_per_s
FROM resources
WHERE container_id IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
