/**
 * The recording loop: native batches → container attribution → capture file.
 *
 * Every DRAIN_MS the ring-buffer events decoded by the native thread are taken as whole batches,
 * rows from ignored cgroups are dropped, and the rest is written (and so on disk) at once. Every
 * interval the in-kernel syscall aggregates are read out, counters are written as a stats record
 * and the file is fsync'ed: a recorder killed at any moment leaves a capture readable up to the
 * last write. Containers are recorded from their first event: BPF reports an unknown cgroup and
 * records it provisionally until we decide (cgroup v2 path → runtime metadata).
 */
import { CaptureWriter } from '../capture/writer.js';
import { FORMAT_VERSION, RESOURCE_FIELDS, type Kind } from '../capture/schema.js';
import { ContainerResolver, findCgroupV2Mount, type ContainerInfo } from '../containers/index.js';
import { join } from 'node:path';
import { FileCache, sampleCgroup, type ResourceSample } from './resources.js';
import { syscallTableFor } from '../syscalls/index.js';
import { hostInfo } from './host.js';
import { NativeRecorder, requireRoot, type NativeBatch, type RingBufferUse } from './native.js';
import { concatBatches, selectRows } from './rows.js';
import { ensureTracefs } from './tracefs.js';

export interface RecordOptions {
  out: string;
  force: boolean;
  /** Container names or ids to record; empty = every container. */
  containers: string[];
  opens: 'host' | 'all' | 'none';
  includeHost: boolean;
  intervalMs: number;
  maxArgvBytes?: number;
  /** Sample cgroup v2 and network counters of every recorded container at each flush (default true). */
  resources?: boolean;
}

/** What one flush wrote, for the live exporter (src/metrics/live.ts). Batches hold only recorded cgroups. */
export interface FlushReport {
  /** Event batches written since the previous flush (syscall aggregates included). */
  batches: NativeBatch[];
  /** Resource samples taken at this flush, by cgroup id. */
  resources: Map<bigint, ResourceSample>;
  containers: ReadonlyMap<bigint, ContainerInfo>;
  /** Cumulative native + own counters (events.*, drops.*, truncated.*, ringbuf.* …). */
  counters: Record<string, bigint>;
  bytesWritten: number;
  flushSeconds: number;
  /** The BPF ring buffer's size, use now and peak use since the previous flush. */
  ringBuffer: RingBufferUse;
  /** Cgroup ids of recorded containers whose cgroup directory is gone (the container exited). */
  gone: ReadonlySet<bigint>;
  /** The last flush, at stop. */
  final: boolean;
}

export interface RecordProgress {
  elapsedMs: number;
  containers: number;
  /** Events per second since the last call, by kind; `syscall` counts calls, not aggregate rows. */
  rates: Partial<Record<Kind, number>>;
  drops: bigint;
  bytes: number;
}

/** Why a recording stopped on its own: the capture could not be written (ENOSPC, EIO …). */
export interface RecordFailure {
  error: NodeJS.ErrnoException;
  /** Events wholly in the file (readable), and the wall-clock time they reach. */
  rowsOnDisk: number;
  onDiskAt: Date;
}

export interface RecordSummary {
  out: string;
  elapsedMs: number;
  rows: Partial<Record<Kind, number>>;
  syscalls: bigint;
  containers: ContainerInfo[];
  counters: Record<string, bigint>;
  bytes: number;
  ignoredRows: number;
  /** --container selectors that matched no container seen during the recording. */
  unmatched: string[];
}

const DRAIN_MS = 200;
/** Drained rows wait for the next flush, unless this many are already waiting. */
const MAX_PENDING_ROWS = 1 << 16;
const REFRESH_MS = 2000;
/** Counters go to the file every this many flushes (each batch costs ~4 KB of per-column framing), and at once when a drop or truncation counter moves. */
const STATS_EVERY = 10;

interface Seen {
  info: ContainerInfo;
  first: bigint;
  last: bigint;
  emitted: string; // the metadata we last wrote, to write again only on change
  gone?: boolean; // its cgroup directory has disappeared: no more resource samples
}

export class Recorder {
  private readonly verdicts = new Map<bigint, 'record' | 'ignore'>();
  private readonly seen = new Map<bigint, Seen>();
  private readonly rows: Partial<Record<Kind, number>> = {};
  private syscallCalls = 0n;
  private ignoredRows = 0;
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  /** Events seen per kind (kept, not yet necessarily written), for the status line. */
  private readonly seenRows: Partial<Record<Kind, number>> = {};
  private lastRates = { at: Date.now(), rows: {} as Partial<Record<Kind, number>>, calls: 0n, rates: {} as Partial<Record<Kind, number>> };
  private stopped = false;
  /** Set when writing failed; the recorder has then stopped by itself (BPF detached). */
  failure: RecordFailure | null = null;
  /** Called once when writing fails. */
  onFailure: (f: RecordFailure) => void = () => {};
  private readonly pending = new Map<Kind, NativeBatch[]>();
  private pendingRows = 0;
  /** Called after every flush with what it wrote (the live exporter); errors in it are the caller's. */
  onFlush: ((report: FlushReport) => void) | null = null;
  private flushed: NativeBatch[] = [];
  private readonly cgroupMount = findCgroupV2Mount();

  private constructor(
    private readonly opts: RecordOptions,
    private readonly writer: CaptureWriter,
    private readonly native: NativeRecorder,
    private readonly resolver: ContainerResolver,
  ) {}

  /**
   * Creates the file, then loads and attaches the BPF programs (that order: a bad path fails fast);
   * a non-root user is refused before the file exists.
   */
  static async start(opts: RecordOptions): Promise<Recorder> {
    requireRoot();
    const host = hostInfo();
    const writer = await CaptureWriter.create(
      opts.out,
      {
        host,
        syscalls: syscallTableFor(host.arch),
        options: { opens: opts.opens, containers: opts.containers, host: opts.includeHost, interval_ms: opts.intervalMs, max_argv_bytes: opts.maxArgvBytes ?? 16384 },
        recorder: { version: `contxray ${FORMAT_VERSION}`, started_at_ns: String(BigInt(Date.now()) * 1_000_000n) },
      },
      { force: opts.force },
    );
    let native: NativeRecorder;
    try {
      if (process.geteuid?.() === 0) ensureTracefs();
      native = NativeRecorder.open({ opens: opts.opens, maxArgvBytes: opts.maxArgvBytes });
    } catch (err) {
      writer.close();
      throw err;
    }
    const resolver = new ContainerResolver();
    resolver.watch();
    const r = new Recorder(opts, writer, native, resolver);
    r.timers.push(setInterval(() => r.guarded(() => r.drainEvents()), DRAIN_MS));
    r.timers.push(setInterval(() => r.guarded(() => r.flush()), opts.intervalMs));
    r.timers.push(setInterval(() => r.guarded(() => r.refreshContainers()), REFRESH_MS));
    return r;
  }

  /** Final drain, container and stats records, footer. Idempotent. */
  stop(): RecordSummary {
    if (!this.stopped) {
      this.stopped = true;
      for (const t of this.timers) clearInterval(t);
      this.guarded(() => {
        this.drainEvents();
        this.flush(true);
        this.refreshContainers(true);
        this.writeStats();
      });
      this.native.close();
      this.resolver.close();
      this.resourceFiles.close();
      this.guarded(() => this.writer.close());
    }
    return this.summary();
  }

  /**
   * Runs a step that writes to the capture. A write error (disk full, EIO) must not escape from a
   * timer as an uncaught exception with BPF still attached: the recorder stops itself (BPF
   * detached, file closed as a cut capture, readable up to the last whole batch) and reports.
   */
  private guarded(step: () => void): void {
    if (this.failure) return;
    try {
      step();
    } catch (err) {
      if (!this.writer.failed) throw err; // not a write error: a bug, reported as one
      this.failure = { error: this.writer.failed, rowsOnDisk: this.writer.rowsOnDisk, onDiskAt: new Date(this.writer.onDiskAt) };
      for (const t of this.timers) clearInterval(t);
      if (!this.stopped) {
        this.stopped = true;
        this.native.close();
        this.resolver.close();
      }
      this.writer.close();
      this.onFailure(this.failure);
    }
  }

  progress(): RecordProgress {
    const now = Date.now();
    // Rates over windows of at least two flushes, so they don't flicker between writes.
    if (now - this.lastRates.at >= Math.max(2000, 2 * this.opts.intervalMs)) {
      const dt = (now - this.lastRates.at) / 1000;
      const rates: Partial<Record<Kind, number>> = {};
      for (const [k, v] of Object.entries(this.seenRows)) rates[k as Kind] = (v - (this.lastRates.rows[k as Kind] ?? 0)) / dt;
      rates.syscall = Number(this.syscallCalls - this.lastRates.calls) / dt;
      this.lastRates = { at: now, rows: { ...this.seenRows }, calls: this.syscallCalls, rates };
    }
    const rates = this.lastRates.rates;
    const counters = this.stopped ? {} : this.native.counters();
    const drops = Object.entries(counters).filter(([k]) => k.startsWith('drops.')).reduce((a, [, v]) => a + v, 0n);
    return { elapsedMs: now - this.startedAt, containers: this.seen.size, rates, drops, bytes: this.fileBytes() };
  }

  /** Bytes we wrote (not a stat of the path: the name is not ours to trust, the fd is). */
  private fileBytes(): number {
    return this.writer.bytesWritten;
  }

  private decide(cgroupId: bigint): 'record' | 'ignore' {
    let v = this.verdicts.get(cgroupId);
    if (v) return v;
    const info = this.resolver.resolve(cgroupId);
    if (info) v = this.opts.containers.length === 0 || this.opts.containers.some((s) => this.resolver.matches(info, s)) ? 'record' : 'ignore';
    else v = this.opts.includeHost && this.opts.containers.length === 0 ? 'record' : 'ignore';
    this.verdicts.set(cgroupId, v);
    if (!this.stopped) this.native.setCgroupVerdict(cgroupId, v);
    if (v === 'record' && info) this.seen.set(cgroupId, { info, first: 0n, last: 0n, emitted: '' });
    return v;
  }

  /** Drops rows of ignored cgroups; notes first/last event time of each container. */
  private keep(batch: NativeBatch): NativeBatch | null {
    const cg = batch.columns.cgroup_id as BigUint64Array | undefined;
    const ts = batch.columns.ts as BigInt64Array | undefined;
    if (!cg || !ts) return batch;
    const keep = new Uint32Array(batch.length);
    let n = 0;
    for (let i = 0; i < batch.length; i++) {
      const id = cg[i]!;
      if (this.decide(id) !== 'record') continue;
      keep[n++] = i;
      const s = this.seen.get(id);
      if (s) {
        const t = ts[i]!;
        if (s.first === 0n || t < s.first) s.first = t;
        if (t > s.last) s.last = t;
      }
    }
    this.ignoredRows += batch.length - n;
    if (batch.kind !== 'syscall') this.seenRows[batch.kind] = (this.seenRows[batch.kind] ?? 0) + n;
    return n === 0 ? null : selectRows(batch, keep.subarray(0, n));
  }

  private write(batch: NativeBatch | null): void {
    if (!batch || batch.length === 0) return;
    this.writeNewContainers();
    this.writer.writeBatch(batch.kind, batch.length, batch.columns as never);
    this.rows[batch.kind] = (this.rows[batch.kind] ?? 0) + batch.length;
    if (this.onFlush) this.flushed.push(batch);
    if (batch.kind === 'syscall') for (const c of batch.columns.count as BigUint64Array) this.syscallCalls += c;
  }

  drainEvents(): void {
    const { batches, newCgroups } = this.native.drain();
    for (const id of newCgroups) this.decide(id);
    for (const b of batches) {
      const kept = this.keep(b);
      if (!kept) continue;
      this.pending.set(kept.kind, [...(this.pending.get(kept.kind) ?? []), kept]);
      this.pendingRows += kept.length;
    }
    if (this.pendingRows >= MAX_PENDING_ROWS) this.writePending();
  }

  private writePending(): void {
    for (const batches of this.pending.values()) this.write(concatBatches(batches));
    this.pending.clear();
    this.pendingRows = 0;
  }

  flush(final = false): void {
    const t0 = process.hrtime.bigint();
    this.writePending();
    this.write(this.keep(this.native.readSyscalls()));
    const resources = this.opts.resources === false ? new Map<bigint, ResourceSample>() : this.writeResources();
    this.flushes++;
    const counters = this.native.counters();
    const losses = lossCount(counters);
    if (this.flushes % STATS_EVERY === 0 || losses !== this.lastLosses) this.writeStats(counters);
    this.lastLosses = losses;
    this.writer.sync();
    if (this.onFlush) {
      const batches = this.flushed;
      this.flushed = [];
      const containers = new Map([...this.seen].map(([id, s]) => [id, s.info]));
      const flushSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const ringBuffer = this.native.ringBuffer();
      this.onFlush({ batches, resources, containers, counters: { ...counters, ...this.ownCounters() }, bytesWritten: this.writer.bytesWritten, flushSeconds, ringBuffer, final, gone: new Set([...this.seen].filter(([, s]) => s.gone).map(([id]) => id)) });
    }
  }

  /** One `resource` row per recorded container with a cgroup directory; unreadable values are null. */
  private writeResources(): Map<bigint, ResourceSample> {
    const samples = new Map<bigint, ResourceSample>();
    if (!this.cgroupMount) return samples;
    for (const [id, s] of this.seen) {
      if (!s.info.cgroupPath || s.gone) continue;
      const sample = sampleCgroup(join(this.cgroupMount.mountPoint, s.info.cgroupPath), '/proc', this.resourceRead);
      // A container whose cgroup is gone gives one all-null row, then no more: nothing to sample.
      if (sample.cpu_usage_usec === null && sample.pids_current === null) s.gone = true;
      samples.set(id, sample);
    }
    this.resourceFiles.sweep();
    if (samples.size === 0) return samples;
    this.writeNewContainers();
    const now = BigInt(Date.now()) * 1_000_000n;
    const ids = [...samples.keys()];
    const columns: Record<string, (bigint | null)[]> = { ts: ids.map(() => now), cgroup_id: ids };
    for (const f of RESOURCE_FIELDS) columns[f.name] = ids.map((id) => samples.get(id)![f.name]);
    this.writer.writeBatch('resource', ids.length, columns);
    this.rows.resource = (this.rows.resource ?? 0) + ids.length;
    return samples;
  }

  private flushes = 0;
  private lastLosses = 0n;
  /** The resource files stay open across flushes (resources.ts). */
  private readonly resourceFiles = new FileCache();
  private readonly resourceRead = (path: string) => this.resourceFiles.read(path);

  /** Container records go before the events that name them, so a cut file still has them. */
  private writeNewContainers(force = false): void {
    const changed = [...this.seen.entries()].filter(([, s]) => force || s.emitted === '');
    if (changed.length === 0) return;
    const now = BigInt(Date.now()) * 1_000_000n;
    for (const [, s] of changed) s.emitted = metadataKey(s.info);
    this.writer.writeBatch('container', changed.length, {
      ts: changed.map(() => now),
      cgroup_id: changed.map(([id]) => id),
      container_id: changed.map(([, s]) => s.info.id),
      container_name: changed.map(([, s]) => s.info.name),
      image: changed.map(([, s]) => s.info.image),
      runtime: changed.map(([, s]) => s.info.runtime),
      cgroup_path: changed.map(([, s]) => s.info.cgroupPath),
      ips: changed.map(([, s]) => s.info.ips),
      labels: changed.map(([, s]) => JSON.stringify(s.info.labels)),
      started_at: changed.map(([, s]) => s.info.startedAtNs),
      first_seen: changed.map(([, s]) => (s.first === 0n ? now : s.first)),
      last_seen: changed.map(([, s]) => (s.last === 0n ? now : s.last)),
    });
    this.rows.container = (this.rows.container ?? 0) + changed.length;
  }

  /** IPs and names appear or change after start; write a container again when they do. */
  private refreshContainers(final = false): void {
    for (const [id, s] of this.seen) {
      const info = this.resolver.refresh(id);
      if (info) s.info = info;
      if (!final && metadataKey(s.info) !== s.emitted) s.emitted = '';
    }
    this.writeNewContainers(final);
  }

  /** Cumulative counters as one stats batch (always at the end). */
  private ownCounters(): Record<string, bigint> {
    return {
      'recorder.ignored_rows': BigInt(this.ignoredRows),
      'recorder.invalid_utf8': BigInt(this.writer.invalidUtf8),
      'recorder.containers': BigInt(this.seen.size),
      'recorder.syscall_calls': this.syscallCalls,
    };
  }

  private writeStats(counters = this.native.counters()): void {
    const all = { ...counters, ...this.ownCounters() };
    this.lastCounters = { ...this.lastCounters, ...all };
    const names = Object.keys(all);
    const now = BigInt(Date.now()) * 1_000_000n;
    this.writer.writeBatch('stats', names.length, {
      ts: names.map(() => now),
      stat_name: names,
      stat_value: names.map((n) => all[n]!),
    });
  }

  private lastCounters: Record<string, bigint> = {};

  private summary(): RecordSummary {
    return {
      out: this.opts.out,
      elapsedMs: Date.now() - this.startedAt,
      rows: { ...this.rows },
      syscalls: this.syscallCalls,
      containers: [...this.seen.values()].map((s) => s.info),
      counters: this.lastCounters,
      bytes: this.fileBytes(),
      ignoredRows: this.ignoredRows,
      unmatched: this.opts.containers.filter((sel) => ![...this.seen.values()].some((x) => this.resolver.matches(x.info, sel))),
    };
  }
}

/** Sum of every drop and truncation counter: when it moves, counters go to the file at once. */
function lossCount(counters: Record<string, bigint>): bigint {
  let n = 0n;
  for (const [k, v] of Object.entries(counters)) if (/^(drops|truncated)\./.test(k)) n += v;
  return n;
}

function metadataKey(info: ContainerInfo): string {
  return JSON.stringify([info.name, info.image, info.ips, info.labels, String(info.startedAtNs)]);
}
