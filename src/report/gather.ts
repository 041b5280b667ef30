/**
 * Runs the report's SQL (queries/report/*.sql) and groups the rows by container. Every query
 * aggregates and caps in DuckDB, so what reaches JavaScript grows with containers and distinct
 * values, never with the number of events. Captured values only ever travel as bound parameters.
 */
import { CliError, EXIT } from '../util/errors.js';
import type { ReportSource, Row } from './types.js';
import { clean, optNum } from './values.js';

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
}

export interface Gathered {
  captures: Row[];
  stats: Row[];
  quality: Row[];
  eventCounts: Row[];
  allContainers: ReportContainer[];
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
  execTimeline: Row[];
  processes: Row[];
  files: Row[];
}

export const TOP_SYSCALLS = 25;
export const SERIES = 8;
export const EXEC_SERIES = 12;

export function keyOf(host: unknown, id: unknown): string {
  return `${String(host)}\u0000${String(id)}`;
}

export async function gather(src: ReportSource, wanted: string[], maxRows: number): Promise<Gathered> {
  // One after another: a DuckDB connection runs one statement at a time anyway.
  const captures = await src.named('report-captures');
  const stats = await src.named('report-stats');
  const containerRows = await src.named('report-containers');
  const allContainers = containerRows.map(toInfo);
  const selected = selectContainers(allContainers, wanted);
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
  const perContainer = new Map<string, PerContainer>(
    selected.map((c) => [c.key, { topSyscalls: [], syscallNames: [], syscallsTime: [], execTimeline: [], processes: [], files: [] }]),
  );
  const eventCounts = await src.named('report-event-counts');
  const ids = JSON.stringify([...new Set(selected.map((c) => c.id))]);
  const p = { containers: ids };
  const quality = await src.named('report-quality');
  const summary = await src.named('report-container-summary', p);
  const top = await src.named('report-top-syscalls', { ...p, top: TOP_SYSCALLS });
  const names = await src.named('report-syscall-names', p);
  const time = await src.named('report-syscalls-time', { ...p, bucket_ms: bucketMs, series: SERIES });
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
  put(execs, 'execTimeline');
  put(procs, 'processes');
  put(files, 'files');
  return { captures, stats, quality, eventCounts, allContainers, selected, bucketMs, execBucketMs, spanMs, perContainer, network };
}

function toInfo(r: Row): ReportContainer {
  const id = String(r.container_id ?? '');
  return {
    key: keyOf(r.host, id),
    host: String(r.host ?? ''),
    id,
    name: r.name == null || r.name === '' ? String(r.short_id ?? id.slice(0, 12)) : String(r.name),
    image: String(r.image ?? ''),
    runtime: String(r.runtime ?? ''),
    ips: String(r.ips ?? ''),
    startedMs: optNum(r.started_ms),
    firstMs: optNum(r.first_ms),
    lastMs: optNum(r.last_ms),
  };
}

/** `--container` takes a name, a full id or an id prefix (≥ 4 characters, as `docker` does). */
export function selectContainers(all: ReportContainer[], wanted: string[]): ReportContainer[] {
  if (wanted.length === 0) return all;
  const out = new Set<ReportContainer>();
  for (const w of wanted) {
    const hits = all.filter((c) => c.name === w || c.id === w || (w.length >= 4 && c.id.startsWith(w)));
    if (hits.length === 0) {
      const names = all.map((c) => clean(c.name, 60)).join(', ') || '(none)';
      throw new CliError(`no container matches "${clean(w, 80)}"; containers in the capture: ${names}`, EXIT.usage);
    }
    hits.forEach((h) => out.add(h));
  }
  return all.filter((c) => out.has(c));
}

function spanOf(rows: Row[], from = 'started_ms', to = 'ended_ms'): [number, number] | null {
  const lo = rows.map((r) => optNum(r[from])).filter((x): x is number => x !== null && x > 0);
  const hi = rows.map((r) => optNum(r[to])).filter((x): x is number => x !== null && x > 0);
  if (lo.length === 0 || hi.length === 0) return null;
  const first = Math.min(...lo);
  const last = Math.max(...hi);
  return last > first ? [first, last] : null;
}

const STEPS = [100, 250, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];

/** About `buckets` buckets over the span, on a round step, so time charts stay small whatever the length. */
export function niceBucket(spanMs: number, buckets = 100): number {
  const target = spanMs / buckets;
  for (const s of STEPS) if (s >= target) return s;
  return Math.ceil(target / 3600e3) * 3600e3;
}

