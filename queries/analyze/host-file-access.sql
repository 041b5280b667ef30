-- description: files opened on host-shared filesystems (bind mounts, volumes, /proc, /sys, /dev), by path; the runtime's own setup (runc, crun, conmon) left out
-- params: container_ids
-- returns: host VARCHAR, container VARCHAR, path VARCHAR, fs_type VARCHAR, opens BIGINT, failed BIGINT
-- returns: programs VARCHAR
SELECT host, coalesce(container, '(host)') AS container, path, fs_type,
       count(*) AS opens, count(*) FILTER (WHERE errno IS NOT NULL) AS failed,
       string_agg(DISTINCT comm, ',' ORDER BY comm) AS programs
FROM opens
WHERE ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND NOT (comm LIKE 'runc%' OR comm IN ('crun', 'conmon'))
GROUP BY ALL
ORDER BY opens DESC, path;
