/**
 * Recorder CPU with 50 idle containers (issue 10: resource sampling may add at most 1 % of one
 * core), and with `--metrics` scraped every second (the live exporter's cost next to none).
 * Modes, interleaved per round, each a whole `contxray record -d SECONDS` process whose CPU time
 * (user + system, from /usr/bin/time) is divided by its wall time:
 *   plain = --no-resources; resources = default; live = default + --metrics and a 1 s scraper.
 * Needs root, Docker and the local image contxray/busybox:demo. Containers: cxb-res-N, removed after.
 *
 *   npm run bench -- resources [--containers 50] [--rounds 3] [--seconds 20]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const names = Array.from({ length: n }, (_, i) => `cxb-res-${i}`);
  spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
  for (const name of names) spawnSync('docker', ['run', '-d', '--rm', '--label', 'contxray.test=1', '--name', name, IMAGE, 'sleep', '3600'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-res-'));
  const cpu: Record<string, number[]> = { plain: [], resources: [], live: [] };
  try {
    for (let r = 0; r < rounds; r++)
      for (const mode of Object.keys(cpu)) {
        cpu[mode]!.push(await recordOnce(mode, dir, seconds, 19400 + r));
        console.error(`round ${r + 1} ${mode}: ${(cpu[mode]!.at(-1)! * 100).toFixed(2)} % of a core`);
      }
  } finally {
    spawnSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v) * 100]));
  console.log(`recorder CPU, ${n} idle containers, ${seconds} s recordings, median of ${rounds} interleaved rounds (% of one core):`);
  console.log(`  --no-resources:            ${m.plain!.toFixed(2)} %`);
  console.log(`  resource samples (default): ${m.resources!.toFixed(2)} %  (+${(m.resources! - m.plain!).toFixed(2)} points; goal ≤ +1)`);
  console.log(`  + --metrics, scraped at 1 s: ${m.live!.toFixed(2)} %  (ratio to default ${(m.live! / m.resources!).toFixed(3)})`);
}
