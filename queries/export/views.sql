-- description: export: views the exported kinds read that differ from the analysis views (net_events' own kind column is called `event` in exports, next to the partition's kind;
-- description: export_captures is the captures view plus what a lake needs to answer like the loaded captures: strings cut at load, and whether the capture has a stats record)
-- executes: CREATE OR REPLACE TEMP VIEW export_net_events, export_captures
CREATE OR REPLACE TEMP VIEW export_net_events AS
SELECT * EXCLUDE (kind), kind AS event FROM net_events;

-- ended_at as in the captures view (queries/views.sql), per capture_id: capture_files has no other key.
CREATE OR REPLACE TEMP VIEW export_captures AS
SELECT f.host, f.capture, f.path, f.kernel, f.arch, f.format_version, f.recorder_started_at AS started_at,
       (SELECT max(ts) FROM (SELECT ts, capture_id FROM ev_stats UNION ALL SELECT ts, capture_id FROM ev_container) x WHERE x.capture_id = f.capture_id) AS ended_at,
       f.options, f.warning, f.truncated_strings,
       EXISTS (SELECT 1 FROM ev_stats s WHERE s.capture_id = f.capture_id) AS has_counters
FROM capture_files f;
