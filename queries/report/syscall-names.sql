-- description: report: every syscall name each selected container ($containers: JSON list of ids) used, for the seccomp summary
-- params: containers
-- returns: host VARCHAR, container_id VARCHAR, name VARCHAR, arch VARCHAR, compat BOOLEAN, calls BIGINT
-- returns: denied BIGINT
SELECT host, container_id, name, arch, bool_or(compat) AS compat, sum(calls)::BIGINT AS calls, sum(denied)::BIGINT AS denied
FROM report_syscalls
WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]'))) AND name IS NOT NULL
GROUP BY ALL
ORDER BY host, container_id, name;
