-- description: finding: shells or package managers started inside a container (someone got a shell, or software is installed at run time)
-- params: container_ids
-- title: Shells or package managers started
-- severity: medium
-- explanation: A shell or package manager ran inside a container: an interactive session (docker exec, a web
-- explanation: shell) or software installed at run time. Expected only in entrypoint scripts.
-- returns: container VARCHAR, filename VARCHAR, first_argv VARCHAR, execs BIGINT, first_seen VARCHAR
-- returns: host VARCHAR, container_id VARCHAR
SELECT
  coalesce(container, container_id) AS container,
  filename,
  array_to_string(arg_min(argv, ts), ' ') AS first_argv,
  count(*) AS execs,
  strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_seen,
  host,
  container_id
FROM execs
WHERE container_id IS NOT NULL
  AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND regexp_extract(filename, '[^/]*$') IN (
        'sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox',
        'apt', 'apt-get', 'aptitude', 'dpkg', 'yum', 'dnf', 'microdnf', 'rpm', 'apk', 'zypper', 'pacman',
        'pip', 'pip3', 'npm', 'yarn', 'gem')
GROUP BY host, container_id, container, filename
ORDER BY execs DESC, container, filename;
