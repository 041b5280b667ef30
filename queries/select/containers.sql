-- description: select: every container in the loaded captures (one row per host and id), to resolve --container against (src/analyze/select.ts)
-- returns: host VARCHAR, container_id VARCHAR, name VARCHAR, image VARCHAR, runtime VARCHAR
SELECT host, container_id, name, image, runtime
FROM containers
WHERE container_id IS NOT NULL
ORDER BY name, host, container_id;
