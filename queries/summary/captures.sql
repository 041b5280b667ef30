-- summary: each capture with its host, kernel, time span and events
SELECT c.host, c.capture, c.arch, c.kernel, c.format_version AS format,
       c.started_at, c.ended_at,
       round(epoch_ns(c.ended_at) / 1e9 - epoch_ns(c.started_at) / 1e9, 1) AS seconds,
       c.warning
FROM captures c
ORDER BY c.host, c.started_at;
