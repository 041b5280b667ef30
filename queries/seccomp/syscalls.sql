-- description: seccomp: one container's recorded syscalls, grouped by what a profile decision needs (name, seccomp boundary flag, process, denial)
-- params: container_id
-- returns: name VARCHAR, nr INTEGER, arch VARCHAR, compat BOOLEAN, filtered BOOLEAN, comm VARCHAR
-- returns: denied_errno INTEGER, calls BIGINT, denied BIGINT, pids INTEGER
SELECT name, nr, arch, compat, filtered, coalesce(comm, '') AS comm, denied_errno,
       sum(count)::BIGINT AS calls, sum(denied)::BIGINT AS denied, count(DISTINCT pid)::INTEGER AS pids
FROM syscalls
WHERE container_id = $container_id
GROUP BY ALL
ORDER BY nr, comm;
