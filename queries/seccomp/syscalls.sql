-- description: seccomp: one container's recorded syscalls, grouped by what a profile decision needs (name, seccomp boundary flag, process, denial)
-- description: handover: a runtime row (comm runc / exe / runc:[N:…], as isRuntimeInit in src/seccomp/base-sets.ts) in the last
-- description: window in which that process ran under a runtime comm, when the same process later ran the workload: the window of its exec.
-- params: container_id
-- returns: name VARCHAR, nr INTEGER, arch VARCHAR, compat BOOLEAN, filtered BOOLEAN, comm VARCHAR
-- returns: denied_errno INTEGER, handover BOOLEAN, calls BIGINT, denied BIGINT, pids INTEGER
WITH r AS (
  SELECT *, (comm = 'runc' OR comm = 'exe' OR starts_with(comm, 'runc:[')) AS runtime
  FROM syscalls WHERE container_id = $container_id
), became AS (
  SELECT host, capture, pid, max(ts) FILTER (WHERE runtime) AS last_runtime_ts
  FROM r GROUP BY ALL HAVING bool_or(runtime) AND bool_or(NOT runtime)
)
SELECT name, nr, arch, compat, filtered, coalesce(comm, '') AS comm, denied_errno,
       coalesce(r.runtime AND r.ts = b.last_runtime_ts, false) AS handover,
       sum(count)::BIGINT AS calls, sum(denied)::BIGINT AS denied, count(DISTINCT pid)::INTEGER AS pids
FROM r LEFT JOIN became b USING (host, capture, pid)
GROUP BY ALL
ORDER BY nr, comm;
