-- description: finding: container processes made syscalls used in container escapes (mount, unshare, setns, ptrace, bpf, keyctl, open_by_handle_at …)
-- params: container_ids
-- title: Escape-related syscalls
-- severity: high
-- explanation: Workload processes called syscalls used to break out of containers (mount, namespaces,
-- explanation: handles, ptrace, bpf, keyrings, modules); runc’s own setup calls are excluded.
-- returns: container VARCHAR, syscall VARCHAR, calls BIGINT, succeeded BIGINT, denied_by_seccomp BIGINT
-- returns: comms VARCHAR, first_seen VARCHAR, host VARCHAR, container_id VARCHAR
-- runc's own setup calls (before the workload starts) run as comm 'runc:[…]' and are left out.
SELECT
  coalesce(container, container_id) AS container,
  name AS syscall,
  sum(count)::BIGINT AS calls,
  (sum(count) - sum(errors))::BIGINT AS succeeded,
  sum(denied)::BIGINT AS denied_by_seccomp,
  string_agg(DISTINCT comm, ', ' ORDER BY comm) AS comms,
  strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_seen,
  host,
  container_id
FROM syscalls
WHERE container_id IS NOT NULL
  AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
  AND name IN ('open_by_handle_at', 'name_to_handle_at', 'mount', 'umount2', 'move_mount', 'fsmount', 'fsopen',
               'open_tree', 'pivot_root', 'unshare', 'setns', 'ptrace', 'process_vm_writev', 'bpf', 'keyctl',
               'add_key', 'request_key', 'init_module', 'finit_module', 'delete_module', 'kexec_load',
               'kexec_file_load', 'perf_event_open', 'userfaultfd', 'iopl', 'ioperm')
  AND coalesce(comm, '') NOT LIKE 'runc%'
  AND coalesce(comm, '') NOT IN ('crun', 'conmon', 'containerd-shim', 'exe')
GROUP BY host, container_id, container, name
ORDER BY succeeded DESC, calls DESC, container, syscall;
