-- description: finding: ports on which a container accepted TCP connections during the recording (compare with what it should expose)
-- params: container_ids
-- title: Ports accepting connections
-- severity: low
-- explanation: Ports on which containers accepted TCP connections during the recording; compare with the
-- explanation: ports the service should expose.
-- returns: container VARCHAR, port USMALLINT, comms VARCHAR, connections BIGINT, clients BIGINT
-- returns: first_seen VARCHAR, host VARCHAR, container_id VARCHAR
SELECT
  coalesce(container, container_id) AS container,
  lport AS port,
  string_agg(DISTINCT comm, ', ' ORDER BY comm) AS comms,
  count(*) AS connections,
  count(DISTINCT raddr) AS clients,
  strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_seen,
  host,
  container_id
FROM net_events
WHERE kind = 'accept' AND container_id IS NOT NULL AND coalesce(ret, 0) >= 0
  AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
GROUP BY host, container_id, container, lport
ORDER BY container, port;
