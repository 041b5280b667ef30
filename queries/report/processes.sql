-- description: report: processes per selected container ($containers), first $max_rows by start, with argv and exit status
-- params: containers, max_rows
-- returns: host VARCHAR, container_id VARCHAR, pid UINTEGER, ppid UINTEGER, comm VARCHAR, filename VARCHAR
-- returns: argv VARCHAR[], start_ms BIGINT, exit_ms BIGINT, exit_code INTEGER, total BIGINT
WITH p AS (
  SELECT host, container_id, pid, ppid, comm, filename, argv,
         epoch_ms(coalesce(started_at, exec_at)) AS start_ms, epoch_ms(exited_at) AS exit_ms, exit_code
  FROM processes
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]'))))
SELECT *, count(*) OVER (PARTITION BY host, container_id) AS total
FROM p
QUALIFY row_number() OVER (PARTITION BY host, container_id ORDER BY start_ms NULLS LAST, pid) <= $max_rows
ORDER BY host, container_id, start_ms NULLS LAST, pid;
