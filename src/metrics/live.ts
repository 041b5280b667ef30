/**
 * The live exporter of `record --metrics`: a prom-client registry built from the family
 * declarations (families.ts), updated at every recorder flush (FlushReport), served on /metrics in
 * the Prometheus text format, or OpenMetrics when the scraper's Accept header asks for it.
 *
 * Rendering is off the scrape path: after each flush, each content type scraped in the last
 * 2 minutes is rendered in the background (render.ts: slices, snapshot, reused buffer; gzipped on
 * the thread pool when the scraper accepts it), and a scrape gets the newest finished rendering
 * (while the current flush is still being rendered, the previous flush's). Nobody scraping: no
 * rendering at all.
 *
 * Cardinality stays bounded: at most `maxContainers` containers get series (the others are counted
 * in contxray_metrics_containers_overflow_total); a container whose cgroup is gone keeps its series
 * until one scrape has been served from a rendering made after it went (so the last counts are
 * seen), then they are removed for good. Labels are the same as offline: no argv, path, pid,
 * address or port.
 */
import { createServer, type Server } from 'node:http';
import { gzip } from 'node:zlib';
import { Registry, type RegistryContentType } from 'prom-client';
import { formatAddress } from '../capture/addr.js';
import { RESOURCE_FIELDS, type ResourceField } from '../capture/schema.js';
import type { ContainerInfo } from '../containers/index.js';
import type { FlushReport } from '../record/recorder.js';
import type { NativeBatch, StringColumn } from '../record/native.js';
import { syscallTableFor, type SyscallTable } from '../syscalls/index.js';
import { RecorderError, UsageError } from '../util/errors.js';
import { FAMILIES, LIVE_FAMILIES, type Family } from './families.js';
import { boundLabel } from './labels.js';
import { ByteSink, render, snapshot, type RenderStats } from './render.js';
import { StoredCounter, StoredGauge, type Labels, type StoredMetric, type StoredSample } from './stored.js';

const NO_LABELS: Labels = Object.freeze({}) as Labels;
const SYSCALL_FAMILIES = ['syscalls', 'syscall_errors', 'seccomp_denied'] as const;
type Series = { metric: StoredMetric; sample: StoredSample };

interface Tracked {
  labels: Labels; // host, container_id, container
  /** Every series of this container, by family key and label values. */
  series: Map<string, Series>;
  /** Its syscalls/syscall_errors/seccomp_denied series by syscall number × 2 + compat. */
  syscalls: Map<number, (StoredSample | undefined)[]>;
  /** Last cumulative resource value seen, per field. */
  last: Partial<Record<ResourceField, bigint>>;
  /** The generation in which its cgroup was seen gone (null while it runs): a scrape served from a
   *  rendering of that generation or later showed its last counts, and removes it. */
  goneAt: number | null;
}

/** Resource fields → (family key, extra label value, counter divisor), as in queries/metrics/increments.sql. */
const RESOURCE_MAP: Partial<Record<ResourceField, [string, string | null]>> = {
  cpu_user_usec: ['cpu_seconds', 'user'],
  cpu_system_usec: ['cpu_seconds', 'system'],
  cpu_throttled_usec: ['cpu_throttled_seconds', null],
  cpu_nr_throttled: ['cpu_throttled_periods', null],
  memory_current: ['memory_usage_bytes', null],
  memory_peak: ['memory_peak_bytes', null],
  memory_anon: ['memory_stat_bytes', 'anon'],
  memory_file: ['memory_stat_bytes', 'file'],
  io_rbytes: ['io_bytes', 'read'],
  io_wbytes: ['io_bytes', 'write'],
  io_rios: ['io_operations', 'read'],
  io_wios: ['io_operations', 'write'],
  pids_current: ['pids', null],
  net_rx_bytes: ['network_bytes', 'receive'],
  net_tx_bytes: ['network_bytes', 'transmit'],
  net_rx_packets: ['network_packets', 'receive'],
  net_tx_packets: ['network_packets', 'transmit'],
};

export interface LiveOptions {
  host: string;
  arch: string;
  maxContainers: number;
  /** A content type scraped within this long gets rendered after every flush (default 2 min). */
  prerenderWindowMs?: number;
  /** Series per rendering slice, between which the event loop runs (default 500). */
  sliceSeries?: number;
  /** false: render only when a scrape asks, as before (the bench's comparison). */
  prerender?: boolean;
  /** Measure each rendering's CPU time in renderStats (the bench). */
  measureRenderCpu?: boolean;
  /** The clock of the pre-render window (tests). */
  now?: () => number;
}

/** One finished rendering of one content type; its buffer is reused once superseded and unread. */
interface Rendering {
  generation: number;
  sink: ByteSink;
  body: Buffer;
  /** Scrapes being sent from it (released by the HTTP server when the response is done). */
  readers: number;
  superseded: boolean;
  /** The body gzipped (level 1, on libuv's thread pool), once done: made when the last scrape of this
   *  content type accepted gzip within the pre-render window, as Prometheus's always do (3.5 MB of text → ~0.14 MB). */
  gzipped?: Buffer;
}

const TEXT = 0;
const OPENMETRICS = 1;
const CONTENT_TYPES = [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE];

export class LiveMetrics {
  readonly registry = new Registry<RegistryContentType>();
  private readonly metrics = new Map<string, StoredMetric>();
  private readonly containers = new Map<bigint, Tracked>();
  private readonly overflowed = new Set<bigint>();
  private readonly lastCounters = new Map<string, bigint>();
  private readonly table: SyscallTable;
  private readonly host: string;
  private readonly names = new Map<string, string>(); // "compat:nr" → name
  private readonly hostSeries = new Map<string, StoredSample>();
  /** Containers whose series were removed: the recorder keeps reporting them (gone), never re-track. */
  private readonly removed = new Set<bigint>();
  /** Bumped by every change of the values or of the set of series; renderings are kept per generation. */
  private generation = 0;
  /** Per content type (TEXT, OPENMETRICS): the newest finished rendering, when its last scrape was. */
  private readonly latest: (Rendering | undefined)[] = [undefined, undefined];
  private readonly lastScrape: (number | undefined)[] = [undefined, undefined];
  /** A refresh of that content type is queued and has not started. */
  private readonly queued = [false, false];
  /** When a scrape of that content type last accepted gzip. */
  private readonly lastGzipScrape: (number | undefined)[] = [undefined, undefined];
  /** Renderings run one after the other (CPU: two at once would only interleave their slices). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Buffers of superseded renderings nobody reads any more, for the next ones. */
  private readonly spare: Buffer[] = [];
  private compressing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  /** What the renderings cost (the bench and the tests read it). */
  readonly renderStats = { renders: 0, last: null as RenderStats | null };

  constructor(private readonly opts: LiveOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.host = boundLabel(opts.host);
    this.table = syscallTableFor(opts.arch);
    for (const f of [...FAMILIES, ...LIVE_FAMILIES]) {
      const config = { name: f.name, help: f.help, labelNames: [...f.labels], registers: [this.registry] };
      this.metrics.set(f.key, f.type === 'counter' ? new StoredCounter(config) : new StoredGauge(config));
    }
  }

  private metric(key: string): StoredMetric {
    return this.metrics.get(key)!;
  }

  private family(key: string): Family {
    return [...FAMILIES, ...LIVE_FAMILIES].find((f) => f.key === key)!;
  }

  private syscallName(nr: number, compat: boolean): string {
    const k = `${compat ? 1 : 0}:${nr}`;
    let n = this.names.get(k);
    if (n === undefined) {
      n = (compat ? this.table.compat_names?.[String(nr)] : this.table.names[String(nr)]) ?? `#${nr}`;
      this.names.set(k, n);
    }
    return n;
  }

  /** The container's tracked state, or null when it is over the cap (counted once). */
  private track(cgroupId: bigint, info: ContainerInfo | undefined): Tracked | null {
    const t = this.containers.get(cgroupId);
    if (t) return t;
    if (!info) return null; // a host process (--host): no container series
    if (this.removed.has(cgroupId)) return null; // exited, its series already served and removed
    if (this.containers.size >= this.opts.maxContainers) {
      if (!this.overflowed.has(cgroupId)) {
        this.overflowed.add(cgroupId);
        this.hostSample('metrics_containers_overflow').value++;
      }
      return null;
    }
    const labels = { host: this.host, container_id: boundLabel(info.id), container: boundLabel(info.name || info.id.slice(0, 12)) };
    const tracked: Tracked = { labels, series: new Map(), syscalls: new Map(), last: {}, goneAt: null };
    this.containers.set(cgroupId, tracked);
    this.gauge(tracked, 'container_info', { image: boundLabel(info.image ?? ''), runtime: boundLabel(info.runtime ?? '') }, 1);
    return tracked;
  }

  private series(t: Tracked, key: string, extra: Labels): StoredSample {
    const id = key + '\u0000' + Object.values(extra).join('\u0000');
    let s = t.series.get(id);
    if (!s) {
      const metric = this.metric(key);
      s = { metric, sample: { value: 0, labels: NO_LABELS, sharedLabels: { ...extra, ...t.labels } } };
      metric.samples.add(s.sample);
      t.series.set(id, s);
    }
    return s.sample;
  }

  private inc(t: Tracked, key: string, extra: Labels, by: number): void {
    if (by > 0) this.series(t, key, extra).value += by;
  }

  private gauge(t: Tracked, key: string, extra: Labels, v: number): void {
    this.series(t, key, extra).value = v;
  }

  /** Everything one flush wrote. */
  update(r: FlushReport): void {
    this.generation++;
    const ipNames = new Map<string, string>();
    for (const info of r.containers.values()) for (const ip of info.ips) ipNames.set(ip, boundLabel(info.name || info.id.slice(0, 12)));
    for (const [id, info] of r.containers) this.track(id, info);
    for (const b of r.batches) this.addBatch(b, r.containers, ipNames);
    for (const [id, sample] of r.resources) {
      const t = this.track(id, r.containers.get(id));
      if (t) this.addResources(t, sample);
    }
    for (const id of r.gone) {
      const t = this.containers.get(id);
      if (t && t.goneAt === null) t.goneAt = this.generation;
    }
    this.addSelf(r);
    this.prerender();
  }

  private addBatch(b: NativeBatch, containers: ReadonlyMap<bigint, ContainerInfo>, ipNames: Map<string, string>): void {
    const cg = b.columns.cgroup_id as BigUint64Array | undefined;
    if (!cg) return;
    const perRow = (i: number) => this.track(cg[i]!, containers.get(cg[i]!));
    switch (b.kind) {
      case 'syscall': {
        const nr = b.columns.syscall_nr as Int32Array;
        const compat = b.columns.compat as Uint8Array;
        const count = b.columns.count as BigUint64Array;
        const errors = b.columns.errors as BigUint64Array;
        const denied = b.columns.denied as BigUint64Array;
        for (let i = 0; i < b.length; i++) {
          const t = perRow(i);
          if (!t) continue;
          // Found by number: no label string is built for a series that already exists.
          const k = nr[i]! * 2 + (compat[i] !== 0 ? 1 : 0);
          let three = t.syscalls.get(k);
          if (!three) t.syscalls.set(k, (three = [undefined, undefined, undefined]));
          const by = [count[i]!, errors[i]!, denied[i]!];
          for (let j = 0; j < 3; j++) {
            if (by[j] === 0n) continue;
            three[j] ??= this.series(t, SYSCALL_FAMILIES[j]!, { syscall: this.syscallName(nr[i]!, compat[i] !== 0) });
            three[j]!.value += Number(by[j]);
          }
        }
        return;
      }
      case 'exec':
      case 'fork':
      case 'exit':
        for (let i = 0; i < b.length; i++) {
          const t = perRow(i);
          if (t) this.inc(t, `${b.kind}s`, {}, 1);
        }
        return;
      case 'open': {
        const fs = b.columns.fs_type as StringColumn;
        const ret = b.columns.ret as BigInt64Array;
        for (let i = 0; i < b.length; i++) {
          const t = perRow(i);
          if (!t) continue;
          const start = fs.offsets[i]!;
          const end = fs.offsets[i + 1]!;
          this.inc(t, 'file_opens', { fs_type: end > start ? boundLabel(Buffer.from(fs.data.subarray(start, end)).toString('utf8')) : 'unknown' }, 1);
          if (ret[i]! < 0n) this.inc(t, 'file_open_failures', {}, 1);
        }
        return;
      }
      case 'connect':
      case 'accept': {
        const ret = b.columns.ret as BigInt64Array;
        const raddr = b.columns.raddr as Uint8Array;
        for (let i = 0; i < b.length; i++) {
          const ok = b.kind === 'connect' ? ret[i] === 0n || ret[i] === -115n : ret[i]! >= 0n;
          if (!ok) continue;
          const t = perRow(i);
          if (!t) continue;
          const peer = ipNames.get(formatAddress(raddr.subarray(i * 16, i * 16 + 16))) ?? 'external';
          this.inc(t, 'tcp_connections', { direction: b.kind === 'connect' ? 'outbound' : 'inbound', peer_container: peer }, 1);
        }
        return;
      }
      default:
    }
  }

  private addResources(t: Tracked, sample: Record<ResourceField, bigint | null>): void {
    for (const f of RESOURCE_FIELDS) {
      const m = RESOURCE_MAP[f.name];
      const v = sample[f.name];
      if (!m || v === null) continue;
      const [key, extraValue] = m;
      const fam = this.family(key);
      const extra: Labels = extraValue === null ? {} : { [fam.labels[3]!]: extraValue };
      const scale = fam.divisor ?? 1;
      if (fam.type === 'gauge') {
        this.gauge(t, key, extra, Number(v) / scale);
        continue;
      }
      const prev = t.last[f.name];
      t.last[f.name] = v;
      // The kernel's cumulative value: the counter starts at it and follows its increments.
      this.inc(t, key, extra, Number(prev === undefined || v < prev ? v : v - prev) / scale);
    }
  }

  /** A recorder-wide series (host plus `extra` labels), kept like the containers' ones. */
  private hostSample(key: string, extra: Labels = NO_LABELS): StoredSample {
    const id = key + '\u0000' + Object.values(extra).join('\u0000');
    let s = this.hostSeries.get(id);
    if (!s) {
      s = { value: 0, labels: NO_LABELS, sharedLabels: { host: this.host, ...extra } };
      this.metric(key).samples.add(s);
      this.hostSeries.set(id, s);
    }
    return s;
  }

  private addSelf(r: FlushReport): void {
    for (const [name, v] of Object.entries(r.counters)) {
      const m = /^(events|drops|truncated)\.(.+)$/.exec(name);
      if (!m) continue;
      const prev = this.lastCounters.get(name) ?? 0n;
      this.lastCounters.set(name, v);
      const d = v >= prev ? v - prev : v;
      if (d === 0n) continue;
      const key = m[1] === 'events' ? 'recorder_events' : m[1] === 'drops' ? 'recorder_drops' : 'recorder_truncations';
      this.hostSample(key, { [key === 'recorder_events' ? 'kind' : 'reason']: boundLabel(m[2]!) }).value += Number(d);
    }
    const prevBytes = this.lastCounters.get('\u0000bytes') ?? 0n;
    this.lastCounters.set('\u0000bytes', BigInt(r.bytesWritten));
    this.hostSample('recorder_capture_bytes').value += Number(BigInt(r.bytesWritten) - prevBytes);
    this.hostSample('recorder_flush_duration').value = r.flushSeconds;
    this.hostSample('metrics_containers').value = this.containers.size;
    this.hostSample('ringbuf_size').value = r.ringBuffer.sizeBytes;
    this.hostSample('ringbuf_used').value = r.ringBuffer.usedBytes;
    this.hostSample('ringbuf_peak_used').value = r.ringBuffer.peakUsedBytes;
  }

  private recentlyScraped(i: number, by = this.lastScrape): boolean {
    const at = by[i];
    return at !== undefined && this.now() - at <= (this.opts.prerenderWindowMs ?? 120_000);
  }

  /**
   * After a change: render each content type scraped recently, in the background, so that the
   * next scrape finds its bytes ready. Costs nothing when nobody scrapes.
   */
  private prerender(): void {
    if (this.opts.prerender === false) return;
    for (const i of [TEXT, OPENMETRICS]) if (this.recentlyScraped(i)) void this.refresh(i).catch(() => undefined);
  }

  /** A rendering of content type `i` as new as the state when it starts (queued; coalesced). */
  private refresh(i: number): Promise<Rendering> {
    const fresh = () => {
      const cur = this.latest[i];
      return cur && cur.generation === this.generation ? cur : undefined;
    };
    if (this.queued[i]) return this.queue.then(() => fresh() ?? this.refresh(i));
    this.queued[i] = true;
    const next = this.queue.then(() => {
      this.queued[i] = false;
      return fresh() ?? this.render(i);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async render(i: number): Promise<Rendering> {
    const generation = this.generation;
    const snap = snapshot([...this.metrics.values()]);
    const sink = new ByteSink(this.spare.pop() ?? Buffer.allocUnsafeSlow(1 << 16));
    const stats = await render(snap, i === OPENMETRICS, sink, { sliceSeries: this.opts.sliceSeries ?? 500, measureCpu: this.opts.measureRenderCpu });
    this.renderStats.renders++;
    this.renderStats.last = stats;
    const r: Rendering = { generation, sink, body: sink.buffer.subarray(0, sink.length), readers: 0, superseded: false };
    if (this.recentlyScraped(i, this.lastGzipScrape)) {
      r.readers++; // zlib reads the body on another thread: its buffer is not reused meanwhile
      this.compressing = new Promise<void>((done) =>
        gzip(r.body, { level: 1 }, (err, out) => {
          if (!err) r.gzipped = out;
          r.readers--;
          this.recycle(r);
          done();
        }),
      );
    }
    const old = this.latest[i];
    this.latest[i] = r;
    if (old) {
      old.superseded = true;
      this.recycle(old);
    }
    return r;
  }

  /** Resolves once the renderings queued so far are done (tests, bench). */
  async idle(): Promise<void> {
    await this.queue;
    await this.compressing;
  }

  private recycle(r: Rendering): void {
    if (r.superseded && r.readers === 0 && this.spare.length < 2) this.spare.push(r.sink.buffer);
  }

  /**
   * The exposition for one scrape: the newest finished rendering of the current flush when there
   * is one; while the current flush is being rendered in the background, the previous flush's
   * (complete, and counters only grow from one flush to the next); otherwise it renders now.
   * Call `release()` when the body has been sent: until then its buffer is not reused (a caller
   * that never calls it only keeps the buffer from being recycled).
   * Containers gone before the served rendering's flush lose their series afterwards.
   * `acceptsGzip`: the body is gzipped when that rendering has been compressed already (never
   * compressed on the scrape path: a scrape that finds it not ready gets the plain text).
   */
  async scrape(openMetrics: boolean, acceptsGzip = false): Promise<{ body: Buffer; contentType: string; gzipped: boolean; release: () => void }> {
    const i = openMetrics ? OPENMETRICS : TEXT;
    if (acceptsGzip) this.lastGzipScrape[i] = this.now();
    const warm = this.recentlyScraped(i) && this.opts.prerender !== false;
    this.lastScrape[i] = this.now();
    let r = this.latest[i];
    if (!r || r.generation !== this.generation) {
      // Warm: a background rendering of the current state is queued or running (prerender() after
      // every change), serve the previous one. Cold (first scrape in a while): render and wait.
      if (warm && r) void this.refresh(i).catch(() => undefined);
      else r = await this.refresh(i);
    }
    const served = r!;
    served.readers++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      served.readers--;
      this.recycle(served);
    };
    this.removeGone(served.generation);
    const gzipped = acceptsGzip && served.gzipped !== undefined;
    return { body: gzipped ? served.gzipped! : served.body, contentType: CONTENT_TYPES[i]!, gzipped, release };
  }

  private removeGone(served: number): void {
    let changed = false;
    for (const [id, t] of this.containers) {
      if (t.goneAt === null || t.goneAt > served) continue;
      for (const s of t.series.values()) s.metric.samples.delete(s.sample);
      this.containers.delete(id);
      this.removed.add(id);
      changed = true;
    }
    if (changed) {
      this.generation++;
      this.hostSample('metrics_containers').value = this.containers.size;
      this.prerender();
    }
  }
}

/** "9001", ":9001", "0.0.0.0:9001", "[::1]:9001" → host and port; bad input is a usage error. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new UsageError('bad-metrics-address', `--metrics: expected [HOST:]PORT (e.g. 9001 or 0.0.0.0:9001), got '${text.slice(0, 100)}'`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

/** An Accept-Encoding header lists gzip (or *) with a non-zero quality. */
export function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** Starts listening (before the recording starts: a busy port or bad address fails fast, exit 4). */
export async function serveMetrics(metrics: LiveMetrics, listen: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    const openMetrics = /application\/openmetrics-text/.test(req.headers.accept ?? '');
    metrics.scrape(openMetrics, acceptsGzip(req.headers['accept-encoding'])).then(
      ({ body, contentType, gzipped, release }) => {
        res.once('close', release);
        const headers: Record<string, string> = { 'content-type': contentType, vary: 'accept-encoding' };
        if (gzipped) headers['content-encoding'] = 'gzip';
        res.writeHead(200, headers).end(body);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes(err.code ?? '')
          ? new RecorderError('metrics-listen', `--metrics ${listen.host}:${listen.port}: cannot listen (${err.code})`, { cause: err })
          : new UsageError('bad-metrics-address', `--metrics ${listen.host}:${listen.port}: cannot listen (${err.code ?? err.message})`, { cause: err }),
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  server.unref();
  return server;
}
