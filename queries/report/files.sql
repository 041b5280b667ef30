-- description: report: host-filesystem opens per selected container ($containers) grouped by path, with access modes and failures
-- params: containers, max_rows
-- returns: host VARCHAR, container_id VARCHAR, path VARCHAR, fs_type VARCHAR, opens BIGINT, reads BIGINT
-- returns: writes BIGINT, creates BIGINT, truncates BIGINT, failures BIGINT, errnos BIGINT[], comms VARCHAR[]
-- returns: n_comms BIGINT, truncated BOOLEAN, runtime_only BOOLEAN, first_ms BIGINT, total BIGINT
WITH g AS (
  SELECT host, container_id, path,
         string_agg(DISTINCT fs_type, ', ' ORDER BY fs_type) AS fs_type,
         count(*) AS opens,
         count(*) FILTER (WHERE flags & 3 = 0) AS reads,
         count(*) FILTER (WHERE flags & 3 IN (1, 2)) AS writes,
         count(*) FILTER (WHERE flags & 64 <> 0) AS creates,
         count(*) FILTER (WHERE flags & 512 <> 0) AS truncates,
         count(*) FILTER (WHERE errno IS NOT NULL) AS failures,
         list(DISTINCT errno ORDER BY errno) FILTER (WHERE errno IS NOT NULL) AS errnos,
         list(DISTINCT comm ORDER BY comm)[1:5] AS comms,
         count(DISTINCT comm) AS n_comms,
         bool_or(truncated) AS truncated,
         -- opened only by the runtime while it set the container up (runc:[2:INIT] …): listed last
         bool_and(coalesce(comm, '') LIKE 'runc%' OR coalesce(comm, '') IN ('crun', 'conmon')) AS runtime_only,
         epoch_ms(min(ts)) AS first_ms
  FROM opens
  WHERE container_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))
  GROUP BY host, container_id, path)
SELECT *, count(*) OVER (PARTITION BY host, container_id) AS total
FROM g
QUALIFY row_number() OVER (PARTITION BY host, container_id ORDER BY runtime_only, failures > 0 DESC, writes DESC, opens DESC, path) <= $max_rows
ORDER BY host, container_id, runtime_only, failures > 0 DESC, writes DESC, opens DESC, path;
