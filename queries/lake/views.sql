-- description: lake mode: the analysis views over a Parquet lake written by `contxray export --parquet`, read in place through lake_<kind> (src/analyze/lake.ts)
-- executes: CREATE OR REPLACE VIEW syscalls, execs, processes, opens, net_events, connections, containers, stats, resources, container_event_counts, captures, ev_stats; CREATE TABLE capture_files
-- The export wrote each analysis view as it was (decoded strings, one kind per view), so most views
-- are the lake as it is. lake_<kind> = that view's columns plus `date` (the partition: filter on it
-- to skip other days' files); `host` comes from the partition when no host name was shortened in it.
-- There are no ev_<kind>, strings or syscall_names tables in lake mode: capture_files and ev_stats
-- are the parts of them the named queries read (captures, counters known or not, strings cut).

CREATE OR REPLACE VIEW syscalls AS SELECT * EXCLUDE (date) FROM lake_syscall;
CREATE OR REPLACE VIEW execs AS SELECT * EXCLUDE (date) FROM lake_exec;
CREATE OR REPLACE VIEW processes AS SELECT * EXCLUDE (date) FROM lake_process;
CREATE OR REPLACE VIEW opens AS SELECT * EXCLUDE (date) FROM lake_open;
CREATE OR REPLACE VIEW connections AS SELECT * EXCLUDE (date) FROM lake_connection;
CREATE OR REPLACE VIEW containers AS SELECT * EXCLUDE (date) FROM lake_container;
CREATE OR REPLACE VIEW stats AS SELECT * EXCLUDE (date) FROM lake_stats;
CREATE OR REPLACE VIEW resources AS SELECT * EXCLUDE (date) FROM lake_resource;

-- The export renamed net_events' own kind to `event` (the partition is called kind).
CREATE OR REPLACE VIEW net_events AS
SELECT host, capture, capture_id, event AS kind, ts, container_id, container, cgroup_id, pid, tid, comm, uid, ret, protocol,
       family, laddr, lport, raddr, rport, sock_cookie, duration_ns, bytes_sent, bytes_received
FROM lake_net;

-- Events per host and container, summed from the views (the loaded version counts its ev_<kind> tables).
CREATE OR REPLACE VIEW container_event_counts AS
WITH per AS (
  SELECT host, container_id, sum(count) AS syscalls, sum(denied) AS denied, 0 AS execs, 0 AS opens, 0 AS conns FROM syscalls GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, count(*), 0, 0 FROM execs GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, 0, count(*), 0 FROM opens GROUP BY ALL
  UNION ALL SELECT host, container_id, 0, 0, 0, 0, count(*) FROM net_events WHERE kind <> 'close' GROUP BY ALL
)
SELECT host, container_id, sum(syscalls)::UBIGINT AS syscalls, sum(denied)::UBIGINT AS denied,
       sum(execs)::UBIGINT AS execs, sum(opens)::UBIGINT AS opens, sum(conns)::UBIGINT AS connections
FROM per GROUP BY ALL;

-- One row per capture, read once (a few hundred bytes per capture); capture_id numbers them here.
CREATE OR REPLACE TABLE capture_files AS
SELECT (row_number() OVER (ORDER BY host, capture, path, started_at))::UINTEGER AS capture_id, capture, path, host, kernel, arch,
       format_version, options, started_at AS recorder_started_at, ended_at, warning, truncated_strings, has_counters
FROM lake_capture;

CREATE OR REPLACE VIEW captures AS
SELECT capture, path, host, kernel, arch, format_version, recorder_started_at AS started_at, ended_at, options, warning
FROM capture_files;

-- The captures that have a stats record (whether their drops and truncations are known).
CREATE OR REPLACE VIEW ev_stats AS SELECT capture_id FROM capture_files WHERE has_counters;
