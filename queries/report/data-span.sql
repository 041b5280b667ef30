-- description: report: first and last event time in the prepared report tables (after report-prepare-*), to size the time buckets
-- returns: first_ms BIGINT, last_ms BIGINT
SELECT min(lo) AS first_ms, max(hi) AS last_ms
FROM (
  SELECT min(t_ms) AS lo, max(t_ms) AS hi FROM report_syscalls
  UNION ALL SELECT epoch_ms(min(ts)), epoch_ms(max(ts)) FROM execs
  UNION ALL SELECT epoch_ms(min(ts)), epoch_ms(max(ts)) FROM opens
  UNION ALL SELECT epoch_ms(min(ts)), epoch_ms(max(ts)) FROM report_connections);
