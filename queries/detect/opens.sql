-- detect: host-filesystem opens per (container, window) by path: count and failures
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w,
       coalesce(path, '') AS path, count(*)::DOUBLE AS n, count(errno)::DOUBLE AS failed,
       count(*) FILTER (WHERE flags & 3 IN (1, 2))::DOUBLE AS writes
FROM opens
WHERE container_id IS NOT NULL
  -- runc sets the container up through /proc/sys and /proc/self before the workload starts
  AND coalesce(comm, '') NOT LIKE 'runc%' AND coalesce(comm, '') NOT IN ('crun', 'conmon', 'containerd-shim')
GROUP BY ALL
ORDER BY ALL;
