-- description: top syscalls per container, with errors and calls denied by seccomp
-- params: container_ids, since, until, limit
-- returns: host VARCHAR, container VARCHAR, syscall VARCHAR, arch VARCHAR, calls UBIGINT, errors UBIGINT
-- returns: denied UBIGINT
SELECT host, coalesce(container, '(host)') AS container, coalesce(name, '#' || nr) AS syscall, arch,
       sum(count)::UBIGINT AS calls, sum(errors)::UBIGINT AS errors, sum(denied)::UBIGINT AS denied
FROM syscalls
WHERE ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND ($since::TIMESTAMP_NS IS NULL OR ts >= $since::TIMESTAMP_NS)
  AND ($until::TIMESTAMP_NS IS NULL OR ts < $until::TIMESTAMP_NS)
GROUP BY host, container, syscall, arch
QUALIFY row_number() OVER (PARTITION BY host, container ORDER BY calls DESC, syscall) <= coalesce($limit::INTEGER, 15)
ORDER BY host, container, calls DESC, syscall;
