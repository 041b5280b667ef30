-- Per-step increments of every metric family, from the raw tables (not the views: the syscall
-- aggregates are most of the rows, and grouping them by integer ids first is what keeps the export
-- near the load time). Family keys and label order: src/metrics/families.ts (l1, l2 = the labels
-- after host, container_id, container). t_ns = end of the step window the events fell in.
-- Needs the one-row table metrics_params(step_ns) and the macros of labels.sql.
CREATE OR REPLACE TEMP TABLE metric_increments AS
WITH p AS (SELECT step_ns FROM metrics_params),
sys AS (
  SELECT capture_id, cgroup_id, syscall_nr, compat, epoch_ns(ts) // step_ns AS b,
         sum(count) AS c, sum(errors) AS e, sum(denied) AS d
  FROM ev_syscall, p GROUP BY ALL
),
sysn AS (
  SELECT s.capture_id, s.cgroup_id, coalesce(n.name, '#' || s.syscall_nr) AS syscall, s.b, s.c, s.e, s.d
  FROM sys s LEFT JOIN syscall_names n ON n.capture_id = s.capture_id AND n.compat = s.compat AND n.nr = s.syscall_nr
),
-- IP → container name per host, for TCP peers whose other side was not recorded in the same capture.
ipmap AS (
  SELECT host, ip, min(name) AS name
  FROM (SELECT host, unnest(ips) AS ip, name FROM container_records) GROUP BY ALL
),
outbound AS (
  SELECT c.rowid AS rid, c.capture_id, c.cgroup_id, c.ts, c.raddr AS peer_addr,
         any_value(CASE WHEN a.capture_id IS NOT NULL THEN coalesce(ac.container, 'host') END) AS matched
  FROM ev_connect c
  LEFT JOIN ev_accept a ON a.capture_id = c.capture_id AND a.laddr = c.raddr AND a.lport = c.rport AND a.raddr = c.laddr AND a.rport = c.lport
  LEFT JOIN cgroup_containers ac ON ac.capture_id = a.capture_id AND ac.cgroup_id = a.cgroup_id
  WHERE c.ret = 0 OR c.ret = -115
  GROUP BY ALL
),
inbound AS (
  SELECT a.rowid AS rid, a.capture_id, a.cgroup_id, a.ts, a.raddr AS peer_addr,
         any_value(CASE WHEN c.capture_id IS NOT NULL THEN coalesce(cc.container, 'host') END) AS matched
  FROM ev_accept a
  LEFT JOIN ev_connect c ON c.capture_id = a.capture_id AND c.laddr = a.raddr AND c.lport = a.rport AND c.raddr = a.laddr AND c.rport = a.lport
  LEFT JOIN cgroup_containers cc ON cc.capture_id = c.capture_id AND cc.cgroup_id = c.cgroup_id
  WHERE a.ret >= 0
  GROUP BY ALL
),
tcp AS (
  SELECT 'outbound' AS direction, * FROM outbound UNION ALL SELECT 'inbound', * FROM inbound
),
raw AS (
  SELECT 'syscalls' AS family, capture_id, cgroup_id, syscall AS l1, '' AS l2, b, c AS v FROM sysn WHERE c > 0
  UNION ALL SELECT 'syscall_errors', capture_id, cgroup_id, syscall, '', b, e FROM sysn WHERE e > 0
  UNION ALL SELECT 'seccomp_denied', capture_id, cgroup_id, syscall, '', b, d FROM sysn WHERE d > 0
  UNION ALL SELECT 'execs', capture_id, cgroup_id, '', '', epoch_ns(ts) // step_ns, count(*) FROM ev_exec, p GROUP BY ALL
  UNION ALL SELECT 'forks', capture_id, cgroup_id, '', '', epoch_ns(ts) // step_ns, count(*) FROM ev_fork, p GROUP BY ALL
  UNION ALL SELECT 'exits', capture_id, cgroup_id, '', '', epoch_ns(ts) // step_ns, count(*) FROM ev_exit, p GROUP BY ALL
  UNION ALL SELECT 'file_opens', o.capture_id, o.cgroup_id, coalesce(s.value, 'unknown'), '', epoch_ns(o.ts) // step_ns, count(*)
            FROM ev_open o LEFT JOIN strings s ON s.id = o.fs_type, p GROUP BY ALL
  UNION ALL SELECT 'file_open_failures', capture_id, cgroup_id, '', '', epoch_ns(ts) // step_ns, count(*) FROM ev_open, p WHERE ret < 0 GROUP BY ALL
  UNION ALL SELECT 'tcp_connections', t.capture_id, t.cgroup_id, t.direction,
                   coalesce(t.matched, ip.name, 'external'), epoch_ns(t.ts) // step_ns, count(*)
            FROM tcp t JOIN capture_files cap USING (capture_id)
            LEFT JOIN ipmap ip ON ip.host = cap.host AND ip.ip = t.peer_addr, p
            GROUP BY ALL
),
per_container AS (
  SELECT r.family, cap.capture_id, cap.host,
         coalesce(cc.container_id, '') AS container_id,
         CASE WHEN cc.container_id IS NULL THEN 'host' ELSE coalesce(cc.container, left(cc.container_id, 12)) END AS container,
         r.l1, r.l2, (r.b + 1) * p.step_ns AS t_ns, r.v::HUGEINT AS v
  FROM raw r JOIN capture_files cap USING (capture_id)
  LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id), p
),
info AS (
  SELECT 'container_info' AS family, capture_id, host, coalesce(container_id, '') AS container_id,
         coalesce(name, left(container_id, 12)) AS container,
         coalesce(image, '') AS l1, coalesce(runtime, '') AS l2,
         (epoch_ns(min(ts)) // any_value(step_ns) + 1) * any_value(step_ns) AS t_ns, 1::HUGEINT AS v
  FROM container_records, p GROUP BY capture_id, host, container_id, container, l1, l2
),
-- Recorder counters are cumulative per capture: turned into increments so several captures of one
-- host add up (a reset inside a capture counts from zero again).
stat_rows AS (
  SELECT e.capture_id, cap.host, s.value AS stat, e.ts, e.stat_value::HUGEINT AS value,
         lag(e.stat_value::HUGEINT) OVER (PARTITION BY e.capture_id, e.stat_name ORDER BY e.ts) AS prev
  FROM ev_stats e JOIN capture_files cap USING (capture_id) JOIN strings s ON s.id = e.stat_name
),
stats AS (
  SELECT CASE WHEN stat LIKE 'events.%' THEN 'recorder_events' WHEN stat LIKE 'drops.%' THEN 'recorder_drops' ELSE 'recorder_truncations' END AS family,
         capture_id, host, '' AS container_id, '' AS container,
         regexp_replace(stat, '^(events|drops|truncated)\.', '') AS l1, '' AS l2,
         (epoch_ns(ts) // step_ns + 1) * step_ns AS t_ns,
         CASE WHEN prev IS NULL OR value < prev THEN value ELSE value - prev END AS v
  FROM stat_rows, p
  WHERE stat LIKE 'events.%' OR stat LIKE 'drops.%' OR stat LIKE 'truncated.%'
),
-- Resource samples: counters (cumulative in the kernel) become their increments, a value lower
-- than the previous one (a new cgroup under the same container id) counting from zero; gauges
-- (memory, pids) become differences, so the running sum in series.sql is the sampled value.
-- Ordered per container across captures, so two captures of one container don't count twice.
-- CPU times stay in µs here: the family's divisor (families.ts) makes seconds in the text.
res_values AS (
  SELECT e.capture_id, cap.host, coalesce(cc.container_id, '') AS container_id,
         CASE WHEN cc.container_id IS NULL THEN 'host' ELSE coalesce(cc.container, left(cc.container_id, 12)) END AS container,
         e.ts, unnest([
           {f: 'cpu_seconds', l: 'user', v: e.cpu_user_usec, counter: true},
           {f: 'cpu_seconds', l: 'system', v: e.cpu_system_usec, counter: true},
           {f: 'cpu_throttled_seconds', l: '', v: e.cpu_throttled_usec, counter: true},
           {f: 'cpu_throttled_periods', l: '', v: e.cpu_nr_throttled, counter: true},
           {f: 'memory_usage_bytes', l: '', v: e.memory_current, counter: false},
           {f: 'memory_peak_bytes', l: '', v: e.memory_peak, counter: false},
           {f: 'memory_stat_bytes', l: 'anon', v: e.memory_anon, counter: false},
           {f: 'memory_stat_bytes', l: 'file', v: e.memory_file, counter: false},
           {f: 'io_bytes', l: 'read', v: e.io_rbytes, counter: true},
           {f: 'io_bytes', l: 'write', v: e.io_wbytes, counter: true},
           {f: 'io_operations', l: 'read', v: e.io_rios, counter: true},
           {f: 'io_operations', l: 'write', v: e.io_wios, counter: true},
           {f: 'pids', l: '', v: e.pids_current, counter: false},
           {f: 'network_bytes', l: 'receive', v: e.net_rx_bytes, counter: true},
           {f: 'network_bytes', l: 'transmit', v: e.net_tx_bytes, counter: true},
           {f: 'network_packets', l: 'receive', v: e.net_rx_packets, counter: true},
           {f: 'network_packets', l: 'transmit', v: e.net_tx_packets, counter: true}
         ]) AS m
  FROM ev_resource e JOIN capture_files cap USING (capture_id)
  LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
),
res_rows AS (
  SELECT capture_id, host, container_id, container, ts, m.f AS family, m.l AS l1, m.counter, m.v::HUGEINT AS value,
         lag(m.v::HUGEINT) OVER (PARTITION BY host, container_id, container, m.f, m.l ORDER BY ts) AS prev
  FROM res_values WHERE m.v IS NOT NULL
),
resources AS (
  SELECT family, capture_id, host, container_id, container, l1, '' AS l2,
         (epoch_ns(ts) // step_ns + 1) * step_ns AS t_ns,
         CASE WHEN NOT counter THEN value - coalesce(prev, 0) WHEN prev IS NULL OR value < prev THEN value ELSE value - prev END AS v
  FROM res_rows, p
)
SELECT family, capture_id, metrics_label(host) AS host, metrics_label(container_id) AS container_id,
       metrics_label(container) AS container, metrics_label(l1) AS l1, metrics_label(l2) AS l2, t_ns, v
FROM (SELECT * FROM per_container UNION ALL SELECT * FROM info UNION ALL SELECT * FROM stats UNION ALL SELECT * FROM resources);
