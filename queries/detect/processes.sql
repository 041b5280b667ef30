-- detect: forks and exits per (container, window)
-- params: window_ns
WITH e AS (
  SELECT 'fork' AS kind, capture_id, cgroup_id, ts FROM ev_fork
  UNION ALL SELECT 'exit', capture_id, cgroup_id, ts FROM ev_exit
)
SELECT cap.host, cap.capture, cc.container_id, epoch_ns(e.ts) // $window_ns::BIGINT AS w,
       count(*) FILTER (WHERE kind = 'fork')::DOUBLE AS forks, count(*) FILTER (WHERE kind = 'exit')::DOUBLE AS exits
FROM e
JOIN capture_files cap USING (capture_id)
JOIN cgroup_containers cc USING (capture_id, cgroup_id)
WHERE cc.container_id IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
