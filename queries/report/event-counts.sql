-- description: report: events per kind across all captures (syscalls and connections from report-prepare-*)
-- returns: kind VARCHAR, events BIGINT
SELECT 'syscall calls (in-kernel aggregates)' AS kind, coalesce(sum(calls), 0)::BIGINT AS events FROM report_syscalls
UNION ALL SELECT 'execs', count(*) FROM execs
UNION ALL SELECT 'processes', count(*) FROM processes
UNION ALL SELECT 'file opens', count(*) FROM opens
UNION ALL SELECT 'TCP connections', count(*) FROM report_connections
UNION ALL SELECT 'seccomp-denied calls', coalesce(sum(denied), 0)::BIGINT FROM report_syscalls;
