-- description: report: top $top syscalls per selected container ($containers: JSON list of ids) with errors and seccomp denials
-- params: containers, top
-- returns: host VARCHAR, container_id VARCHAR, syscall VARCHAR, calls BIGINT, errors BIGINT, denied BIGINT
-- returns: total BIGINT
WITH agg AS (
  SELECT host, container_id,
         coalesce(name, '#' || nr) || CASE WHEN compat THEN ' (' || arch || ')' ELSE '' END AS syscall,
         sum(calls)::BIGINT AS calls, sum(errors)::BIGINT AS errors, sum(denied)::BIGINT AS denied
  FROM report_syscalls
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))
  GROUP BY ALL)
SELECT host, container_id, syscall, calls, errors, denied,
       count(*) OVER (PARTITION BY host, container_id) AS total
FROM agg
QUALIFY row_number() OVER (PARTITION BY host, container_id ORDER BY calls DESC, syscall) <= $top
ORDER BY host, container_id, calls DESC, syscall;
