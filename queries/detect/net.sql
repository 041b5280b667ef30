-- detect: TCP per (container, window): outgoing connects by peer and port (with the first one's time), incoming accepts by local port
-- params: window_ns
SELECT host, capture, container_id, epoch_ns(ts) // $window_ns::BIGINT AS w, kind,
       CASE WHEN kind = 'connect' THEN raddr ELSE NULL END AS peer,
       CASE WHEN kind = 'connect' THEN rport ELSE lport END AS port,
       count(*)::DOUBLE AS n,
       -- a non-blocking connect returns -EINPROGRESS (115): not a failure
       count(*) FILTER (WHERE ret < 0 AND ret <> -115)::DOUBLE AS failed,
       -- the first contact in the window: the burst rule slides over window boundaries (rules.ts)
       min(epoch_ns(ts)) AS first_ns
FROM net_events
WHERE container_id IS NOT NULL AND kind IN ('connect', 'accept')
GROUP BY ALL
ORDER BY ALL;
