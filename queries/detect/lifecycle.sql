-- detect: when each container's init (its first program, pid 1 inside: the entrypoint runc init execs into) exited
-- the runtime's own re-exec (`runc init` from /dev/fd/N) is not the init; facts.ts uses this only for
-- containers that started inside the recording (else the first exec seen is any later program)
WITH init AS (
  SELECT capture_id, cgroup_id, arg_min(pid, ts) AS pid
  FROM ev_exec
  WHERE NOT (coalesce(argv[1], '') = 'runc' AND coalesce(argv[2], '') = 'init')
  GROUP BY ALL
)
SELECT cap.host, cap.capture, cc.container_id, epoch_ns(max(x.ts)) AS init_exit_ns
FROM init i
JOIN ev_exit x USING (capture_id, cgroup_id, pid)
JOIN capture_files cap USING (capture_id)
JOIN cgroup_containers cc USING (capture_id, cgroup_id)
WHERE cc.container_id IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
