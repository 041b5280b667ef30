-- description: report: one pass over the syscall aggregates into temp table report_syscalls (per host, container, syscall and $bucket_ms bucket); the report-* syscall queries read it
-- params: bucket_ms
-- executes: CREATE OR REPLACE TEMP TABLE report_syscalls
CREATE OR REPLACE TEMP TABLE report_syscalls AS
SELECT host, container_id, nr, name, arch, compat,
       epoch_ms(ts) // $bucket_ms * $bucket_ms AS t_ms,
       sum(count)::BIGINT AS calls, sum(errors)::BIGINT AS errors, sum(denied)::BIGINT AS denied
FROM syscalls
GROUP BY ALL;
