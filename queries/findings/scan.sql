-- description: finding: a container connected to many ports or hosts (>= 20 ports on one host, or >= 20 hosts): looks like a scan
-- params: container_ids
-- title: Connections to many ports or hosts
-- severity: medium
-- explanation: One container tried 20 or more ports on one host, or 20 or more hosts: typical of a network
-- explanation: scan or lateral movement.
-- returns: container VARCHAR, hosts BIGINT, host_ports BIGINT, max_ports_one_host BIGINT, attempts BIGINT
-- returns: failed BIGINT, first_seen VARCHAR, host VARCHAR, container_id VARCHAR
WITH c AS (
  SELECT host, container_id, container, ts, raddr, rport, ret,
         count(DISTINCT rport) OVER (PARTITION BY host, container_id, raddr) AS ports_per_host
  FROM net_events
  WHERE kind = 'connect' AND container_id IS NOT NULL
    AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id)))
SELECT
  coalesce(container, container_id) AS container,
  count(DISTINCT raddr) AS hosts,
  count(DISTINCT (raddr, rport)) AS host_ports,
  max(ports_per_host) AS max_ports_one_host,
  count(*) AS attempts,
  -- a non-blocking connect returns -EINPROGRESS (115): not a failure
  count(*) FILTER (WHERE ret < 0 AND ret <> -115) AS failed,
  strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_seen,
  host,
  container_id
FROM c
GROUP BY host, container_id, container
HAVING max(ports_per_host) >= 20 OR count(DISTINCT raddr) >= 20
ORDER BY host_ports DESC, container;
