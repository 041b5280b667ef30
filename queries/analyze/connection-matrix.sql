-- description: container-to-container connection matrix: who connects to whom, on which port, how often
-- params: container_ids
-- returns: host VARCHAR, client VARCHAR, server VARCHAR, port USMALLINT, connections BIGINT, failed BIGINT
-- returns: seen VARCHAR
SELECT host,
       coalesce(client_container, CASE WHEN seen = 'server' THEN client_addr ELSE '(host)' END) AS client,
       coalesce(server_container, CASE WHEN seen = 'client' THEN server_addr ELSE '(host)' END) AS server,
       server_port AS port, count(*) AS connections,
       count(*) FILTER (WHERE ret < 0 AND ret <> -115) AS failed, seen
FROM connections
WHERE $container_ids::VARCHAR IS NULL
   OR list_contains(from_json($container_ids, '["VARCHAR"]'), client_container_id)
   OR list_contains(from_json($container_ids, '["VARCHAR"]'), server_container_id)
GROUP BY ALL
ORDER BY connections DESC, client, server, port;
