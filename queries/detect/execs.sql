-- detect: programs executed per (container, window), with the first argv seen for each
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w,
       coalesce(filename, '') AS filename, count(*)::DOUBLE AS n, arg_min(argv, ts) AS argv, bool_or(truncated) AS truncated
FROM execs
WHERE container_id IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
