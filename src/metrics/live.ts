/**
 * The live exporter of `record --metrics`: a prom-client registry built from the family
 * declarations (families.ts), updated at every recorder flush (FlushReport), served on /metrics in
 * the Prometheus text format, or OpenMetrics when the scraper's Accept header asks for it.
 *
 * Cardinality stays bounded: at most `maxContainers` containers get series (the others are counted
 * in contxray_metrics_containers_overflow_total); a container whose cgroup is gone keeps its series
 * until one scrape has been served after it went (so the last counts are seen), then they are
 * removed. Labels are the same as offline: no argv, path, pid, address or port.
 */
import { createServer, type Server } from 'node:http';
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
  /** Scrapes served since its cgroup went (null while it runs). */
  goneScrapes: number | null;
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
}

export class LiveMetrics {
  readonly registry = new Registry<RegistryContentType>();
  private readonly metrics = new Map<string, StoredMetric>();
  private readonly containers = new Map<bigint, Tracked>();
  private readonly overflowed = new Set<bigint>();
  private readonly lastCounters = new Map<string, bigint>();
  private readonly table: SyscallTable;
  private readonly host: string;
  private readonly names = new Map<string, string>(); // "compat:nr" → name
  /** Bumped by every change of the values or of the set of series; renderings are cached per generation. */
  private generation = 0;
  private readonly rendered: ({ generation: number; body: Promise<Buffer> } | undefined)[] = [];
  private renderQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: LiveOptions) {
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
    if (this.containers.size >= this.opts.maxContainers) {
      if (!this.overflowed.has(cgroupId)) {
        this.overflowed.add(cgroupId);
        (this.metric('metrics_containers_overflow') as StoredCounter).inc({ host: this.host });
      }
      return null;
    }
    const labels = { host: this.host, container_id: boundLabel(info.id), container: boundLabel(info.name || info.id.slice(0, 12)) };
    const tracked: Tracked = { labels, series: new Map(), syscalls: new Map(), last: {}, goneScrapes: null };
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
      if (t && t.goneScrapes === null) t.goneScrapes = 0;
    }
    this.addSelf(r);
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

  private addSelf(r: FlushReport): void {
    for (const [name, v] of Object.entries(r.counters)) {
      const m = /^(events|drops|truncated)\.(.+)$/.exec(name);
      if (!m) continue;
      const prev = this.lastCounters.get(name) ?? 0n;
      this.lastCounters.set(name, v);
      const d = v >= prev ? v - prev : v;
      if (d === 0n) continue;
      const key = m[1] === 'events' ? 'recorder_events' : m[1] === 'drops' ? 'recorder_drops' : 'recorder_truncations';
      (this.metric(key) as StoredCounter).inc({ host: this.host, [key === 'recorder_events' ? 'kind' : 'reason']: boundLabel(m[2]!) }, Number(d));
    }
    const prevBytes = this.lastCounters.get('\u0000bytes') ?? 0n;
    this.lastCounters.set('\u0000bytes', BigInt(r.bytesWritten));
    (this.metric('recorder_capture_bytes') as StoredCounter).inc({ host: this.host }, Number(BigInt(r.bytesWritten) - prevBytes));
    (this.metric('recorder_flush_duration') as StoredGauge).set({ host: this.host }, r.flushSeconds);
    (this.metric('metrics_containers') as StoredGauge).set({ host: this.host }, this.containers.size);
    (this.metric('ringbuf_size') as StoredGauge).set({ host: this.host }, r.ringBuffer.sizeBytes);
    (this.metric('ringbuf_used') as StoredGauge).set({ host: this.host }, r.ringBuffer.usedBytes);
    (this.metric('ringbuf_peak_used') as StoredGauge).set({ host: this.host }, r.ringBuffer.peakUsedBytes);
  }

  /**
   * The exposition for one scrape; afterwards, containers gone before it lose their series.
   * Values only change at flushes (and removals), so each content type is rendered (and encoded to
   * UTF-8) at most once per such generation and later scrapes get the same bytes.
   */
  async scrape(openMetrics: boolean): Promise<{ body: Buffer; contentType: string }> {
    const i = openMetrics ? 1 : 0;
    let cached = this.rendered[i];
    if (!cached || cached.generation !== this.generation) this.rendered[i] = cached = { generation: this.generation, body: this.render(openMetrics) };
    const body = await cached.body.catch((err: unknown) => {
      if (this.rendered[i] === cached) this.rendered[i] = undefined; // not cached: the next scrape tries again
      throw err;
    });
    for (const [id, t] of this.containers) {
      if (t.goneScrapes === null) continue;
      if (++t.goneScrapes < 1) continue;
      for (const s of t.series.values()) s.metric.samples.delete(s.sample);
      this.containers.delete(id);
      this.generation++;
    }
    return { body, contentType: openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE };
  }

  /** The registry has one content type at a time and reads it across awaits: renders run one after
   *  the other, never interleaved (two scrapers asking for both formats at once). */
  private render(openMetrics: boolean): Promise<Buffer> {
    const body = this.renderQueue.then(async () => {
      this.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
      if (!openMetrics) for (const m of this.metrics.values()) if (m instanceof StoredCounter) m.restoreName();
      return Buffer.from(await this.registry.metrics(), 'utf8');
    });
    this.renderQueue = body.catch(() => undefined);
    return body;
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

/** Starts listening (before the recording starts: a busy port or bad address fails fast, exit 4). */
export async function serveMetrics(metrics: LiveMetrics, listen: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    const openMetrics = /application\/openmetrics-text/.test(req.headers.accept ?? '');
    metrics.scrape(openMetrics).then(
      ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
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
