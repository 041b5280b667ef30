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
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import { formatAddress } from '../capture/addr.js';
import { RESOURCE_FIELDS, type ResourceField } from '../capture/schema.js';
import type { ContainerInfo } from '../containers/index.js';
import type { FlushReport } from '../record/recorder.js';
import type { NativeBatch, StringColumn } from '../record/native.js';
import { syscallTableFor, type SyscallTable } from '../syscalls/index.js';
import { RecorderError, UsageError } from '../util/errors.js';
import { FAMILIES, LIVE_FAMILIES, promClientMetric, type Family } from './families.js';
import { boundLabel } from './labels.js';

type Metric = Counter<string> | Gauge<string>;
type Labels = Record<string, string>;
type Series = { metric: Metric; labels: Labels; child: { inc?(v: number): void; set?(v: number): void } };

interface Tracked {
  labels: Labels; // host, container_id, container
  /** Every series of this container: metric, labels, and prom-client's child bound to them
   *  (inc/set through the child skip hashing the label object at every update). */
  series: Map<string, Series>;
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
  private readonly metrics = new Map<string, Metric>();
  private readonly containers = new Map<bigint, Tracked>();
  private readonly overflowed = new Set<bigint>();
  private readonly lastCounters = new Map<string, bigint>();
  private readonly table: SyscallTable;
  private readonly host: string;
  private readonly names = new Map<string, string>(); // "compat:nr" → name

  constructor(private readonly opts: LiveOptions) {
    this.host = boundLabel(opts.host);
    this.table = syscallTableFor(opts.arch);
    for (const f of [...FAMILIES, ...LIVE_FAMILIES]) this.metrics.set(f.key, promClientMetric(f, this.registry));
  }

  private metric(key: string): Metric {
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
        (this.metric('metrics_containers_overflow') as Counter<string>).inc({ host: this.host });
      }
      return null;
    }
    const labels = { host: this.host, container_id: boundLabel(info.id), container: boundLabel(info.name || info.id.slice(0, 12)) };
    const tracked: Tracked = { labels, series: new Map(), last: {}, goneScrapes: null };
    this.containers.set(cgroupId, tracked);
    this.gauge(tracked, 'container_info', { image: boundLabel(info.image ?? ''), runtime: boundLabel(info.runtime ?? '') }, 1);
    return tracked;
  }

  private series(t: Tracked, key: string, extra: Labels, base = t.labels): Series {
    const id = key + '\u0000' + Object.values(extra).join('\u0000');
    let s = t.series.get(id);
    if (!s) {
      const metric = this.metric(key);
      const labels = { ...base, ...extra };
      t.series.set(id, (s = { metric, labels, child: metric.labels(labels) as Series['child'] }));
    }
    return s;
  }

  private inc(t: Tracked, key: string, extra: Labels, by: number): void {
    if (by > 0) this.series(t, key, extra).child.inc!(by);
  }

  private gauge(t: Tracked, key: string, extra: Labels, v: number, base?: Labels): void {
    this.series(t, key, extra, base).child.set!(v);
  }

  /** Everything one flush wrote. */
  update(r: FlushReport): void {
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
          const syscall = this.syscallName(nr[i]!, compat[i] !== 0);
          this.inc(t, 'syscalls', { syscall }, Number(count[i]!));
          this.inc(t, 'syscall_errors', { syscall }, Number(errors[i]!));
          this.inc(t, 'seccomp_denied', { syscall }, Number(denied[i]!));
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
      (this.metric(key) as Counter<string>).inc({ host: this.host, [key === 'recorder_events' ? 'kind' : 'reason']: boundLabel(m[2]!) }, Number(d));
    }
    const prevBytes = this.lastCounters.get('\u0000bytes') ?? 0n;
    this.lastCounters.set('\u0000bytes', BigInt(r.bytesWritten));
    (this.metric('recorder_capture_bytes') as Counter<string>).inc({ host: this.host }, Number(BigInt(r.bytesWritten) - prevBytes));
    (this.metric('recorder_flush_duration') as Gauge<string>).set({ host: this.host }, r.flushSeconds);
    (this.metric('metrics_containers') as Gauge<string>).set({ host: this.host }, this.containers.size);
  }

  /** The exposition for one scrape; afterwards, containers gone before it lose their series. */
  async scrape(openMetrics: boolean): Promise<{ body: string; contentType: string }> {
    this.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
    const body = await this.registry.metrics();
    const contentType = this.registry.contentType;
    for (const [id, t] of this.containers) {
      if (t.goneScrapes === null) continue;
      if (++t.goneScrapes < 1) continue;
      for (const s of t.series.values()) s.metric.remove(s.labels);
      this.containers.delete(id);
    }
    return { body, contentType };
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
