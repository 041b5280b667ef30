/**
 * Recorder CPU with 50 idle containers (issue 10: resource sampling may add at most 1 % of one
 * core), and with `--metrics` scraped every second (the live exporter's cost next to none).
 * Modes, interleaved per round, each a whole `contxray record -d SECONDS` process whose CPU time
 * (user + system, from /usr/bin/time) is divided by its wall time:
 *   plain = --no-resources; resources = default; live = default + --metrics and a 1 s scraper.
 * Needs root, Docker and the local image contxray/busybox:demo. Containers: cxm-res-N, removed after.
 *
 * Whole processes on a shared host differ by more than the effect (the recorder also handles every
 * other container's events), so first, in this process, the sampler alone: `--passes` times,
 * sampleCgroup() of every container (what each flush does), and the CPU time (user + system,
 * getrusage) of one pass: at one flush per second, that time per second is the share of a core.
 * CPU time, unlike wall time, does not count the time other processes hold the cores.
 *
 *   npm run bench -- resources [--containers 50] [--rounds 3] [--seconds 20] [--passes 200]
 *   (--rounds 0: the sampler figure only)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileCache, readSmall, sampleCgroup } from '../src/record/resources.js';

const BIN = fileURLToPath(new URL('../../bin/contxray.js', import.meta.url));
const IMAGE = 'contxray/busybox:demo';

function opt(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function recordOnce(mode: string, dir: string, seconds: number, port: number): Promise<number> {
  const out = join(dir, `${mode}.arrow`);
  const timeFile = join(dir, 'time');
  const extra = mode === 'plain' ? ['--no-resources'] : mode === 'live' ? ['--metrics', `127.0.0.1:${port}`] : [];
  const t0 = Date.now();
  const p = spawn('/usr/bin/time', ['-f', '%U %S %e', '-o', timeFile, process.execPath, BIN, 'record', '-o', out, '--force', '-d', `${seconds}s`, ...extra], { stdio: 'ignore' });
  let scraping = mode === 'live';
  const scraper = (async () => {
    while (scraping) {
      await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      await sleep(1000);
    }
  })();
  await new Promise((r) => p.on('exit', r));
  scraping = false;
  await scraper;
  const [user, sys, wall] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  void t0;
  // CPU fraction of one core over the recording (BPF load included in both, same for every mode).
  return (user! + sys!) / wall!;
}

export async function main(argv: string[]): Promise<void> {
  const n = opt(argv, 'containers', 50);
  const rounds = opt(argv, 'rounds', 3);
  const seconds = opt(argv, 'seconds', 20);
  const names = Array.from({ length: n }, (_, i) => `cxm-res-${i}`);
  spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
  for (const name of names) spawnSync('docker', ['run', '-d', '--rm', '--label', 'contxray.test=1', '--name', name, IMAGE, 'sleep', '3600'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-res-'));
  const cpu: Record<string, number[]> = { plain: [], resources: [], live: [] };
  try {
    const passes = opt(argv, 'passes', 200);
    const cgroups = names.map((name) => {
      const pid = spawnSync('docker', ['inspect', '-f', '{{.State.Pid}}', name], { encoding: 'utf8' }).stdout.trim();
      const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
      // the v2 hierarchy, as the recorder finds it (hybrid hosts mount it at /sys/fs/cgroup/unified)
      return join(existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup', line.slice(3));
    });
    // both ways a pass can read, interleaved pass by pass: open/read/close every file (readSmall) and
    // the recorder's FileCache (files kept open, missing ones remembered)
    const files = new FileCache();
    const ways: Record<string, (p: string) => string | null> = { 'open every flush': readSmall, 'files kept open (recorder)': (p) => files.read(p) };
    const perPass: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
    for (let i = 0; i < passes; i++) {
      for (const [way, read] of Object.entries(ways)) {
        const before = process.cpuUsage();
        for (const dir of cgroups) if (sampleCgroup(dir, '/proc', read).cpu_usage_usec === null) throw new Error(`no sample of ${dir}`);
        if (way !== 'open every flush') files.sweep();
        const d = process.cpuUsage(before);
        perPass[way]!.push((d.user + d.system) / 1000);
      }
    }
    files.close();
    for (const [way, xs] of Object.entries(perPass)) {
      const sorted = [...xs].sort((a, b) => a - b);
      const q = (f: number) => sorted[Math.floor(f * (sorted.length - 1))]!;
      console.log(`sampler alone (${way}), ${n} containers, ${passes} passes: CPU per pass (= per flush) median ${q(0.5).toFixed(2)} ms, p25 ${q(0.25).toFixed(2)}, p75 ${q(0.75).toFixed(2)}, p90 ${q(0.9).toFixed(2)} ms`);
      console.log(`  at one flush per second: ${(q(0.5) / 10).toFixed(3)} % of one core (median; p90 ${(q(0.9) / 10).toFixed(3)} %), goal ≤ 1 %`);
    }
    for (let r = 0; r < rounds; r++)
      for (const mode of Object.keys(cpu)) {
        cpu[mode]!.push(await recordOnce(mode, dir, seconds, 19400 + r));
        console.error(`round ${r + 1} ${mode}: ${(cpu[mode]!.at(-1)! * 100).toFixed(2)} % of a core`);
      }
  } finally {
    spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
  if (rounds === 0) return;
  const paired = cpu.resources!.map((v, i) => ((v - cpu.plain![i]!) * 100).toFixed(2));
  console.log(`whole processes, per round, resources − plain (points): ${paired.join(', ')}`);
  const m = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v) * 100]));
  console.log(`recorder CPU, ${n} idle containers, ${seconds} s recordings, median of ${rounds} interleaved rounds (% of one core):`);
  console.log(`  --no-resources:            ${m.plain!.toFixed(2)} %`);
  console.log(`  resource samples (default): ${m.resources!.toFixed(2)} %  (+${(m.resources! - m.plain!).toFixed(2)} points; goal ≤ +1)`);
  console.log(`  + --metrics, scraped at 1 s: ${m.live!.toFixed(2)} %  (ratio to default ${(m.live! / m.resources!).toFixed(3)})`);
}
