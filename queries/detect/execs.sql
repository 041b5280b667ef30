-- detect: programs executed per (container, window), by file and argv[0] (a multi-call binary such as busybox
-- re-executes /proc/self/exe for each applet: argv[0] tells nc from wget), with the first argv seen for each
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w,
       coalesce(filename, '') AS filename, coalesce(argv[1], '') AS argv0, count(*)::DOUBLE AS n, min(ts) AS first_ts, arg_min(argv, ts) AS argv, bool_or(truncated) AS truncated
FROM execs
WHERE container_id IS NOT NULL
  -- the runtime's own re-exec (`runc init`, from a memfd as /dev/fd/N) belongs to the container's start,
  -- recorded or not depending on when recording began: never a program of the workload
  AND NOT (coalesce(argv[1], '') = 'runc' AND coalesce(argv[2], '') = 'init')
GROUP BY ALL
-- in the order they first ran: reasons quote the first new program (the one that started the rest)
ORDER BY host, capture, container_id, w, first_ts, filename, argv0;
