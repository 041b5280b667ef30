-- description: report: containers seen, with identity, image, runtime and when they were active
-- returns: host VARCHAR, container_id VARCHAR, short_id VARCHAR, name VARCHAR, image VARCHAR, runtime VARCHAR
-- returns: ips VARCHAR, started_ms BIGINT, first_ms BIGINT, last_ms BIGINT
SELECT
  host,
  container_id,
  short_id,
  name,
  image,
  runtime,
  array_to_string(ips, ', ') AS ips,
  epoch_ms(started_at) AS started_ms,
  epoch_ms(first_seen) AS first_ms,
  epoch_ms(last_seen) AS last_ms
FROM containers
WHERE container_id IS NOT NULL
ORDER BY first_seen NULLS LAST, name, host, container_id;
