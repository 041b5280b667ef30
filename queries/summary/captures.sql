-- description: summary: each capture with its host, kernel, time span and events
-- returns: host VARCHAR, capture VARCHAR, arch VARCHAR, kernel VARCHAR, format VARCHAR
-- returns: started_at TIMESTAMP_NS, ended_at TIMESTAMP_NS, seconds DOUBLE, warning VARCHAR
SELECT c.host, c.capture, c.arch, c.kernel, c.format_version AS format,
       c.started_at, c.ended_at,
       round(epoch_ns(c.ended_at) / 1e9 - epoch_ns(c.started_at) / 1e9, 1) AS seconds,
       c.warning
FROM captures c
ORDER BY c.host, c.started_at;
