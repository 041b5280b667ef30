/**
 * The live exporter (`record --metrics`) with 100 containers × 100 syscalls (issue 10: one scrape
 * ≤ 50 ms), fed synthetic flushes the way the recorder feeds it. Two parts, each with interleaved
 * rounds and medians:
 *
 * 1. Per flush, in this process (CPU time: user + system, GC threads included, each step from a
 *    collected heap): the update from one flush; the rendering the exporter now does after a
 *    flush (src/metrics/render.ts: slices, reused buffer; its wall time and its longest slice, the
 *    longest it holds the event loop); prom-client's registry.metrics() + Buffer.from (how it was
 *    rendered before, in one block); the floor: a bare loop writing the same samples.
 * 2. Scrapes the way Prometheus makes them, through the real HTTP endpoint, by curl (its own
 *    process; wall = curl's connect to last byte): flushes every --interval ms; in each interval
 *    one scrape, alternately right after the flush (the worst case) and at a random offset in the
 *    interval. Three modes, alternating by round: `prerender, gzip` (what `record --metrics` does
 *    for a Prometheus, which always accepts gzip), `prerender, plain` (a scraper without gzip) and
 *    `render on scrape` (the same renderer, run only when a scrape asks: the behaviour before).
 *    The event loop's largest delay (perf_hooks monitorEventLoopDelay) is taken per mode.
 *
 *   npm run bench -- live-scrape [--containers 100] [--syscalls 100] [--rounds 7] [--flushes 6] [--interval 1000]
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RESOURCE_FIELDS } from '../src/capture/schema.js';
import type { ContainerInfo } from '../src/containers/index.js';
import { LiveMetrics, serveMetrics } from '../src/metrics/live.js';
import { ByteSink, render, snapshot } from '../src/metrics/render.js';
import type { StoredMetric } from '../src/metrics/stored.js';
import type { FlushReport } from '../src/record/recorder.js';
import type { ResourceSample } from '../src/record/resources.js';
import { median, opt, printRatios } from './lib/measure.js';

/** One flush of `nContainers` synthetic containers × `nSyscalls` syscalls (also used by overhead --metrics). */
export function syntheticFlush(nContainers: number, nSyscalls: number, round: number): FlushReport {
  const containers = new Map<bigint, ContainerInfo>();
  const resources = new Map<bigint, ResourceSample>();
  const rows = nContainers * nSyscalls;
  const cg = new BigUint64Array(rows);
  const nr = new Int32Array(rows);
  const count = new BigUint64Array(rows);
  for (let c = 0; c < nContainers; c++) {
    const id = BigInt(1000 + c);
    containers.set(id, { id: c.toString(16).padStart(64, 'a'), name: `bench-${c}`, image: 'busybox', runtime: 'docker', ips: [`10.1.${c >> 8}.${c & 255}`] } as unknown as ContainerInfo);
    const s = {} as ResourceSample;
    for (const f of RESOURCE_FIELDS) s[f.name] = BigInt(round * 1000 + c);
    resources.set(id, s);
    for (let k = 0; k < nSyscalls; k++) {
      cg[c * nSyscalls + k] = id;
      nr[c * nSyscalls + k] = k;
      count[c * nSyscalls + k] = BigInt(1 + k);
    }
  }
  const batch = { kind: 'syscall' as const, length: rows, columns: { cgroup_id: cg, syscall_nr: nr, compat: new Uint8Array(rows), count, errors: count, denied: new BigUint64Array(rows) } };
  return { batches: [batch], resources, containers, counters: { 'events.exec': BigInt(round) }, bytesWritten: round * 1000, flushSeconds: 0.01, ringBuffer: { sizeBytes: 16 << 20, usedBytes: 0, peakUsedBytes: 4096 }, gone: new Set(), final: false };
}

/** Label strings of the floor, formatted once per series' life (as prom-client's WeakMap does). */
const floorLabels = new WeakMap<object, string>();

/**
 * The floor: every sample as `name{labels} value` lines by a bare loop, with the renderer's own
 * tricks (labels formatted once per series, one string per 500 series, written into a reused
 * buffer) but no exposition library and no event-loop turns: what the bytes alone cost.
 */
function bareExposition(metrics: StoredMetric[], sink: ByteSink): void {
  for (const m of metrics) {
    sink.write(`# HELP ${m.sampleName} ${m.help}\n# TYPE ${m.sampleName} ${m.type}\n`);
    let lines = '';
    let n = 0;
    for (const v of m.samples) {
      let l = floorLabels.get(v.sharedLabels);
      if (l === undefined) {
        l = '';
        for (const k in v.sharedLabels) l += `${l ? ',' : ''}${k}="${v.sharedLabels[k]}"`;
        floorLabels.set(v.sharedLabels, l);
      }
      lines += `${m.sampleName}{${l}} ${v.value}\n`;
      if (++n % 500 === 0) {
        sink.write(lines);
        lines = '';
      }
    }
    sink.write(lines + '\n');
  }
}


const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Each step starts from a collected heap, so it pays for the garbage it makes, not for the
// garbage of the step before it.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function measure<T>(f: () => Promise<T> | T): Promise<{ cpu: number; wall: number; result: T }> {
  gc();
  const c = cpuMs();
  const w = performance.now();
  const result = await f();
  return { cpu: cpuMs() - c, wall: performance.now() - w, result };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const f1 = (x: number) => x.toFixed(1).padStart(6);

/**
 * The scraper: curl, started by one long-lived shell (so this process forks nothing while it is
 * measured: a fork of a big process blocks its event loop), one request per line on its stdin.
 * Only the exporter's work counts in this process; wall is curl's own (connect to last byte).
 */
class Scraper {
  private readonly sh = spawn('/bin/sh', ['-c', 'while read -r accept gz url; do curl -sS -o /dev/null -w "%{size_download} %{http_code} %{time_total}\\n" -H "accept: $accept" $gz "$url" || echo "0 000 0"; done'], { stdio: ['pipe', 'pipe', 'inherit'] });
  private readonly lines = createInterface({ input: this.sh.stdout! })[Symbol.asyncIterator]();

  /** With gzip: what Prometheus sends, and curl decompresses (its time is in the wall). */
  async scrape(url: string, openMetrics: boolean, gzip: boolean): Promise<{ bytes: number; wallMs: number }> {
    const accept = openMetrics ? 'application/openmetrics-text;version=1.0.0' : 'text/plain';
    this.sh.stdin!.write(`${accept} ${gzip ? '--compressed' : '-s'} ${url}\n`);
    const { value } = await this.lines.next();
    const [size, code, seconds] = String(value).split(' ');
    if (code !== '200') throw new Error(`scrape: HTTP ${code}`);
    return { bytes: Number(size), wallMs: Number(seconds) * 1000 };
  }

  close(): void {
    this.sh.stdin!.end();
  }
}

/** Part 1: what one flush costs the exporter's process, step by step. */
async function perFlush(nc: number, ns: number, rounds: number): Promise<void> {
  const live = new LiveMetrics({ host: 'bench', arch: 'x86_64', maxContainers: 100_000 });
  const metrics = live.registry.getMetricsAsArray() as unknown as StoredMetric[];
  const steps = ['update from one flush', 'render (slices, reused buffer)', 'registry.metrics() + Buffer.from', 'floor: bare loop, same buffer'];
  const cpu = new Map<string, number[]>(steps.map((s) => [s, []]));
  const wall = new Map<string, number[]>(steps.map((s) => [s, []]));
  const slice: number[] = [];
  let sink = new ByteSink(Buffer.allocUnsafeSlow(1 << 16));
  let floorSink = new ByteSink(Buffer.allocUnsafeSlow(1 << 16));
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const f = syntheticFlush(nc, ns, r);
    const runs: [string, () => Promise<unknown>][] = [
      [steps[0]!, async () => live.update(f)],
      [
        steps[1]!,
        async () => {
          sink = new ByteSink(sink.buffer); // the exporter reuses the buffer of a rendering nobody reads
          const st = await render(snapshot(metrics), false, sink, { sliceSeries: 500 });
          slice.push(st.maxSliceMs);
          bytes = sink.length;
        },
      ],
      [steps[2]!, async () => Buffer.from(await live.registry.metrics(), 'utf8').length],
      [steps[3]!, async () => bareExposition(metrics, (floorSink = new ByteSink(floorSink.buffer)))],
    ];
    for (const [name, step] of runs) {
      const m = await measure(step);
      cpu.get(name)!.push(m.cpu);
      wall.get(name)!.push(m.wall);
    }
  }
  console.log(`1. per flush, ${nc} containers × ${ns} syscalls (${metrics.reduce((n, m) => n + m.samples.size, 0)} series; text ${(bytes / 1e6).toFixed(2)} MB), ${rounds} rounds, medians:`);
  for (const s of steps) console.log(`  ${s.padEnd(34)} CPU ${f1(median(cpu.get(s)!))} ms   wall ${f1(median(wall.get(s)!))} ms`);
  console.log(`  render: longest slice (event loop held) median ${median(slice).toFixed(1)} ms, max ${Math.max(...slice).toFixed(1)} ms`);
  printRatios('rendering one flush vs the bare loop (CPU)', { 'render (slices)': median(cpu.get(steps[1]!)!), 'registry.metrics()': median(cpu.get(steps[2]!)!), floor: median(cpu.get(steps[3]!)!) }, 'floor', 'ms');
}

interface ModeFigures {
  afterFlush: number[];
  random: number[];
  renderCpu: number[];
  maxSlice: number[];
  loopMax: number[];
}

/** Part 2: scrapes over HTTP at Prometheus-like moments, flushes every `interval` ms. */
async function scrapes(nc: number, ns: number, rounds: number, flushes: number, interval: number): Promise<void> {
  const modes = ['prerender, gzip', 'prerender, plain', 'render on scrape'] as const;
  const figures = new Map<string, ModeFigures>(modes.map((m) => [m, { afterFlush: [], random: [], renderCpu: [], maxSlice: [], loopMax: [] }]));
  const setups = await Promise.all(
    modes.map(async (mode) => {
      const live = new LiveMetrics({ host: 'bench', arch: 'x86_64', maxContainers: 100_000, prerender: mode !== 'render on scrape', measureRenderCpu: true });
      const server = await serveMetrics(live, { host: '127.0.0.1', port: 0 });
      return { mode, live, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
    }),
  );
  const scraper = new Scraper();
  let flushNo = 0;
  for (let r = 0; r < rounds; r++) {
    for (const { mode, live, url } of setups) {
      const fig = figures.get(mode)!;
      const gzip = mode === 'prerender, gzip';
      live.update(syntheticFlush(nc, ns, flushNo++));
      await scraper.scrape(url, false, gzip); // scraped: warm
      await live.idle();
      // The event loop's delays from each update() to the end of its rendering and scrape (not the
      // update itself nor the building of the synthetic flush: the recorder's own work).
      // A fresh histogram each time: one re-enabled after a pause counts the pause as a delay.
      let loopMax = 0;
      for (let k = 0; k < flushes; k++) {
        const t0 = performance.now();
        const rendersBefore = live.renderStats.renders;
        const flush = syntheticFlush(nc, ns, flushNo++);
        live.update(flush);
        const loop = monitorEventLoopDelay({ resolution: 1 });
        loop.enable();
        const offset = k % 2 === 0 ? 0 : Math.random() * (interval - 100);
        if (offset > 0) await sleep(offset);
        const s = await scraper.scrape(url, false, gzip);
        (k % 2 === 0 ? fig.afterFlush : fig.random).push(s.wallMs);
        await live.idle();
        loop.disable();
        loopMax = Math.max(loopMax, loop.max / 1e6);
        if (live.renderStats.renders > rendersBefore && live.renderStats.last) {
          fig.renderCpu.push(live.renderStats.last.cpuMs);
          fig.maxSlice.push(live.renderStats.last.maxSliceMs);
        }
        await sleep(Math.max(0, interval - (performance.now() - t0)));
      }
      fig.loopMax.push(loopMax);
    }
  }
  scraper.close();
  for (const { server } of setups) server.close();
  console.log(`\n2. scrapes over HTTP (curl, text format; wall ms), a flush every ${interval} ms, ${rounds} rounds × ${flushes} flushes per mode, modes interleaved:`);
  console.log('  mode               scrape right after a flush   scrape at a random offset   render CPU/flush  longest slice  event-loop max delay');
  console.log('                     median   p90    max          median   p90    max          median            median         median of rounds');
  for (const mode of modes) {
    const f = figures.get(mode)!;
    const q = (xs: number[]) => `${f1(median(xs))} ${f1(quantile(xs, 0.9))} ${f1(Math.max(...xs))}`;
    console.log(`  ${mode.padEnd(18)} ${q(f.afterFlush)}      ${q(f.random)}      ${f1(median(f.renderCpu))} ms      ${f1(median(f.maxSlice))} ms    ${f1(median(f.loopMax))} ms`);
  }
  console.log('goal: one scrape ≤ 50 ms (ms, wall of curl)');
}

export async function main(argv: string[]): Promise<void> {
  const nc = Number(opt(argv, 'containers', '100'));
  const ns = Number(opt(argv, 'syscalls', '100'));
  const rounds = Number(opt(argv, 'rounds', '7'));
  const flushes = Number(opt(argv, 'flushes', '6'));
  const interval = Number(opt(argv, 'interval', '1000'));
  await perFlush(nc, ns, rounds);
  await scrapes(nc, ns, rounds, flushes, interval);
}
