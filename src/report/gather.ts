/**
 * Runs the report's SQL (queries/report/*.sql) and groups the rows by container. Every query
 * aggregates and caps in DuckDB, so what reaches JavaScript grows with containers and distinct
 * values, never with the number of events. Captured values only ever travel as bound parameters.
 */
import { keyOf } from '../analyze/select.js';
import type { ReportSource, Row } from './types.js';
import { clean, num, optNum } from './values.js';

/** A container as the report shows it (a row of queries/report/containers.sql); not the recorder's containers/ContainerInfo. */
export interface ReportContainer {
  key: string; // host + NUL + container id: ids are unique per host only
  host: string;
  id: string;
  name: string;
  image: string;
  runtime: string;
  ips: string;
  startedMs: number | null;
  firstMs: number | null;
  lastMs: number | null;
  activity: Row; // calls, execs, opens, conns_out, conns_in over the whole capture
  flagged: boolean; // has evidence in a finding
}

export interface Gathered {
  captures: Row[];
  stats: Row[];
  quality: Row[];
  eventCounts: Row[];
  /** The busiest containers in scope, findings first: the head of the overview table. */
  ranked: ReportContainer[];
  /** Containers in scope (all, or those --container matched); `ranked` is the first of them. */
  inScope: number;
  hosts: number;
  /** Containers with a section of their own: the first `maxContainers` of `ranked`. */
  selected: ReportContainer[];
  bucketMs: number;
  execBucketMs: number;
  spanMs: [number, number] | null;
  perContainer: Map<string, PerContainer>;
  network: Row[];
}

export interface PerContainer {
  summary?: Row;
  topSyscalls: Row[];
  syscallNames: Row[];
  syscallsTime: Row[];
  resourcesTime: Row[];
  execTimeline: Row[];
  processes: Row[];
  files: Row[];
}

export const TOP_SYSCALLS = 25;
export const SERIES = 8;
export const EXEC_SERIES = 12;

/** host + NUL + container id, the same key as the container selector's. */
export { keyOf };

/** What the report reads before it knows which containers to show. */
export interface Prepared {
  captures: Row[];
  stats: Row[];
  spanMs: [number, number] | null;
  bucketMs: number;
  execBucketMs: number;
}

export async function prepare(src: ReportSource): Promise<Prepared> {
  // One after another: a DuckDB connection runs one statement at a time anyway.
  const captures = await src.named('report-captures');
  const stats = await src.named('report-stats');
  // Syscall aggregates and connections are read by several queries: one pass each into small temp
  // tables. Their bucket comes from the captures' own span (cheap), the views' span if they have none.
  let spanMs = spanOf(captures) ?? spanOf([(await src.named('report-span'))[0] ?? {}], 'first_ms', 'last_ms');
  const fineMs = spanMs ? niceBucket(spanMs[1] - spanMs[0]) : 1000;
  await src.named('report-prepare-syscalls', { bucket_ms: fineMs });
  await src.named('report-prepare-connections');
  // the events may reach past the captures' span (or it was missing): widen, and re-bucket coarser
  const data = spanOf([(await src.named('report-data-span'))[0] ?? {}], 'first_ms', 'last_ms');
  if (data) spanMs = spanMs ? [Math.min(spanMs[0], data[0]), Math.max(spanMs[1], data[1])] : data;
  const bucketMs = spanMs ? Math.max(fineMs, niceBucket(spanMs[1] - spanMs[0])) : fineMs;
  // one dot per program and bucket: fewer, wider buckets keep busy containers' timelines small
  const execBucketMs = spanMs ? niceBucket(spanMs[1] - spanMs[0], 40) : 1000;
  return { captures, stats, spanMs, bucketMs, execBucketMs };
}

/**
 * Ranks the containers in scope in DuckDB (those with findings first, in the order given, then by
 * activity) and gathers the per-container detail for the first `maxContainers`. Every query
 * aggregates and caps in DuckDB, so what reaches JavaScript grows with the containers shown, not
 * with the containers or events in the capture.
 */
export async function gather(src: ReportSource, pre: Prepared, containerIds: string | null, flagged: string[], maxContainers: number, maxRows: number): Promise<Gathered> {
  const { captures, stats, spanMs, bucketMs, execBucketMs } = pre;
  const flaggedSet = new Set(flagged);
  const rankedRows = await src.named('report-containers', {
    container_ids: containerIds,
    flagged: JSON.stringify(flagged),
    limit: Math.max(maxContainers, maxRows),
  });
  const ranked = rankedRows.map((r) => toInfo(r, flaggedSet));
  const selected = ranked.slice(0, maxContainers);
  const perContainer = new Map<string, PerContainer>(
    selected.map((c) => [c.key, { topSyscalls: [], syscallNames: [], syscallsTime: [], resourcesTime: [], execTimeline: [], processes: [], files: [] }]),
  );
  const eventCounts = await src.named('report-event-counts');
  const ids = JSON.stringify([...new Set(selected.map((c) => c.id))]);
  const p = { containers: ids };
  const quality = await src.named('report-quality');
  const summary = await src.named('report-container-summary', p);
  const top = await src.named('report-top-syscalls', { ...p, top: TOP_SYSCALLS });
  const names = await src.named('report-syscall-names', p);
  const time = await src.named('report-syscalls-time', { ...p, bucket_ms: bucketMs, series: SERIES });
  const resources = await src.named('report-resources-time', { ...p, bucket_ms: bucketMs });
  const execs = await src.named('report-exec-timeline', { ...p, bucket_ms: execBucketMs, series: EXEC_SERIES });
  const procs = await src.named('report-processes', { ...p, max_rows: maxRows });
  const files = await src.named('report-files', { ...p, max_rows: maxRows });
  const network = await src.named('report-network', { ...p, max_rows: maxRows });
  const put = (rows: Row[], field: Exclude<keyof PerContainer, 'summary'>) => {
    for (const r of rows) perContainer.get(keyOf(r.host, r.container_id))?.[field].push(r);
  };
  for (const r of summary) {
    const pc = perContainer.get(keyOf(r.host, r.container_id));
    if (pc) pc.summary = r;
  }
  put(top, 'topSyscalls');
  put(names, 'syscallNames');
  put(time, 'syscallsTime');
  put(resources, 'resourcesTime');
  put(execs, 'execTimeline');
  put(procs, 'processes');
  put(files, 'files');
  return {
    captures, stats, quality, eventCounts, ranked, selected, bucketMs, execBucketMs, spanMs, perContainer, network,
    inScope: num(rankedRows[0]?.in_scope),
    hosts: num(rankedRows[0]?.hosts),
  };
}

function nameOf(r: Row): string {
  const id = String(r.container_id ?? '');
  return r.name == null || r.name === '' ? String(r.short_id ?? id.slice(0, 12)) : String(r.name);
}

function toInfo(r: Row, flagged: Set<string>): ReportContainer {
  const id = String(r.container_id ?? '');
  return {
    key: keyOf(r.host, id),
    host: String(r.host ?? ''),
    id,
    name: nameOf(r),
    image: String(r.image ?? ''),
    runtime: String(r.runtime ?? ''),
    ips: String(r.ips ?? ''),
    startedMs: optNum(r.started_ms),
    firstMs: optNum(r.first_ms),
    lastMs: optNum(r.last_ms),
    activity: { calls: r.calls, execs: r.execs, opens: r.opens, conns_out: r.conns_out, conns_in: r.conns_in },
    flagged: flagged.has(id),
  };
}

function spanOf(rows: Row[], from = 'started_ms', to = 'ended_ms'): [number, number] | null {
  // a loop, not Math.min(...all): one row per capture, and a glob may name very many captures
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    const lo = optNum(r[from]);
    const hi = optNum(r[to]);
    if (lo !== null && lo > 0 && lo < first) first = lo;
    if (hi !== null && hi > 0 && hi > last) last = hi;
  }
  return Number.isFinite(first) && Number.isFinite(last) && last > first ? [first, last] : null;
}

const STEPS = [100, 250, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];

/** About `buckets` buckets over the span, on a round step, so time charts stay small whatever the length. */
export function niceBucket(spanMs: number, buckets = 100): number {
  const target = spanMs / buckets;
  for (const s of STEPS) if (s >= target) return s;
  return Math.ceil(target / 3600e3) * 3600e3;
}

