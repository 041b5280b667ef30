-- description: the analysis views over the loaded tables (ev_<kind>, strings, capture_files, syscall_names)
-- executes: CREATE OR REPLACE VIEW for every view in docs/analysis-api.md
-- Dictionary columns of the raw tables are ids into `strings`; the views give text.

-- The container records and the two container aggregates are computed once per database, as tables,
-- and read through views of the same name: every event view joins cgroup_containers, and
-- recomputing these aggregations (string joins over every container record) inside each query cost
-- most of a 100k-container report; the records' five string joins are done once for both
-- aggregates (a third of a small capture's views). The loaded tables never change afterwards, so a
-- table made once stays consistent; IF NOT EXISTS also fills in a --db database built before these
-- tables existed.
CREATE TABLE IF NOT EXISTS materialised_container_records AS
SELECT e.capture_id, cap.host, e.ts, e.cgroup_id,
       s_id.value AS container_id, s_name.value AS name, s_img.value AS image, s_rt.value AS runtime,
       s_cg.value AS cgroup_path, e.ips, e.labels, e.started_at, e.first_seen, e.last_seen
FROM ev_container e
JOIN capture_files cap USING (capture_id)
LEFT JOIN strings s_id ON s_id.id = e.container_id
LEFT JOIN strings s_name ON s_name.id = e.container_name
LEFT JOIN strings s_img ON s_img.id = e.image
LEFT JOIN strings s_rt ON s_rt.id = e.runtime
LEFT JOIN strings s_cg ON s_cg.id = e.cgroup_path;
CREATE OR REPLACE VIEW container_records AS SELECT * FROM materialised_container_records;

-- cgroup → container, per capture (a capture carries its own container records).
CREATE TABLE IF NOT EXISTS materialised_cgroup_containers AS
SELECT capture_id, cgroup_id, arg_max(container_id, ts) AS container_id, arg_max(name, ts) AS container
FROM container_records GROUP BY capture_id, cgroup_id;
CREATE OR REPLACE VIEW cgroup_containers AS SELECT * FROM materialised_cgroup_containers;

CREATE OR REPLACE VIEW captures AS
SELECT capture, path, host, kernel, arch, format_version,
       recorder_started_at AS started_at,
       (SELECT max(ts) FROM (SELECT ts, capture_id FROM ev_stats UNION ALL SELECT ts, capture_id FROM ev_container) x WHERE x.capture_id = c.capture_id) AS ended_at,
       options, warning
FROM capture_files c;

CREATE TABLE IF NOT EXISTS materialised_containers AS
SELECT host, arg_max(capture, ts) AS capture, container_id, left(container_id, 12) AS short_id,
       arg_max(name, ts) AS name, arg_max(image, ts) AS image, arg_max(runtime, ts) AS runtime,
       arg_max(cgroup_id, ts) AS cgroup_id, arg_max(cgroup_path, ts) AS cgroup_path,
       arg_max(ips, ts) AS ips, arg_max(labels, ts) AS labels, max(started_at) AS started_at,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM container_records JOIN capture_files USING (capture_id, host)
GROUP BY host, container_id;
CREATE OR REPLACE VIEW containers AS SELECT * FROM materialised_containers;

-- Events per host and container (NULL: processes outside any container): each kind counted per
-- capture and cgroup in its own table, and only those few rows joined to their host and container.
-- Summing the event views instead joins every event to its strings and syscall names first (15
-- hash joins for four numbers per container: most of a small capture's summary). The same rows as
-- summing syscalls (calls), execs, opens and net_events (connect, accept); the lake's version does
-- exactly that (queries/lake/views.sql).
CREATE OR REPLACE VIEW container_event_counts AS
WITH counted AS (
  SELECT capture_id, cgroup_id, sum(count) AS syscalls, sum(denied) AS denied, 0 AS execs, 0 AS opens, 0 AS conns FROM ev_syscall GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, count(*), 0, 0 FROM ev_exec GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, count(*), 0 FROM ev_open GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, 0, count(*) FROM ev_connect GROUP BY ALL
  UNION ALL SELECT capture_id, cgroup_id, 0, 0, 0, 0, count(*) FROM ev_accept GROUP BY ALL
)
SELECT cap.host, cc.container_id, sum(n.syscalls)::UBIGINT AS syscalls, sum(n.denied)::UBIGINT AS denied,
       sum(n.execs)::UBIGINT AS execs, sum(n.opens)::UBIGINT AS opens, sum(n.conns)::UBIGINT AS connections
FROM counted n JOIN capture_files cap USING (capture_id) LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW syscalls AS
SELECT cap.host, cap.capture, e.ts, cc.container_id, cc.container, e.cgroup_id, e.pid, e.tid,
       s_comm.value AS comm, e.syscall_nr AS nr, n.name,
       CASE WHEN e.compat THEN coalesce(n.arch, 'compat') ELSE cap.arch END AS arch,
       e.compat, e.filtered, e.count, e.errors, e.denied, e.denied_errno
FROM ev_syscall e
JOIN capture_files cap USING (capture_id)
LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
LEFT JOIN strings s_comm ON s_comm.id = e.comm
LEFT JOIN syscall_names n ON n.capture_id = e.capture_id AND n.compat = e.compat AND n.nr = e.syscall_nr;

CREATE OR REPLACE VIEW execs AS
SELECT cap.host, cap.capture, e.ts, cc.container_id, cc.container, e.cgroup_id, e.pid, e.tid, e.ppid, e.uid,
       s_comm.value AS comm, s_file.value AS filename, e.argv, e.truncated
FROM ev_exec e
JOIN capture_files cap USING (capture_id)
LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
LEFT JOIN strings s_comm ON s_comm.id = e.comm
LEFT JOIN strings s_file ON s_file.id = e.filename;

CREATE OR REPLACE VIEW processes AS
WITH forks AS (
  SELECT capture_id, cgroup_id, pid, arg_min(ppid, ts) AS ppid, min(ts) AS started_at FROM ev_fork GROUP BY ALL
), last_exec AS (
  SELECT capture_id, cgroup_id, pid, arg_max(ppid, ts) AS ppid, arg_max(comm, ts) AS comm, arg_max(filename, ts) AS filename,
         arg_max(argv, ts) AS argv, min(ts) AS exec_at
  FROM ev_exec GROUP BY ALL
), exits AS (
  SELECT capture_id, cgroup_id, pid, arg_max(comm, ts) AS comm, max(ts) AS exited_at, arg_max(exit_code, ts) AS exit_code FROM ev_exit GROUP BY ALL
), pids AS (
  SELECT capture_id, cgroup_id, pid FROM forks UNION SELECT capture_id, cgroup_id, pid FROM last_exec
  UNION SELECT capture_id, cgroup_id, pid FROM exits
)
SELECT cap.host, cap.capture, cc.container_id, cc.container, p.pid, coalesce(f.ppid, x.ppid) AS ppid,
       s_comm.value AS comm, s_file.value AS filename, x.argv, f.started_at, x.exec_at, q.exited_at, q.exit_code
FROM pids p
JOIN capture_files cap USING (capture_id)
LEFT JOIN forks f USING (capture_id, cgroup_id, pid)
LEFT JOIN last_exec x USING (capture_id, cgroup_id, pid)
LEFT JOIN exits q USING (capture_id, cgroup_id, pid)
LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
LEFT JOIN strings s_comm ON s_comm.id = coalesce(q.comm, x.comm)
LEFT JOIN strings s_file ON s_file.id = x.filename;

CREATE OR REPLACE VIEW opens AS
SELECT cap.host, cap.capture, e.ts, cc.container_id, cc.container, e.pid, e.tid, s_comm.value AS comm, e.uid,
       coalesce(n.name, '#' || e.syscall_nr) AS syscall, s_path.value AS path, e.open_flags AS flags,
       s_fs.value AS fs_type, e.fs_magic, e.ret, CASE WHEN e.ret < 0 THEN -e.ret END AS errno, e.truncated
FROM ev_open e
JOIN capture_files cap USING (capture_id)
LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
LEFT JOIN strings s_comm ON s_comm.id = e.comm
LEFT JOIN strings s_path ON s_path.id = e.path
LEFT JOIN strings s_fs ON s_fs.id = e.fs_type
LEFT JOIN syscall_names n ON n.capture_id = e.capture_id AND NOT n.compat AND n.nr = e.syscall_nr;

-- Every TCP event with its side's process and container.
CREATE OR REPLACE VIEW net_events AS
SELECT cap.host, cap.capture, e.capture_id, e.kind, e.ts, cc.container_id, cc.container, e.cgroup_id, e.pid, e.tid,
       s_comm.value AS comm, e.uid, e.ret, e.protocol, e.family, e.laddr, e.lport, e.raddr, e.rport,
       e.sock_cookie, e.duration_ns, e.bytes_sent, e.bytes_received
FROM (
  SELECT 'connect' AS kind, capture_id, ts, cgroup_id, pid, tid, comm, uid, ret, protocol, family, laddr, lport, raddr, rport, sock_cookie,
         NULL::UBIGINT AS duration_ns, NULL::UBIGINT AS bytes_sent, NULL::UBIGINT AS bytes_received FROM ev_connect
  UNION ALL
  SELECT 'accept', capture_id, ts, cgroup_id, pid, tid, comm, uid, ret, protocol, family, laddr, lport, raddr, rport, sock_cookie,
         NULL, NULL, NULL FROM ev_accept
  UNION ALL
  SELECT 'close', capture_id, ts, cgroup_id, pid, tid, comm, NULL, NULL, protocol, family, laddr, lport, raddr, rport, sock_cookie,
         duration_ns, bytes_sent, bytes_received FROM ev_close
) e
JOIN capture_files cap USING (capture_id)
LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
LEFT JOIN strings s_comm ON s_comm.id = e.comm;

-- One row per TCP connection: the client's connect joined with the server's accept (same capture,
-- matching 4-tuple), plus its close (socket cookies are unique within one recording). Either side
-- may be missing (outside the recorded set).
CREATE OR REPLACE VIEW connections AS
WITH c AS (SELECT * FROM net_events WHERE kind = 'connect'),
     a AS (SELECT * FROM net_events WHERE kind = 'accept'),
     cl AS (SELECT capture_id, sock_cookie, max(duration_ns) AS duration_ns, max(bytes_sent) AS bytes_sent,
                   max(bytes_received) AS bytes_received FROM net_events WHERE kind = 'close' GROUP BY ALL),
     pairs AS (
       SELECT coalesce(c.host, a.host) AS host, coalesce(c.capture, a.capture) AS capture,
              coalesce(c.capture_id, a.capture_id) AS capture_id, coalesce(c.ts, a.ts) AS ts,
              c.container_id AS client_container_id, c.container AS client_container, c.pid AS client_pid, c.comm AS client_comm,
              coalesce(c.laddr, a.raddr) AS client_addr, coalesce(c.lport, a.rport) AS client_port,
              a.container_id AS server_container_id, a.container AS server_container, a.pid AS server_pid, a.comm AS server_comm,
              coalesce(a.laddr, c.raddr) AS server_addr, coalesce(a.lport, c.rport) AS server_port,
              coalesce(c.family, a.family) AS family, c.ret,
              c.sock_cookie AS client_cookie, a.sock_cookie AS server_cookie,
              CASE WHEN c.host IS NOT NULL AND a.host IS NOT NULL THEN 'both' WHEN c.host IS NOT NULL THEN 'client' ELSE 'server' END AS seen
       FROM c FULL OUTER JOIN a
         ON c.capture_id = a.capture_id AND c.laddr = a.raddr AND c.lport = a.rport AND c.raddr = a.laddr AND c.rport = a.lport
            AND (c.ret = 0 OR c.ret = -115)
     )
SELECT p.host, p.capture, p.ts, client_container_id, client_container, client_pid, client_comm, client_addr, client_port,
       server_container_id, server_container, server_pid, server_comm, server_addr, server_port, family, p.ret,
       coalesce(x.duration_ns, y.duration_ns) AS duration_ns, coalesce(x.bytes_sent, y.bytes_received) AS bytes_sent,
       coalesce(x.bytes_received, y.bytes_sent) AS bytes_received, seen
FROM pairs p
LEFT JOIN cl x ON x.capture_id = p.capture_id AND x.sock_cookie = p.client_cookie
LEFT JOIN cl y ON y.capture_id = p.capture_id AND y.sock_cookie = p.server_cookie;

CREATE OR REPLACE VIEW stats AS
SELECT cap.host, cap.capture, s.value AS name, arg_max(e.stat_value, e.ts) AS value
FROM ev_stats e JOIN capture_files cap USING (capture_id) JOIN strings s ON s.id = e.stat_name
GROUP BY ALL;

-- Resource samples (kind `resource`): the kernel's cumulative counters as recorded, plus per-interval
-- rates over the previous sample of the same container in the same capture (null for the first one,
-- and when a counter went backwards: a restarted cgroup). cpu_cores = CPU time / wall time.
CREATE OR REPLACE VIEW resources AS
WITH r AS (
  SELECT cap.host, cap.capture, e.capture_id, cc.container_id, cc.container, e.cgroup_id, e.ts,
         e.cpu_usage_usec, e.cpu_user_usec, e.cpu_system_usec, e.cpu_nr_throttled, e.cpu_throttled_usec,
         e.memory_current, e.memory_anon, e.memory_file, e.memory_peak,
         e.io_rbytes, e.io_wbytes, e.io_rios, e.io_wios, e.pids_current,
         e.net_rx_bytes, e.net_tx_bytes, e.net_rx_packets, e.net_tx_packets,
         (epoch_ns(e.ts) - epoch_ns(lag(e.ts) OVER w)) / 1e9 AS interval_s,
         e.cpu_usage_usec::DOUBLE - lag(e.cpu_usage_usec) OVER w AS d_cpu,
         e.cpu_throttled_usec::DOUBLE - lag(e.cpu_throttled_usec) OVER w AS d_throttled,
         e.io_rbytes::DOUBLE - lag(e.io_rbytes) OVER w AS d_io_r,
         e.io_wbytes::DOUBLE - lag(e.io_wbytes) OVER w AS d_io_w,
         e.net_rx_bytes::DOUBLE - lag(e.net_rx_bytes) OVER w AS d_rx,
         e.net_tx_bytes::DOUBLE - lag(e.net_tx_bytes) OVER w AS d_tx
  FROM ev_resource e
  JOIN capture_files cap USING (capture_id)
  LEFT JOIN cgroup_containers cc USING (capture_id, cgroup_id)
  WINDOW w AS (PARTITION BY e.capture_id, e.cgroup_id ORDER BY e.ts)
)
SELECT host, capture, container_id, container, cgroup_id, ts,
       cpu_usage_usec, cpu_user_usec, cpu_system_usec, cpu_nr_throttled, cpu_throttled_usec,
       memory_current, memory_anon, memory_file, memory_peak,
       io_rbytes, io_wbytes, io_rios, io_wios, pids_current,
       net_rx_bytes, net_tx_bytes, net_rx_packets, net_tx_packets,
       interval_s,
       CASE WHEN interval_s > 0 AND d_cpu >= 0 THEN d_cpu / 1e6 / interval_s END AS cpu_cores,
       CASE WHEN interval_s > 0 AND d_throttled >= 0 THEN d_throttled / 1e6 / interval_s END AS cpu_throttled_cores,
       CASE WHEN interval_s > 0 AND d_io_r >= 0 THEN d_io_r / interval_s END AS io_read_bytes_per_s,
       CASE WHEN interval_s > 0 AND d_io_w >= 0 THEN d_io_w / interval_s END AS io_write_bytes_per_s,
       CASE WHEN interval_s > 0 AND d_rx >= 0 THEN d_rx / interval_s END AS net_rx_bytes_per_s,
       CASE WHEN interval_s > 0 AND d_tx >= 0 THEN d_tx / interval_s END AS net_tx_bytes_per_s
FROM r;
