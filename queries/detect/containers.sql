-- detect: every container of every capture, with the capture's arch and time span (windows are clipped to it),
-- and when the container was first and last seen (its start and exit, when they fall inside the recording)
SELECT r.host, cap.capture, cap.arch, r.container_id, arg_max(r.name, r.ts) AS name, arg_max(r.image, r.ts) AS image,
       epoch_ns(min(r.first_seen)) AS first_seen_ns, epoch_ns(max(r.started_at)) AS started_at_ns,
       epoch_ns(max(r.last_seen)) AS last_seen_ns,
       epoch_ns(cap.recorder_started_at) AS capture_start_ns,
       epoch_ns((SELECT max(ts) FROM (SELECT ts, capture_id FROM ev_stats UNION ALL SELECT ts, capture_id FROM ev_container
                 UNION ALL SELECT ts, capture_id FROM ev_syscall) x WHERE x.capture_id = cap.capture_id)) AS capture_end_ns
FROM container_records r
JOIN capture_files cap USING (capture_id, host)
WHERE r.container_id IS NOT NULL
GROUP BY r.host, cap.capture, cap.capture_id, cap.arch, cap.recorder_started_at, r.container_id
ORDER BY r.host, cap.capture, name, r.container_id;
