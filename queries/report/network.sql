-- description: report: TCP connection map for selected containers ($containers): client, server, port, counts; busiest $max_rows edges per container
-- params: containers, max_rows
-- returns: host VARCHAR, client_id VARCHAR, client VARCHAR, server_id VARCHAR, server VARCHAR, port USMALLINT
-- returns: scope VARCHAR, connections BIGINT, failures BIGINT, bytes_sent BIGINT, bytes_received BIGINT
-- returns: comms VARCHAR[], client_edges BIGINT, server_edges BIGINT
WITH ip AS (
  -- resolve addresses of containers whose side of the connection was not seen
  SELECT host, addr, any_value(container_id) AS container_id, any_value(name) AS name
  FROM (SELECT host, unnest(ips) AS addr, container_id, name FROM containers)
  GROUP BY host, addr),
c AS (
  SELECT c.host,
         coalesce(c.client_container_id, ipc.container_id) AS client_id,
         coalesce(c.client_container, ipc.name, c.client_addr) AS client,
         coalesce(c.server_container_id, ips.container_id) AS server_id,
         coalesce(c.server_container, ips.name, c.server_addr) AS server,
         c.server_addr, c.server_port, c.ret, c.bytes_sent, c.bytes_received, c.client_comm
  FROM report_connections c
  LEFT JOIN ip ipc ON ipc.host = c.host AND ipc.addr = c.client_addr
  LEFT JOIN ip ips ON ips.host = c.host AND ips.addr = c.server_addr),
g AS (
  SELECT host, client_id, client, server_id, server, server_port AS port,
         CASE WHEN server_id IS NOT NULL THEN 'container'
              WHEN server_addr LIKE '127.%' OR server_addr = '::1' OR server_addr LIKE '::ffff:127.%' THEN 'loopback'
              ELSE 'outside' END AS scope,
         count(*) AS connections,
         -- a non-blocking connect returns -EINPROGRESS (115): not a failure
         count(*) FILTER (WHERE ret < 0 AND ret <> -115) AS failures,
         coalesce(sum(bytes_sent), 0)::BIGINT AS bytes_sent,
         coalesce(sum(bytes_received), 0)::BIGINT AS bytes_received,
         list(DISTINCT client_comm ORDER BY client_comm)[1:3] AS comms
  FROM c
  WHERE client_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))
     OR server_id IN (SELECT unnest(from_json($containers, '["VARCHAR"]')))
  GROUP BY ALL)
-- keep an edge when it is among the busiest $max_rows of its client or of its server container
SELECT *,
       count(*) OVER (PARTITION BY host, client_id) AS client_edges,
       count(*) OVER (PARTITION BY host, server_id) AS server_edges
FROM g
QUALIFY row_number() OVER (PARTITION BY host, client_id ORDER BY connections DESC, server, port) <= $max_rows
     OR row_number() OVER (PARTITION BY host, server_id ORDER BY connections DESC, client, port) <= $max_rows
ORDER BY connections DESC, client, server, port;
