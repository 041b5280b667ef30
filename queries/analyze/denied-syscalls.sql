-- description: syscalls that seccomp denied at run time, with the errno each caller got
-- params: container
-- returns: host VARCHAR, container VARCHAR, comm VARCHAR, syscall VARCHAR, errno INTEGER, denied UBIGINT
SELECT host, coalesce(container, '(host)') AS container, comm, coalesce(name, '#' || nr) AS syscall,
       denied_errno AS errno, sum(denied)::UBIGINT AS denied
FROM syscalls
WHERE denied > 0 AND ($container::VARCHAR IS NULL OR container = $container OR starts_with(container_id, $container))
GROUP BY ALL
ORDER BY denied DESC;
