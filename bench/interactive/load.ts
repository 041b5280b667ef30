/**
 * Parallel load (issue 12 item 4), side by side in one run: the 10M-event synthetic capture loaded
 * by contxray with the bulk kind through the Parquet shim (load-shim.ts; CONTXRAY_LOAD_SHIM=1, the
 * default while a core is idle), the same with a worker reading (CONTXRAY_LOAD_THREADS=2), and
 * without the shim (CONTXRAY_LOAD_SHIM=0, the default when every core is busy: batches decoded in
 * JavaScript, a table function feeding DuckDB's parallel INSERT), against
 * DuckDB's own read_parquet of the same rows into the same kind of database (a file in a scratch
 * dir; the floor); then 100 captures of 100k events. Every measurement is its own process (peak
 * RSS is its own), rounds interleave the variants, and medians are compared. `--compare DIST` adds
 * another build's loader (its default) to the same rounds.
 *
 *   node -e "import('./dist/bench/interactive/load.js').then(m=>m.main(process.argv.slice(1)))" -- \
 *     [--events 10000000 (0: skip)] [--small 100 (0: skip)] [--small-events 100000] [--rounds 5] [--capture PATH] [--compare DIST]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, opt, timeCommand } from '../lib/measure.js';
import { writeSyntheticCapture } from '../../test/support/synthetic.js';

const CHILD = fileURLToPath(new URL('../interactive-load-child.js', import.meta.url));

interface Measured {
  seconds: number;
  rows: number;
  threads: number;
  rssMb: number;
}

function child(args: string[], env: Record<string, string> = {}, script = CHILD): Measured {
  const r = timeCommand(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<Measured, 'rssMb'>;
  return { ...out, rssMb: r.maxRssMb };
}

async function shape(title: string, captures: string[], parquet: string, rounds: number, compare: string): Promise<void> {
  child(['to-parquet', parquet, ...captures]);
  const variants = [
    { name: 'contxray with the shim', run: () => child(['contxray', ...captures], { CONTXRAY_LOAD_SHIM: '1' }) },
    { name: 'contxray, shim written by a worker', run: () => child(['contxray', ...captures], { CONTXRAY_LOAD_SHIM: '1', CONTXRAY_LOAD_THREADS: '2' }) },
    { name: 'contxray without the shim (previous design)', run: () => child(['contxray', ...captures], { CONTXRAY_LOAD_SHIM: '0' }) },
    { name: 'read_parquet (floor)', run: () => child(['parquet', parquet]) },
  ];
  if (compare) {
    const script = join(compare, 'bench', 'interactive-load-child.js');
    variants.push({ name: `${compare} (its default)`, run: () => child(['contxray', ...captures], {}, script) });
  }
  const res = await interleave(rounds, variants, (r, name, m) => console.error(`  round ${r + 1} ${name}: ${m.seconds.toFixed(2)} s, ${m.rssMb.toFixed(0)} MB`));
  const floor = median(res.get('read_parquet (floor)')!.map((m) => m.seconds));
  console.log(`\n${title} (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores at the end)`);
  console.log('| loader | median | rows/s | × floor | peak RSS (median) |\n|---|---|---|---|---|');
  for (const [name, ms] of res) {
    const s = median(ms.map((m) => m.seconds));
    const rows = ms[0]!.rows;
    const ratio = name.includes('floor') ? 'floor' : `${(s / floor).toFixed(2)}×`;
    console.log(`| ${name} | ${s.toFixed(2)} s | ${(rows / s / 1e6).toFixed(2)} M | ${ratio} | ${median(ms.map((m) => m.rssMb)).toFixed(0)} MB |`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const events = Number(opt(argv, 'events', '10000000'));
  const small = Number(opt(argv, 'small', '100'));
  const smallEvents = Number(opt(argv, 'small-events', '100000'));
  const rounds = Number(opt(argv, 'rounds', '5'));
  const compare = opt(argv, 'compare', '');
  const given = opt(argv, 'capture', '');
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-load-'));
  try {
    if (events > 0 || given) {
      const big = given || join(dir, 'big.arrow');
      if (!given) await writeSyntheticCapture(big, { events });
      await shape(`one capture of ${given ? 'the given' : events} events`, [big], join(dir, 'big-parquet'), rounds, compare);
    }
    if (small > 0) {
      // One capture written, the others copies: each is still read, decoded and appended on its own.
      const first = join(dir, 'small-0.arrow');
      await writeSyntheticCapture(first, { events: smallEvents, seed: 5 });
      const smalls = [first];
      for (let i = 1; i < small; i++) {
        smalls.push(join(dir, `small-${i}.arrow`));
        copyFileSync(first, smalls[i]!);
      }
      await shape(`${small} captures of ${smallEvents} events`, smalls, join(dir, 'small-parquet'), rounds, compare);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
