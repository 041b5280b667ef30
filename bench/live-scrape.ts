/**
 * The live exporter (`record --metrics`) with 100 containers × 100 syscalls (issue 10: one scrape
 * ≤ 50 ms), fed synthetic flushes the way the recorder feeds it. Per round, in this order: one
 * flush's update, the first scrape after it (renders the text format), a second text scrape of the
 * same flush (cached), the first OpenMetrics scrape (renders), and the floor: the same samples
 * written as exposition lines by a bare loop (not used by contxray: the cost of the bytes alone).
 * Scrapes go through the real HTTP endpoint, by curl (its own process). Times are this process's CPU time (user + system,
 * GC threads included), which the load of a shared host disturbs far less than wall time; the
 * wall time of the HTTP scrapes is printed next to it. Medians of the rounds.
 *
 *   npm run bench -- live-scrape [--containers 100] [--syscalls 100] [--rounds 21]
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RESOURCE_FIELDS } from '../src/capture/schema.js';
import type { ContainerInfo } from '../src/containers/index.js';
import { LiveMetrics, serveMetrics } from '../src/metrics/live.js';
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

/** The floor: every sample of the registry as `name{labels} value` lines by a bare loop. */
async function bareExposition(live: LiveMetrics): Promise<string> {
  const lines: string[] = [];
  for (const m of live.registry.getMetricsAsArray() as unknown as StoredMetric[]) {
    const g = await m.get();
    lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type}`);
    for (const v of g.values as { value: number; labels: Record<string, string>; sharedLabels?: Record<string, string> }[]) {
      const all = { ...v.labels, ...v.sharedLabels };
      let l = '';
      for (const k in all) l += `${l ? ',' : ''}${k}="${all[k]}"`;
      lines.push(`${g.name}{${l}} ${v.value}`);
    }
  }
  return lines.join('\n') + '\n';
}

const run = promisify(execFile);

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

export async function main(argv: string[]): Promise<void> {
  const nc = Number(opt(argv, 'containers', '100'));
  const ns = Number(opt(argv, 'syscalls', '100'));
  const rounds = Number(opt(argv, 'rounds', '21'));
  const live = new LiveMetrics({ host: 'bench', arch: 'x86_64', maxContainers: 100_000 });
  const server = await serveMetrics(live, { host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  // The scraper is curl in its own process: only the exporter's work counts in this process's
  // CPU; the wall time is curl's own (connect to last byte), without its process start.
  const scrape = async (openMetrics: boolean) => {
    const accept = openMetrics ? 'application/openmetrics-text; version=1.0.0' : 'text/plain';
    const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{http_code} %{time_total}', '-H', `accept: ${accept}`, url]);
    const [size, code, seconds] = stdout.split(' ');
    if (code !== '200') throw new Error(`scrape: HTTP ${code}`);
    return { bytes: Number(size), wallMs: Number(seconds) * 1000 };
  };
  const steps = ['update from one flush', 'scrape, text (renders)', 'scrape, text (cached)', 'scrape, OpenMetrics (renders)', 'floor: bare loop + UTF-8'];
  const cpu = new Map<string, number[]>(steps.map((s) => [s, []]));
  const wall = new Map<string, number[]>(steps.map((s) => [s, []]));
  let bytes = 0;
  let floorBytes = 0;
  await scrape(false); // warm the HTTP path and the code
  for (let r = 0; r < rounds; r++) {
    const f = syntheticFlush(nc, ns, r);
    const runs: [string, () => Promise<number | undefined>][] = [
      [steps[0]!, async () => void live.update(f)],
      [steps[1]!, async () => ({ bytes } = await scrape(false)).wallMs],
      [steps[2]!, async () => (await scrape(false)).wallMs],
      [steps[3]!, async () => (await scrape(true)).wallMs],
      [steps[4]!, async () => void (floorBytes = Buffer.from(await bareExposition(live), 'utf8').length)],
    ];
    for (const [name, run] of runs) {
      const m = await measure(run);
      cpu.get(name)!.push(m.cpu);
      wall.get(name)!.push(m.result ?? m.wall);
    }
  }
  server.close();
  console.log(`live exporter, ${nc} containers × ${ns} syscalls (${nc * ns * 3} syscall series + resources; text ${(bytes / 1e6).toFixed(2)} MB, bare ${(floorBytes / 1e6).toFixed(2)} MB), ${rounds} rounds, medians:`);
  for (const s of steps) console.log(`  ${s.padEnd(30)} CPU ${median(cpu.get(s)!).toFixed(1).padStart(6)} ms   wall ${median(wall.get(s)!).toFixed(1).padStart(6)} ms`);
  printRatios('first scrape after a flush vs the bare loop (CPU of this process)', { 'text': median(cpu.get(steps[1]!)!), 'OpenMetrics': median(cpu.get(steps[3]!)!), floor: median(cpu.get(steps[4]!)!) }, 'floor', 'ms');
  console.log('goal: one scrape ≤ 50 ms');
}
