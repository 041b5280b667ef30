/**
 * Interactive speed, the load cache (issue 12 item 3): `contxray analyze CAP -q top-syscalls`
 * cold (--no-cache: loads), warm (a cache hit) and the floor (a Node script that opens the cached
 * DuckDB file read-only and runs the same query: bench/lib/duckdb-file-floor.ts), and the cache
 * hit without the command line's start-up (bench/lib/cached-query.ts, the library), interleaved
 * rounds, medians, on synthetic captures of 1M and 10M events. Goal: warm ≤ 1.5× floor.
 *
 *   npm run build && node -e "import('./dist/bench/interactive/cache.js').then(m=>m.main([]))"
 *   options: --events 1000000,10000000  --rounds 7
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, opt, printRatios, timeCommand, type CommandRun } from '../lib/measure.js';
import { writeSyntheticCapture } from '../../test/support/synthetic.js';
import { packagePath } from '../../src/util/package-root.js';
import { SETTLE_MS } from '../../src/analyze/cache/key.js';

const BIN = packagePath('bin', 'contxray.js');
const FLOOR = fileURLToPath(new URL('../lib/duckdb-file-floor.js', import.meta.url));
const LIBRARY = fileURLToPath(new URL('../lib/cached-query.js', import.meta.url));
const QUERY = 'top-syscalls';

export async function main(argv: string[]): Promise<void> {
  const sizes = opt(argv, 'events', '1000000,10000000').split(',').map(Number);
  const rounds = Math.max(7, Number(opt(argv, 'rounds', '7')));
  const work = mkdtempSync(join(tmpdir(), 'contxray-bench-cache-'));
  try {
    for (const events of sizes) await measure(work, events, rounds);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function measure(work: string, events: number, rounds: number): Promise<void> {
  const cap = join(work, `synthetic-${events}.arrow`);
  const home = join(work, `xdg-${events}`);
  const env = { ...process.env, XDG_CACHE_HOME: home, NO_COLOR: '1' };
  process.stderr.write(`writing ${events} events … `);
  const { bytes } = await writeSyntheticCapture(cap, { events });
  process.stderr.write(`${(bytes / 1e6).toFixed(1)} MB\n`);
  // the cache stores only captures whose last change is older than the settle time
  await new Promise((r) => setTimeout(r, SETTLE_MS + 500));
  const args = ['analyze', cap, '-q', QUERY];
  const first = timeCommand(process.execPath, [BIN, ...args], { env });
  const dir = join(home, 'contxray');
  const entries = readdirSync(dir).filter((n) => /^[0-9a-f]{32}$/.test(n));
  if (entries.length !== 1) throw new Error(`expected one cache entry after the first run, found ${entries.length}`);
  const db = join(dir, entries[0]!, 'analysis.duckdb');
  const floorRows = timeCommand(process.execPath, [FLOOR, db, packagePath('queries', 'analyze', `${QUERY}.sql`)]).stdout.trim().split('\n').length;
  const answerRows = (out: string) => out.trim().split('\n').length - 2; // table: header and rule lines
  if (answerRows(first.stdout) !== floorRows) throw new Error(`the floor returned ${floorRows} rows, analyze ${answerRows(first.stdout)}`);

  const results = await interleave<CommandRun>(
    rounds,
    [
      { name: 'cold (--no-cache)', run: () => timeCommand(process.execPath, [BIN, ...args, '--no-cache'], { env }) },
      { name: 'warm (cache hit)', run: () => timeCommand(process.execPath, [BIN, ...args], { env }) },
      { name: 'warm, library (no CLI start-up)', run: () => timeCommand(process.execPath, [LIBRARY, QUERY, cap], { env }) },
      { name: 'floor', run: () => timeCommand(process.execPath, [FLOOR, db, packagePath('queries', 'analyze', `${QUERY}.sql`)], { env }) },
    ],
    (round, name, r) => process.stderr.write(`  round ${round + 1} ${name}: ${r.seconds.toFixed(3)} s, ${r.maxRssMb.toFixed(0)} MiB\n`),
  );
  const warm = results.get('warm (cache hit)')!;
  if (warm.some((r) => r.stdout !== first.stdout)) throw new Error('a warm run answered differently from the first run');
  if (readdirSync(dir).filter((n) => /^[0-9a-f]{32}$/.test(n)).length !== 1) throw new Error('the warm runs did not reuse the one entry');
  const medians = Object.fromEntries([...results].map(([name, rs]) => [name, median(rs.map((r) => r.seconds))]));
  const rss = Object.fromEntries([...results].map(([name, rs]) => [name, median(rs.map((r) => r.maxRssMb))]));
  printRatios(`load cache, ${events.toLocaleString('en')} events (${(bytes / 1e6).toFixed(1)} MB capture), analyze -q ${QUERY}, ${rounds} rounds, medians`, medians, 'floor');
  printRatios('  peak RSS', rss, 'floor', 'MiB');
  console.log(`  warm is ${(medians['cold (--no-cache)']! / medians['warm (cache hit)']!).toFixed(1)}× faster than cold; goal warm ≤ 1.5× floor: ${medians['warm (cache hit)']! / medians.floor! <= 1.5 ? 'met' : 'NOT met'}`);
}
