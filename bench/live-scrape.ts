/**
 * One scrape of the live exporter (`record --metrics`) with 100 containers × 100 syscalls (issue 10:
 * ≤ 50 ms), fed synthetic flushes the way the recorder feeds it, next to the time of one flush's
 * update. Text format and OpenMetrics; medians of interleaved rounds.
 *
 *   npm run bench -- live-scrape [--containers 100] [--syscalls 100] [--rounds 21]
 */
import { RESOURCE_FIELDS } from '../src/capture/schema.js';
import type { ContainerInfo } from '../src/containers/index.js';
import { LiveMetrics } from '../src/metrics/live.js';
import type { FlushReport } from '../src/record/recorder.js';
import type { ResourceSample } from '../src/record/resources.js';

function opt(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function flush(nContainers: number, nSyscalls: number, round: number): FlushReport {
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
  return { batches: [batch], resources, containers, counters: { 'events.exec': BigInt(round) }, bytesWritten: round * 1000, flushSeconds: 0.01, gone: new Set(), final: false };
}

export async function main(argv: string[]): Promise<void> {
  const nc = opt(argv, 'containers', 100);
  const ns = opt(argv, 'syscalls', 100);
  const rounds = opt(argv, 'rounds', 21);
  const live = new LiveMetrics({ host: 'bench', arch: 'x86_64', maxContainers: 500 });
  const update: number[] = [];
  const text: number[] = [];
  const om: number[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const f = flush(nc, ns, r);
    let t = performance.now();
    live.update(f);
    update.push(performance.now() - t);
    t = performance.now();
    bytes = (await live.scrape(false)).body.length;
    text.push(performance.now() - t);
    t = performance.now();
    await live.scrape(true);
    om.push(performance.now() - t);
  }
  console.log(`live exporter, ${nc} containers × ${ns} syscalls (${nc * ns * 3} syscall series + resources), ${rounds} rounds, medians:`);
  console.log(`  update from one flush: ${median(update).toFixed(1)} ms`);
  console.log(`  scrape, text format:   ${median(text).toFixed(1)} ms (${(bytes / 1e6).toFixed(1)} MB)  goal ≤ 50 ms`);
  console.log(`  scrape, OpenMetrics:   ${median(om).toFixed(1)} ms`);
}
