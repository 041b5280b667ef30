-- description: seccomp: per capture, are its syscall rows split per exec generation (each row carries the comm of the program that made
-- description: the calls)? Recorders with that kernel side also count syscall.sigreturn_exit_skipped, which older ones never wrote.
-- params: container_id
-- returns: host VARCHAR, capture VARCHAR, per_exec_rows BOOLEAN
SELECT c.host, c.capture, bool_or(s.name = 'syscall.sigreturn_exit_skipped') AS per_exec_rows
FROM (SELECT DISTINCT host, capture FROM syscalls WHERE container_id = $container_id) c
LEFT JOIN stats s ON s.host = c.host AND s.capture = c.capture
GROUP BY ALL;
