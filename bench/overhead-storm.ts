/**
 * Event storm: a process in a fresh cgroup opens a file on /dev/shm (not the root filesystem, so
 * kept in the default `host` mode) as fast as one core can. Every open must be recorded or counted
 * as dropped: recorded + dropped = performed, exactly. Prints the loop's slowdown, events/s, drops
 * and the recorder's RSS. Needs root and the built addon.
 *
 *   node dist/bench/overhead-storm.js [--opens N] [--rounds R] [--ring-bytes B] [--json]
 *   (R rounds, default 3, plain and traced interleaved; medians; every round must be exact)
 *   (a small --ring-bytes shows the drop accounting: recorded + dropped still = performed)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildC } from '../test/helpers/cprog.js';
import { makeCgroup } from '../test/helpers/cgroup.js';
import { NativeRecorder, type StringColumn } from '../src/record/native.js';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const i = argv.indexOf('--opens');
  const n = i >= 0 ? Number(argv[i + 1]) : 1_000_000;
  const j = argv.indexOf('--ring-bytes');
  const ringBufferBytes = j >= 0 ? Number(argv[j + 1]) : undefined;
  const kr = argv.indexOf('--rounds');
  const rounds = kr >= 0 ? Number(argv[kr + 1]) : 3;
  if (process.geteuid?.() !== 0) throw new Error('bench/overhead-storm needs root');
  const work = mkdtempSync(path.join(os.tmpdir(), 'contxray-storm-'));
  const bin = buildC('open-storm');
  const target = `/dev/shm/contxray-storm-${process.pid}`;
  writeFileSync(target, 'x');
  const cgroup = makeCgroup('storm');
  const cgdir = cgroup.dir;
  const cg = cgroup.id;
  const procs = cgroup.procs;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // one traced run: the recorder is opened for it and closed after it
  const traced = async () => {
    const rec = NativeRecorder.open({ opens: 'host', ringBufferBytes });
    rec.setCgroupVerdict(cg, 'record');
    let recorded = 0;
    let rss = 0;
    const want = Buffer.from(target);
    const drain = () => {
      const d = rec.drain();
      for (const c of d.newCgroups) if (c !== cg) rec.setCgroupVerdict(c, 'ignore');
      for (const b of d.batches) {
        if (b.kind !== 'open') continue;
        const ids = b.columns.cgroup_id as BigUint64Array;
        const p = b.columns.path as StringColumn;
        for (let k = 0; k < b.length; k++) {
          if (ids[k] !== cg) continue;
          const s = p.data.subarray(p.offsets[k]!, p.offsets[k + 1]!);
          if (Buffer.compare(s, want) === 0) recorded++;
        }
      }
      rss = Math.max(rss, process.memoryUsage().rss);
    };
    const timer = setInterval(drain, 100);
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, [procs, target, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    await sleep(300);
    clearInterval(timer);
    drain();
    const c = rec.counters();
    rec.close();
    const dropped = Number(c['drops.open'] ?? 0n) + Number(c['drops.native.open'] ?? 0n);
    return { recorded, dropped, ns: Number(out.trim()), wall, rss };
  };
  try {
    // rounds interleaved (plain, traced, plain, traced, …): the VM is noisy
    const plainNs: number[] = [];
    const tracedNs: number[] = [];
    const runs: Awaited<ReturnType<typeof traced>>[] = [];
    for (let r = 0; r < rounds; r++) {
      const plain = spawnSync(bin, [procs, target, String(n)], { encoding: 'utf8' });
      plainNs.push(Number(plain.stdout.trim()));
      const t = await traced();
      runs.push(t);
      tracedNs.push(t.ns);
    }
    const baseNs = median(plainNs);
    const tNs = median(tracedNs);
    const res = {
      opens: n,
      rounds,
      recorded: runs.map((x) => x.recorded).join(' '),
      dropped: runs.map((x) => x.dropped).join(' '),
      exact: runs.every((x) => x.recorded + x.dropped === n),
      ns_per_open_plain: baseNs,
      ns_per_open_traced: tNs,
      slowdown: +(tNs / baseNs).toFixed(2),
      slowdown_rounds: tracedNs.map((x, k) => +(x / plainNs[k]!).toFixed(2)).join(' '),
      events_per_s: Math.round(n / median(runs.map((x) => x.wall))),
      recorder_rss_mb: Math.round(Math.max(...runs.map((x) => x.rss)) / 2 ** 20),
    };
    if (argv.includes('--json')) console.log(JSON.stringify(res, null, 2));
    else {
      console.log(`open storm: ${n} opens of a tmpfs file in one process, default --opens host, median of ${rounds} interleaved rounds`);
      for (const [k, v] of Object.entries(res)) console.log(`  ${k.padEnd(20)} ${v}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(target, { force: true });
    await cgroup.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
