-- detect: syscalls per (container, window): calls, errors and seccomp denials by name
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w,
       coalesce(name, '#' || nr::VARCHAR) AS name,
       sum(count)::DOUBLE AS calls, sum(errors)::DOUBLE AS errors, sum(denied)::DOUBLE AS denied
FROM syscalls
WHERE container_id IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
