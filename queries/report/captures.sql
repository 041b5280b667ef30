-- description: report: the recordings in this report (host, kernel, span, format, recording options)
-- returns: capture VARCHAR, host VARCHAR, kernel VARCHAR, arch VARCHAR, format_version VARCHAR
-- returns: started_ms BIGINT, ended_ms BIGINT, options VARCHAR, warning VARCHAR
SELECT
  capture,
  host,
  kernel,
  arch,
  format_version,
  epoch_ms(started_at) AS started_ms,
  epoch_ms(ended_at) AS ended_ms,
  CAST(options AS VARCHAR) AS options,
  warning
FROM captures
ORDER BY started_at, host, capture;
