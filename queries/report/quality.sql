-- description: report: lost or cut data the views can see (truncated argv/paths, unknown syscall numbers)
-- returns: name VARCHAR, value BIGINT
SELECT 'truncated.argv (execs with argv cut)' AS name, count(*) AS value FROM execs WHERE truncated
UNION ALL SELECT 'truncated.path (opens with path cut)', count(*) FROM opens WHERE truncated
UNION ALL SELECT 'unknown syscall numbers', count(DISTINCT nr) FROM report_syscalls WHERE name IS NULL;
