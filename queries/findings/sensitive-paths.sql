-- description: finding: a container opened sensitive host paths (runtime sockets, password hashes, kernel knobs, cgroup release_agent, ssh keys)
-- params: container_ids
-- title: Sensitive host paths opened
-- severity: high
-- explanation: Runtime sockets, password hashes, kernel tunables, cgroup release_agent or SSH keys were
-- explanation: opened from inside a container; writes and successful opens matter most.
-- returns: container VARCHAR, path VARCHAR, opens BIGINT, writes BIGINT, failures BIGINT, comms VARCHAR
-- returns: first_seen VARCHAR, host VARCHAR, container_id VARCHAR
SELECT
  coalesce(container, container_id) AS container,
  path,
  count(*) AS opens,
  count(*) FILTER (WHERE flags & 3 IN (1, 2)) AS writes,
  count(*) FILTER (WHERE errno IS NOT NULL) AS failures,
  string_agg(DISTINCT comm, ', ' ORDER BY comm) AS comms,
  strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_seen,
  host,
  container_id
FROM opens
WHERE container_id IS NOT NULL
  -- runc sets the container up through /proc/sys and /proc/self before the workload starts
  AND coalesce(comm, '') NOT LIKE 'runc%'
  AND coalesce(comm, '') NOT IN ('crun', 'conmon', 'containerd-shim')
  AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND (path IN ('/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock',
                '/var/run/containerd/containerd.sock', '/run/crio/crio.sock', '/var/run/crio/crio.sock',
                '/run/podman/podman.sock', '/etc/shadow', '/etc/gshadow', '/etc/sudoers',
                '/proc/kcore', '/dev/mem', '/dev/kmem', '/proc/sysrq-trigger', '/proc/kallsyms')
    OR path LIKE '/proc/sys/%'
    OR path LIKE '%/release_agent'
    OR path LIKE '%/notify_on_release'
    OR path LIKE '/root/.ssh/%'
    OR path LIKE '/home/%/.ssh/%'
    OR path LIKE '/etc/sudoers.d/%'
    OR path LIKE '/etc/kubernetes/%'
    OR path LIKE '/var/lib/kubelet/%'
    OR path LIKE '/sys/kernel/%'
    OR path LIKE '/dev/sd%' OR path LIKE '/dev/nvme%')
GROUP BY host, container_id, container, path
ORDER BY writes DESC, count(*) - count(*) FILTER (WHERE errno IS NOT NULL) DESC, container, path;
