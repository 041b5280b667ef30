-- description: syscalls that seccomp denied at run time, with the errno each caller got; expected: denied on purpose so libc falls back
-- description: (ENOSYS for a newer call with an older equivalent, e.g. clone3 → clone; same list as src/seccomp/fallbacks.ts)
-- params: container_ids
-- returns: host VARCHAR, container VARCHAR, comm VARCHAR, syscall VARCHAR, errno INTEGER, expected BOOLEAN, denied UBIGINT
SELECT host, coalesce(container, '(host)') AS container, comm, coalesce(name, '#' || nr) AS syscall,
       denied_errno AS errno,
       (denied_errno = 38 AND name IN ('clone3', 'faccessat2', 'statx', 'openat2', 'close_range', 'epoll_pwait2', 'pidfd_open',
        'pidfd_send_signal', 'preadv2', 'pwritev2', 'copy_file_range', 'fchmodat2', 'rseq', 'io_uring_setup')) AS expected,
       sum(denied)::UBIGINT AS denied
FROM syscalls
WHERE denied > 0 AND nr >= 0 AND ($container_ids::VARCHAR IS NULL OR list_contains(from_json($container_ids, '["VARCHAR"]'), container_id))
GROUP BY ALL
ORDER BY expected, denied DESC;
