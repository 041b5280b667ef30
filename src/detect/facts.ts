/**
 * What each container did in each time window, read from the analysis views with the SQL in
 * queries/detect/. These facts are both the source of the features and the evidence the reasons
 * quote, so they keep names (programs, argv, paths, peers), not only counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../util/package-root.js';
import type { Analysis } from '../analyze/db.js';

const DIR = packagePath('queries', 'detect');

export function detectQuery(name: string): string {
  return readFileSync(join(DIR, `${name}.sql`), 'utf8');
}

export interface ContainerRef {
  host: string;
  capture: string;
  arch: string;
  containerId: string;
  name: string;
  image: string;
  startNs: bigint; // max(capture start, container first seen): windows are clipped to this span
  endNs: bigint;
}

export interface SyscallFacts {
  calls: number;
  errors: number;
  denied: number;
}

export interface WindowFacts {
  ref: ContainerRef;
  w: bigint; // window index: epoch ns / window ns
  startNs: bigint;
  endNs: bigint;
  /** Seconds of the window inside the container's recorded span (edge windows are partial). */
  seconds: number;
  syscalls: Map<string, SyscallFacts>;
  execs: Array<{ filename: string; n: number; argv: string[]; truncated: boolean }>;
  forks: number;
  exits: number;
  opens: Map<string, { n: number; failed: number; writes: number }>;
  /** TCP connects by destination; firstNs: the window's first connect to it (epoch ns). */
  connects: Array<{ peer: string; port: number; n: number; failed: number; firstNs: bigint }>;
  accepts: Array<{ port: number; n: number }>;
  /** Resource samples in the window (capture format 1.1); null when the capture has none here. */
  resources: ResourceFacts | null;
  /**
   * The window overlaps the container's start (from first seen, when after the recording began,
   * to START_SLACK_NS after the runtime's started_at: its warm-up) or follows its exit (its init's
   * exit; without a recorded init, its last sighting when more than EXIT_SLACK_NS before the
   * recording ended): runtime set-up, the entrypoint's first execs and
   * first-time syscalls, the processes' exits. Such windows are scored against the baseline's own
   * lifecycle windows (thresholds.ts), not against steady-state ones.
   */
  lifecycle: boolean;
}

/**
 * A service's warm-up after the runtime reports the start: libraries, first execs, first clients.
 * Chosen on the scenario suite's baseline recordings (leave-one-recording-out validation): the
 * window after the start window still scored above every steady window there.
 */
export const START_SLACK_NS = 5_000_000_000n;

/**
 * A container whose init's exit was not recorded (it started before the recording) and that was
 * last seen this long before the recording's end has exited (or gone idle, which reads the same).
 * Container records refresh last_seen from events: a running, active container is seen within the
 * last flush interval (1 s by default).
 */
export const EXIT_SLACK_NS = 1_000_000_000n;

export interface Lifetime {
  captureStartNs: bigint | null;
  captureEndNs: bigint;
  firstSeenNs: bigint | null;
  startedAtNs: bigint | null;
  lastSeenNs: bigint | null;
  initExitNs: bigint | null;
}

const startedInside = (t: Lifetime) => t.firstSeenNs !== null && t.captureStartNs !== null && t.firstSeenNs > t.captureStartNs;

/**
 * When the container exited inside the recording, or null: its init's exit, even in the
 * recording's last moment (`record -- docker run`); without a recorded init (it started before the
 * recording), its last sighting when well before the recording's end.
 */
export function exitOf(t: Lifetime): bigint | null {
  if (startedInside(t) && t.initExitNs !== null) return t.initExitNs;
  return t.lastSeenNs !== null && t.lastSeenNs < t.captureEndNs - EXIT_SLACK_NS ? t.lastSeenNs : null;
}

/** The window indices of a container's start and exit inside the recording (see WindowFacts.lifecycle). */
export function lifecycleWindows(t: Lifetime, windowNs: bigint): Set<bigint> {
  const out = new Set<bigint>();
  const { firstSeenNs: first, startedAtNs: started } = t;
  if (first !== null && startedInside(t)) {
    const end = (started !== null && started > first ? started : first) + START_SLACK_NS;
    for (let w = first / windowNs; w <= end / windowNs; w++) out.add(w);
  }
  // every window from the exit on is teardown (the kernel kills the rest, the runtime cleans up)
  const exit = exitOf(t);
  if (exit !== null) for (let w = exit / windowNs; w <= t.captureEndNs / windowNs; w++) out.add(w);
  return out;
}

/** No event of the container's own: only resource samples (the sampler reading its cgroup). */
const eventless = (f: WindowFacts) =>
  f.syscalls.size === 0 && f.execs.length === 0 && f.forks === 0 && f.exits === 0 && f.opens.size === 0 && f.connects.length === 0 && f.accepts.length === 0;

/** Means over the window's samples (peaks for memory and pids); a rate is null before its second sample. */
export interface ResourceFacts {
  samples: number;
  cpuCores: number | null;
  memoryBytes: number | null;
  pids: number | null;
  ioBytesPerS: number | null;
  netRxBytesPerS: number | null;
  netTxBytesPerS: number | null;
}

export const refKey = (r: { host: string; capture: string; containerId: string }) => `${r.host}\0${r.capture}\0${r.containerId}`;

const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Every (container, window) with activity, grouped per container ref, windows in time order. */
export async function loadFacts(db: Analysis, windowMs: number): Promise<Map<string, { ref: ContainerRef; windows: WindowFacts[] }>> {
  const windowNs = BigInt(windowMs) * 1_000_000n;
  const p = { window_ns: windowNs };
  const out = new Map<string, { ref: ContainerRef; windows: Map<bigint, WindowFacts>; lifecycle: Set<bigint>; exitW: bigint | null }>();
  const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as bigint));
  const initExit = new Map<string, bigint | null>();
  for (const r of await db.all(detectQuery('lifecycle'))) initExit.set(refKey({ host: str(r.host), capture: str(r.capture), containerId: str(r.container_id) }), big(r.init_exit_ns));
  for (const r of await db.all(detectQuery('containers'))) {
    const capStart = r.capture_start_ns === null ? null : BigInt(r.capture_start_ns as bigint);
    const first = r.first_seen_ns === null ? null : BigInt(r.first_seen_ns as bigint);
    const startNs = capStart !== null && first !== null ? (capStart > first ? capStart : first) : (capStart ?? first ?? 0n);
    const ref: ContainerRef = {
      host: str(r.host), capture: str(r.capture), arch: str(r.arch), containerId: str(r.container_id),
      name: str(r.name) || str(r.container_id).slice(0, 12), image: str(r.image),
      startNs, endNs: r.capture_end_ns === null ? startNs : BigInt(r.capture_end_ns as bigint),
    };
    const t: Lifetime = { captureStartNs: capStart, captureEndNs: ref.endNs, firstSeenNs: first, startedAtNs: big(r.started_at_ns), lastSeenNs: big(r.last_seen_ns), initExitNs: initExit.get(refKey(ref)) ?? null };
    const exit = exitOf(t);
    out.set(refKey(ref), { ref, windows: new Map(), lifecycle: lifecycleWindows(t, windowNs), exitW: exit === null ? null : exit / windowNs });
  }
  const win = (row: Record<string, unknown>): WindowFacts | null => {
    const c = out.get(refKey({ host: str(row.host), capture: str(row.capture), containerId: str(row.container_id) }));
    if (!c) return null;
    const w = BigInt(row.w as bigint);
    let f = c.windows.get(w);
    if (!f) {
      const s = w * windowNs;
      const e = s + windowNs;
      const cs = s > c.ref.startNs ? s : c.ref.startNs;
      const ce = e < c.ref.endNs ? e : c.ref.endNs;
      const seconds = ce > cs ? Number(ce - cs) / 1e9 : 0;
      f = { ref: c.ref, w, startNs: s, endNs: e, seconds, syscalls: new Map(), execs: [], forks: 0, exits: 0, opens: new Map(), connects: [], accepts: [], resources: null, lifecycle: c.lifecycle.has(w) };
      c.windows.set(w, f);
    }
    return f;
  };
  for (const r of await db.all(detectQuery('syscalls'), p)) {
    win(r)?.syscalls.set(str(r.name), { calls: num(r.calls), errors: num(r.errors), denied: num(r.denied) });
  }
  for (const r of await db.all(detectQuery('execs'), p)) {
    win(r)?.execs.push({ filename: str(r.filename), n: num(r.n), argv: Array.isArray(r.argv) ? r.argv.map(str) : [], truncated: r.truncated === true });
  }
  for (const r of await db.all(detectQuery('processes'), p)) {
    const f = win(r);
    if (f) {
      f.forks += num(r.forks);
      f.exits += num(r.exits);
    }
  }
  for (const r of await db.all(detectQuery('opens'), p)) {
    win(r)?.opens.set(str(r.path), { n: num(r.n), failed: num(r.failed), writes: num(r.writes) });
  }
  for (const r of await db.all(detectQuery('net'), p)) {
    const f = win(r);
    if (!f) continue;
    if (r.kind === 'connect') f.connects.push({ peer: str(r.peer), port: num(r.port), n: num(r.n), failed: num(r.failed), firstNs: BigInt(r.first_ns as bigint) });
    else f.accepts.push({ port: num(r.port), n: num(r.n) });
  }
  for (const r of await db.all(detectQuery('resources'), p)) {
    const f = win(r);
    if (!f) continue;
    f.resources = {
      samples: num(r.samples), cpuCores: numOrNull(r.cpu_cores), memoryBytes: numOrNull(r.memory_bytes), pids: numOrNull(r.pids),
      ioBytesPerS: numOrNull(r.io_bytes_per_s), netRxBytesPerS: numOrNull(r.net_rx_bytes_per_s), netTxBytesPerS: numOrNull(r.net_tx_bytes_per_s),
    };
  }
  const result = new Map<string, { ref: ContainerRef; windows: WindowFacts[] }>();
  for (const [k, c] of out) {
    // After the exit, a window with no event of the container's own holds only the sampler's reads
    // of its emptied cgroup (measured: such windows, all-zero behaviour, scored up to 0.8 and no
    // reason could say why): nothing of the workload is left to score.
    const windows = [...c.windows.values()].filter((f) => c.exitW === null || f.w <= c.exitW || !eventless(f)).sort((a, b) => (a.w < b.w ? -1 : a.w > b.w ? 1 : 0));
    result.set(k, { ref: c.ref, windows });
  }
  return result;
}
