-- description: report: first and last event time over all captures, from the views (used when the captures carry no usable span)
-- returns: first_ms BIGINT, last_ms BIGINT
SELECT epoch_ms(min(lo)) AS first_ms, epoch_ms(max(hi)) AS last_ms
FROM (
  SELECT min(ts) AS lo, max(ts) AS hi FROM syscalls
  UNION ALL SELECT min(ts), max(ts) FROM execs
  UNION ALL SELECT min(ts), max(ts) FROM opens
  UNION ALL SELECT min(ts), max(ts) FROM connections);
