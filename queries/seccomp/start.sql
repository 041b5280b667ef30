-- description: seccomp: was the container's start recorded? per capture: capture vs container start, execs and runtime-init calls seen
-- params: container_id
-- returns: host VARCHAR, capture VARCHAR, arch VARCHAR, capture_started_at TIMESTAMP_NS
-- returns: container_started_at TIMESTAMP_NS, runtime VARCHAR, execs BIGINT, runtime_rows BIGINT
WITH seen AS (
  SELECT host, capture, count(*) FILTER (WHERE comm = 'runc' OR comm = 'exe' OR starts_with(comm, 'runc:[')) AS runtime_rows
  FROM syscalls WHERE container_id = $container_id GROUP BY ALL
), ex AS (
  SELECT host, capture, count(*) AS execs FROM execs WHERE container_id = $container_id GROUP BY ALL
), started AS (
  SELECT host, max(started_at) AS container_started_at, max(runtime) AS runtime FROM containers
  WHERE container_id = $container_id GROUP BY ALL
)
SELECT s.host, s.capture, c.arch, c.started_at AS capture_started_at, st.container_started_at, st.runtime,
       coalesce(ex.execs, 0)::BIGINT AS execs, s.runtime_rows::BIGINT AS runtime_rows
FROM seen s
JOIN captures c ON c.capture = s.capture AND c.host = s.host
LEFT JOIN ex ON ex.host = s.host AND ex.capture = s.capture
LEFT JOIN started st ON st.host = s.host
ORDER BY s.host, s.capture;
