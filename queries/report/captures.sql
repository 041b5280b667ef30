-- description: report: the recordings in this report (host, kernel, span, format, recording options, whether counters are known, strings cut at load)
-- returns: capture VARCHAR, host VARCHAR, kernel VARCHAR, arch VARCHAR, format_version VARCHAR
-- returns: started_ms BIGINT, ended_ms BIGINT, options VARCHAR, warning VARCHAR, no_counters BOOLEAN, truncated_strings UBIGINT
SELECT
  capture,
  host,
  kernel,
  arch,
  format_version,
  epoch_ms(started_at) AS started_ms,
  epoch_ms(ended_at) AS ended_ms,
  CAST(options AS VARCHAR) AS options,
  warning,
  -- no stats record (cut before the recorder's first flush): its drops and truncations are unknown
  NOT EXISTS (SELECT 1 FROM ev_stats s JOIN capture_files f USING (capture_id) WHERE f.path = c.path) AS no_counters,
  -- strings cut at load to their column's cap (the same file loaded twice counts once)
  (SELECT max(truncated_strings) FROM capture_files f WHERE f.path = c.path) AS truncated_strings
FROM captures c
ORDER BY started_at, host, capture;
